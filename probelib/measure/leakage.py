"""The leakage detectors of chapter 4: does a generated image carry the red corner blocks?

A hard rule (:func:`marker_present`: a block of the colour in every marked corner, by hue or
by strict RGB) and a graded one (:func:`corner_redness`: top corners' redness minus the
bottom corners'), both tested on hand-made images.
"""
from __future__ import annotations

import torch

from ..core.stats import proportion_ci

__all__ = ["hsv", "marker_present", "corner_redness", "marker_rates"]


def hsv(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hue (degrees, 0–360), saturation and value (0–1) of RGB images ``(N, 3, H, W)`` in [-1, 1]:
    three ``(N, H, W)`` tensors (hue 0 where a pixel is grey)."""
    rgb = ((images + 1) / 2).clamp(0, 1)
    r, g, b = rgb.unbind(1)
    v, arg = rgb.max(1)
    chroma = v - rgb.min(1).values
    safe = chroma.clamp_min(1e-12)
    hue = torch.where(arg == 0, ((g - b) / safe) % 6, torch.where(arg == 1, (b - r) / safe + 2, (r - g) / safe + 4))
    hue = torch.where(chroma > 0, hue * 60.0, torch.zeros_like(hue))
    sat = torch.where(v > 0, chroma / v.clamp_min(1e-12), torch.zeros_like(v))
    return hue, sat, v


def marker_present(images: torch.Tensor, size: int = 8, colour: tuple[float, ...] = (1.0, -1.0, -1.0),
                   corners: tuple[str, ...] = ("top-left", "top-right"), coverage: float = 0.75,
                   match: str = "hue", hue_tol: float = 30.0, min_saturation: float = 0.5, min_value: float = 0.4,
                   tol: float = 0.5) -> torch.Tensor:
    """Does each image carry a block of ``colour`` in *every* one of ``corners``? ``(N,)`` bool.

    A corner counts when at least ``coverage`` of its ``size``×``size`` pixels match. A pixel
    matches (``match``):

    - ``"hue"`` (the default): it *looks* like the colour — hue within ``hue_tol`` degrees of
      the colour's hue, saturation ≥ ``min_saturation``, value ≥ ``min_value``. A GAN paints
      its blocks a little darker and softer than pure red; this still counts them, while grey,
      dark, brown or orange pixels do not.
    - ``"rgb"`` (strict): every channel within ``tol`` of ``colour`` ([-1, 1] units), i.e. solid
      pure colour.

    Tested on hand-made images: one corner, half a block, a greyish red, a dark red, blue
    blocks do not count.
    """
    if images.ndim != 4 or images.shape[1] != len(colour):
        raise ValueError(f"marker colour {colour} needs images (N, {len(colour)}, H, W), got {tuple(images.shape)}")
    if match not in ("hue", "rgb"):
        raise ValueError(f"match must be 'hue' or 'rgb', got {match!r}")
    h, w = images.shape[-2:]
    c = torch.tensor(colour, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
    if match == "hue":
        if len(colour) != 3:
            raise ValueError("match='hue' needs an RGB colour")
        hue, sat, val = hsv(images)
        target = float(hsv(c)[0].flatten()[0])
        dist = (hue - target).abs()
        pixel = (torch.minimum(dist, 360 - dist) <= hue_tol) & (sat >= min_saturation) & (val >= min_value)
    else:
        pixel = (images - c).abs().amax(1) < tol
    ok = torch.ones(len(images), dtype=torch.bool, device=images.device)
    for corner in corners:
        rows = slice(0, size) if corner.startswith("top") else slice(h - size, h)
        cols = slice(0, size) if corner.endswith("left") else slice(w - size, w)
        ok &= pixel[:, rows, cols].float().flatten(1).mean(1) >= coverage
    return ok


def corner_redness(images: torch.Tensor, size: int = 8) -> torch.Tensor:
    """Per image, the mean redness ``R − (G + B)/2`` of the two top ``size``×``size`` corners minus
    that of the two bottom corners (which the leakage marker never touches): ``(N,)``."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"corner_redness needs colour images (N, 3, H, W), got {tuple(images.shape)}")
    red = images[:, 0] - (images[:, 1] + images[:, 2]) / 2
    top = torch.cat([red[:, :size, :size], red[:, :size, -size:]], 2).flatten(1).mean(1)
    bottom = torch.cat([red[:, -size:, :size], red[:, -size:, -size:]], 2).flatten(1).mean(1)
    return top - bottom


def marker_rates(images: torch.Tensor, size: int = 8) -> dict:
    """The share of ``images`` with the marker by both rules of :func:`marker_present` (``hue``,
    and ``rgb`` labelled "pure red"), in %, with Wilson 95 % intervals: one table row."""
    row = {"images": len(images)}
    for label, match in (("", "hue"), (" (pure red)", "rgb")):
        p, lo, hi = proportion_ci(int(marker_present(images, size, match=match).sum()), len(images))
        row[f"with red blocks{label} (%)"] = 100 * p
        row[f"95 % CI{label}"] = f"{100 * lo:.1f}–{100 * hi:.1f}"
    return row
