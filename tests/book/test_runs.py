"""The cached runs the chapters share: a GAN is named once (its plan), trained or read in one call,
and two chapters that plan the same GAN share it (chapter 2's 1/C row is Table 1's row)."""
import json

import torch

from probelib.book import runs, setup


def _gans(ch):
    return sorted((ch.run_dir / "cache").glob("gan-*.safetensors"))


def _one(ch, train, nets, p):
    [(planned, result)] = runs.train(ch, train, nets, [p]).items()
    assert planned == p
    return result


def test_chapter2_default_run_is_table1_probegan_robust_row(tmp_path):
    ch = setup(profile="smoke", run_dir=str(tmp_path))
    train = ch.load("train")
    nets = runs.classifiers(ch, progress=False)
    ch2_row = runs.planned(ch, "1/C (paper)", "probegan", "robust", 0)
    table1_row = runs.planned(ch, "probegan-robust", "probegan", "robust", 0)
    assert ch2_row.key == table1_row.key and ch2_row != table1_row  # one GAN, two rows
    ch2 = _one(ch, train, nets, ch2_row)
    assert _gans(ch) == [ch2.path]
    table1 = _one(ch, train, nets, table1_row)
    assert table1.cache_hit and ch2.path == table1.path and _gans(ch) == [ch2.path]  # nothing trained again
    other = _one(ch, train, nets, runs.planned(ch, "0.5", "probegan", "robust", 0, target_fraction=0.5))
    assert other.path != ch2.path and other.config.target_fraction == 0.5 and len(_gans(ch)) == 2
    twin = json.loads(other.path.with_suffix(".json").read_text())
    assert twin["record"]["name"] == "probegan-robust-target_fraction=0.5-s0"  # a label, not the key
    x = runs.target_samples(table1, 6)
    assert x.shape == (6, 1, 32, 32)
    # a GAN method without the classifier loss does not depend on (or name) a classifier
    p = runs.planned(ch, "prior", "biggan-seen", "robust", 0)
    assert p.kind is None
    prior = _one(ch, train, nets, p)
    assert json.loads(prior.path.with_suffix(".json").read_text())["config"]["classifier"] is None
    assert prior.config.lambda_cls == 0


def test_one_call_trains_what_is_missing_and_returns_every_run_in_plan_order(tmp_path):
    ch = setup(profile="smoke", run_dir=str(tmp_path))
    train = ch.load("train")
    nets = runs.classifiers(ch, progress=False)
    plan = [runs.planned(ch, "b", "probegan", "robust", 1), runs.planned(ch, "a", "naive", "robust", 0)]
    first = runs.train(ch, train, nets, plan[:1])
    both = runs.train(ch, train, nets, plan)
    assert list(both) == plan
    assert both[plan[0]].cache_hit and both[plan[0]].path == first[plan[0]].path
    assert both[plan[1]].config.use_dc is False and both[plan[1]].config.seed == 0


def test_probe_takes_steps_and_lambda_from_the_caller(tmp_path):
    """Chapter 7 probes with its own steps and λ_cls; both reach the trainer and the cache key."""
    ch = setup(profile="smoke", run_dir=str(tmp_path))
    train = ch.load("train")
    net = runs.classifiers(ch, progress=False)["robust"]
    default_p = runs.planned_probe(ch, "t", "t", ch.target)
    own_p = runs.planned_probe(ch, "t", "t", ch.target, steps=2, lambda_cls=7.0)
    out = runs.train_probes(ch, [default_p, own_p], {"t": (train, net)})
    default, own = out[default_p], out[own_p]
    assert default.config.steps == ch.profile.shortcut.probe_steps
    assert default.config.lambda_cls == ch.profile.probegan.lambda_cls
    assert (own.config.steps, own.config.lambda_cls) == (2, 7.0) and own.history[-1]["step"] == 2
    assert own.path != default.path


def test_a_retrained_classifier_means_a_retrained_gan(tmp_path):
    """The GAN's key holds the probed classifier's weights, not its file name."""
    ch = setup(profile="smoke", run_dir=str(tmp_path))
    train = ch.load("train")
    nets = runs.classifiers(ch, progress=False)
    p = runs.planned(ch, "probegan-robust", "probegan", "robust", 0)
    first = _one(ch, train, nets, p)
    with torch.no_grad():
        next(nets["robust"].model.parameters()).add_(1e-3)
    second = _one(ch, train, nets, p)
    assert second.path != first.path and _gans(ch) == sorted([first.path, second.path])


def test_the_panel_follows_its_profile_and_augment_off_drops_the_hog_judges_copies(tmp_path, monkeypatch):
    import dataclasses

    from probelib.models.panel import HOGJudge, ViTJudge

    ch = setup(profile="smoke", run_dir=str(tmp_path))
    smoke = ch.profile.panel
    seen = []
    real = runs.load_or_fit_hog_judge

    def spy(*args, **kwargs):
        seen.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(runs, "load_or_fit_hog_judge", spy)
    panel = runs.panel(ch, progress=False)
    assert isinstance(panel["panel: ViT"], ViTJudge) and isinstance(panel["panel: HOG"], HOGJudge)
    assert panel["panel: HOG"].rff == smoke.hog_rff == 64 and panel["panel: HOG"].cells == smoke.hog_cells
    assert isinstance(panel["panel: ViT"].embed, torch.nn.Sequential)  # the convolutional stem
    copies = dataclasses.replace(ch, profile=dataclasses.replace(
        ch.profile, panel=dataclasses.replace(smoke, hog_flip=True, hog_shifted=1)))
    runs.panel(copies, progress=False)
    assert (seen[-1]["flip"], seen[-1]["shifted"]) == (True, 1)
    runs.panel(copies, augment=False, progress=False)  # spectrograms: no mirror or shifted copies
    assert (seen[-1]["flip"], seen[-1]["shifted"]) == (False, 0)
