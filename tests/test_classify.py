import dataclasses

import pytest
import torch

from probelib import profiles
from probelib.classify import accuracy, load_or_train_classifier, random_shift_flip, robust_accuracy


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
    first = {k: load_or_train_classifier(p.classifier_config(k), tmp_path, progress=False)
             for k in ("regular", "robust", "eval")}
    second = {k: load_or_train_classifier(p.classifier_config(k), tmp_path, progress=False)
              for k in ("regular", "robust", "eval")}
    assert not any(t.cache_hit for t in first.values()) and all(t.cache_hit for t in second.values())
    for k in first:
        for (n1, a), (n2, b) in zip(first[k].model.state_dict().items(), second[k].model.state_dict().items()):
            assert n1 == n2 and torch.equal(a, b)
        assert second[k].record == first[k].record
    assert len(list((tmp_path / "cache").glob("*.safetensors"))) == 3
    # changing one setting is a miss
    changed = dataclasses.replace(p.classifier_config("regular"), seed=7)
    assert not load_or_train_classifier(changed, tmp_path, progress=False).cache_hit


def test_training_learns_and_robust_model_resists_attack(tmp_path):
    """On 1,500 digits, both models learn; the PGD-trained one is harder to attack."""
    base = profiles.ClassifierConfig(dataset="digits", width=8, epochs=5, batch_size=64, lr=5e-3, adv_steps=2,
                                     augment=False)
    regular = load_or_train_classifier(base, tmp_path, progress=False)
    robust = load_or_train_classifier(dataclasses.replace(base, adv_eps=2.0), tmp_path, progress=False)
    from probelib import data

    test = data.load("digits", "test")
    assert regular.record["test_acc"] > 0.85 and robust.record["test_acc"] > 0.6
    assert accuracy(regular.model, test.images, test.labels) == regular.record["test_acc"]
    x, y = test.images[:200], test.labels[:200]
    assert robust_accuracy(robust.model, x, y, 2.0, 5) > robust_accuracy(regular.model, x, y, 2.0, 5) + 0.1
    assert all(not p.requires_grad for p in regular.model.parameters())  # served frozen


def _shortcut_set(n_major: int = 120, n_minor: int = 8):
    """Two classes whose label agrees with a bright/dark 'background' in the majority group;
    the class itself is a weak centre dot. Groups: 2·y + background."""
    from probelib.data import ImageSet

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
    return ImageSet(x.clamp(-1, 1), y, ("a", "b"), "shortcut-toy", "train"), 2 * y + b


def test_group_dro_training_weights_the_worst_group_and_is_cached_apart(tmp_path):
    from probelib.classify import load_or_train_on

    train, groups = _shortcut_set()
    cfg = profiles.ClassifierConfig(width=4, epochs=2, batch_size=32, augment=False)
    dro = load_or_train_on("clf-dro", cfg, train, None, tmp_path, progress=False, groups=groups, dro_eta=0.05)
    q = dro.record["history"][-1]["group_weights"]
    assert len(q) == 4 and sum(q) == pytest.approx(1.0, abs=1e-3)
    assert max(q[1], q[2]) > max(q[0], q[3])  # the minority groups (hard under the shortcut) gained weight
    erm = load_or_train_on("clf-erm", cfg, train, None, tmp_path, progress=False)
    assert "group_weights" not in erm.record["history"][-1]
    assert dro.path != erm.path and not erm.cache_hit
    again = load_or_train_on("clf-dro", cfg, train, None, tmp_path, progress=False, groups=groups, dro_eta=0.05)
    assert again.cache_hit and again.path == dro.path
    with pytest.raises(ValueError, match="groups has 3 ids for 256 training images"):
        load_or_train_on("clf-bad", cfg, train, None, tmp_path, progress=False, groups=groups[:3], dro_eta=0.05)
