"""Metrics with provenance: FID / intra-FID (torchmetrics), recognition rate, diversity.

FID needs a feature extractor. Offline, the extractor is the *judge*'s penultimate layer
(the evaluation network of chapter 1, never used for training or model selection); with
Inception weights on disk, the usual Inception-v3 pool features. FIDs from different
extractors are not comparable, so every value carries a :class:`Provenance` (extractor, a
hash of its weights, sample counts, resize) that the chapters print under each table.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["Provenance", "JudgeFeatures", "weights_hash", "features", "fid", "recognition_rate",
           "mean_pairwise_distance", "diversity_ratio", "target_metrics"]


@dataclass(frozen=True)
class Provenance:
    """Where a metric value comes from; printed under every table."""

    extractor: str
    weights_sha256: str
    n_real: int
    n_fake: int
    resize: str = "none (32×32 native)"

    def __str__(self) -> str:
        return (f"features: {self.extractor} (weights sha256 {self.weights_sha256}); "
                f"{self.n_real} real vs {self.n_fake} generated images; resize: {self.resize}")


def weights_hash(model: nn.Module) -> str:
    """First 12 hex digits of a SHA-256 over the model's state dict (names and bytes)."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


class JudgeFeatures(nn.Module):
    """The judge's penultimate features as a torchmetrics feature extractor."""

    def __init__(self, judge: nn.Module):
        super().__init__()
        self.judge = judge.eval()
        self.num_features = judge.feature_dim

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.judge.features(x.to(next(self.judge.parameters()).device)).double().cpu()  # (B, F)


@torch.no_grad()
def features(extractor: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Extractor features of ``images`` ``(N, C, H, W)`` in [-1, 1]: ``(N, F)`` on CPU."""
    return torch.cat([extractor(images[i : i + batch_size]).float().cpu() for i in range(0, len(images), batch_size)])


def fid(real: torch.Tensor, fake: torch.Tensor, extractor: JudgeFeatures, batch_size: int = 500) -> float:
    """Fréchet distance between the extractor features of ``real`` and ``fake`` (torchmetrics).

    Over all classes this is FID; over the images of one class, intra-FID (Miyato & Koyama 2018).
    """
    from torchmetrics.image.fid import FrechetInceptionDistance

    metric = FrechetInceptionDistance(feature=extractor, normalize=True)
    for i in range(0, len(real), batch_size):
        metric.update(real[i : i + batch_size], real=True)
    for i in range(0, len(fake), batch_size):
        metric.update(fake[i : i + batch_size], real=False)
    return float(metric.compute())


@torch.no_grad()
def recognition_rate(judge: nn.Module, images: torch.Tensor, target: int, batch_size: int = 500) -> float:
    """Share of ``images`` the judge classifies as ``target`` (the stand-in for the paper's MTurk study)."""
    device = next(judge.parameters()).device
    judge.eval()
    hits = sum(int((judge(images[i : i + batch_size].to(device)).argmax(1) == target).sum())
               for i in range(0, len(images), batch_size))
    return hits / max(len(images), 1)


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


def target_metrics(judge: nn.Module, fake: torch.Tensor, real: torch.Tensor, target: int) -> dict:
    """Recognition rate, intra-FID and diversity ratio of generated target images ``fake``
    against the real target images ``real`` (evaluation only: no training or selection uses it)."""
    ext = JudgeFeatures(judge)
    return {
        "recognition (%)": 100 * recognition_rate(judge, fake, target),
        "intra-FID": fid(real, fake, ext),
        "diversity (× real)": diversity_ratio(ext, fake, real),
    }


def provenance(judge: nn.Module, n_real: int, n_fake: int) -> Provenance:
    """The provenance line of metrics computed with the judge's features."""
    return Provenance(f"judge ({type(judge).__name__}) penultimate layer, {judge.feature_dim}-d",
                      weights_hash(judge), n_real, n_fake)
