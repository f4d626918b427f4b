"""The report reads the GAN before the probe, and training stops when the GAN draws the seen
classes (smoke): the seen-class check's numbers by hand, a GAN that learned nothing leads with
"not evidence", fakes equal to real images are "drawn", the stopping rule stops at the first
passing check or at the budget (and the report says which), and a stopped-then-continued run
equals an uninterrupted one."""
import dataclasses
import json

import pytest
import torch
from test_probe import _folder
from torch import nn

import probelib as pl
from probelib.probing import cli
from probelib.probing.report import ProbeReport
from probelib.probing.seen import SeenCheck, SeenRule
from probelib.probing.settings import SETTINGS, settings, trainer_config
from probelib.probing.stopping import StopRule, train_until_drawn
from probelib.train.gans import ProbeGANResult
from probelib.train.probegan import ProbeGANTrainer

# the test makes a TorchScript model with deprecated calls, as test_probe does
pytestmark = pytest.mark.filterwarnings(r"ignore:`torch\.jit\.(script|save)` is deprecated:FutureWarning")
CLASSES = ("ant", "bee", "cat")  # the test folder's colours: red, green (the target), blue


class MeanColour(nn.Module):
    """Logits = 10 x the image's mean colour (red: ant, green: bee, blue: cat) + ``bias``."""

    def __init__(self, bias=(0.0, 0.0, 0.0)):
        super().__init__()
        self.linear = nn.Linear(3, 3)
        with torch.no_grad():
            self.linear.weight.copy_(10 * torch.eye(3))
            self.linear.bias.copy_(torch.tensor(bias))

    def forward(self, x):
        return self.linear(x.mean(dim=(2, 3)))


def _solid(colours, n=12, side=8, seed=0):
    """``n`` noisy images per colour (rgb in [-1, 1]), labelled by the colour's position."""
    g = torch.Generator().manual_seed(seed)
    x = torch.cat([torch.tensor(c).view(1, 3, 1, 1) + 0.1 * torch.randn(n, 3, side, side, generator=g)
                   for c in colours])
    return pl.data.ImageSet(x.clamp(-1, 1), torch.arange(len(colours)).repeat_interleave(n), CLASSES, "solid", "train")


RED, GREEN, BLUE = (1.0, -1.0, -1.0), (-1.0, 1.0, -1.0), (-1.0, -1.0, 1.0)


def test_the_seen_class_check_by_hand():
    data = _solid([RED, GREEN, BLUE])
    seen = [0, 2]  # bee is the target: never read
    check = SeenCheck(MeanColour(), data.subset(data.labels != 1), seen, SeenRule(n_real=12))
    # ant's fakes: 6 red, 2 blue -> top-1 75 %; cat's: 1 blue, 3 red -> 25 %
    ant = torch.cat([_solid([RED], 6, seed=1).images, _solid([BLUE], 2, seed=2).images])
    cat = torch.cat([_solid([BLUE], 1, seed=3).images, _solid([RED], 3, seed=4).images])
    out = check.measure({0: ant, 2: cat})
    assert [r["class"] for r in out["per class"]] == ["ant", "cat"]
    assert [r["top-1 (%)"] for r in out["per class"]] == [75.0, 25.0]
    assert out["median top-1 (%)"] == 25.0 and not out["draws"]  # the lower median of two classes
    # the real images themselves: every fake called its class, and as near its class as can be
    real = check.measure({c: data.images[data.labels == c] for c in seen})
    assert real["median top-1 (%)"] == 100.0 and real["median KID ratio"] < 0.05 and real["draws"]
    # cat drawn as the real ants: top-1 0 %, and as far from cat as ant is (the ratio's denominator): 1
    swapped = check.measure({0: data.images[data.labels == 0], 2: data.images[data.labels == 0]})
    assert swapped["per class"][1]["top-1 (%)"] == 0.0
    assert swapped["per class"][1]["KID ratio"] == pytest.approx(1.0, abs=1e-4)


class RealImages(nn.Module):
    """A "generator" that draws real images of the asked class (in turn): a GAN that learned perfectly."""

    def __init__(self, data):
        super().__init__()
        self.data, self.z_dim = data, 4
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, z, y):
        out = []
        for i, c in enumerate(y.tolist()):
            pool = self.data.images[self.data.labels == c]
            out.append(pool[i % len(pool)])
        return torch.stack(out)


def _report(data, generator, checks, **extra) -> ProbeReport:
    result = ProbeGANResult(generator, pl.ProbeGANConfig(steps=5), [], 0.1, 1, CLASSES)
    fakes = [pl.sample(generator, 1, 8)]
    return ProbeReport(target="bee", classes=CLASSES, resolution=8, channels=3, profile="smoke", n_images=24,
                       per_class={"ant": 12, "bee": 0, "cat": 12}, held_out=12, skipped=[], seeds=[0],
                       results=[result], fakes=fakes, seen_fakes={}, neighbours={"nearest class share": {"ant": 1.0}},
                       own_verdict=[{"seed": 0, "mean p(target)": 0.99, "top-1 target (%)": 100.0}], reference=None,
                       n_reference=0, seconds={"total": 1.0}, steps=5, seconds_per_step=[0.1], spread=[0.9],
                       seen_checks=checks, seen_rule=SeenRule(), steps_trained=[5], **extra)


def test_fakes_equal_to_real_images_mean_the_gan_draws_the_seen_classes():
    data = _solid([RED, GREEN, BLUE])
    seen_data = data.subset(data.labels != 1)
    G = RealImages(data)
    check = SeenCheck(MeanColour(), seen_data, [0, 2], SeenRule(n_fakes=12, n_real=12))(G)
    assert check["draws"] and check["median top-1 (%)"] == 100.0
    report = _report(data, G, [check])
    assert report.evidence and report.drawn == [0]
    lines = str(report).splitlines()
    assert lines[0].startswith("The GAN draws the seen classes") and "calls" not in lines[0]
    assert lines[1].startswith("The classifier calls 100.0 % of its probe 'bee'")
    assert report.summary()["verdict"].startswith("the GAN draws the seen classes; the classifier calls 100.0 %")


def test_a_gan_that_drew_nothing_is_not_evidence_whatever_the_classifier_says():
    data = _solid([RED, GREEN, BLUE])
    checks = [{"per class": [], "median top-1 (%)": 0.0, "median KID ratio": 9.0, "draws": False}]
    flat = _report(data, RealImages(data), checks, stopping=[{"steps": 5, "reached": False, "budget": 5, "checks": []}])
    lines = flat.headline()
    assert lines[0].startswith("NOT EVIDENCE: the GAN does not draw the seen classes") and "100.0" not in lines[0]
    assert "reached its budget of 5 steps" in lines[1]
    assert lines[2] == ("For the record only, not evidence: the classifier calls 100.0 % of its probe 'bee' "
                        "(mean p = 0.99).")
    assert flat.summary()["verdict"].startswith("NOT EVIDENCE") and not flat.summary()["evidence"]


@pytest.fixture
def colour_folder(tmp_path):
    return _folder(tmp_path / "images", corrupt=False)  # ant red, bee green, cat blue squares on dark noise


def test_a_constant_generator_leads_with_not_evidence_everywhere(colour_folder, tmp_path, capsys, monkeypatch):
    """The user's case: the GAN learned nothing (0 steps, and it draws one grey image whatever
    the class) yet the classifier calls its probe the target with certainty (grey -> bee). Page,
    summary, str, config.json and the command line's last line all lead with "not evidence"."""
    from probelib.probing import api, seen

    def grey(G, label, n, seed=0, **_):
        return torch.zeros(n, 3, 32, 32)

    monkeypatch.setattr(api, "sample", grey)
    monkeypatch.setattr(seen, "sample", grey)
    biased = MeanColour(bias=(0.0, 3.0, 0.0))  # real ant: logits -2 vs bee -4, real cat likewise; grey: bee
    report = pl.probe(biased, colour_folder, "bee", steps=0, profile="smoke", run_dir=tmp_path / "runs",
                      progress=False)
    assert report.own_verdict[0]["top-1 target (%)"] == 100.0 and not report.evidence
    assert str(report).startswith("NOT EVIDENCE") and "calls" not in str(report).splitlines()[0]
    page = report.html()
    body = page[page.index("</h1>"):]
    assert body.index("NOT EVIDENCE") < body.index("the classifier calls") < body.index("What the probe draws")
    out = report.save(tmp_path / "report")
    assert json.loads((out / "config.json").read_text())["summary"]["verdict"].startswith("NOT EVIDENCE")
    torch.jit.save(torch.jit.script(biased), tmp_path / "model.pt")
    code = cli.main(["probe", "--profile", "smoke", "--classifier", str(tmp_path / "model.pt"), "--images",
                     str(colour_folder), "--target", "bee", "--steps", "0", "--out", str(tmp_path / "r"),
                     "--run-dir", str(tmp_path / "runs")])
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and lines[-1].startswith("[probelib] verdict: NOT EVIDENCE")
    first = next(i for i, line in enumerate(lines) if "NOT EVIDENCE" in line)
    assert first < next(i for i, line in enumerate(lines) if "calls 100.0 %" in line)


def _trainer(tmp_path, steps, checkpoints=None):
    data = _solid([RED, GREEN, BLUE], n=8, side=32)
    cfg = trainer_config(settings("smoke"), 32, 3, steps, seed=0)
    return ProbeGANTrainer(cfg, data, MeanColour(), 1, device="cpu", checkpoint_dir=checkpoints)


@pytest.mark.parametrize("passes_at, budget, checked, stopped", [
    (4, 6, [2, 4], 4),  # the first check that passes
    (None, 6, [2, 4, 6], 6),  # never: the budget
    (None, 5, [2, 4, 5], 5),  # a budget off the grid is checked too
])
def test_the_stopping_rule_stops_at_the_first_passing_check_or_the_budget(tmp_path, passes_at, budget, checked,
                                                                         stopped):
    trainer = _trainer(tmp_path, budget)
    out = train_until_drawn(trainer, lambda t: {"draws": t.step == passes_at}, every=2, progress=False)
    assert [c["step"] for c in out["checks"]] == checked and out["steps"] == trainer.step == stopped
    assert out["reached"] == (passes_at is not None) and out["budget"] == budget


def _same(a, b) -> bool:
    for name in ("G", "D", "G_ema"):
        x, y = getattr(a, name).state_dict(), getattr(b, name).state_dict()
        if not all(torch.equal(x[k], y[k]) for k in x):
            return False
    return a.step == b.step and torch.equal(a.rng.get_state(), b.rng.get_state())


def test_a_stopped_and_continued_run_equals_an_uninterrupted_one(tmp_path):
    straight = _trainer(tmp_path, 6)
    straight.run(progress=False)
    # stopped by the rule at step 2, then continued: in the same process, and from its checkpoint
    stopped = _trainer(tmp_path, 6, tmp_path / "a")
    assert train_until_drawn(stopped, lambda t: {"draws": True}, every=2, progress=False)["steps"] == 2
    resumed = _trainer(tmp_path, 6, tmp_path / "a")
    assert resumed.resume_latest() and resumed.step == 2
    stopped.run(progress=False)
    resumed.run(progress=False)
    assert _same(stopped, straight) and _same(resumed, straight)

    # interrupted during its check at step 4: resumed there, with the checks it made read back
    def interrupt(t):
        if t.step == 4:
            raise KeyboardInterrupt
        return {"draws": False}

    first = _trainer(tmp_path, 6, tmp_path / "b")
    with pytest.raises(KeyboardInterrupt):
        train_until_drawn(first, interrupt, every=2, progress=False)
    again = _trainer(tmp_path, 6, tmp_path / "b")
    assert again.resume_latest() and again.step == 4
    out = train_until_drawn(again, lambda t: {"draws": False}, every=2, progress=False)
    assert [c["step"] for c in out["checks"]] == [2, 4, 6] and _same(again, straight)


@pytest.mark.parametrize("rule, steps, reached", [
    (SeenRule(min_top1=0.0, max_kid_ratio=float("inf"), n_fakes=8, n_real=16), [2], True),
    (SeenRule(min_top1=101.0, n_fakes=8, n_real=16), [3], False),
])
def test_the_report_says_where_training_stopped(colour_folder, tmp_path, monkeypatch, rule, steps, reached):
    monkeypatch.setitem(SETTINGS, "smoke", dataclasses.replace(SETTINGS["smoke"], seen=rule))
    report = pl.probe(MeanColour(), colour_folder, "bee", profile="smoke", run_dir=tmp_path / "runs", progress=False)
    assert report.steps_trained == steps and report.stopping[0]["reached"] is reached and report.steps == 3
    assert report.evidence is reached
    assert ("reached its budget of 3 steps" in str(report)) is not reached
    page = report.html()
    assert ("stopped at the first check that passed" in page) is reached


def test_a_larger_budget_goes_on_from_the_checkpoint_of_a_smaller_one(tmp_path):
    straight = _trainer(tmp_path, 6)
    straight.run(progress=False)
    small = _trainer(tmp_path, 4, tmp_path / "c")
    small.run(progress=False)
    small.save_checkpoint()
    larger = _trainer(tmp_path, 6, tmp_path / "c")  # same trajectory, budget 6: resumes at 4
    assert larger.resume_latest() and larger.step == 4
    larger.run(progress=False)
    assert _same(larger, straight)
    other = ProbeGANTrainer(dataclasses.replace(larger.cfg, lr_g=larger.cfg.lr_g * 2), _solid([RED, GREEN, BLUE],
                            n=8, side=32), MeanColour(), 1, device="cpu", checkpoint_dir=tmp_path / "c")
    with pytest.raises(pl.core.CacheError, match="another config"):  # a different trajectory does not resume
        other.resume_latest()


def test_a_checkpoint_written_with_the_budget_in_its_hash_still_resumes(tmp_path):
    old = _trainer(tmp_path, 4, tmp_path / "d")
    legacy = old._hashes()[1]
    old._hash = lambda: legacy  # as checkpoints were written before the budget left the hash
    old.run(until=2, progress=False)
    old.save_checkpoint()
    again = _trainer(tmp_path, 4, tmp_path / "d")
    assert again._hashes()[0] != again._hashes()[1] and again.resume_latest() and again.step == 2


def test_a_stopped_probe_under_a_larger_budget_trains_only_the_steps_it_adds(tmp_path, monkeypatch):
    from probelib.probing.stopping import load_or_train_stopped
    from probelib.train.jobs import GanJob

    data = _solid([RED, GREEN, BLUE], n=8, side=32)
    never = StopRule(check_every=2, seen=SeenRule(min_top1=101.0, n_fakes=8, n_real=8))
    trained = []
    run = ProbeGANTrainer.run

    def counting(self, until=None, **kw):
        start = self.step
        run(self, until=until, **kw)
        trained.append(self.step - start)

    monkeypatch.setattr(ProbeGANTrainer, "run", counting)

    def job(steps):
        return GanJob(trainer_config(settings("smoke"), 32, 3, steps, seed=0), data, MeanColour(), 1, f"b{steps}")

    _, first = load_or_train_stopped(job(4), never, tmp_path / "runs", "cpu", progress=False)
    assert first["steps"] == 4 and not first["reached"] and sum(trained) == 4
    trained.clear()
    res, more = load_or_train_stopped(job(6), never, tmp_path / "runs", "cpu", progress=False)
    assert more["steps"] == 6 and sum(trained) == 2  # steps 5 and 6 only
    assert [c["step"] for c in more["checks"]] == [2, 4, 6]
    straight, _ = load_or_train_stopped(job(6), never, tmp_path / "fresh", "cpu", progress=False)
    assert all(torch.equal(a, b) for a, b in zip(res.generator.state_dict().values(),
                                                 straight.generator.state_dict().values()))
