"""GANs trained as jobs in worker processes land in the cache, equal (bit for bit) to the same GANs
trained in the chapter's own process, and a failed job is one line."""
import dataclasses
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from probelib.train import jobs
from probelib.data import ImageSet
from probelib.models.gan import GANConfig
from probelib.train.probegan import ProbeGANConfig

TINY = ProbeGANConfig(gan=GANConfig(ch=2, z_dim=8, shared_dim=4, g_mult=(4, 4, 4), resolution=16, channels=1),
                      steps=3, batch_size=8, checkpoint_every=2)


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(0)
    return ImageSet(torch.rand(48, 1, 16, 16, generator=g) * 2 - 1, torch.arange(3).repeat(16), ("a", "b", "t"),
                    "tiny", "train")


def _jobs(images):
    torch.manual_seed(0)
    clf = nn.Sequential(nn.Flatten(), nn.Linear(256, 3))
    return [jobs.GanJob(dataclasses.replace(TINY, seed=s), images, clf, 2, f"tiny-s{s}") for s in (0, 1)]  # 2: "t"


def test_train_or_load_trains_the_missing_and_returns_every_gan_in_order(images, tmp_path, monkeypatch):
    from probelib.train import gans

    first, second = _jobs(images)
    cached = jobs.train_gan_job(first, tmp_path)  # already in the cache
    before = (cached.path.stat().st_mtime_ns, cached.path.read_bytes())
    trained = []
    real = gans.train_probegan
    monkeypatch.setattr(gans, "train_probegan", lambda cfg, *a, **kw: trained.append(cfg.seed) or real(cfg, *a, **kw))
    results = jobs.train_or_load([second, first], tmp_path, workers=1)
    assert trained == [1]  # only the missing one trained
    assert [r.config.seed for r in results] == [1, 0] and all(r.cache_hit for r in results)  # in order, from the cache
    assert results[1].path == cached.path and (cached.path.stat().st_mtime_ns, cached.path.read_bytes()) == before
    assert jobs.train_or_load([first, second], tmp_path, workers=1)[1].path == results[0].path and trained == [1]


def test_a_job_takes_a_class_index_not_a_name(images):
    job = _jobs(images)[0]
    with pytest.raises(TypeError, match=r"class index.* 't'; resolve names with probelib.class_index\(images, 't'\) first"):
        dataclasses.replace(job, target="t")
    with pytest.raises(jobs.UserError, match="unknown target class 3"):
        dataclasses.replace(job, target=3)


def test_workers_fill_the_cache_with_the_same_gans_as_one_process(images, tmp_path):
    todo = _jobs(images)
    assert not any(jobs.gan_cached(j, tmp_path / "a") for j in todo)
    assert jobs.prefetch_gans(todo, tmp_path / "a", workers=2, poll_s=0.2) == 2  # two worker processes
    assert all(jobs.gan_cached(j, tmp_path / "a") for j in todo)
    left = sorted(p.name for p in (tmp_path / "a" / "jobs").iterdir())
    assert left and all(n.endswith(("_log.out", "_log.err")) for n in left), left  # submitit's logs, no pickles
    assert jobs.prefetch_gans(todo, tmp_path / "a", workers=2) == 0  # nothing left to do
    assert jobs.prefetch_gans(todo, tmp_path / "b", workers=1) == 2  # in this process
    for j in todo:
        a, b = jobs.train_gan_job(j, tmp_path / "a"), jobs.train_gan_job(j, tmp_path / "b")
        assert a.cache_hit and b.cache_hit
        for (ka, va), (kb, vb) in zip(a.generator.state_dict().items(), b.generator.state_dict().items()):
            assert ka == kb and torch.equal(va, vb), ka


def test_one_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with jobs.one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_a_failing_job_is_one_line(images, tmp_path):
    bad = [dataclasses.replace(j, cfg=dataclasses.replace(j.cfg, lambda_cls=1.0), classifier=None) for j in _jobs(images)]
    with pytest.raises(jobs.JobError, match=r"GAN job 'tiny-s[01]' failed in its worker: ValueError: lambda_cls > 0 needs a classifier; its log"):
        jobs.prefetch_gans(bad, tmp_path, workers=2, poll_s=0.2)
    assert list((tmp_path / "jobs").glob("*_submitted.pkl"))  # a failed call keeps its files to look at


class _FakeSlurm:
    """Stands in for submitit's AutoExecutor on a machine without Slurm: records how it was
    built and runs each submitted function at once (in this process)."""

    made: list = []

    def __init__(self, folder, cluster):
        self.folder, self.cluster, self.params = folder, cluster, {}
        _FakeSlurm.made.append(self)

    def update_parameters(self, **params):
        self.params.update(params)

    def submit(self, fn, *args):
        value = fn(*args)
        paths = SimpleNamespace(submitted_pickle=Path(self.folder) / "x_submitted.pkl",
                                result_pickle=Path(self.folder) / "x_result.pkl")
        return type("Done", (), {"done": lambda self: True, "result": lambda self: value, "paths": paths})()


def test_slurm_executor_submits_each_cache_miss_as_a_job(images, tmp_path, monkeypatch):
    import submitit

    _FakeSlurm.made = []
    monkeypatch.setattr(submitit, "AutoExecutor", _FakeSlurm)
    monkeypatch.setenv("PROBELIB_EXECUTOR", "slurm")
    monkeypatch.setenv("PROBELIB_SLURM", '{"slurm_partition": "gpu", "gpus_per_node": 0}')
    todo = _jobs(images)
    assert jobs.prefetch_gans(todo, tmp_path, workers=1) == 2
    ex = _FakeSlurm.made[0]
    assert ex.cluster == "slurm" and ex.params["slurm_partition"] == "gpu" and ex.params["timeout_min"] == 24 * 60
    assert all(jobs.gan_cached(j, tmp_path) for j in todo)
    assert jobs.prefetch_gans(todo, tmp_path, workers=1) == 0 and len(_FakeSlurm.made) == 1  # all cached: no jobs


@pytest.mark.parametrize("env, message", [
    ({"PROBELIB_EXECUTOR": "pbs"}, "unknown executor 'pbs' \\(PROBELIB_EXECUTOR\\); choose one of: local, slurm"),
    ({"PROBELIB_MAX_JOBS": "0"}, "PROBELIB_MAX_JOBS='0': give a whole number of jobs, at least 1"),
    ({"PROBELIB_SLURM": "[1]"}, "PROBELIB_SLURM must be a JSON object of submitit parameters"),
])
def test_bad_executor_settings_are_one_line(env, message):
    with pytest.raises(jobs.JobError, match=message):
        jobs.executor_settings(env)
    assert jobs.executor_settings({}) == jobs.ExecutorSettings("local", None, ())


def test_a_pack_fills_the_cache_with_the_gans_trained_alone(images, tmp_path, monkeypatch):
    from probelib.train.gans import sample

    todo = _jobs(images)
    assert jobs.prefetch_gans(todo, tmp_path / "alone", workers=1) == 2
    monkeypatch.setenv("PROBELIB_PACK", "1")
    assert [len(g) for g in jobs.pack_groups(todo)] == [2]
    assert jobs.prefetch_gans(todo, tmp_path / "pack", workers=1) == 2  # one pack, in this process
    assert all(jobs.gan_cached(j, tmp_path / "pack") for j in todo)
    assert list((tmp_path / "pack" / "checkpoints").iterdir())  # each member's own checkpoints
    for j in todo:
        a, p = jobs.train_gan_job(j, tmp_path / "alone"), jobs.train_gan_job(j, tmp_path / "pack")
        assert p.cache_hit and len(p.history) == len(a.history)
        # the EMA generators draw the same images (weights: up to float rounding; see test_pack)
        assert torch.allclose(sample(a.generator, 0, 16), sample(p.generator, 0, 16), atol=1e-4)


def test_packing_is_chosen_per_device_and_a_bad_setting_is_one_line():
    assert jobs.pack_enabled("cuda", {}) and not jobs.pack_enabled("cpu", {})
    assert jobs.pack_enabled("cpu", {"PROBELIB_PACK": "1"}) and not jobs.pack_enabled("cuda", {"PROBELIB_PACK": "0"})
    with pytest.raises(jobs.UserError, match="PROBELIB_PACK='yes'; use auto, 1 or 0"):
        jobs.pack_enabled("cpu", {"PROBELIB_PACK": "yes"})


def test_jobs_of_another_shape_go_in_another_pack(images):
    a, b = _jobs(images)
    c = dataclasses.replace(b, cfg=dataclasses.replace(b.cfg, batch_size=4), name="other")
    assert [[j.name for j in g] for g in jobs.pack_groups([a, c, b])] == [["tiny-s0", "tiny-s1"], ["other"]]


def test_on_slurm_each_missing_classifier_is_a_job_and_locally_none(images, tmp_path, monkeypatch):
    import submitit

    from probelib.train.classifier import ClassifierConfig, load_or_train_classifier

    cfg = ClassifierConfig(width=4, epochs=1, batch_size=16, augment=False)
    todo = [jobs.ClassifierJob(cfg, images, None, "tiny clf")]
    assert jobs.prefetch_classifiers(todo, tmp_path) == 0 and not jobs.classifier_cached(todo[0], tmp_path)  # local
    _FakeSlurm.made = []
    monkeypatch.setattr(submitit, "AutoExecutor", _FakeSlurm)
    monkeypatch.setenv("PROBELIB_EXECUTOR", "slurm")
    monkeypatch.setenv("PROBELIB_SLURM", '{"gpus_per_node": 0}')
    assert jobs.prefetch_classifiers(todo, tmp_path, poll_s=0) == 1 and jobs.classifier_cached(todo[0], tmp_path)
    assert load_or_train_classifier(cfg, images, None, tmp_path, "cpu").cache_hit  # the chapter then reads the cache
    assert jobs.prefetch_classifiers(todo, tmp_path, poll_s=0) == 0 and len(_FakeSlurm.made) == 1


class _Rebuild:
    """A picklable callable that builds the classifier again (as probelib.probing.ClassifierSpec does)."""

    def __call__(self):
        return _jobs_classifier()


def _jobs_classifier():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(256, 3))


@pytest.mark.filterwarnings(r"ignore:`torch\.jit\.script` is deprecated:FutureWarning")
def test_a_job_travels_without_its_classifier_when_it_can_rebuild_it(images):
    job = dataclasses.replace(_jobs(images)[0], rebuild=_Rebuild())
    sent = jobs._travelling(job)
    assert sent.classifier is None and sent.rebuild is job.rebuild
    assert jobs._travelling(_jobs(images)[0]).classifier is not None  # a module that pickles goes as it is
    scripted = dataclasses.replace(job, classifier=torch.jit.script(_jobs_classifier()), rebuild=None)
    assert jobs._travelling(scripted) is None  # TorchScript does not pickle: it stays in the caller's process
