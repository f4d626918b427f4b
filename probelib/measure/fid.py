"""FID and KID with provenance (torchmetrics), and their feature extractors.

FID needs a feature extractor. Offline, the extractor is the *judge*'s penultimate layer
(the evaluation network of chapter 1, never used for training or model selection); with
Inception weights on disk, the usual Inception-v3 pool features. FIDs from different
extractors are not comparable, so every value carries a :class:`Provenance` (extractor, a
hash of its weights, sample counts, resize) that the chapters print under each table.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..core.hashing import weights_hash

__all__ = ["Provenance", "JudgeFeatures", "InceptionFeatures", "Given", "fid_extractor", "features", "extract", "fid",
           "kid",
           "provenance", "KID_SUBSETS", "KID_SUBSET_SIZE", "INCEPTION_FILE", "INCEPTION_URL", "INCEPTION_ENV"]

KID_SUBSETS, KID_SUBSET_SIZE = 50, 500  # KID: 50 subsets of (at most) 500 images per side
INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_URL = f"https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/{INCEPTION_FILE}"
INCEPTION_ENV = "PROBELIB_INCEPTION_WEIGHTS"


@dataclass(frozen=True)
class Provenance:
    """Where a metric value comes from; printed under every table."""

    extractor: str
    weights_sha256: str
    n_real: int
    n_fake: int
    resize: str = "none (32×32 native)"
    n_features: int = 0
    kid_subsets: str = f"KID: {KID_SUBSETS} subsets of min({KID_SUBSET_SIZE}, real, generated) images"

    @property
    def singular(self) -> bool:
        """Fewer real images than feature dimensions: the real covariance of FID is singular."""
        return 0 < self.n_real < self.n_features

    def __str__(self) -> str:
        text = (f"features: {self.extractor} (weights sha256 {self.weights_sha256}); "
                f"{self.n_real} real vs {self.n_fake} generated images; resize: {self.resize}; {self.kid_subsets}")
        if self.singular:
            text += (f" — WARNING: {self.n_real} real images < {self.n_features} feature dimensions, so FID's "
                     "covariance is singular; read KID instead")
        return text


class JudgeFeatures(nn.Module):
    """The judge's penultimate features as a torchmetrics feature extractor."""

    def __init__(self, judge: nn.Module):
        super().__init__()
        self.judge = judge.eval()
        self.num_features = judge.feature_dim

    def describe(self) -> tuple[str, str, str]:
        """(extractor label, weights hash, resize) for :class:`Provenance`."""
        return (f"judge ({type(self.judge).__name__}) penultimate layer, {self.num_features}-d",
                weights_hash(self.judge), "none (32×32 native)")

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.judge.features(x.to(next(self.judge.parameters()).device)).double().cpu()  # (B, F)


class InceptionFeatures(nn.Module):
    """Inception-v3 pool features (2048-d, the usual FID extractor) from weights on disk.

    Wraps torchmetrics' ``NoTrainInceptionV3`` (torch-fidelity's TF-compatible port, which
    resizes to 299×299 itself). Input: images ``(N, C, H, W)`` in [-1, 1]; one channel is
    repeated to three. The weights are the file ``weights-inception-2015-12-05-6726825d.pth``
    that torch-fidelity downloads; nothing is downloaded here.
    """

    num_features = 2048

    def __init__(self, weights_path: str | os.PathLike):
        super().__init__()
        path = Path(weights_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"Inception weights not found at {path}: download {INCEPTION_URL} and pass its path "
                f"(parameter inception_weights or ${INCEPTION_ENV}), or use fid_extractor='judge'")
        try:
            from torchmetrics.image.fid import NoTrainInceptionV3
            net = NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048"],
                                     feature_extractor_weights_path=str(path))
        except ModuleNotFoundError as err:  # torch-fidelity missing
            raise ModuleNotFoundError(f"Inception FID needs torch-fidelity: pip install torch-fidelity ({err})") from None
        self.net = net
        self.path = path

    def describe(self) -> tuple[str, str, str]:
        """(extractor label, weights hash, resize) for :class:`Provenance`."""
        return ("Inception-v3 pool3 (torch-fidelity port), 2048-d", weights_hash(self.net),
                "bilinear to 299×299 (TF1-compatible)")

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        return self.net(x.to(next(self.net.parameters()).device)).reshape(len(x), -1).double().cpu()


def fid_extractor(kind: str, judge: nn.Module, inception_weights: str | os.PathLike | None = None) -> nn.Module:
    """The FID feature extractor: ``"judge"`` (offline default), ``"inception"`` (weights from
    ``inception_weights`` or ``$PROBELIB_INCEPTION_WEIGHTS``; a one-line error if absent) or
    ``"auto"`` (Inception when its weights are given, else the judge)."""
    if kind == "auto":
        kind = "inception" if (inception_weights or os.environ.get(INCEPTION_ENV)) else "judge"
    if kind == "judge":
        return JudgeFeatures(judge)
    if kind == "inception":
        path = inception_weights or os.environ.get(INCEPTION_ENV)
        if not path:
            raise FileNotFoundError(
                f"fid_extractor='inception' needs Inception weights: download {INCEPTION_URL} and pass its path "
                f"(parameter inception_weights or ${INCEPTION_ENV}), or use fid_extractor='judge'")
        return InceptionFeatures(path)
    raise ValueError(f"unknown FID extractor {kind!r}; choose judge, inception or auto")


@torch.no_grad()
def features(extractor: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Extractor features of ``images`` ``(N, C, H, W)`` in [-1, 1]: ``(N, F)`` on CPU."""
    return torch.cat([extractor(images[i : i + batch_size]).float().cpu() for i in range(0, len(images), batch_size)])


class Given(nn.Module):
    """Features extracted already (by :func:`extract`), as a torchmetrics "extractor": the
    identity, with their width. One extraction then serves FID, KID and coverage, and the real
    images' features serve every run scored against them."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = int(num_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


@torch.no_grad()
def extract(extractor: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The features FID and KID read, kept as the extractor returns them (double, on CPU), in
    the batches :func:`fid` would use: ``fid(f_real, f_fake, Given(F))`` on them equals
    ``fid(real, fake, extractor)``."""
    return torch.cat([extractor(images[i : i + batch_size]).double().cpu() for i in range(0, len(images), batch_size)])


def fid(real: torch.Tensor, fake: torch.Tensor, extractor: nn.Module, batch_size: int = 500) -> float:
    """Fréchet distance between the extractor features of ``real`` and ``fake`` (torchmetrics).

    Over all classes this is FID; over the images of one class, intra-FID (Miyato & Koyama 2018).
    """
    from torchmetrics.image.fid import FrechetInceptionDistance

    # our extractors take images in [-1, 1] themselves: normalize=False says so explicitly
    metric = FrechetInceptionDistance(feature=extractor, normalize=False)
    for i in range(0, len(real), batch_size):
        metric.update(real[i : i + batch_size], real=True)
    for i in range(0, len(fake), batch_size):
        metric.update(fake[i : i + batch_size], real=False)
    return float(metric.compute())


def kid(real: torch.Tensor, fake: torch.Tensor, extractor: nn.Module, subset_size: int = KID_SUBSET_SIZE,
        subsets: int = KID_SUBSETS, batch_size: int = 500, seed: int = 0) -> tuple[float, float]:
    """Kernel Inception Distance (Bińkowski et al. 2018; torchmetrics' ``KernelInceptionDistance``
    with our extractor) between the features of ``real`` and ``fake``: mean and sd over
    ``subsets`` random subsets of ``min(subset_size, len(real), len(fake))`` images, drawn from
    ``seed`` (the global random state is left as it was). Unbiased, so fit for a few hundred images."""
    from torchmetrics.image.kid import KernelInceptionDistance

    size = min(subset_size, len(real), len(fake))
    with warnings.catch_warnings():  # "will save all extracted features in buffer": a few thousand, here
        warnings.simplefilter("ignore", UserWarning)
        metric = KernelInceptionDistance(feature=extractor, subsets=subsets, subset_size=size, normalize=False)
    for i in range(0, len(real), batch_size):
        metric.update(real[i : i + batch_size], real=True)
    for i in range(0, len(fake), batch_size):
        metric.update(fake[i : i + batch_size], real=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        mean, sd = metric.compute()
    return float(mean), float(sd)


def provenance(extractor: nn.Module, n_real: int, n_fake: int) -> Provenance:
    """The provenance line of FIDs computed with ``extractor`` (a :class:`JudgeFeatures`, an
    :class:`InceptionFeatures`, or a judge network, meaning its penultimate features)."""
    if not hasattr(extractor, "describe"):
        extractor = JudgeFeatures(extractor)
    label, weights, resize = extractor.describe()
    return Provenance(label, weights, n_real, n_fake, resize, int(getattr(extractor, "num_features", 0)))
