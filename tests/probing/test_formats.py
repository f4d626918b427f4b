"""The models people have, probed end to end through the command line on the smoke profile: a
default ``torch.export`` program (fixed batch 1) and a batch-2 one, a timm model (random weights,
safetensors), an ONNX graph and TorchScript, each with one seed and with ``--seeds 0,1`` (the
jobs pickled as a worker receives them: a :class:`~probelib.probing.ClassifierSpec`, not the
live module). A fixed-batch program called in chunks gives what one call of the module gives,
gradients included; a missing extra, an unsupported ONNX operator, a program of another image
size are one line; an unexpected error is one line naming a log file."""
import re
import warnings
from pathlib import Path

import pytest
import torch
from test_probe import _cli, _folder, _net
from torch import nn

import probelib as pl
from probelib.models.adapter import FixedShape
from probelib.probing import cli
from probelib.probing.loading import ClassifierSpec, load_classifier

SIDE = 32  # the smoke probe's resolution for the fixture folder (40 px images)


@pytest.fixture
def folder(tmp_path):
    return _folder(tmp_path / "images")


def _pt2(path: Path, batch: int, side: int = SIDE, dynamic: bool = False) -> Path:
    """``torch.export.export(model, (x,))`` the default way: every dimension fixed."""
    shapes = ({0: torch.export.Dim("batch")},) if dynamic else None
    torch.export.save(torch.export.export(_net().eval(), (torch.randn(batch, 3, side, side),), dynamic_shapes=shapes),
                      path)
    return path


def _onnx(path: Path, batch: int | None = None) -> Path:
    """The legacy (TorchScript-based) exporter: no onnxscript needed; a dynamic batch unless ``batch``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's own deprecation notice, not probelib's output
        torch.onnx.export(_net().eval(), (torch.randn(batch or 2, 3, SIDE, SIDE),), str(path), dynamo=False,
                          input_names=["x"], dynamic_axes=None if batch else {"x": {0: "batch"}})
    return path


def _torchscript(path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.script(_net()), path)
    return path


def _timm(path: Path, name: str = "test_resnet") -> Path:
    timm = pytest.importorskip("timm")
    from safetensors.torch import save_file

    torch.manual_seed(0)
    save_file(timm.create_model(name, pretrained=False, num_classes=3).state_dict(), str(path))
    return path


def _classifier_args(kind: str, tmp_path: Path) -> list[str]:
    if kind == "pt2-batch1":
        return ["--classifier", str(_pt2(tmp_path / "m.pt2", 1))]
    if kind == "pt2-batch2":
        return ["--classifier", str(_pt2(tmp_path / "m.pt2", 2))]
    if kind == "onnx":
        pytest.importorskip("onnx2torch")
        return ["--classifier", str(_onnx(tmp_path / "m.onnx"))]
    if kind == "torchscript":
        return ["--classifier", str(_torchscript(tmp_path / "m.pt"))]
    return ["--classifier", "timm:test_resnet", "--weights", str(_timm(tmp_path / "w.safetensors")),
            "--input-size", str(SIDE)]  # its own config says 160 px: fine, but slower than a smoke test needs


class _WorkerInThisProcess:
    """Stands in for submitit's LocalExecutor: each job is pickled and unpickled (cloudpickle, as
    submitit sends it to a worker process) and run at once in this process."""

    submitted: list = []

    def __init__(self, folder):
        self.folder = folder

    def update_parameters(self, **params):
        pass

    def submit(self, fn, *args):
        import cloudpickle

        fn, args = cloudpickle.loads(cloudpickle.dumps((fn, args)))
        _WorkerInThisProcess.submitted.append(args[0].name)
        value = fn(*args)
        return type("Done", (), {"done": lambda self: True, "result": lambda self: value})()


def _gans_in_cache(run_dir: Path) -> int:
    """Trained GANs in the cache: fixed-step (``gan-*``) and trained until drawn (``probe-gan-*``)."""
    return sum(len(list((run_dir / "cache").glob(f"{kind}-*.safetensors"))) for kind in ("gan", "probe-gan"))


@pytest.mark.parametrize("batch", [1, 2])
@pytest.mark.parametrize("kind", ["pt2", "onnx"])
def test_a_fixed_batch_program_called_in_chunks_equals_one_call(tmp_path, kind, batch):
    """A batch of 5 through a program that takes only ``batch``: outputs and input gradients as
    the module's own (float32, atol 1e-6)."""
    if kind == "onnx":
        pytest.importorskip("onnx2torch")
    path = _pt2(tmp_path / "m.pt2", batch) if kind == "pt2" else _onnx(tmp_path / "m.onnx", batch)
    program = load_classifier(str(path))
    assert isinstance(program, FixedShape) and program.batch == batch
    x = torch.randn(5, 3, SIDE, SIDE, generator=torch.Generator().manual_seed(1))
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    weights = torch.randn(5, 3, generator=torch.Generator().manual_seed(2))  # a loss that weighs every output
    out, ref = program(xa), _net().eval()(xb)
    (out * weights).sum().backward()
    (ref * weights).sum().backward()
    assert out.shape == (5, 3)
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=0)
    torch.testing.assert_close(xa.grad, xb.grad, atol=1e-6, rtol=0)


@pytest.mark.parametrize("seeds", ["0", "0,1"])
@pytest.mark.parametrize("kind", ["pt2-batch1", "pt2-batch2", "timm", "onnx"])
def test_each_format_is_probed_end_to_end(folder, tmp_path, capsys, monkeypatch, kind, seeds):
    import submitit

    monkeypatch.setattr(submitit, "LocalExecutor", _WorkerInThisProcess)
    monkeypatch.setattr(_WorkerInThisProcess, "submitted", [])
    runs = tmp_path / "runs"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, io = _cli([*_classifier_args(kind, tmp_path), "--images", str(folder), "--target", "bee", "--seeds",
                         seeds, "--workers", "2", "--out", str(tmp_path / "r"), "--run-dir", str(runs)], capsys)
    assert code == 0, io.err
    assert (tmp_path / "r" / "report.html").is_file() and _gans_in_cache(runs) == len(seeds.split(","))
    assert len(_WorkerInThisProcess.submitted) == (2 if seeds == "0,1" else 0)  # each pickled as a worker gets it
    assert not [w for w in caught if not issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]
    assert "Warning" not in io.err
    page = (tmp_path / "r" / "report.html").read_text()
    if kind.startswith("pt2"):
        b = kind[-1]
        assert f"takes batches of {b} only: it was called in chunks of {b}" in page
        assert f"called in chunks of {b}" in io.out


def test_torchscript_with_two_seeds_in_worker_processes(folder, tmp_path, capsys):
    """The reported failure: a TorchScript model's GAN jobs in real worker processes."""
    runs = tmp_path / "runs"
    code, io = _cli([*_classifier_args("torchscript", tmp_path), "--images", str(folder), "--target", "bee",
                     "--seeds", "0,1", "--workers", "2", "--out", str(tmp_path / "r"), "--run-dir", str(runs)], capsys)
    assert code == 0, io.err
    assert _gans_in_cache(runs) == 2  # trained by the workers, read (not retrained) by this process
    assert len(list((runs / "jobs").glob("*_log.out"))) == 2  # two worker processes' logs
    assert not list((runs / "jobs").glob("*.pkl"))  # their pickles deleted once read
    assert "FutureWarning" not in io.err and "deprecated" not in io.err


def test_torchscript_with_two_seeds_on_slurm(folder, tmp_path, capsys, monkeypatch):
    import submitit

    made = []

    class FakeSlurm(_WorkerInThisProcess):
        def __init__(self, folder, cluster):
            super().__init__(folder)
            self.cluster, self.params = cluster, {}
            made.append(self)

        def update_parameters(self, **params):
            self.params.update(params)

    monkeypatch.setattr(submitit, "AutoExecutor", FakeSlurm)
    code, io = _cli([*_classifier_args("torchscript", tmp_path), "--images", str(folder), "--target", "bee",
                     "--seeds", "0,1", "--executor", "slurm", "--slurm", "gpus_per_node=0", "--slurm",
                     "slurm_partition=cpu", "--out", str(tmp_path / "r"), "--run-dir", str(tmp_path / "runs")], capsys)
    assert code == 0, io.err
    assert made and made[0].cluster == "slurm" and made[0].params["slurm_partition"] == "cpu"
    assert made[0].params["gpus_per_node"] == 0 and _gans_in_cache(tmp_path / "runs") == 2


def test_a_live_module_that_cannot_travel_trains_here_with_a_note(folder, tmp_path, capsys, monkeypatch):
    import submitit

    monkeypatch.setattr(submitit, "LocalExecutor", _WorkerInThisProcess)
    monkeypatch.setattr(_WorkerInThisProcess, "submitted", [])
    model = load_classifier(str(_torchscript(tmp_path / "m.pt")))  # TorchScript does not pickle
    report = pl.probe(model, folder, "bee", profile="smoke", run_dir=tmp_path / "runs", progress=False,
                      seeds=(0, 1), workers=2)
    assert report.seeds == [0, 1] and _WorkerInThisProcess.submitted == []
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.match(r"\[probelib\] note: the classifier \(\w+\) cannot be sent to a worker "
                                      r"process; 2 GAN\(s\) train here", err[0]), err


def test_a_spec_rebuilds_the_same_classifier_and_timm_brings_its_own_input_settings(tmp_path):
    weights = _timm(tmp_path / "w.safetensors")
    own = ClassifierSpec("timm:test_resnet", str(weights)).load()
    assert own.size == 160 and own.mean.tolist() == [0.5, 0.5, 0.5] and own.in_channels == 3  # its pretrained config
    mine = ClassifierSpec("timm:test_resnet", str(weights), size=SIDE, mean=(), std=()).load()
    assert mine.size == SIDE and mine.mean.numel() == 0  # the user's settings win; () is no normalisation
    x = torch.rand(2, 3, SIDE, SIDE) * 2 - 1
    import cloudpickle

    again = cloudpickle.loads(cloudpickle.dumps(ClassifierSpec("timm:test_resnet", str(weights), size=SIDE)))
    assert torch.equal(again.load()(x), ClassifierSpec("timm:test_resnet", str(weights), size=SIDE).load()(x))
    assert not any(p.requires_grad for p in own.parameters())


def _unsupported_onnx(path: Path) -> Path:
    """A graph with an operator onnx2torch does not convert (Shrink)."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, SIDE, SIDE])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3 * SIDE * SIDE])
    graph = helper.make_graph([helper.make_node("Flatten", ["x"], ["f"]), helper.make_node("Shrink", ["f"], ["y"])],
                              "g", [x], [y])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


@pytest.mark.parametrize("case, message", [
    ("size", r"m\.pt2 \(torch\.export\) takes inputs of shape \(1, 3, 24, 24\) only, not \(any, 3, 32, 32\); "
             r"pass --input-size 24"),
    ("operator", r"uses the ONNX operator Shrink \(version 9\), which onnx2torch cannot convert"),
    ("no-timm", r"timm:test_resnet needs timm, which is not installed: pip install 'probelib\[timm\]'"),
    ("no-onnx", r"m\.onnx \(ONNX\) needs onnx2torch, which is not installed: pip install 'probelib\[onnx\]'"),
    ("timm-name", r"unknown timm architecture 'no_such_net'; see timm.list_models\(\)"),
])
def test_format_errors_are_one_line(folder, tmp_path, capsys, monkeypatch, case, message):
    import sys

    if case == "size":
        args = ["--classifier", str(_pt2(tmp_path / "m.pt2", 1, side=24))]
    elif case == "operator":
        pytest.importorskip("onnx2torch")
        args = ["--classifier", str(_unsupported_onnx(tmp_path / "m.onnx"))]
    elif case == "no-onnx":
        args = ["--classifier", str(_onnx(tmp_path / "m.onnx"))]
        monkeypatch.setitem(sys.modules, "onnx2torch", None)  # as if not installed
    else:
        args = ["--classifier", "timm:test_resnet" if case == "no-timm" else "timm:no_such_net", "--weights",
                str(_timm(tmp_path / "w.safetensors"))]
        if case == "no-timm":
            monkeypatch.setitem(sys.modules, "timm", None)
    code, io = _cli([*args, "--images", str(folder), "--target", "bee", "--out", str(tmp_path / "out"),
                     "--run-dir", str(tmp_path / "runs")], capsys)
    lines = io.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("[probelib] error: ")
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "out").exists()


def test_an_unexpected_error_is_one_line_naming_its_log(folder, tmp_path, capsys, monkeypatch):
    import tempfile

    from probelib.probing import api

    def broken(*args, **kwargs):
        raise RuntimeError("something probelib did not expect\nsecond line")

    monkeypatch.setattr(api, "probe", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code = cli.main(["probe", "--profile", "smoke", "--classifier", str(_torchscript(tmp_path / "m.pt")),
                     "--images", str(folder), "--target", "bee", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1, err
    found = re.match(r"\[probelib\] unexpected error: RuntimeError: something probelib did not expect — a bug in "
                     r"probelib, please report it; the traceback is in (\S+\.log)$", err[0])
    assert found, err[0]
    log = Path(found.group(1)).read_text()
    assert "Traceback" in log and "in broken" in log and "second line" in log


def test_a_dynamic_batch_program_is_called_whole(tmp_path):
    program = load_classifier(str(_pt2(tmp_path / "m.pt2", 2, dynamic=True)))
    assert isinstance(program, FixedShape) and program.batch is None
    calls = []
    program.model.register_forward_hook(lambda _m, inp, _o: calls.append(len(inp[0])))
    assert program(torch.zeros(5, 3, SIDE, SIDE)).shape == (5, 3) and calls == [5]
    assert isinstance(program.model, nn.Module)
