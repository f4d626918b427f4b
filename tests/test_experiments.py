"""Runs shared between chapters come from the cache: chapter 2's default run is Table 1's row."""
from probelib import data, experiments
from probelib.chapter import setup


def test_chapter2_default_run_is_table1_probegan_robust_row(tmp_path):
    ch = setup(profile="smoke", run_dir=str(tmp_path))
    train = data.load(ch.dataset, "train")
    nets = experiments.classifiers(ch, progress=False)
    ch2 = experiments.gan(ch, train, nets, "probegan", "robust", seed=0, progress=False)
    table1 = experiments.gan(ch, train, nets, "probegan", "robust", seed=0, progress=False)
    assert not ch2.cache_hit and table1.cache_hit and ch2.path == table1.path
    other = experiments.gan(ch, train, nets, "probegan", "robust", seed=0, progress=False, target_fraction=0.5)
    assert not other.cache_hit and other.path != ch2.path and "target_fraction=0.5" in other.path.name
    x = experiments.target_samples(table1, 6)
    assert x.shape == (6, 1, 32, 32)
    # a GAN method without the classifier loss does not depend on (or name) a classifier
    prior = experiments.gan(ch, train, nets, "biggan-seen", "robust", seed=0, progress=False)
    assert "robust" not in prior.path.name and prior.config.lambda_cls == 0


def test_probe_takes_steps_and_lambda_from_the_caller(tmp_path):
    """Chapter 7 probes with its own steps and λ_cls; both reach the trainer and the cache key."""
    ch = setup(profile="smoke", run_dir=str(tmp_path))
    train = data.load(ch.dataset, "train")
    net = experiments.classifiers(ch, progress=False)["robust"]
    default = experiments.probe(ch, "t", train, net, ch.target, progress=False)
    assert default.config.steps == ch.profile.shortcut.probe_steps
    assert default.config.lambda_cls == ch.profile.probegan.lambda_cls
    own = experiments.probe(ch, "t", train, net, ch.target, progress=False, steps=2, lambda_cls=7.0)
    assert (own.config.steps, own.config.lambda_cls) == (2, 7.0) and own.history[-1]["step"] == 2
    assert not own.cache_hit and own.path != default.path
