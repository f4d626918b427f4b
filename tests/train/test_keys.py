"""Cache keys do not move: the keys of GANs and classifiers, recorded with the code of commit
df68718 (before a class became an index below the boundary), are pinned here; a GAN asked for by
name (at the public boundary) or by index, or with its further targets in another order, is one
cache entry."""
import dataclasses

import pytest
import torch
from torch import nn

import probelib as pl
from probelib.core.cache import keyed
from probelib.core.hashing import config_hash
from probelib.models.gan import GANConfig
from probelib.train import gans, jobs
from probelib.train.classifier import CLASSIFIER_VERSION, ClassifierConfig
from probelib.train.classifier import _key as classifier_key
from probelib.train.gans import checkpoint_dir, gan_key
from probelib.train.probegan import PROBEGAN_VERSION, ProbeGANConfig, ProbeGANTrainer

# the `cpu` and `smoke` profiles' ProbeGAN trainers and classifiers as they were at df68718
# (probelib/book/profiles.py), written out so that a later change of a profile does not move a pin
CPU_GAN = ProbeGANConfig(gan=GANConfig(ch=16, g_mult=(4, 4, 2, 1), d_mult=(1, 2, 4, 4)), steps=700, batch_size=32,
                         lr_g=6e-4, lr_d=6e-4, lambda_cls=2.0, diffaug=True, ema_decay=0.99, checkpoint_every=350)
SMOKE_GAN = ProbeGANConfig(gan=GANConfig(ch=2, z_dim=20, shared_dim=8, g_mult=(4, 4, 2, 1), d_mult=(1, 2, 4, 4)),
                           steps=3, batch_size=8, checkpoint_every=2)
CPU_CLF = ClassifierConfig(width=16, epochs=5, batch_size=128, adv_steps=3)
SMOKE_CLF = ClassifierConfig(width=8, epochs=1, batch_size=64, adv_steps=2, train_limit=512)
TARGET = 2  # "t"

# recorded at df68718: config_hash(keyed(kind, VERSION, key)), the hash in the cache's file names
GAN_KEYS = {
    ("cpu", True): "e4f3c82508710be0", ("cpu", False): "45ac0d85ab5bc735",
    ("smoke", True): "69352ce2bd2964a8", ("smoke", False): "d4e09eadc4c4661c",
}
TWO_TARGET_KEYS = {"cpu": "4eba8ff1e15e9a8e", "smoke": "4ed04bde132e9eca"}  # targets=(0, 3), with the classifier
CLASSIFIER_KEYS = {"cpu": "054302cc05017761", "smoke": "bcc85290c2c1dcd9", "default": "eaf9381328ec1257"}


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(4).repeat_interleave(16)
    return pl.ImageSet(torch.rand(64, 3, 32, 32, generator=g) * 2 - 1, y, ("a", "b", "t", "d"), "tiny", "train")


@pytest.fixture
def classifier():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 4))


def _gan_hash(cfg, images, classifier, target=TARGET) -> str:
    return config_hash(keyed("gan", PROBEGAN_VERSION, gan_key(cfg, images, classifier, target)))


def test_the_fixture_data_is_the_one_the_keys_were_recorded_on(images):
    assert images.fingerprint == "4c0c7cde9f8d49ea"


@pytest.mark.parametrize("profile, cfg", [("cpu", CPU_GAN), ("smoke", SMOKE_GAN)])
@pytest.mark.parametrize("with_classifier", [True, False])
def test_a_one_target_gan_keeps_its_key(images, classifier, profile, cfg, with_classifier):
    key = _gan_hash(cfg, images, classifier if with_classifier else None)
    assert key == GAN_KEYS[(profile, with_classifier)]
    if with_classifier:
        assert checkpoint_dir(cfg, images, classifier, TARGET, "runs").name == f"gan-{key}"  # its checkpoints too


def test_a_trainer_keeps_its_checkpoint_hash(images, classifier):
    trainer = ProbeGANTrainer(SMOKE_GAN, images, classifier, TARGET, device="cpu")
    # written since 2026-12-06 (no budget in it), and the one checkpoints carried before, still resumed
    assert trainer._hashes() == ("8fa47e6c06cdc3f5", "9737a9cf01fe909a")


@pytest.mark.parametrize("profile, cfg", [("cpu", CPU_GAN), ("smoke", SMOKE_GAN)])
def test_a_gan_of_sorted_index_targets_keeps_its_key(images, classifier, profile, cfg):
    assert _gan_hash(dataclasses.replace(cfg, targets=(0, 3)), images, classifier) == TWO_TARGET_KEYS[profile]


@pytest.mark.parametrize("name, cfg", [("cpu", CPU_CLF), ("smoke", SMOKE_CLF), ("default", ClassifierConfig())])
def test_a_classifier_keeps_its_key(images, name, cfg):
    key = config_hash(keyed("classifier", CLASSIFIER_VERSION, classifier_key(cfg, images, None, 0.0)))
    assert key == CLASSIFIER_KEYS[name]


def test_targets_in_another_order_are_one_gan(images, classifier):
    a, b = dataclasses.replace(SMOKE_GAN, targets=(0, 3)), dataclasses.replace(SMOKE_GAN, targets=(3, 0))
    assert a == b and b.targets == (0, 3)
    assert _gan_hash(a, images, classifier) == _gan_hash(b, images, classifier) == TWO_TARGET_KEYS["smoke"]
    # per-class shares (the target's first) follow their classes when the targets are sorted
    c = dataclasses.replace(SMOKE_GAN, targets=(3, 0), target_fraction=(0.1, 0.3, 0.2))
    assert c.targets == (0, 3) and c.target_fraction == (0.1, 0.2, 0.3)
    assert c == dataclasses.replace(SMOKE_GAN, targets=(0, 3), target_fraction=(0.1, 0.2, 0.3))


def test_a_name_below_the_boundary_is_a_one_line_type_error(images, classifier):
    fix = r"resolve names with probelib.class_index\(images, 't'\) first"
    with pytest.raises(TypeError, match=fix):
        gan_key(SMOKE_GAN, images, classifier, "t")
    with pytest.raises(TypeError, match=fix):
        ProbeGANTrainer(SMOKE_GAN, images, classifier, "t")
    with pytest.raises(TypeError, match=fix):
        ProbeGANConfig(targets=("t",))
    with pytest.raises(TypeError, match="ProbeGANConfig.targets holds class indices"):
        ProbeGANConfig(targets=(True,))


def test_a_repeated_target_is_a_one_line_error(images, classifier):
    with pytest.raises(ValueError, match=r"absent class 3 repeated in ProbeGANConfig.targets \(3, 0, 3\); list each"):
        ProbeGANConfig(targets=(3, 0, 3))
    with pytest.raises(ValueError, match=r"absent classes repeated: the target 2 is also in targets \(0, 2\)"):
        gan_key(dataclasses.replace(SMOKE_GAN, targets=(2, 0)), images, classifier, TARGET)
    with pytest.raises(pl.DatasetError, match="unknown target class 7"):
        gan_key(dataclasses.replace(SMOKE_GAN, targets=(7,)), images, classifier, TARGET)


TINY = ProbeGANConfig(gan=GANConfig(ch=2, z_dim=8, shared_dim=4, g_mult=(4, 4, 4), resolution=16, channels=1),
                      steps=2, batch_size=8, checkpoint_every=2)


def test_a_gan_asked_for_by_name_and_by_index_is_one_cache_entry(tmp_path, monkeypatch):
    g = torch.Generator().manual_seed(0)
    small = pl.ImageSet(torch.rand(48, 1, 16, 16, generator=g) * 2 - 1, torch.arange(3).repeat(16), ("a", "b", "t"),
                        "tiny", "train")
    torch.manual_seed(0)
    clf = nn.Sequential(nn.Flatten(), nn.Linear(256, 3))
    trained = []
    real = gans.train_probegan
    monkeypatch.setattr(gans, "train_probegan", lambda *a, **kw: trained.append(1) or real(*a, **kw))
    by_name = pl.load_or_train_gan(TINY, small, clf, "t", tmp_path, "cpu", progress=False)
    by_index = pl.load_or_train_gan(TINY, small, clf, 2, tmp_path, "cpu", progress=False)
    assert len(trained) == 1 and not by_name.cache_hit and by_index.cache_hit  # the second call trains nothing
    assert by_name.path == by_index.path and by_name.target == by_index.target == 2
    assert len(list((tmp_path / "cache").glob("gan-*.safetensors"))) == 1
    assert jobs.gan_cached(jobs.GanJob(TINY, small, clf, 2, "by index"), tmp_path)
    with pytest.raises(pl.DatasetError, match="unknown target class 'hrose'; choose one of: a, b, t"):
        pl.load_or_train_gan(TINY, small, clf, "hrose", tmp_path, "cpu")
