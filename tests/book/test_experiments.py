"""Runs shared between chapters come from the cache: chapter 2's default run is Table 1's row."""
import json

import torch

from probelib.book import experiments, setup


def test_chapter2_default_run_is_table1_probegan_robust_row(tmp_path):
    ch = setup(profile="smoke", run_dir=str(tmp_path))
    train = ch.load("train")
    nets = experiments.classifiers(ch, progress=False)
    ch2 = experiments.gan(ch, train, nets, "probegan", "robust", seed=0, progress=False)
    table1 = experiments.gan(ch, train, nets, "probegan", "robust", seed=0, progress=False)
    assert not ch2.cache_hit and table1.cache_hit and ch2.path == table1.path
    other = experiments.gan(ch, train, nets, "probegan", "robust", seed=0, progress=False, target_fraction=0.5)
    assert not other.cache_hit and other.path != ch2.path and other.config.target_fraction == 0.5
    twin = json.loads(other.path.with_suffix(".json").read_text())
    assert twin["record"]["name"] == "probegan-robust-target_fraction=0.5-s0"  # a label, not the key
    x = experiments.target_samples(table1, 6)
    assert x.shape == (6, 1, 32, 32)
    # a GAN method without the classifier loss does not depend on (or name) a classifier
    prior = experiments.gan(ch, train, nets, "biggan-seen", "robust", seed=0, progress=False)
    assert json.loads(prior.path.with_suffix(".json").read_text())["config"]["classifier"] is None
    assert prior.config.lambda_cls == 0


def test_probe_takes_steps_and_lambda_from_the_caller(tmp_path):
    """Chapter 7 probes with its own steps and λ_cls; both reach the trainer and the cache key."""
    ch = setup(profile="smoke", run_dir=str(tmp_path))
    train = ch.load("train")
    net = experiments.classifiers(ch, progress=False)["robust"]
    default = experiments.probe(ch, "t", train, net, ch.target, progress=False)
    assert default.config.steps == ch.profile.shortcut.probe_steps
    assert default.config.lambda_cls == ch.profile.probegan.lambda_cls
    own = experiments.probe(ch, "t", train, net, ch.target, progress=False, steps=2, lambda_cls=7.0)
    assert (own.config.steps, own.config.lambda_cls) == (2, 7.0) and own.history[-1]["step"] == 2
    assert not own.cache_hit and own.path != default.path


def test_a_retrained_classifier_means_a_retrained_gan(tmp_path):
    """The GAN's key holds the probed classifier's weights, not its file name."""
    ch = setup(profile="smoke", run_dir=str(tmp_path))
    train = ch.load("train")
    nets = experiments.classifiers(ch, progress=False)
    first = experiments.gan(ch, train, nets, "probegan", "robust", seed=0, progress=False)
    with torch.no_grad():
        next(nets["robust"].model.parameters()).add_(1e-3)
    second = experiments.gan(ch, train, nets, "probegan", "robust", seed=0, progress=False)
    assert not second.cache_hit and second.path != first.path
