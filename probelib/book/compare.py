"""Comparing methods the way a reviewer would: every run (method × seed) scored by every judge,
then the mean and a 95 % interval **over seeds** per method and judge, and each claimed ordering
classified as holding with intervals apart, holding on average only, failing, or reversed.

The unit of replication is the run (a GAN trained with one seed); intervals over the images of
one run are secondary and never reported as these.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..core.stats import mean_ci, proportion_ci
from ..measure.panel import HIGHER_IS_BETTER, RANGE, judge_metrics, real_features
from ..measure.recognition import confusion_counts

__all__ = ["Run", "score_runs", "interval", "summarise", "Claim", "verdict", "verdicts", "fmt_ci", "real_accuracy",
           "real_accuracy_wide"]


@dataclass
class Run:
    """One trained run to score: its row (method or setting), seed, generated target images, and
    any extra per-run columns (FID over all classes, training minutes, ...)."""

    row: str
    seed: int
    fake: torch.Tensor
    extra: dict


def score_runs(runs: list[Run], judges: dict[str, nn.Module], real: torch.Tensor, target: int) -> pd.DataFrame:
    """The long table: one line per (row, seed, judge) with every metric of
    :func:`~probelib.measure.panel.judge_metrics` and the run's extra columns. Each judge reads
    the real images once for all runs."""
    f_real = {name: real_features(judge, real) for name, judge in judges.items()}
    lines = []
    for r in runs:
        for name, judge in judges.items():
            lines.append({"row": r.row, "seed": r.seed, "judge": name,
                          **judge_metrics(judge, r.fake, real, target, real_features=f_real[name]), **r.extra})
    return pd.DataFrame(lines)


def interval(values, bounds: tuple[float, float] | None = None) -> tuple[float, float, float, int]:
    """``(mean, low, high, n)``: the Student-t 95 % interval over runs, or the value itself twice
    when there is one run (no interval). With ``bounds`` (the metric's range, e.g. 0-100 for a
    rate) the interval is cut to it: with three seeds a t interval can reach past 100 %."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan, 0
    if len(x) == 1 or np.all(x == x[0]):
        return float(x[0]), float(x[0]), float(x[0]), len(x)
    mean, low, high = mean_ci(x)
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return mean, low, high, len(x)


def _num(x: float, digits: int) -> str:
    if abs(x) >= 100:
        return f"{x:.0f}"  # three or more digits before the point: none after it
    if 0 < abs(x) < 10 ** -digits:
        return f"{x:.2g}"  # small values (KID) keep two significant digits
    return f"{x:.{digits}f}"


def fmt_ci(mean: float, low: float, high: float, n: int, digits: int = 1) -> str:
    """``"91.4 (85.0–97.8)"`` over ``n`` runs, ``"95.6"`` for a single run, ``"—"`` for none."""
    if n == 0 or math.isnan(mean):
        return "—"
    if n == 1:
        return _num(mean, digits)
    return f"{_num(mean, digits)} ({_num(low, digits)}–{_num(high, digits)})"


def summarise(long: pd.DataFrame, metric: str, rows: list[str] | None = None, digits: int = 1
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For one metric: a table of ``mean (low–high)`` strings, rows × judges, and the numbers
    behind it (a frame of ``(mean, low, high, n)`` tuples). Intervals are cut to the metric's
    range (:data:`~probelib.measure.panel.RANGE`)."""
    rows = rows or list(dict.fromkeys(long["row"]))
    judges = list(dict.fromkeys(long["judge"]))
    bounds = RANGE.get(metric)
    nums = pd.DataFrame({j: {r: interval(long[(long["row"] == r) & (long["judge"] == j)][metric], bounds)
                             for r in rows} for j in judges})
    text = nums.map(lambda t: fmt_ci(*t, digits=digits))
    return text, nums


@dataclass(frozen=True)
class Claim:
    """An ordering the paper makes: ``better`` beats ``worse`` on ``metric``."""

    text: str
    better: str
    worse: str
    metric: str


def verdict(long: pd.DataFrame, claim: Claim, judge: str) -> str:
    """``apart`` (the better row's interval lies wholly beyond the worse row's), ``on average``
    (means in the paper's order, intervals overlapping), ``fails`` (means the other way,
    intervals overlapping) or ``reversed`` (the other way with intervals apart)."""
    sign = 1.0 if HIGHER_IS_BETTER[claim.metric] else -1.0
    pick = lambda row: interval(long[(long["row"] == row) & (long["judge"] == judge)][claim.metric])  # noqa: E731
    (mb, lb, hb, nb), (mw, lw, hw, nw) = pick(claim.better), pick(claim.worse)
    if nb == 0 or nw == 0:
        return "not measured"
    if sign > 0:
        apart, reverse_apart, ahead = lb > hw, hb < lw, mb > mw
    else:
        apart, reverse_apart, ahead = hb < lw, lb > hw, mb < mw
    if apart:
        return "apart"
    if reverse_apart:
        return "reversed"
    return "on average" if ahead else "fails"


def verdicts(long: pd.DataFrame, claims: list[Claim]) -> pd.DataFrame:
    """Every claim × every judge of ``long``: the table a reader checks the paper against."""
    judges = list(dict.fromkeys(long["judge"]))
    return pd.DataFrame({j: {c.text: verdict(long, c, j) for c in claims} for j in judges})


# ---- the judges on real images -------------------------------------------------------------------

def real_accuracy(judges: dict[str, nn.Module], images: torch.Tensor, labels: torch.Tensor, classes: list[str],
                  unit: str = "images", taken: str = "taken for") -> pd.DataFrame:
    """Every judge on real held-out images, per ``(judge, class)``: how many (column ``unit``), the
    share it recognises (%, with the Wilson 95 % interval over the images: ``lo (%)``, ``hi (%)``)
    and the share it takes for each class (``"{taken} {class} (%)"``). A judge's recognition of
    real images of a class is the ceiling its recognition of generated ones is read against."""
    out = {}
    for j, m in judges.items():
        counts = confusion_counts(m, images, labels, len(classes))
        for t, name in enumerate(classes):
            k, n = int(counts[t, t]), int(counts[t].sum())
            _, lo, hi = proportion_ci(k, n)
            out[(j, name)] = {unit: n, "recognised (%)": 100 * k / max(n, 1), "lo (%)": 100 * lo, "hi (%)": 100 * hi,
                              **{f"{taken} {c} (%)": 100 * int(counts[t, i]) / max(n, 1)
                                 for i, c in enumerate(classes)}}
    frame = pd.DataFrame(out).T
    frame.index.names = ["judge", "class"]
    return frame


def real_accuracy_wide(rates: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """:func:`real_accuracy` as one row per judge and one column per class, each cell the share
    recognised with its interval over images, then the judge's top-1 over all of them."""
    unit = rates.columns[0]
    cells = {(j, c): f"{r['recognised (%)']:.{digits}f} ({r['lo (%)']:.{digits}f}–{r['hi (%)']:.{digits}f})"
             for (j, c), r in rates.iterrows()}
    judges = list(dict.fromkeys(rates.index.get_level_values(0)))
    classes = list(dict.fromkeys(rates.index.get_level_values(1)))
    frame = pd.DataFrame([[cells[(j, c)] for c in classes] for j in judges], index=judges, columns=classes)
    for j in judges:
        r = rates.loc[j].astype(float)
        top1 = (r["recognised (%)"] * r[unit]).sum() / r[unit].sum()  # images recognised over images, in %
        frame.loc[j, "all classes"] = f"{top1:.{digits}f}"
    frame.index.name = "judge"
    return frame
