import dataclasses

import pytest
import torch

from probelib import data
from probelib.book import profiles
from probelib.models import accuracy
from probelib.train import ClassifierConfig, load_or_train_classifier, random_shift_flip, robust_accuracy


def test_random_shift_flip_is_a_seeded_permutation_of_pixels():
    x = torch.arange(2 * 32 * 32, dtype=torch.float32).view(2, 1, 32, 32)
    a = random_shift_flip(x, torch.Generator().manual_seed(0))
    b = random_shift_flip(x, torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.shape == x.shape
    # shifted by at most 2 px with edge padding: every output value is an input value of that image
    for i in range(2):
        assert set(a[i].flatten().tolist()) <= set(x[i].flatten().tolist())


def test_second_run_trains_nothing_on_the_smoke_profile(tmp_path):
    """What a second `make book` relies on: every classifier of chapter 1 comes from the cache."""
    p = profiles.get("smoke")
    train = data.load("animal-mnist", "train")
    first = {k: load_or_train_classifier(p.classifier_config(k), train, None, tmp_path, progress=False)
             for k in ("regular", "robust", "eval")}
    second = {k: load_or_train_classifier(p.classifier_config(k), train, None, tmp_path, progress=False)
              for k in ("regular", "robust", "eval")}
    assert not any(t.cache_hit for t in first.values()) and all(t.cache_hit for t in second.values())
    for k in first:
        for (n1, a), (n2, b) in zip(first[k].model.state_dict().items(), second[k].model.state_dict().items()):
            assert n1 == n2 and torch.equal(a, b)
        assert second[k].record == first[k].record
    assert len(list((tmp_path / "cache").glob("*.safetensors"))) == 3
    # changing one setting is a miss
    changed = dataclasses.replace(p.classifier_config("regular"), seed=7)
    assert not load_or_train_classifier(changed, train, None, tmp_path, progress=False).cache_hit


def test_training_learns_and_robust_model_resists_attack(tmp_path):
    """On 1,500 digits, both models learn; the PGD-trained one is harder to attack."""
    base = ClassifierConfig(width=8, epochs=5, batch_size=64, lr=5e-3, adv_steps=2, augment=False)
    train, test = data.load("digits", "train"), data.load("digits", "test")
    regular = load_or_train_classifier(base, train, test, tmp_path, progress=False)
    robust = load_or_train_classifier(dataclasses.replace(base, adv_eps=2.0), train, test, tmp_path, progress=False)
    assert regular.record["test_acc"] > 0.85 and robust.record["test_acc"] > 0.6
    assert accuracy(regular.model, test.images, test.labels) == regular.record["test_acc"]
    x, y = test.images[:200], test.labels[:200]
    assert robust_accuracy(robust.model, x, y, 2.0, 5) > robust_accuracy(regular.model, x, y, 2.0, 5) + 0.1
    assert all(not p.requires_grad for p in regular.model.parameters())  # served frozen


def _shortcut_set(n_major: int = 120, n_minor: int = 8):
    """Two classes whose label agrees with a bright/dark 'background' in the majority group;
    the class itself is a weak centre dot. Groups: 2·y + background."""
    g = torch.Generator().manual_seed(0)
    ys, bs = [], []
    for y in (0, 1):
        for b in (0, 1):
            n = n_major if y == b else n_minor
            ys += [y] * n
            bs += [b] * n
    y, b = torch.tensor(ys), torch.tensor(bs)
    x = 0.1 * torch.randn(len(y), 1, 32, 32, generator=g) + (b.float() * 1.2 - 0.6).view(-1, 1, 1, 1)
    x[:, :, 14:18, 14:18] += (y.float() * 0.6 - 0.3).view(-1, 1, 1, 1)
    return data.ImageSet(x.clamp(-1, 1), y, ("a", "b"), "shortcut-toy", "train"), 2 * y + b


def test_group_dro_training_weights_the_worst_group_and_is_cached_apart(tmp_path):
    train, groups = _shortcut_set()
    cfg = ClassifierConfig(width=4, epochs=2, batch_size=32, augment=False)
    dro = load_or_train_classifier(cfg, train, None, tmp_path, progress=False, groups=groups, dro_eta=0.05)
    q = dro.record["history"][-1]["group_weights"]
    assert len(q) == 4 and sum(q) == pytest.approx(1.0, abs=1e-3)
    assert max(q[1], q[2]) > max(q[0], q[3])  # the minority groups (hard under the shortcut) gained weight
    erm = load_or_train_classifier(cfg, train, None, tmp_path, progress=False)
    assert "group_weights" not in erm.record["history"][-1]
    assert dro.path != erm.path and not erm.cache_hit
    again = load_or_train_classifier(cfg, train, None, tmp_path, progress=False, groups=groups, dro_eta=0.05)
    assert again.cache_hit and again.path == dro.path
    with pytest.raises(ValueError, match="groups has 3 ids for 256 training images"):
        load_or_train_classifier(cfg, train, None, tmp_path, progress=False, groups=groups[:3], dro_eta=0.05)


def test_the_key_is_the_data_not_its_name(tmp_path):
    """Renaming the data is a hit; changing one pixel or one label is a miss; so is a bumped
    trainer version."""
    train, _ = _shortcut_set(n_major=20, n_minor=4)
    cfg = ClassifierConfig(width=4, epochs=1, batch_size=16, augment=False)
    first = load_or_train_classifier(cfg, train, None, tmp_path, progress=False, name="a")
    renamed = data.ImageSet(train.images, train.labels, train.classes, "another name", "test")
    assert load_or_train_classifier(cfg, renamed, None, tmp_path, progress=False, name="b").cache_hit
    pixel = train.images.clone()
    pixel[0, 0, 0, 0] += 0.01
    moved = load_or_train_classifier(cfg, data.ImageSet(pixel, train.labels, train.classes, train.name, "train"),
                                     None, tmp_path, progress=False)
    labels = train.labels.clone()
    labels[0] = 1 - labels[0]
    relabelled = load_or_train_classifier(cfg, data.ImageSet(train.images, labels, train.classes, train.name, "train"),
                                          None, tmp_path, progress=False)
    assert not moved.cache_hit and not relabelled.cache_hit
    assert len({first.path, moved.path, relabelled.path}) == 3


def test_a_bumped_classifier_version_retrains(tmp_path, monkeypatch):
    from probelib.train import classifier as module

    train, _ = _shortcut_set(n_major=20, n_minor=4)
    cfg = ClassifierConfig(width=4, epochs=1, batch_size=16, augment=False)
    first = load_or_train_classifier(cfg, train, None, tmp_path, progress=False)
    monkeypatch.setattr(module, "CLASSIFIER_VERSION", module.CLASSIFIER_VERSION + 1)
    bumped = load_or_train_classifier(cfg, train, None, tmp_path, progress=False)
    assert not bumped.cache_hit and bumped.path != first.path
