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
