"""``probelib.probe`` and ``python -m probelib probe`` end to end on the smoke profile, on a
generated folder (PNG and JPEG, one corrupt file), with a TorchScript model and a torch.export
program; every bad input is one line and leaves nothing in ``--out``."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

import probelib as pl
from probelib.probing import cli
from probelib.train.probegan import ProbeGANTrainer

ROOT = Path(__file__).resolve().parents[2]
# the tests make TorchScript models with deprecated calls; probelib's own loading must stay silent
pytestmark = pytest.mark.filterwarnings(r"ignore:`torch\.jit\.(script|save)` is deprecated:FutureWarning")
TARGET_GREEN = (0, 255, 0)


def _folder(root: Path, classes=("ant", "bee", "cat"), n=16, side=40, corrupt=True, junk=0) -> Path:
    rng = np.random.default_rng(0)
    colours = {"ant": (255, 0, 0), "bee": TARGET_GREEN, "cat": (0, 0, 255), "dog": (255, 255, 0)}
    for cls in classes:
        d = root / cls
        d.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            a = (rng.random((side, side + 8, 3)) * 60).astype(np.uint8)
            a[side // 4: 3 * side // 4, side // 4: 3 * side // 4] = colours[cls]
            Image.fromarray(a).save(d / f"{i}.{'png' if i % 2 else 'jpg'}")
    if corrupt:
        (root / classes[0] / "broken.png").write_bytes(b"not an image")
    for i in range(junk):
        (root / classes[0] / f"junk{i}.png").write_bytes(b"junk")
    return root


def _net(channels=3, outputs=3):
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(channels, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, outputs))


@pytest.fixture
def folder(tmp_path):
    return _folder(tmp_path / "images")


def _cli(args, capsys):
    code = cli.main(["probe", "--profile", "smoke", *args])
    return code, capsys.readouterr()


def test_cli_with_a_torchscript_model_writes_the_whole_report(folder, tmp_path, capsys):
    torch.jit.save(torch.jit.script(_net()), tmp_path / "model.pt")
    ref = _folder(tmp_path / "ref", classes=("bee",), n=12, corrupt=False) / "bee"
    out = tmp_path / "report"
    code, io = _cli(["--classifier", str(tmp_path / "model.pt"), "--images", str(folder), "--target", "bee",
                     "--reference", str(ref), "--out", str(out), "--run-dir", str(tmp_path / "runs")], capsys)
    assert code == 0, io.err
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "generator.safetensors", "report.html",
                                                    "samples.npz"]
    summary = json.loads((out / "config.json").read_text())["summary"]
    assert summary["target images held out"] == 16 and summary["files skipped"] == 1
    assert summary["images"] == 32 and summary["resolution"] == 32  # median side 40 → 32
    assert "independent judge" in summary and "measured" in io.out and "about" in io.out
    page = (out / "report.html").read_text()
    assert "data:image/png;base64," in page and "held out" in page and "Provenance" in page
    z = np.load(out / "samples.npz")
    assert z["images"].shape == (24, 3, 32, 32) and (z["labels"] == 1).all()
    assert len(summary["spread"]) == 1 and ("Spread" in page) and (
        ("has collapsed" in page) == (summary["spread"][0] < pl.probing.COLLAPSED))


def test_cli_with_an_export_program(folder, tmp_path, capsys):
    program = torch.export.export(_net(), (torch.randn(2, 3, 32, 32),),
                                  dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, tmp_path / "model.pt2")
    code, io = _cli(["--classifier", str(tmp_path / "model.pt2"), "--images", str(folder), "--target", "cat",
                     "--out", str(tmp_path / "r"), "--run-dir", str(tmp_path / "runs")], capsys)
    assert code == 0, io.err and (tmp_path / "r" / "report.html").is_file()


def test_the_real_command_line(folder, tmp_path):
    torch.jit.save(torch.jit.script(_net()), tmp_path / "model.pt")
    proc = subprocess.run([sys.executable, "-m", "probelib", "probe", "--profile", "smoke", "--classifier",
                           str(tmp_path / "model.pt"), "--images", str(folder), "--target", "ant", "--out",
                           str(tmp_path / "r"), "--run-dir", str(tmp_path / "runs")], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 0, proc.stderr
    assert "[probelib] report:" in proc.stdout


def test_the_target_never_reaches_the_discriminator(folder, tmp_path, monkeypatch):
    reals = []
    original = ProbeGANTrainer.sample_real

    def spy(self):
        x, y = original(self)
        reals.append((x.clone(), y.clone()))
        return x, y

    monkeypatch.setattr(ProbeGANTrainer, "sample_real", spy)
    report = pl.probe(_net(), folder, "bee", profile="smoke", run_dir=tmp_path / "runs", progress=False)
    assert report.held_out == 16 and reals
    green = torch.tensor([-1.0, 1.0, -1.0]).view(1, 3, 1, 1)  # the target's solid colour, in [-1, 1]
    for x, y in reals:
        assert not (y == 1).any()
        assert not ((x - green).abs().amax(1) < 0.1).flatten(1).float().mean(1).gt(0.2).any()


def test_adapter_and_class_map_through_the_api(folder, tmp_path):
    wide = _net(channels=1, outputs=10)  # a 10-way grey model probed on a 3-class colour folder
    adapter = pl.ClassifierAdapter(wide, size=28, in_channels=1, class_map=[7, 2, 5])
    report = pl.probe(adapter, folder, "cat", profile="smoke", run_dir=tmp_path / "runs", progress=False, seeds=(0, 1))
    assert report.seeds == [0, 1] and len(report.fakes) == 2 and report.resolution == 32


@pytest.mark.parametrize("case, message", [
    ("outputs", r"the classifier gives \(4,\) outputs for the folder's 3 classes"),
    ("target", "unknown target class 'dog'; the folder's classes: ant, bee, cat"),
    ("seen", "the GAN needs images of at least two classes besides 'bee'"),
    ("junk", "files in .* are not readable images \\(more than 5 %\\)"),
    ("small", "is 12 px on its shorter side; a probe needs at least 16 px"),
    ("channels", "the classifier does not take the folder's 3-channel 32×32 images"),
    ("format", "unknown classifier format"),
    ("pickle", "is a pickled model \\(torch.save\\(model\\)\\), which probelib does not unpickle; export it"),
    ("weights", "holds weights only, not a model"),
])
def test_bad_input_is_one_line_and_leaves_no_report(tmp_path, capsys, case, message):
    folder = {"seen": lambda: _folder(tmp_path / "f", classes=("ant", "bee")),
              "junk": lambda: _folder(tmp_path / "f", junk=8),
              "small": lambda: _folder(tmp_path / "f", side=12)}.get(case, lambda: _folder(tmp_path / "f"))()
    model = tmp_path / "model.pt"
    if case == "format":
        model.write_text("not a model")
    elif case == "pickle":
        torch.save(_net(), model)
    elif case == "weights":
        torch.save(_net().state_dict(), model)
    else:
        torch.jit.save(torch.jit.script(_net(channels=1 if case == "channels" else 3,
                                             outputs=4 if case == "outputs" else 3)), model)
    target = "dog" if case == "target" else "bee"
    code, io = _cli(["--classifier", str(model), "--images", str(folder), "--target", target, "--out",
                     str(tmp_path / "out"), "--run-dir", str(tmp_path / "runs")], capsys)
    assert code == 2
    lines = io.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("[probelib] error: ")
    import re
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "out").exists()


def test_a_resolution_the_architecture_lacks(folder, tmp_path):
    with pytest.raises(pl.probing.ProbeError, match="no GAN architecture for 48×48 images; choose one of: 32, 64, 128"):
        pl.probe(_net(), folder, "bee", resolution=48, profile="smoke", run_dir=tmp_path)


def test_an_existing_report_is_never_overwritten(folder, tmp_path, capsys):
    torch.jit.save(torch.jit.script(_net()), tmp_path / "model.pt")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    code, io = _cli(["--classifier", str(tmp_path / "model.pt"), "--images", str(folder), "--target", "bee",
                     "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and "exists and is not an empty folder" in io.err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_pick_resolution():
    assert [pl.probing.pick_resolution(s) for s in (20, 32, 63, 64, 127, 500)] == [32, 32, 32, 64, 64, 128]


def test_a_64_px_probe_with_a_reference_is_judged_at_its_own_resolution(tmp_path):
    images = _folder(tmp_path / "images", side=64, corrupt=False)
    ref = _folder(tmp_path / "ref", classes=("bee",), n=12, side=64, corrupt=False) / "bee"
    report = pl.probe(_net(), images, "bee", reference=ref, profile="smoke", run_dir=tmp_path / "runs",
                      progress=False)
    assert report.resolution == 64 and report.fakes[0].shape[-1] == 64
    assert 0.0 <= report.reference["mean"]["recognition (%)"][0] <= 100.0 and len(report.spread) == 1


def test_several_targets_are_all_absent_from_one_gan_and_each_has_a_report(tmp_path, monkeypatch):
    images = _folder(tmp_path / "images", classes=("ant", "bee", "cat", "dog"), corrupt=False)
    reals, fakes = [], []
    real_original, fake_original = ProbeGANTrainer.sample_real, ProbeGANTrainer.sample_fake_inputs

    def spy_real(self):
        x, y = real_original(self)
        reals.append(y.clone())
        return x, y

    def spy_fake(self, g=None):
        batch = fake_original(self, g)
        fakes.append(batch)
        return batch

    monkeypatch.setattr(ProbeGANTrainer, "sample_real", spy_real)
    monkeypatch.setattr(ProbeGANTrainer, "sample_fake_inputs", spy_fake)
    refs = tmp_path / "refs"
    for cls in ("bee", "dog"):
        _folder(refs, classes=(cls,), n=12, corrupt=False)
    report = pl.probe(_net(outputs=4), images, ["bee", "dog"], reference=refs, profile="smoke",
                      run_dir=tmp_path / "runs", progress=False)
    assert isinstance(report, pl.SeveralProbeReport) and report.targets == ["bee", "dog"]
    assert reals and fakes
    assert all(not torch.isin(y, torch.tensor([1, 3])).any() for y in reals)  # no real bee or dog reaches D
    assert all(not torch.isin(b.y[b.dc], torch.tensor([1, 3])).any() for b in fakes)  # nor a fake one Dc
    assert report.first.results[0].targets == (1, 3)
    for name, label in (("bee", 1), ("dog", 3)):
        one = report[name]
        assert one.held_out == 16 and one.absent == {"bee": 16, "dog": 16}
        assert one.per_class == {"ant": 16, "bee": 0, "cat": 16, "dog": 0}
        assert one.reference is not None and one.n_reference == 12
        assert 0.0 <= one.reference["mean"]["recognition (%)"][0] <= 100.0
        assert torch.equal(one.fakes[0], pl.sample(one.generator, label, 24, seed=0))  # drawn as that class
    assert report.first.results is report["dog"].results  # one GAN per seed, shared
    out = report.save(tmp_path / "out")
    z = np.load(out / "samples.npz")
    assert sorted(np.unique(z["labels"]).tolist()) == [1, 3] and len(z["images"]) == 48
    page = (out / "report.html").read_text()
    assert "memorised about bee, dog" in page and page.count("Provenance") == 2
    with pytest.raises(KeyError, match="'cat' was not probed; the targets: bee, dog"):
        report["cat"]


def test_several_targets_through_the_command_line(tmp_path, capsys):
    images = _folder(tmp_path / "images", classes=("ant", "bee", "cat", "dog"), corrupt=False)
    torch.jit.save(torch.jit.script(_net(outputs=4)), tmp_path / "model.pt")
    code, io = _cli(["--classifier", str(tmp_path / "model.pt"), "--images", str(images), "--target", "bee,dog",
                     "--out", str(tmp_path / "r"), "--run-dir", str(tmp_path / "runs")], capsys)
    assert code == 0, io.err
    assert "targets 'bee', 'dog'" in io.out
    assert "of its probe 'bee'" in io.out and "of its probe 'dog'" in io.out
    summary = json.loads((tmp_path / "r" / "config.json").read_text())["summary"]
    assert summary["targets"] == ["bee", "dog"] and set(summary["per target"]) == {"bee", "dog"}


def test_one_target_keeps_its_cache_entry_and_the_several_target_gan_is_another(folder, tmp_path):
    one = pl.probe(_net(), folder, "bee", profile="smoke", run_dir=tmp_path / "runs", progress=False)
    again = pl.probe(_net(), folder, ["bee"], profile="smoke", run_dir=tmp_path / "runs", progress=False)
    assert again["bee"].results[0].path == one.results[0].path  # the same cache entry: a list of one is one target
    two = pl.probe(_net(outputs=4), _folder(tmp_path / "four", classes=("ant", "bee", "cat", "dog"), corrupt=False),
                   ["bee", "cat"], profile="smoke", run_dir=tmp_path / "runs", progress=False)
    assert two["bee"].results[0].path != one.results[0].path


@pytest.mark.parametrize("target, message", [
    ([], "target: give a class name or a list of class names"),
    (["bee", "bee"], "target class 'bee' named twice"),
    (["bee", "owl"], "unknown target class 'owl'; the folder's classes: ant, bee, cat"),
    (["bee", "cat"], "the GAN needs images of at least two classes besides 'bee', 'cat'; found ant"),
])
def test_bad_several_targets(folder, tmp_path, target, message):
    with pytest.raises(pl.probing.ProbeError, match=message):
        pl.probe(_net(), folder, target, profile="smoke", run_dir=tmp_path / "runs", progress=False)


def test_several_targets_need_a_reference_folder_per_target(tmp_path):
    images = _folder(tmp_path / "images", classes=("ant", "bee", "cat", "dog"), corrupt=False)
    refs = _folder(tmp_path / "refs", classes=("bee",), n=12, corrupt=False)
    with pytest.raises(pl.probing.ProbeError, match="reference: no sub-folder .*dog; with several targets"):
        pl.probe(_net(outputs=4), images, ["bee", "dog"], reference=refs, profile="smoke", run_dir=tmp_path / "runs",
                 progress=False)
