"""Differentiable augmentation for GAN discriminators (DiffAugment, Zhao et al. 2020).

The same random translation and cutout are applied to real and fake images before D, in
the D and the G updates, so D cannot memorise a small image set and G still gets gradients.
Randomness is drawn in ``forward`` from a generator passed in; the maths sits in
deterministic methods (``translate``, ``cutout``) that tests call with fixed values.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["DiffAugment"]


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
