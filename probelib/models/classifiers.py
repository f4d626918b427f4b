"""Classifiers: a small ResNet (probed, regular or robust) and a VGG-style judge.

Both take images ``(B, C, 32, 32)`` in [-1, 1] and return logits ``(B, num_classes)``;
``features(x)`` returns the penultimate representation (the judge's is the FID feature).
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .panel import ViTJudge

__all__ = ["ResNetClassifier", "EvalNet", "build_classifier"]


class BasicBlock(nn.Module):
    """Pre-activation residual block (He et al. 2016): BN-ReLU-conv twice plus a shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.shortcut = None
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Conv2d(c_in, c_out, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn1(x))
        skip = x if self.shortcut is None else self.shortcut(h)
        h = self.conv1(h)
        h = self.conv2(F.relu(self.bn2(h)))
        return h + skip


class ResNetClassifier(nn.Module):
    """Small pre-activation ResNet: 3 stages (w, 2w, 4w channels at 32, 16, 8 px)."""

    def __init__(self, in_channels: int, num_classes: int, width: int = 16, blocks_per_stage: int = 2):
        super().__init__()
        self.stem = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        layers, c = [], width
        for stage, c_out in enumerate((width, 2 * width, 4 * width)):
            for b in range(blocks_per_stage):
                stride = 2 if stage > 0 and b == 0 else 1
                layers.append(BasicBlock(c, c_out, stride))
                c = c_out
        self.blocks = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(c)
        self.head = nn.Linear(c, num_classes)
        self.feature_dim = c

    def feature_maps(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.blocks(self.stem(x))))  # (B, 4w, 8, 8)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.feature_maps(x).mean(dim=(2, 3))  # (B, 4w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, num_classes)


class EvalNet(nn.Module):
    """The judge: a plain VGG-style CNN (no residuals, max-pooling, MLP head).

    Deliberately a different architecture from :class:`ResNetClassifier`, trained with its
    own seed, so that its verdict on generated images is independent of the probed model.
    """

    def __init__(self, in_channels: int, num_classes: int, width: int = 32, feature_dim: int = 128):
        super().__init__()
        layers, c = [], in_channels
        for c_out in (width, 2 * width, 4 * width):
            layers += [
                nn.Conv2d(c, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            c = c_out
        self.conv = nn.Sequential(*layers)
        # 4×4 after three poolings of a 32-px image (an identity there); larger images (a probe at
        # 64 or 128 px) are averaged down to it, so one judge design serves every resolution
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(c * 4 * 4, feature_dim), nn.ReLU(inplace=True))
        self.dropout = nn.Dropout(0.3)
        self.head = nn.Linear(feature_dim, num_classes)
        self.feature_dim = feature_dim

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.conv(x)))  # (B, feature_dim): the FID feature space

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.features(x)))


def build_classifier(arch: str, in_channels: int, num_classes: int, width: int, depth: int = 0,
                     stem: str = "") -> nn.Module:
    """A fresh, untrained classifier by architecture name: ``resnet`` (probed), ``evalnet`` (the
    development judge) or ``vit`` (a reporting-panel judge, :class:`~probelib.models.panel.ViTJudge`;
    ``depth`` blocks and its ``stem``, 0 and "" meaning its defaults; the other architectures
    take neither)."""
    if (depth or stem) and arch != "vit":
        raise ValueError(f"depth and stem are ViT settings; {arch!r} takes neither")
    if arch == "resnet":
        return ResNetClassifier(in_channels, num_classes, width)
    if arch == "evalnet":
        return EvalNet(in_channels, num_classes, width)
    if arch == "vit":
        return ViTJudge(in_channels, num_classes, width, **({"depth": depth} if depth else {}),
                        **({"stem": stem} if stem else {}))
    raise ValueError(f"unknown classifier architecture {arch!r}; choose one of: resnet, evalnet, vit")
