"""Chapter 9's stand-in model: regular and adversarial training of a torchvision network."""
import torch

from probelib import data
from probelib.book.chapters import probe_your_model


def _tiny_set(n=16, size=32):
    g = torch.Generator().manual_seed(0)
    return data.ImageSet(torch.rand(n, 3, size, size, generator=g) * 2 - 1, torch.arange(n) % 2, ("a", "b"),
                         "tiny", "train")


def test_adversarial_training_attacks_every_batch_in_eval_mode(tmp_path, monkeypatch):
    calls = []
    real_pgd = probe_your_model.pgd_l2

    def spy(model, x, y, eps, steps, **kw):
        calls.append((eps, steps, model.training, kw.get("random_start")))
        out = real_pgd(model, x, y, eps, steps, **kw)
        assert float((out - x).flatten(1).norm(dim=1).max()) <= eps + 1e-4  # inside the L2 ball
        return out

    monkeypatch.setattr(probe_your_model, "pgd_l2", spy)
    train = _tiny_set()
    probe_your_model.train_torchvision("resnet18", train, tmp_path, epochs=1, batch_size=8, progress=False)
    assert calls == []  # regular training never attacks
    probe_your_model.train_torchvision("resnet18", train, tmp_path, epochs=1, batch_size=8, progress=False, adv_eps=1.5,
                                adv_steps=2)
    assert calls == [(1.5, 2, False, True)] * 2  # two batches, attacked with frozen BN statistics


def test_adversarial_and_regular_models_are_cached_apart(tmp_path):
    train = _tiny_set()
    regular, _ = probe_your_model.train_torchvision("resnet18", train, tmp_path, epochs=1, batch_size=8, progress=False)
    robust, _ = probe_your_model.train_torchvision("resnet18", train, tmp_path, epochs=1, batch_size=8, progress=False,
                                            adv_eps=1.0)
    again, _ = probe_your_model.train_torchvision("resnet18", train, tmp_path, epochs=1, batch_size=8, progress=False)
    w = lambda m: m.fc.weight  # noqa: E731
    assert not torch.equal(w(regular), w(robust))
    assert torch.equal(w(regular), w(again))


# ---------------------------------------------------------------- the chapter's plumbing
def _report(reference=True, spread=(0.9, 0.3), draws=(True, True)):
    from types import SimpleNamespace

    ref = None
    if reference:
        ref = {"per seed": [{"recognition (%)": 60.0, "coverage": 0.2, "KID": 10.0},
                            {"recognition (%)": 80.0, "coverage": 0.4, "KID": 20.0}],
               "mean": {"recognition (%)": (70.0, 57.3, 82.7), "coverage": (0.3, 0.1, 0.5), "KID": (15.0, 0, 30)}}
    return SimpleNamespace(target="horse", seeds=[0, 1], spread=list(spread), reference=ref,
                           collapsed=[s for s, v in zip((0, 1), spread) if v < 0.5],
                           own_verdict=[{"top-1 target (%)": 100.0, "mean p(target)": 0.95},
                                        {"top-1 target (%)": 90.0, "mean p(target)": 0.85}],
                           neighbours={"nearest class share": {"cat": 0.75, "dog": 0.25}},
                           seen_checks=[{"median top-1 (%)": 90.0 if d else 10.0, "median KID ratio": 0.2 if d else 1.4,
                                         "draws": d} for d in draws],
                           drawn=[s for s, d in zip((0, 1), draws) if d], evidence=all(draws), steps=900,
                           steps_trained=[300, 900])


def test_verdict_table_per_seed_and_mean_over_seeds():
    t = probe_your_model.verdict_table(_report())
    assert list(t.index) == ["seed 0", "seed 1", "mean (2 seeds)"]
    assert t.loc["seed 1", "judge recognition (%)"] == "80.0" and t.loc["seed 0", "spread"] == "0.90"
    assert t.loc["mean (2 seeds)", "model's own top-1 (%)"].startswith("95.0 (")
    assert t.loc["mean (2 seeds)", "judge recognition (%)"] == "70.0 (0.0–100)"  # two seeds: cut to 0–100 %
    assert "judge recognition (%)" not in probe_your_model.verdict_table(_report(reference=False)).columns


def test_reading_and_finding_follow_the_numbers():
    r = _report()
    text = probe_your_model.reading(r)
    assert "recognises 70.0 % of the generated horse images" in text and "57.3–82.7" in text
    assert "collapsed onto a few images" in text  # above 50 % but seed 1 collapsed
    assert "collapsed (below 0.5) for seed(s) [1]" in text and "cat 75 %, dog 25 %" in text
    assert probe_your_model.finding_text(r).endswith("coverage 0.300; collapsed (spread below 0.5) for 1 of 2 seeds")
    fine = _report(spread=(0.9, 0.8))
    assert "the probe draws the class." in probe_your_model.reading(fine)
    assert probe_your_model.finding_text(_report(reference=False)) == (
        "a torchvision resnet18 loaded from disk: the GAN draws the seen classes (median top-1 / KID ratio, seed 0: "
        "90 % / 0.20 after 300 steps, seed 1: 90 % / 0.20 after 900 steps); the model's own top-1 on its probe of "
        "horse: 95.0 % (no reference images, no judge)")
    assert text.splitlines()[0].startswith("the GAN draws the seen classes")


def test_a_gan_that_does_not_draw_the_seen_classes_leads_the_page_with_not_evidence():
    r = _report(spread=(0.9, 0.8), draws=(True, False))
    first = probe_your_model.reading(r).splitlines()[0]
    assert first.startswith("NOT EVIDENCE — the GAN of seed(s) 1 does not draw the seen classes")
    assert "seed 1: 10 % / 1.40 after 900 steps" in first
    assert "the probe draws the class." not in probe_your_model.reading(r)  # 70 % and no collapse, yet no claim
    assert "for the record only: the GAN does not draw the seen classes" in probe_your_model.reading(r)
    finding = probe_your_model.finding_text(r)
    assert finding.index("NOT EVIDENCE") < finding.index("for the record only, not evidence: its probe of horse")


def test_stored_sweep_and_command_line(tmp_path):
    import json

    frame, why = probe_your_model.stored_sweep(tmp_path / "absent.jsonl")
    assert frame is None and why.startswith("no stored sweep at")
    rows = [{"model changes": changes, "seed": 0, "step": 700, "model test accuracy (%)": acc, "own top-1 (%)": 100.0,
             "spread": 0.5, "recognition (%)": rec, "coverage": 0.05, "date": "2026-12-02T04:25:58+00:00",
             "machine": "cpu"} for changes, acc, rec in (({}, 89.6, 47.2), ({"adv_eps": 2.0}, 83.8, 0.0))]
    path = tmp_path / "sweep.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    frame, why = probe_your_model.stored_sweep(path)
    assert why == "measured 2026-12-02 on cpu"
    assert frame.loc[("robust (ε = 2)", 0, 700), "model test accuracy (%)"] == "83.8"
    assert frame.loc[("regular", 0, 700), "dev judge recognition (%)"] == "47.2"
    cmd = probe_your_model.command_line("torchvision:resnet18", "w.safetensors", "imgs", "horse", 64, None, [0, 1])
    assert cmd == ("python -m probelib probe --classifier torchvision:resnet18 --weights w.safetensors --images imgs "
                   "--target horse --input-size 64 --seeds 0,1 --out horse-report")


def test_the_plan_is_one_probe_per_seed_at_the_probes_steps_and_resolution():
    from probelib.book.chapter import describe
    from probelib.probing.settings import settings

    ch = describe(profile="smoke")
    plan = probe_your_model.plan(ch)
    O = ch.profile.own_model
    assert [p.seed for p in plan] == [ch.seed + i for i in range(O.seeds)]
    assert {(p.data, p.steps, p.resolution, p.method, p.kind) for p in plan} == {
        ("own-model", settings("smoke").trainer.steps, O.resolution or 64, "probegan", "robust")}
    assert all(ch.classes and sorted(ch.classes)[p.target] == ch.target_class for p in plan)  # the folder's index
    assert len({p.key for p in plan}) == len(plan)
    custom = probe_your_model.plan(ch, resolution=64, steps=9)
    assert {(p.resolution, p.steps) for p in custom} == {(64, 9)}


def test_verdict_table_adds_the_looked_at_judge_as_a_labelled_row():
    r = _report()
    looked = {"per seed": [{"recognition (%)": 40.0, "coverage": 0.1, "KID": 5.0},
                           {"recognition (%)": 50.0, "coverage": 0.3, "KID": 7.0}],
              "judge": {"seed": 1000}}
    t = probe_your_model.verdict_table(r, looked)
    row = "looked-at judge (seed 1000), mean"
    assert list(t.index) == ["seed 0", "seed 1", "mean (2 seeds)", row]
    assert t.loc[row, "judge recognition (%)"].startswith("45.0 (") and t.loc[row, "spread"] == "–"
    assert t.loc["mean (2 seeds)", "judge recognition (%)"] == "70.0 (0.0–100)"  # the headline judge's, unchanged
    r.reference["judge"] = {"seed": 5000}
    assert "recognised by an independent judge (seed 5000) 70.0 %" in probe_your_model.finding_text(r)


def test_rejudge_is_the_reports_judge_but_for_its_seed(tmp_path):
    """Rejudged with the library judge's own seed, the probe's judge comes back from the cache with the same
    numbers (so the chapter's fresh judge differs from it in the seed alone); another seed is another judge."""
    import json
    from types import SimpleNamespace

    from torch import nn

    import probelib as pl
    from probelib.probing.settings import settings

    g = torch.Generator().manual_seed(0)
    images = data.ImageSet(torch.rand(36, 3, 32, 32, generator=g) * 2 - 1, torch.arange(36) % 3, ("a", "b", "c"),
                           "tiny", "train")
    folder = probe_your_model.write_folder(images, tmp_path / "images", size=32)
    reference = probe_your_model.write_folder(images, tmp_path / "ref", size=32, classes=("c",)) / "c"
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 3))
    report = pl.probe(model, folder, "c", profile="smoke", reference=reference, run_dir=tmp_path / "runs",
                      seeds=(0,), progress=False, device="cpu")
    ch = SimpleNamespace(run_dir=tmp_path / "runs", device="cpu")
    same = probe_your_model.rejudge(ch, report, folder, reference, seed=settings("smoke").judge.seed)
    as_text = lambda r: json.dumps(r.reference, sort_keys=True)  # noqa: E731  (NaN == NaN as text)
    assert as_text(same) == as_text(report)
    fresh = probe_your_model.rejudge(ch, report, folder, reference, seed=5000)
    assert fresh.reference["judge"]["seed"] == 5000 and report.reference["judge"]["seed"] == settings("smoke").judge.seed
    assert fresh.fakes is report.fakes and fresh.own_verdict == report.own_verdict  # only the judge changed
