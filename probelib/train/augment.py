"""Augmentation: DiffAugment for GAN discriminators (Zhao et al. 2020), and the shifts and
flips of classifier training.

The same random translation and cutout are applied to real and fake images before D, in
the D and the G updates, so D cannot memorise a small image set and G still gets gradients.
Randomness is drawn in ``forward`` from a generator passed in; the maths sits in
deterministic methods (``translate``, ``cutout``) that tests call with fixed values.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["DiffAugment", "random_shift_flip"]


class DiffAugment(nn.Module):
    """Translation by up to ``translation``·size pixels (zero = black fill) and one square
    cutout of side ``cutout``·size, per image."""

    def __init__(self, translation: float = 0.125, cutout: float = 0.5, fill: float = -1.0):
        super().__init__()
        self.translation, self.cutout_ratio, self.fill = translation, cutout, fill

    @staticmethod
    def translate(x: torch.Tensor, shifts: torch.Tensor, fill: float = -1.0) -> torch.Tensor:
        """Shift image i by ``shifts[i] = (dy, dx)`` integer pixels; uncovered pixels get ``fill``."""
        b, c, h, w = x.shape
        pad = int(shifts.abs().max()) if len(shifts) else 0
        padded = torch.nn.functional.pad(x, (pad, pad, pad, pad), value=fill)  # (B, C, H+2p, W+2p)
        rows = torch.arange(h, device=x.device)[None, :] - shifts[:, 0:1] + pad  # (B, H)
        cols = torch.arange(w, device=x.device)[None, :] - shifts[:, 1:2] + pad  # (B, W)
        idx_r = rows[:, None, :, None].expand(b, c, h, padded.shape[3])
        out = padded.gather(2, idx_r)  # (B, C, H, W+2p)
        idx_c = cols[:, None, None, :].expand(b, c, h, w)
        return out.gather(3, idx_c)  # (B, C, H, W)

    @staticmethod
    def cutout(x: torch.Tensor, corners: torch.Tensor, size: int, fill: float = -1.0) -> torch.Tensor:
        """Set a ``size``×``size`` square at ``corners[i] = (top, left)`` (may overhang) to ``fill``."""
        b, _, h, w = x.shape
        r = torch.arange(h, device=x.device)[None, :]
        c = torch.arange(w, device=x.device)[None, :]
        in_r = (r >= corners[:, 0:1]) & (r < corners[:, 0:1] + size)  # (B, H)
        in_c = (c >= corners[:, 1:2]) & (c < corners[:, 1:2] + size)  # (B, W)
        mask = (in_r[:, :, None] & in_c[:, None, :])[:, None]  # (B, 1, H, W)
        return torch.where(mask, torch.full_like(x, fill), x)

    def forward(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        b, _, h, w = x.shape
        if self.translation > 0:
            m = int(round(h * self.translation))
            shifts = torch.randint(-m, m + 1, (b, 2), generator=generator).to(x.device)
            x = self.translate(x, shifts, self.fill)
        if self.cutout_ratio > 0:
            size = int(round(h * self.cutout_ratio))
            corners = torch.randint(-(size // 2), h - size // 2 + (h % 2), (b, 2), generator=generator).to(x.device)
            x = self.cutout(x, corners, size, self.fill)
        return x


def random_shift_flip(x: torch.Tensor, generator: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Shift each image by up to ``max_shift`` pixels (edge padding) and flip half of them."""
    b, _, h, w = x.shape
    shifts = torch.randint(-max_shift, max_shift + 1, (b, 2), generator=generator).to(x)
    theta = torch.zeros(b, 2, 3, dtype=x.dtype, device=x.device)
    theta[:, 0, 0] = 1.0
    theta[:, 1, 1] = 1.0
    theta[:, 0, 2] = 2.0 * shifts[:, 0] / w
    theta[:, 1, 2] = 2.0 * shifts[:, 1] / h
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="nearest", padding_mode="border", align_corners=False)
    flip = (torch.rand(b, generator=generator) < 0.5).to(x.device).view(-1, 1, 1, 1)
    return torch.where(flip, x.flip(-1), x)
