"""The reporting panel's judges: networks of families unlike the probed ResNets and the
development judge (a VGG-style CNN), so that a number they agree on is not one architecture's
opinion.

- :class:`ViTJudge`: a small vision transformer (Dosovitskiy et al. 2021): tokens from patches of
  4×4 pixels (or from a two-convolution stem of stride 4, Xiao et al. 2021's "early
  convolutions"), a learned position embedding, pre-norm transformer blocks, mean-pooled tokens.
- :class:`HOGJudge`: no neural network at all: histograms of oriented gradients (Dalal &
  Triggs 2005, scikit-image) at one or several cell sizes, standardised, optionally mapped by
  random Fourier features (a Gaussian kernel, Rahimi & Recht 2007), and read by a linear model
  (multinomial logistic regression, fitted with scikit-learn in :mod:`probelib.train.panel`).

Both take images ``(B, C, H, W)`` in [-1, 1], return logits ``(B, num_classes)``, and expose
``features(x)`` and ``feature_dim`` for FID, KID and precision / recall / coverage.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

__all__ = ["ViTJudge", "HOGJudge", "hog_features", "random_fourier", "HOG_CELL", "HOG_BLOCK", "HOG_ORIENTATIONS"]

HOG_CELL, HOG_BLOCK, HOG_ORIENTATIONS = 8, 2, 9  # 32×32 → 3×3 blocks of 2×2 cells × 9 bins = 324 values


class ViTJudge(nn.Module):
    """A small ViT: ``patch``×``patch`` patches → ``width``-d tokens + position embedding →
    ``depth`` pre-norm blocks (``heads`` heads, MLP 2× wide) → LayerNorm → mean over tokens.

    ``stem="conv"`` makes the tokens with two 3×3 convolutions of stride 2 (``width / 2`` then
    ``width`` channels, GELU between; same token grid as 4×4 patches) instead of one patch
    projection: a tokeniser only, every token still mixes with every other through attention."""

    def __init__(self, in_channels: int, num_classes: int, width: int = 48, depth: int = 3, heads: int = 4,
                 patch: int = 4, size: int = 32, stem: str = "patch"):
        super().__init__()
        self.patch = patch
        if stem == "patch":
            self.embed = nn.Conv2d(in_channels, width, patch, stride=patch)  # (B, w, H/p, W/p)
        elif stem == "conv" and patch == 4:
            self.embed = nn.Sequential(nn.Conv2d(in_channels, width // 2, 3, stride=2, padding=1), nn.GELU(),
                                       nn.Conv2d(width // 2, width, 3, stride=2, padding=1))  # (B, w, H/4, W/4)
        else:
            raise ValueError(f"unknown ViT stem {stem!r} for patch {patch}; choose 'patch' or 'conv' (patch 4)")
        self.pos = nn.Parameter(torch.randn(1, (size // patch) ** 2, width) * 0.02)
        block = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(block, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, num_classes)
        self.feature_dim = width

    def features(self, x: torch.Tensor) -> torch.Tensor:
        t = self.embed(x).flatten(2).transpose(1, 2) + self.pos  # (B, tokens, w)
        return self.norm(self.blocks(t)).mean(1)  # (B, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def hog_features(images: torch.Tensor, cells: tuple[int, ...] = (HOG_CELL,), orientations: int = HOG_ORIENTATIONS,
                 pixels: int = 0) -> torch.Tensor:
    """HOG descriptors of images ``(N, C, H, W)`` in [-1, 1] (colour: the strongest channel's
    gradient, as scikit-image does), one per cell size in ``cells`` (pixels; blocks of
    :data:`HOG_BLOCK`² cells, ``orientations`` bins) concatenated in that order, then, when
    ``pixels`` > 0, the image itself averaged down to ``pixels``×``pixels`` (in [0, 1], channels
    first): ``(N, F)`` float32; not differentiable. At 32×32 and 9 bins, cell 8 gives 324 values,
    cell 4 gives 1,764."""
    from skimage.feature import hog

    x = ((images.detach().cpu().float().clamp(-1, 1) + 1) / 2)
    parts = []
    if cells:
        arr = x.numpy()
        colour = arr.shape[1] > 1
        parts.append(torch.from_numpy(np.stack([
            np.concatenate([hog(im.transpose(1, 2, 0) if colour else im[0], orientations=orientations,
                                pixels_per_cell=(c, c), cells_per_block=(HOG_BLOCK, HOG_BLOCK),
                                channel_axis=-1 if colour else None) for c in cells]) for im in arr
        ]).astype(np.float32)))
    if pixels:
        parts.append(torch.nn.functional.adaptive_avg_pool2d(x, pixels).flatten(1))
    return torch.cat(parts, 1)


def random_fourier(z: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Random Fourier features (Rahimi & Recht 2007): ``√2 · cos(z W + b)`` for ``z`` ``(N, F)``,
    ``W`` ``(F, D)``, ``b`` ``(D,)``. With ``W`` drawn from N(0, 2γ) and ``b`` from U[0, 2π), the
    mean over the D features of ``f(z) · f(z')`` approximates the Gaussian kernel
    ``exp(-γ ‖z − z'‖²)``, so a linear model of them is a kernel machine of ``z``."""
    return math.sqrt(2.0) * torch.cos(z @ weight + bias)


class HOGJudge(nn.Module):
    """Standardised HOG descriptors at the cell sizes ``cells`` (``orientations`` bins; with
    ``pixels``, the image averaged down to ``pixels``² values appended), optionally through ``rff``
    random Fourier features → a linear layer (its weights from a logistic regression).

    ``features(x)`` — the space of FID, KID and coverage — is the standardised descriptors
    (``feature_dim`` = ``hog_dim``); the random Fourier features are part of the read-out
    (:meth:`head_input`), a kernel machine on those descriptors. Measuring in the 8,192
    random features instead would cost minutes per FID (a covariance of that size) and would
    measure the read-out's approximation, not the images."""

    def __init__(self, hog_dim: int, num_classes: int, cells: tuple[int, ...] = (HOG_CELL,), rff: int = 0,
                 orientations: int = HOG_ORIENTATIONS, pixels: int = 0):
        super().__init__()
        self.cells, self.orientations, self.pixels = tuple(cells), orientations, pixels
        self.register_buffer("mean", torch.zeros(hog_dim))
        self.register_buffer("scale", torch.ones(hog_dim))
        if rff:
            self.register_buffer("rff_weight", torch.zeros(hog_dim, rff))
            self.register_buffer("rff_bias", torch.zeros(rff))
        self.rff = rff
        self.feature_dim = hog_dim
        self.linear = nn.Linear(rff or hog_dim, num_classes)

    def standardised(self, x: torch.Tensor) -> torch.Tensor:
        """The standardised HOG descriptors of images ``x``: ``(B, hog_dim)``."""
        f = hog_features(x, self.cells, self.orientations, self.pixels).to(self.mean.device)
        return (f - self.mean) / self.scale

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The judge's feature space (FID, KID, coverage): the standardised descriptors ``(B, hog_dim)``."""
        return self.standardised(x)

    def head_input(self, z: torch.Tensor) -> torch.Tensor:
        """What the linear layer reads from descriptors ``z``: their random Fourier features when ``rff > 0``."""
        return random_fourier(z, self.rff_weight, self.rff_bias) if self.rff else z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.head_input(self.features(x)))
