"""Fitting the non-neural judge of the reporting panel: HOG descriptors and a multinomial
logistic regression (scikit-learn), cached like every trained artefact (as tensors: nothing is
pickled). The panel's neural judge is a ViT trained by :func:`~probelib.train.classifier.load_or_train_classifier`."""
from __future__ import annotations

import time
from pathlib import Path

import torch

from ..core.cache import load_or_train
from ..data.imageset import ImageSet
from ..models.panel import HOG_BLOCK, HOG_CELL, HOG_ORIENTATIONS, HOGJudge, hog_features

__all__ = ["HOG_VERSION", "fit_hog_judge", "load_or_fit_hog_judge"]

#: bumped whenever the HOG judge's features or fitting change (part of its cache key)
HOG_VERSION = 1


def fit_hog_judge(train: ImageSet, c: float = 1.0, seed: int = 0, max_iter: int = 2000) -> tuple[HOGJudge, dict]:
    """Standardise the HOG descriptors of ``train`` and fit a multinomial logistic regression
    (L2 strength ``1 / c``, lbfgs); returns the judge (eval mode, frozen) and a record."""
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    f = hog_features(train.images)
    mean, scale = f.mean(0), f.std(0).clamp_min(1e-6)
    z = ((f - mean) / scale).numpy()
    fit = LogisticRegression(C=c, max_iter=max_iter, random_state=seed).fit(z, train.labels.numpy())
    judge = HOGJudge(f.shape[1], train.num_classes)
    with torch.no_grad():
        judge.mean.copy_(mean)
        judge.scale.copy_(scale)
        judge.linear.weight.copy_(torch.from_numpy(fit.coef_).float())
        judge.linear.bias.copy_(torch.from_numpy(fit.intercept_).float())
    return judge.eval().requires_grad_(False), {"train_acc": float(fit.score(z, train.labels.numpy())),
                                                "iterations": int(fit.n_iter_.max()),
                                                "seconds": time.perf_counter() - start}


def load_or_fit_hog_judge(train: ImageSet, run_dir: str | Path, test: ImageSet | None = None, c: float = 1.0,
                          seed: int = 0, name: str | None = None) -> tuple[HOGJudge, dict]:
    """:func:`fit_hog_judge` through the run cache (key: the data's fingerprint, ``c``, the seed
    and the HOG layout); ``test`` adds its accuracy to a new entry's record."""
    key = {"data": train.fingerprint, "classes": list(train.classes), "c": c, "seed": seed,
           "hog": {"cell": HOG_CELL, "block": HOG_BLOCK, "orientations": HOG_ORIENTATIONS}}

    def _fit():
        judge, record = fit_hog_judge(train, c, seed)
        if test is not None:
            record["test_acc"] = float((judge(test.images).argmax(1) == test.labels).float().mean())
        return judge.state_dict(), record

    art = load_or_train("hog-judge", key, _fit, run_dir, version=HOG_VERSION, name=name)
    judge = HOGJudge(art.tensors["mean"].numel(), train.num_classes)
    judge.load_state_dict(art.tensors)
    return judge.eval().requires_grad_(False), art.record
