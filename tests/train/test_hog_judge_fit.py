"""Fitting the HOG judge: mirror images, random Fourier features from the seed, the torch
judge reproducing the fitted model's decisions, and the cache key."""
import dataclasses

import torch

import probelib as pl
from probelib.models.panel import hog_features
from probelib.train.classifier import ClassifierConfig
from probelib.train.classifier import _key as classifier_key
from probelib.train.panel import fit_hog_judge, load_or_fit_hog_judge


def _bars(n=24, seed=0):
    """Class 0: a vertical bar, class 1: a horizontal bar, 2: a diagonal, at random places."""
    g = torch.Generator().manual_seed(seed)
    x = torch.full((3 * n, 1, 32, 32), -1.0)
    for i in range(3 * n):
        k, p = i % 3, int(torch.randint(6, 26, (1,), generator=g))
        if k == 0:
            x[i, 0, 4:28, p - 1 : p + 2] = 1.0
        elif k == 1:
            x[i, 0, p - 1 : p + 2, 4:28] = 1.0
        else:
            for r in range(4, 28):
                x[i, 0, r, max(0, r - 2) : r + 1] = 1.0
    y = torch.arange(3 * n) % 3
    return pl.ImageSet(x, y, ("v", "h", "d"), "bars", "train")


def test_the_fitted_judge_reproduces_its_training_accuracy_in_torch():
    train = _bars()
    judge, record = fit_hog_judge(train, c=1.0, seed=3, cells=(4, 8), rff=64, flip=True)
    both = torch.cat([train.images, train.images.flip(-1)])
    labels = torch.cat([train.labels, train.labels])
    acc = float((judge(both).argmax(1) == labels).float().mean())
    assert abs(acc - record["train_acc"]) < 1e-9 and acc > 0.9
    f = hog_features(both, (4, 8))
    torch.testing.assert_close(judge.mean, f.mean(0))  # standardised over the images and their mirrors
    assert judge.rff_weight.shape == (2088, 64) and judge.linear.in_features == 64 and judge.feature_dim == 2088
    again, _ = fit_hog_judge(train, c=1.0, seed=3, cells=(4, 8), rff=64, flip=True)
    other, _ = fit_hog_judge(train, c=1.0, seed=4, cells=(4, 8), rff=64, flip=True)
    assert torch.equal(again.rff_weight, judge.rff_weight) and not torch.equal(other.rff_weight, judge.rff_weight)
    assert 0.0 <= float(judge.rff_bias.min()) and float(judge.rff_bias.max()) < 2 * torch.pi
    assert abs(float(judge.rff_weight.std()) - (2 / 2088) ** 0.5) < 0.002  # γ = 1 / descriptor length
    wide, _ = fit_hog_judge(train, c=1.0, seed=3, cells=(4, 8), rff=64, flip=True, gamma=4.0)
    assert abs(float(wide.rff_weight.std()) - (8 / 2088) ** 0.5) < 0.004  # γ = 4 / descriptor length


def test_the_cached_judge_is_the_fitted_one_and_its_settings_are_its_key(tmp_path):
    train = _bars(12)
    a, _ = load_or_fit_hog_judge(train, tmp_path, c=0.5, seed=1, cells=(4, 8), rff=32, flip=True)
    b, _ = load_or_fit_hog_judge(train, tmp_path, c=0.5, seed=1, cells=(4, 8), rff=32, flip=True)
    assert all(torch.equal(a.state_dict()[k], v) for k, v in b.state_dict().items())
    assert len(list((tmp_path / "cache").glob("*.safetensors"))) == 1
    for change in ({"rff": 0}, {"flip": False}, {"cells": (8,)}, {"gamma": 2.0}):
        load_or_fit_hog_judge(train, tmp_path, c=0.5, seed=1, **{"cells": (4, 8), "rff": 32, "flip": True, **change})
    assert len(list((tmp_path / "cache").glob("*.safetensors"))) == 5


def test_the_new_classifier_settings_enter_the_key_only_when_set():
    train = _bars(4)
    base = ClassifierConfig(arch="vit", width=48, epochs=10, lr=2e-3, seed=2000)
    key = classifier_key(base, train, None, 0.0)
    assert not {"depth", "stem", "label_smoothing"} & set(key)
    for change in ({"depth": 4}, {"stem": "conv"}, {"label_smoothing": 0.1}):
        changed = classifier_key(dataclasses.replace(base, **change), train, None, 0.0)
        assert changed == {**key, **change}


def test_shifted_copies_are_the_classifiers_augmentation_drawn_from_the_seed():
    from probelib.train.augment import random_shift_flip

    train = _bars(6)
    judge, record = fit_hog_judge(train, c=1.0, seed=5, cells=(8,), flip=True, shifted=2)
    gen = torch.Generator().manual_seed(5)
    copies = [random_shift_flip(train.images, gen) for _ in range(2)]
    assert not torch.equal(copies[0], copies[1])
    f = hog_features(torch.cat([train.images, train.images.flip(-1), *copies]), (8,))
    torch.testing.assert_close(judge.mean, f.mean(0))
    assert not torch.allclose(judge.mean, hog_features(torch.cat([train.images, train.images.flip(-1)])).mean(0))
