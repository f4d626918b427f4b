import nbformat
import pytest
import torch

from probelib.book.chapter import ParameterError, check_overrides, declared_parameters, setup


def _nb(source):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("x = 1")]
    return nb


DECLARED = {"profile": "cpu", "dataset": "animal-mnist", "target_class": "horse", "seed": 0, "data_dir": None,
            "run_dir": "runs", "steps": 100, "lr": 0.1}


def test_declared_parameters_reads_literals():
    nb = _nb('profile = "cpu"  # comment\nseed = 0\ndata_dir = None\nratios = (0.1, 0.3)')
    assert declared_parameters(nb) == {"profile": "cpu", "seed": 0, "data_dir": None, "ratios": (0.1, 0.3)}


@pytest.mark.parametrize("source, message", [
    ("seed = 1 + 1", "not a plain literal"),
    ("import os", "only `name = literal` lines"),
    ("a = b = 1", "only `name = literal` lines"),
])
def test_declared_parameters_refuses_code(source, message):
    with pytest.raises(ParameterError, match=message):
        declared_parameters(_nb(source))


def test_exactly_one_parameters_cell():
    nb = _nb("seed = 0")
    nb.cells.append(nbformat.v4.new_code_cell("seed = 1", metadata={"tags": ["parameters"]}))
    with pytest.raises(ParameterError, match="exactly one cell tagged 'parameters', found 2"):
        declared_parameters(nb)


def test_check_overrides_merges_and_converts():
    merged = check_overrides(DECLARED, {"seed": 3, "lr": 1, "data_dir": None})
    assert merged["seed"] == 3 and merged["lr"] == 1 and merged["profile"] == "cpu"


def test_an_optional_parameter_declared_as_none_takes_its_type_or_none():
    declared = {"profile": "cpu", "steps": None, "resolution": None}
    assert check_overrides(declared, {"steps": 5, "resolution": None})["steps"] == 5
    with pytest.raises(ValueError, match="parameter 'steps' must be int or None, got 1.5"):
        check_overrides(declared, {"steps": 1.5})
    with pytest.raises(ValueError, match="parameter 'steps' must be int, got None"):
        check_overrides({"profile": "cpu", "steps": 10}, {"steps": None})  # declared with a number: a number


@pytest.mark.parametrize("overrides, message", [
    ({"sed": 1}, "unknown parameter 'sed' for ch; choose one of: profile, dataset"),
    ({"seed": "1"}, "parameter 'seed' must be int, got '1'"),
    ({"seed": True}, "parameter 'seed' must be int, got True"),
    ({"steps": 1.5}, "parameter 'steps' must be int, got 1.5"),
    ({"profile": "fast"}, "unknown profile 'fast'; choose one of: smoke, cpu, gpu"),
    ({"dataset": "mnist"}, "unknown dataset 'mnist'; choose one of: animal-mnist"),
    ({"target_class": "hrose"}, "unknown target class 'hrose'; choose one of: bear, bird, cat, cow"),
])
def test_check_overrides_errors(overrides, message):
    with pytest.raises(ValueError, match=message) as err:
        check_overrides(DECLARED, overrides, "ch")
    assert "\n" not in str(err.value)


def test_setup_resolves_and_seeds(tmp_path):
    ch = setup(profile="smoke", target_class="zebra", seed=5, run_dir=str(tmp_path / "r"))
    assert ch.target == 9 and ch.classes[ch.target] == "zebra" and ch.profile.name == "smoke"
    assert ch.run_dir == (tmp_path / "r") and ch.run_dir.is_dir()
    a = torch.rand(3)
    setup(profile="smoke", target_class="zebra", seed=5, run_dir=str(tmp_path / "r"))
    assert torch.equal(a, torch.rand(3))
    assert ch.samples_dir("table1").is_dir()


@pytest.mark.parametrize("kwargs, message", [
    ({"profile": "fast"}, "unknown profile 'fast'"),
    ({"dataset": "mnist"}, "unknown dataset 'mnist'"),
    ({"target_class": "hrose"}, "unknown target class 'hrose'; choose one of: bear, bird"),
    ({"seed": "0"}, "parameter 'seed' must be int"),
    ({"dataset": "cifar10", "target_class": "horse", "data_dir": None}, None),
])
def test_setup_errors(tmp_path, kwargs, message):
    if message is None:  # CIFAR-10's label space is known without its files
        assert setup(run_dir=str(tmp_path), **kwargs).target == 7
        return
    with pytest.raises(ValueError, match=message):
        setup(run_dir=str(tmp_path), **kwargs)


def test_optional_path_parameters_accept_a_string_or_none():
    declared = {**DECLARED, "inception_weights": None, "fid_extractor": None}
    merged = check_overrides(declared, {"inception_weights": "/w/inception.pth", "fid_extractor": "judge"})
    assert merged["inception_weights"] == "/w/inception.pth" and merged["fid_extractor"] == "judge"
    with pytest.raises(ValueError, match="parameter 'inception_weights' must be str or None, got 3"):
        check_overrides(declared, {"inception_weights": 3})
    declared = {**DECLARED, "memnet_weights": None, "biggan_weights": None}  # chapter 6's adapters
    merged = check_overrides(declared, {"memnet_weights": "/w/memnet.pth", "biggan_weights": "/w/biggan"})
    assert merged["memnet_weights"] == "/w/memnet.pth" and merged["biggan_weights"] == "/w/biggan"


def test_a_chapter_loads_speech_with_its_profiles_corpus_and_run_dir(tmp_path):
    """The speech data of a chapter follow the profile's corpus settings and land in its run_dir."""
    ch = setup(profile="smoke", dataset="speech", target_class="men", run_dir=str(tmp_path / "r"))
    train = ch.load("train")
    corpus = ch.profile.audio.corpus
    assert len(train) == 3 * (corpus.clips_per_class - round(0.2 * corpus.clips_per_class))
    assert list((tmp_path / "r" / "audio").glob("corpus-*.npz"))
    assert train.images.shape[2] == corpus.n_mels
