"""MemNet (Khosla et al., ICCV 2015): the memorability assessor GANalyze used.

A CaffeNet-style network (five convolutions, two of them grouped, local response
normalisation after the first two, three fully connected layers) regressing one
memorability score. The layer names ``conv1`` … ``fc8`` are those of the public PyTorch
conversions of the Caffe model, so their state dicts load as they are; the input is RGB in
[0, 1] at 227×227 normalised with the ImageNet mean and std, and the raw ``fc8`` output is
mapped to a score by ``(fc8 − mean)·scale + bias`` clamped to [0, 1] (mean 0.7626, scale 2,
bias 0.65: the constants published with the conversion).

:class:`MemNetAssessor` wraps it for the book: images in [−1, 1] of any size and channel
count (grey is repeated to RGB) are resized to 227×227, differentiably, so GANalyze can push
gradients through it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MemNet", "MemNetAssessor", "IMAGENET_MEAN", "IMAGENET_STD"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class MemNet(nn.Module):
    """The architecture; ``forward`` takes normalised 227×227 RGB and returns the raw fc8 ``(N,)``."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 96, 11, stride=4)
        self.conv2 = nn.Conv2d(96, 256, 5, padding=2, groups=2)
        self.conv3 = nn.Conv2d(256, 384, 3, padding=1)
        self.conv4 = nn.Conv2d(384, 384, 3, padding=1, groups=2)
        self.conv5 = nn.Conv2d(384, 256, 3, padding=1, groups=2)
        self.fc6 = nn.Linear(256 * 6 * 6, 4096)
        self.fc7 = nn.Linear(4096, 4096)
        self.fc8 = nn.Linear(4096, 1)
        self.pool = nn.MaxPool2d(3, 2)
        self.lrn = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1:] != (3, 227, 227):
            raise ValueError(f"MemNet takes (N, 3, 227, 227) normalised RGB, got {tuple(x.shape)}")
        h = self.lrn(self.pool(F.relu(self.conv1(x))))
        h = self.lrn(self.pool(F.relu(self.conv2(h))))
        h = F.relu(self.conv4(F.relu(self.conv3(h))))
        h = self.pool(F.relu(self.conv5(h))).flatten(1)
        h = F.relu(self.fc7(F.relu(self.fc6(h))))
        return self.fc8(h).squeeze(1)


class MemNetAssessor(nn.Module):
    """Assessor ``A(image) → memorability in [0, 1]`` for images in [−1, 1], shape (N, 1|3, H, W)."""

    def __init__(self, net: MemNet, out_mean: float = 0.7626, out_scale: float = 2.0, out_bias: float = 0.65):
        super().__init__()
        self.net = net.eval()
        self.out_mean, self.out_scale, self.out_bias = out_mean, out_scale, out_bias
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def preprocess(self, x: torch.Tensor) -> torch.Tensor:
        """[−1, 1] images → normalised 227×227 RGB (grey repeated to three channels)."""
        if x.ndim != 4 or x.shape[1] not in (1, 3):
            raise ValueError(f"MemNet's assessor takes (N, 1 or 3, H, W) images, got {tuple(x.shape)}")
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = (x + 1) / 2
        if x.shape[-2:] != (227, 227):
            x = F.interpolate(x, size=(227, 227), mode="bilinear", align_corners=False)
        return (x - self.mean) / self.std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raw = self.net(self.preprocess(x))
        return ((raw - self.out_mean) * self.out_scale + self.out_bias).clamp(0.0, 1.0)
