import dataclasses

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
