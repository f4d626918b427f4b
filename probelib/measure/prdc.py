"""Precision, recall, density and coverage of generated images in a feature space
(Kynkäänniemi et al. 2019; Naeem et al. 2020), through the ``prdc`` package of the latter's
authors: the book's measure of fidelity and collapse, one number each, per judge.

- precision: share of generated images inside some real image's k-NN ball (are they realistic?);
- recall: share of real images inside some generated image's k-NN ball (is the class covered?);
- density: how many real balls a generated image falls into, over k (1 ≈ as dense as real);
- coverage: share of real images whose k-NN ball holds a generated image (collapse → near 0).
"""
from __future__ import annotations

import contextlib
import io
import warnings
from unittest import mock

import numpy as np
import torch

__all__ = ["prdc", "NEAREST_K"]

NEAREST_K = 5  # Naeem et al.'s default


def _pairwise_distance(x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    """The ``prdc`` package's own distances (scikit-learn's euclidean), in this thread: the
    package asks for 8 joblib workers, whose scikit-learn warnings escaped any filter and
    flooded the chapters' pages (the numbers are the same)."""
    from sklearn.metrics import pairwise_distances

    return pairwise_distances(x, x if y is None else y, metric="euclidean", n_jobs=1)


def prdc(real: torch.Tensor, fake: torch.Tensor, k: int = NEAREST_K) -> dict[str, float]:
    """``{precision, recall, density, coverage}`` of ``fake`` against ``real`` features ``(N, F)``;
    all NaN when either set has k images or fewer (no k-NN ball can be drawn)."""
    import prdc.prdc as prdc_module
    from prdc import compute_prdc

    if len(real) <= k or len(fake) <= k:
        return dict.fromkeys(("precision", "recall", "density", "coverage"), float("nan"))
    r = np.asarray(real.detach().cpu().float(), dtype=np.float32)
    f = np.asarray(fake.detach().cpu().float(), dtype=np.float32)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(), \
            mock.patch.object(prdc_module, "compute_pairwise_distance", _pairwise_distance):  # it prints set sizes
        warnings.filterwarnings("ignore", message=r".*sklearn\.utils\.parallel\.delayed", category=UserWarning)
        out = compute_prdc(r, f, k)
    return {name: float(v) for name, v in out.items()}
