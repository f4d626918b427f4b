"""Recognition and diversity of generated images, judged by a network that took no part in
training: the stand-in for the paper's human raters, and its guard against collapse."""
from __future__ import annotations

import torch
from torch import nn

from .fid import JudgeFeatures, features, fid

__all__ = ["recognition_rate", "confusion_counts", "mean_pairwise_distance", "diversity_ratio", "target_metrics"]


@torch.no_grad()
def recognition_rate(judge: nn.Module, images: torch.Tensor, target: int, batch_size: int = 500) -> float:
    """Share of ``images`` the judge classifies as ``target`` (the stand-in for the paper's MTurk study)."""
    device = next(judge.parameters()).device
    judge.eval()
    hits = sum(int((judge(images[i : i + batch_size].to(device)).argmax(1) == target).sum())
               for i in range(0, len(images), batch_size))
    return hits / max(len(images), 1)


@torch.no_grad()
def confusion_counts(judge: nn.Module, images: torch.Tensor, labels: torch.Tensor, num_classes: int,
                     batch_size: int = 500) -> torch.Tensor:
    """``counts[t, p]``: how many images of true class ``t`` the judge classifies as ``p`` (a judge's
    accuracy per class on *real* images is ``counts.diag() / counts.sum(1)``)."""
    device = next(judge.parameters()).device
    judge.eval()
    pred = torch.cat([judge(images[i : i + batch_size].to(device)).argmax(1).cpu()
                      for i in range(0, len(images), batch_size)]) if len(images) else torch.empty(0, dtype=torch.long)
    counts = torch.zeros(num_classes, num_classes, dtype=torch.long)
    counts.index_put_((labels.long().cpu(), pred), torch.ones_like(pred), accumulate=True)
    return counts


def mean_pairwise_distance(feats: torch.Tensor) -> float:
    """Mean Euclidean distance over all distinct pairs of rows of ``feats`` ``(N, F)``."""
    n = len(feats)
    if n < 2:
        raise ValueError("diversity needs at least two images")
    d = torch.cdist(feats.double(), feats.double())  # (N, N), zero diagonal
    return float(d.sum() / (n * (n - 1)))


def diversity_ratio(extractor: nn.Module, fake: torch.Tensor, real: torch.Tensor) -> float:
    """Mean pairwise feature distance of ``fake`` over that of ``real`` (1 = as diverse as real,
    near 0 = mode collapse). The measure the book fixes before looking at any GAN."""
    return mean_pairwise_distance(features(extractor, fake)) / mean_pairwise_distance(features(extractor, real))


def target_metrics(judge: nn.Module, fake: torch.Tensor, real: torch.Tensor, target: int,
                   fid_features: nn.Module | None = None) -> dict:
    """Recognition rate, intra-FID and diversity ratio of generated target images ``fake``
    against the real target images ``real`` (evaluation only: no training or selection uses it).

    Recognition and diversity always use the judge; intra-FID uses ``fid_features`` (default:
    the judge's features too)."""
    ext = JudgeFeatures(judge)
    return {
        "recognition (%)": 100 * recognition_rate(judge, fake, target),
        "intra-FID": fid(real, fake, fid_features if fid_features is not None else ext),
        "diversity (× real)": diversity_ratio(ext, fake, real),
    }
