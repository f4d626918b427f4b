"""Fitting the non-neural judge of the reporting panel: HOG descriptors (at one or several cell
sizes, optionally through random Fourier features) and a multinomial logistic regression
(scikit-learn), cached like every trained artefact (as tensors: nothing is pickled). The panel's
neural judge is a ViT trained by :func:`~probelib.train.classifier.load_or_train_classifier`."""
from __future__ import annotations

import math
import time
from pathlib import Path

import torch

from ..core.cache import load_or_train
from ..data.imageset import ImageSet
from ..models.panel import HOG_BLOCK, HOG_CELL, HOG_ORIENTATIONS, HOGJudge, hog_features, random_fourier
from .augment import random_shift_flip

__all__ = ["HOG_VERSION", "fit_hog_judge", "load_or_fit_hog_judge"]

#: bumped whenever the HOG judge's features or fitting change (part of its cache key)
HOG_VERSION = 2


def fit_hog_judge(train: ImageSet, c: float = 1.0, seed: int = 0, max_iter: int = 2000,
                  cells: tuple[int, ...] = (HOG_CELL,), rff: int = 0, flip: bool = False,
                  shifted: int = 0, orientations: int = HOG_ORIENTATIONS, pixels: int = 0,
                  gamma: float = 1.0) -> tuple[HOGJudge, dict]:
    """Standardise the HOG descriptors (cell sizes ``cells``, ``orientations`` bins, ``pixels``:
    see :func:`~probelib.models.panel.hog_features`) of ``train`` (and, with ``flip``, of
    its mirror images too, and of ``shifted`` further copies moved by up to 2 px and flipped at
    random as the classifiers' training does (:func:`~probelib.train.augment.random_shift_flip`,
    drawn from ``seed``), labels unchanged), map them by ``rff`` random Fourier features of the
    Gaussian kernel with γ = ``gamma`` / descriptor length (weights drawn from ``seed``; none when 0), and
    fit a multinomial logistic regression (L2 strength ``1 / c``, lbfgs); returns the judge (eval
    mode, frozen) and a record."""
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    images, labels = train.images, train.labels
    if flip:
        images, labels = torch.cat([images, images.flip(-1)]), torch.cat([labels, labels])
    if shifted:
        gen = torch.Generator().manual_seed(seed)
        copies = [random_shift_flip(train.images, gen) for _ in range(shifted)]
        images, labels = torch.cat([images, *copies]), torch.cat([labels, train.labels.repeat(shifted)])
    f = hog_features(images, cells, orientations, pixels)
    judge = HOGJudge(f.shape[1], train.num_classes, cells, rff, orientations, pixels)
    mean, scale = f.mean(0), f.std(0).clamp_min(1e-6)
    with torch.no_grad():
        judge.mean.copy_(mean)
        judge.scale.copy_(scale)
        z = (f - mean) / scale
        if rff:
            gen = torch.Generator().manual_seed(seed)
            judge.rff_weight.copy_(torch.randn(f.shape[1], rff, generator=gen) * math.sqrt(2 * gamma / f.shape[1]))
            judge.rff_bias.copy_(torch.rand(rff, generator=gen) * 2 * math.pi)
            z = random_fourier(z, judge.rff_weight, judge.rff_bias)
    z = z.numpy()
    fit = LogisticRegression(C=c, max_iter=max_iter, random_state=seed).fit(z, labels.numpy())
    with torch.no_grad():
        judge.linear.weight.copy_(torch.from_numpy(fit.coef_).float())
        judge.linear.bias.copy_(torch.from_numpy(fit.intercept_).float())
    return judge.eval().requires_grad_(False), {"train_acc": float(fit.score(z, labels.numpy())),
                                                "iterations": int(fit.n_iter_.max()),
                                                "seconds": time.perf_counter() - start}


def load_or_fit_hog_judge(train: ImageSet, run_dir: str | Path, test: ImageSet | None = None, c: float = 1.0,
                          seed: int = 0, name: str | None = None, cells: tuple[int, ...] = (HOG_CELL,),
                          rff: int = 0, flip: bool = False, shifted: int = 0, orientations: int = HOG_ORIENTATIONS,
                          pixels: int = 0, gamma: float = 1.0) -> tuple[HOGJudge, dict]:
    """:func:`fit_hog_judge` through the run cache (key: the data's fingerprint, ``c``, the seed,
    the HOG layout, the random features and the extra copies); ``test`` adds its accuracy to a new
    entry's record."""
    cells = tuple(cells)
    key = {"data": train.fingerprint, "classes": list(train.classes), "c": c, "seed": seed,
           "hog": {"cells": list(cells), "block": HOG_BLOCK, "orientations": orientations},
           "rff": rff, "gamma": gamma, "flip": flip, "shifted": shifted, "pixels": pixels}

    def _fit():
        judge, record = fit_hog_judge(train, c, seed, cells=cells, rff=rff, flip=flip, shifted=shifted,
                                      orientations=orientations, pixels=pixels, gamma=gamma)
        if test is not None:
            record["test_acc"] = float((judge(test.images).argmax(1) == test.labels).float().mean())
        return judge.state_dict(), record

    art = load_or_train("hog-judge", key, _fit, run_dir, version=HOG_VERSION, name=name)
    judge = HOGJudge(art.tensors["mean"].numel(), train.num_classes, cells, rff, orientations, pixels)
    judge.load_state_dict(art.tensors)
    return judge.eval().requires_grad_(False), art.record
