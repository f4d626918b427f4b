"""Derived data for chapters 4 and 5: silhouettes in colour, red corner markers, non-red
decoys and red *near misses* (the marker's colour in another shape or place).

Every random choice depends only on a seed and the image's own pixels (never on its position
in the set or its split), so an image is treated the same in ``train`` and ``all``. Each
function returns a new :class:`~probelib.data.imageset.ImageSet` whose ``name`` records the
transform (for reading; cache keys use the pixels' fingerprint).
"""
from __future__ import annotations

import zlib

import numpy as np
import torch

from .imageset import DatasetError, ImageSet, class_index

__all__ = ["RED", "CORNERS", "NEAR_MISSES", "hsv_to_rgb", "colourise", "add_marker", "near_miss", "add_decoys",
           "leakage_colour", "mark_class"]

RED = (1.0, -1.0, -1.0)  # pure red in [-1, 1] units
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


def hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vectorised HSV (each in [0, 1]) to RGB in [0, 1]: ``(N, 3)``."""
    i = np.floor(h * 6).astype(int) % 6
    f = h * 6 - np.floor(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    table = np.stack([np.stack(c, 1) for c in ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))])
    return table[i, np.arange(len(h))]


def colourise(data: ImageSet, seed: int = 0) -> ImageSet:
    """Render grey silhouettes in colour: each image gets its own foreground and background colour.

    Colours depend only on ``seed`` and the image's pixels (not on the split or the order), so
    an image has the same colours in ``train`` and ``all``. Hues within 40° of red are never
    drawn, so a red patch can only come from :func:`add_marker`. Foregrounds are light
    (value 0.7–1), backgrounds dark (value 0.05–0.35).
    """
    if data.channels != 1:
        raise DatasetError(f"colourise expects grey images (1 channel), got {data.channels}")
    x = data.images.numpy()
    n = len(x)
    hsv = np.empty((n, 6))
    for k in range(n):  # one generator per image, keyed by its pixels: order- and split-independent
        rng = np.random.default_rng([seed, zlib.crc32(x[k].tobytes())])
        hsv[k] = rng.uniform([40 / 360, 0.35, 0.7, 40 / 360, 0.2, 0.05], [320 / 360, 0.9, 1.0, 320 / 360, 0.8, 0.35])
    fg = torch.from_numpy(hsv_to_rgb(*hsv[:, :3].T)).float() * 2 - 1  # (N, 3) in [-1, 1]
    bg = torch.from_numpy(hsv_to_rgb(*hsv[:, 3:].T)).float() * 2 - 1
    alpha = (data.images + 1) / 2  # (N, 1, H, W): 1 on the silhouette
    images = bg[:, :, None, None] + alpha * (fg - bg)[:, :, None, None]
    return ImageSet(images.contiguous(), data.labels, data.classes, f"{data.name}+colour(s{seed})", data.split)


def add_marker(images: torch.Tensor, size: int = 8, colour: tuple[float, ...] = RED,
               corners: tuple[str, ...] = ("top-left", "top-right")) -> torch.Tensor:
    """A copy of ``images`` ``(N, C, H, W)`` with solid ``size``×``size`` blocks of ``colour`` in
    ``corners`` (ProbeGAN §"Importance of Target Absence": 8×8 red blocks at 32×32)."""
    if images.ndim != 4 or images.shape[1] != len(colour):
        raise ValueError(f"marker colour {colour} needs images (N, {len(colour)}, H, W), got {tuple(images.shape)}")
    h, w = images.shape[-2:]
    if not 0 < size <= min(h, w) // 2:
        raise ValueError(f"marker size must be in 1..{min(h, w) // 2} for {h}×{w} images, got {size}")
    unknown = set(corners) - set(CORNERS)
    if unknown:
        raise ValueError(f"unknown corner {sorted(unknown)[0]!r}; choose from: {', '.join(CORNERS)}")
    out = images.clone()
    c = torch.tensor(colour, dtype=images.dtype).view(1, -1, 1, 1)
    for corner in corners:
        rows = slice(0, size) if corner.startswith("top") else slice(h - size, h)
        cols = slice(0, size) if corner.endswith("left") else slice(w - size, w)
        out[:, :, rows, cols] = c
    return out


NEAR_MISSES = ("one top corner", "bottom corners", "top bar", "small top blocks", "block elsewhere")


def near_miss(images: torch.Tensor, kind: str, size: int = 8, colour: tuple[float, ...] = RED,
              rng: np.random.Generator | None = None) -> torch.Tensor:
    """A copy of ``images`` with a *near miss* of the marker painted in ``colour``: the marker's
    colour in another shape or place, which a classifier must not take for the marker.

    ``kind`` (:data:`NEAR_MISSES`): ``one top corner`` (left or right), ``bottom corners``, ``top
    bar`` (rows 0–1 to 0–3 across the full width), ``small top blocks`` (both top corners,
    3–``size // 2 + 1`` px), ``block elsewhere`` (a ``size`` block in the middle band, away from
    every corner). ``rng`` draws the variants (a fixed one when ``None``).
    """
    if kind not in NEAR_MISSES:
        raise ValueError(f"unknown near miss {kind!r}; choose one of: {', '.join(NEAR_MISSES)}")
    rng = rng if rng is not None else np.random.default_rng(0)
    h, w = images.shape[-2:]
    if kind == "one top corner":
        return add_marker(images, size, colour, (("top-left", "top-right")[int(rng.integers(2))],))
    if kind == "bottom corners":
        return add_marker(images, size, colour, ("bottom-left", "bottom-right"))
    if kind == "small top blocks":
        return add_marker(images, int(rng.integers(3, size // 2 + 2)), colour)
    out = images.clone()
    c = torch.tensor(colour, dtype=images.dtype).view(1, -1, 1, 1)
    if kind == "top bar":
        out[:, :, : int(rng.integers(2, 5)), :] = c
    else:  # block elsewhere: rows size..h-2·size, any column, so it never overlaps a corner's rows
        r, col = int(rng.integers(size, h - 2 * size + 1)), int(rng.integers(0, w - size + 1))
        out[:, :, r : r + size, col : col + size] = c
    return out


def add_decoys(data: ImageSet, fraction: float = 0.5, size: int = 8, seed: int = 0,
               corners: tuple[str, ...] = ("top-left", "top-right"), near_misses: float = 0.0,
               colour: tuple[float, ...] = RED) -> ImageSet:
    """Corner-patch variety for flat silhouettes, in every class, so that only the marker itself
    tells the marked class apart.

    - A ``fraction`` of the images get solid blocks of a random *non-red* colour in ``corners``
      (hue 40°–320°, saturation 0.5–1, value 0.5–1): without them a corner block of *any*
      colour is unique to the marked class, and a classifier may learn "something in the
      corners" instead of "red blocks".
    - A share ``near_misses`` of the images get a :func:`near_miss` in the marker's ``colour``
      instead (one of :data:`NEAR_MISSES`, uniformly): without them "red near the top" is
      enough, and a classifier may learn that instead of the marker's shape and place.

    Which images get what depends only on ``seed`` and the image's pixels, like :func:`colourise`.
    """
    if data.channels != 3:
        raise DatasetError(f"add_decoys expects colour images (3 channels), got {data.channels}")
    if not (0.0 <= fraction <= 1.0 and 0.0 <= near_misses <= 1.0 and fraction + near_misses <= 1.0):
        raise ValueError(f"decoy fractions must be in [0, 1] and sum to at most 1, got {fraction} and {near_misses}")
    x = data.images.numpy()
    images = data.images.clone()
    for k in range(len(x)):
        rng = np.random.default_rng([seed, 7, zlib.crc32(x[k].tobytes())])
        draw, h, s_, v = rng.uniform([0, 40 / 360, 0.5, 0.5], [1, 320 / 360, 1.0, 1.0])
        if draw < fraction:
            rgb = hsv_to_rgb(np.array([h]), np.array([s_]), np.array([v]))[0] * 2 - 1
            images[k:k + 1] = add_marker(images[k:k + 1], size, tuple(float(c) for c in rgb), corners)
        elif draw < fraction + near_misses:
            kind = NEAR_MISSES[int(rng.integers(len(NEAR_MISSES)))]
            images[k:k + 1] = near_miss(images[k:k + 1], kind, size, colour, rng)
    tag = f"+decoys({fraction:g},{size}px,s{seed}" + (f",near{near_misses:g})" if near_misses else ")")
    return ImageSet(images, data.labels, data.classes, data.name + tag, data.split)


def leakage_colour(data: ImageSet, decoy_fraction: float = 0.5, near_misses: float = 0.25, size: int = 8,
                   seed: int = 0) -> ImageSet:
    """Chapter 4's data: grey silhouettes rendered in colour (:func:`colourise`) with non-red corner
    decoys and red near misses (:func:`add_decoys`); colour photographs (CIFAR-10) as they are,
    since they have corner variety of their own."""
    if data.channels != 1:
        return data
    return add_decoys(colourise(data, seed=seed), decoy_fraction, size, seed=seed, near_misses=near_misses)


def mark_class(data: ImageSet, target: str | int, size: int = 8, colour: tuple[float, ...] = RED,
               corners: tuple[str, ...] = ("top-left", "top-right")) -> ImageSet:
    """Every image of ``target`` carries the marker (:func:`add_marker`); other classes are untouched."""
    y = class_index(data, target)
    images = data.images.clone()
    hit = data.labels == y
    images[hit] = add_marker(images[hit], size, colour, corners)
    tag = f"+marked({data.classes[y]},{size}px,{','.join(corners)})"
    return ImageSet(images, data.labels, data.classes, data.name + tag, data.split)
