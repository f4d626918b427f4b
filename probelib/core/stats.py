"""Small statistics helpers: intervals for a proportion, a mean over items, a mean over runs.

Which interval answers which question matters for the book's claims: :func:`mean_ci` is the
one for headline numbers (one value per independent run, e.g. per seed); :func:`proportion_ci`
and :func:`bootstrap_ci` count images or units *inside* one run and are secondary.
"""
from __future__ import annotations

import numpy as np
import torch

__all__ = ["proportion_ci", "bootstrap_ci", "mean_ci", "rates_above"]


def _floats(values) -> np.ndarray:
    return np.asarray(values.detach().cpu() if torch.is_tensor(values) else values, dtype=float).ravel()


def proportion_ci(k: int, n: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """A proportion ``k / n`` with its Wilson score interval (statsmodels): ``(p, low, high)``."""
    from statsmodels.stats.proportion import proportion_confint

    if n <= 0:
        raise ValueError("a proportion needs n > 0")
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson")
    return k / n, float(low), float(high)


def bootstrap_ci(values, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` (one per image, unit, ...) and its percentile bootstrap CI (items
    resampled with replacement): ``(mean, low, high)``."""
    x = _floats(values)
    if x.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    g = np.random.default_rng(seed)
    boots = x[g.integers(0, len(x), (n_boot, len(x)))].mean(1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(x.mean()), float(lo), float(hi)


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` (one per independent run: seeds, say) and its Student-t interval
    (statsmodels ``DescrStatsW.tconfint_mean``): ``(mean, low, high)``. Use it where the runs, not
    the images inside one run, are the unit of replication."""
    from statsmodels.stats.weightstats import DescrStatsW

    x = _floats(values)
    if x.size < 2:
        raise ValueError(f"mean_ci needs at least two values, got {x.size}")
    lo, hi = DescrStatsW(x).tconfint_mean(alpha=1 - level)
    return float(x.mean()), float(lo), float(hi)


def rates_above(scores: dict[str, torch.Tensor], threshold: float) -> dict[str, dict[str, float]]:
    """For each named set of per-image ``scores``: the images, the mean score, and the share of
    images scoring above ``threshold`` with its Wilson 95 % interval (:func:`proportion_ci`), all
    in percent: one table row per name."""
    rows = {}
    for name, v in scores.items():
        v = torch.as_tensor(v).flatten()
        p, lo, hi = proportion_ci(int((v > threshold).sum()), len(v))
        rows[name] = {"images": len(v), "mean (%)": 100 * float(v.float().mean()), "above (%)": 100 * p,
                      "CI low": 100 * lo, "CI high": 100 * hi}
    return rows
