"""Robustness transforms for feature visualisation, each an ``nn.Module`` composed in an
``nn.Sequential``: randomness is drawn in ``forward`` from a generator passed in, and a fixed
``offset`` / ``scale`` / ``angle`` argument makes each deterministic for tests."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Pad", "Jitter", "RandomScale", "RandomRotate", "standard_transforms"]


class Pad(nn.Module):
    """Pad every side by ``pad`` pixels with a constant (default: mid-grey, 0 in [−1, 1])."""

    def __init__(self, pad: int, value: float = 0.0):
        super().__init__()
        self.pad, self.value = pad, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, (self.pad,) * 4, value=self.value)


class Jitter(nn.Module):
    """A random crop that shifts the image by up to ``d`` pixels (output ``d`` pixels smaller)."""

    def __init__(self, d: int, generator: torch.Generator | None = None):
        super().__init__()
        self.d, self.g = d, generator

    def forward(self, x: torch.Tensor, offset: tuple[int, int] | None = None) -> torch.Tensor:
        if offset is None:
            dy, dx = (int(v) for v in torch.randint(0, self.d + 1, (2,), generator=self.g))
        else:
            dy, dx = offset
        h, w = x.shape[-2:]
        return x[..., dy:dy + h - self.d, dx:dx + w - self.d]


class RandomScale(nn.Module):
    """Resize by a factor drawn from ``scales`` (bilinear, half-pixel centres)."""

    def __init__(self, scales: tuple[float, ...], generator: torch.Generator | None = None):
        super().__init__()
        self.scales, self.g = tuple(scales), generator

    def forward(self, x: torch.Tensor, scale: float | None = None) -> torch.Tensor:
        s = self.scales[int(torch.randint(len(self.scales), (1,), generator=self.g))] if scale is None else scale
        size = (max(1, round(x.shape[-2] * s)), max(1, round(x.shape[-1] * s)))
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class RandomRotate(nn.Module):
    """Rotate about the centre by an angle (degrees) drawn from ``angles``; outside pixels are 0."""

    def __init__(self, angles: tuple[float, ...], generator: torch.Generator | None = None):
        super().__init__()
        self.angles, self.g = tuple(angles), generator

    def forward(self, x: torch.Tensor, angle: float | None = None) -> torch.Tensor:
        a = self.angles[int(torch.randint(len(self.angles), (1,), generator=self.g))] if angle is None else angle
        t = math.radians(a)
        theta = torch.tensor([[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0]],
                             dtype=x.dtype, device=x.device).expand(len(x), 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def standard_transforms(size: int = 32, seed: int = 0) -> nn.Sequential:
    """Lucid's standard robustness chain scaled to ``size``-pixel images: pad, jitter, random
    scale, random rotate, jitter, then back to ``size``×``size``."""
    g = torch.Generator().manual_seed(seed)
    d = max(1, size // 16)
    return nn.Sequential(Pad(2 * d), Jitter(2 * d, g), RandomScale((1.0, 0.975, 1.025, 0.95, 1.05), g),
                         RandomRotate(tuple(range(-10, 11)), g), Jitter(d, g), _Resize(size))


class _Resize(nn.Module):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] == (self.size, self.size):
            return x
        return F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
