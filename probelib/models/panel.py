"""The reporting panel's judges: networks of families unlike the probed ResNets and the
development judge (a VGG-style CNN), so that a number they agree on is not one architecture's
opinion.

- :class:`ViTJudge`: a small vision transformer (Dosovitskiy et al. 2021): patches of 4×4
  pixels, a learned position embedding, pre-norm transformer blocks, mean-pooled tokens.
- :class:`HOGJudge`: no neural network at all: histograms of oriented gradients (Dalal &
  Triggs 2005, scikit-image) standardised and read by a linear model (multinomial logistic
  regression, fitted with scikit-learn in :mod:`probelib.train.panel`).

Both take images ``(B, C, H, W)`` in [-1, 1], return logits ``(B, num_classes)``, and expose
``features(x)`` and ``feature_dim`` for FID, KID and precision / recall / coverage.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["ViTJudge", "HOGJudge", "hog_features", "HOG_CELL", "HOG_BLOCK", "HOG_ORIENTATIONS"]

HOG_CELL, HOG_BLOCK, HOG_ORIENTATIONS = 8, 2, 9  # 32×32 → 3×3 blocks of 2×2 cells × 9 bins = 324 values


class ViTJudge(nn.Module):
    """A small ViT: ``patch``×``patch`` patches → ``width``-d tokens + position embedding →
    ``depth`` pre-norm blocks (``heads`` heads, MLP 2× wide) → LayerNorm → mean over tokens."""

    def __init__(self, in_channels: int, num_classes: int, width: int = 48, depth: int = 3, heads: int = 4,
                 patch: int = 4, size: int = 32):
        super().__init__()
        self.patch = patch
        self.embed = nn.Conv2d(in_channels, width, patch, stride=patch)  # (B, w, H/p, W/p)
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


def hog_features(images: torch.Tensor) -> torch.Tensor:
    """HOG descriptors of images ``(N, C, H, W)`` in [-1, 1] (colour: the strongest channel's
    gradient, as scikit-image does): ``(N, F)`` float32; not differentiable."""
    from skimage.feature import hog

    x = ((images.detach().cpu().float().clamp(-1, 1) + 1) / 2).numpy()
    colour = x.shape[1] > 1
    rows = [hog(im.transpose(1, 2, 0) if colour else im[0], orientations=HOG_ORIENTATIONS,
                pixels_per_cell=(HOG_CELL, HOG_CELL), cells_per_block=(HOG_BLOCK, HOG_BLOCK),
                channel_axis=-1 if colour else None) for im in x]
    return torch.from_numpy(np.stack(rows).astype(np.float32))


class HOGJudge(nn.Module):
    """Standardised HOG descriptors → a linear layer (its weights from a logistic regression)."""

    def __init__(self, feature_dim: int, num_classes: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(feature_dim))
        self.register_buffer("scale", torch.ones(feature_dim))
        self.linear = nn.Linear(feature_dim, num_classes)
        self.feature_dim = feature_dim

    def features(self, x: torch.Tensor) -> torch.Tensor:
        f = hog_features(x).to(self.mean.device)
        return (f - self.mean) / self.scale  # (B, F)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.features(x))
