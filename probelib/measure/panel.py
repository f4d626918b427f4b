"""Scoring generated images with a panel of judges: for each judge, recognition of the target,
intra-FID and KID in its feature space, and precision / recall / density / coverage.

The **development judge** is the one sweeps and recipe choices may look at; the **reporting
panel** (judges of other families, trained with their own seeds) is used only by the chapters.
:func:`panel_metrics` takes any ``{name: judge}``; the book passes both, labelled.
"""
from __future__ import annotations

import torch
from torch import nn

from .fid import Given, JudgeFeatures, extract, fid, kid
from .prdc import prdc
from .recognition import recognition_rate

__all__ = ["judge_metrics", "real_features", "panel_metrics", "METRICS", "HIGHER_IS_BETTER", "RANGE"]

#: the columns of :func:`judge_metrics`, in order
METRICS = ("recognition (%)", "intra-FID", "KID", "precision", "recall", "density", "coverage")
#: the direction of each metric (True: higher is better)
HIGHER_IS_BETTER = {"recognition (%)": True, "intra-FID": False, "KID": False, "precision": True,
                    "recall": True, "density": True, "coverage": True}
#: the values each metric can take (KID's unbiased estimate may be negative: no range)
RANGE = {"recognition (%)": (0.0, 100.0), "intra-FID": (0.0, float("inf")), "precision": (0.0, 1.0),
         "recall": (0.0, 1.0), "density": (0.0, float("inf")), "coverage": (0.0, 1.0)}


def real_features(judge: nn.Module, real: torch.Tensor) -> torch.Tensor:
    """The judge's features of the real images, extracted once for every run scored against them
    (``real_features=`` of :func:`judge_metrics`)."""
    return extract(JudgeFeatures(judge), real)


def judge_metrics(judge: nn.Module, fake: torch.Tensor, real: torch.Tensor, target: int,
                  real_features: torch.Tensor | None = None) -> dict[str, float]:
    """One judge's verdict on generated target images ``fake`` against real target images ``real``
    (evaluation only): recognition (%), intra-FID, KID and precision / recall / density /
    coverage (k = 5), all in the judge's feature space. Each image's features are extracted
    once; ``real_features`` (from :func:`real_features`) skips the real images' extraction."""
    f_real = extract(JudgeFeatures(judge), real) if real_features is None else real_features
    f_fake = extract(JudgeFeatures(judge), fake)
    given = Given(f_real.shape[1])
    return {"recognition (%)": 100 * recognition_rate(judge, fake, target), "intra-FID": fid(f_real, f_fake, given),
            "KID": kid(f_real, f_fake, given)[0], **prdc(f_real.float(), f_fake.float())}


def panel_metrics(judges: dict[str, nn.Module], fake: torch.Tensor, real: torch.Tensor, target: int
                  ) -> dict[str, dict[str, float]]:
    """:func:`judge_metrics` for every judge of ``judges``: ``{judge name: {metric: value}}``."""
    return {name: judge_metrics(j, fake, real, target) for name, j in judges.items()}
