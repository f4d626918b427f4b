"""The seven emerging factors of GANalyze (§3.3): what changes along a direction, measured on
the images themselves. Each factor maps images ``(N, C, H, W)`` in [-1, 1] (C = 1 grey or 3
RGB) to one value per image."""
from __future__ import annotations

import torch

__all__ = ["brightness", "colourfulness", "redness", "intensity_entropy", "object_mask", "object_size",
           "centredness", "squareness", "FACTORS", "emerging_factors"]


def _rgb01(images: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] with three channels (grey is repeated)."""
    x = (images.float().clamp(-1, 1) + 1) / 2
    return x.repeat(1, 3, 1, 1) if x.shape[1] == 1 else x[:, :3]


def _grey01(images: torch.Tensor) -> torch.Tensor:
    """Luma (ITU-R BT.601) in [0, 1]: ``(N, H, W)``."""
    r, g, b = _rgb01(images).unbind(1)
    return 0.299 * r + 0.587 * g + 0.114 * b


def brightness(images: torch.Tensor) -> torch.Tensor:
    """Mean grey level in [0, 1] (GANalyze: "average pixel value after transforming to grayscale")."""
    return _grey01(images).flatten(1).mean(1)


def colourfulness(images: torch.Tensor) -> torch.Tensor:
    """Hasler & Süsstrunk (2003): ``σ_rgyb + 0.3·μ_rgyb`` with ``rg = R − G``, ``yb = (R + G)/2 − B``,
    on [0, 1] channels (their paper uses 0–255: multiply by 255 to compare). 0 for grey images."""
    r, g, b = _rgb01(images).flatten(2).unbind(1)
    rg, yb = r - g, 0.5 * (r + g) - b
    sigma = (rg.var(1, unbiased=False) + yb.var(1, unbiased=False)).sqrt()
    mu = (rg.mean(1) ** 2 + yb.mean(1) ** 2).sqrt()
    return sigma + 0.3 * mu


def redness(images: torch.Tensor, hue_width: float = 20.0, min_saturation: float = 0.4,
            min_value: float = 0.3) -> torch.Tensor:
    """Share of red pixels: hue within ``hue_width`` degrees of red, saturation ≥ ``min_saturation``
    and value ≥ ``min_value`` (GANalyze: "the normalized number of red pixels")."""
    x = _rgb01(images)
    mx, mn = x.max(1).values, x.min(1).values
    r, g, b = x.unbind(1)
    chroma = mx - mn
    sat = torch.where(mx > 0, chroma / mx.clamp(min=1e-8), torch.zeros_like(mx))
    # hue of pixels whose maximum is red: 60°·(G − B)/chroma, in (−60°, 60°)
    hue = 60.0 * (g - b) / chroma.clamp(min=1e-8)
    red = (r >= mx) & (hue.abs() <= hue_width) & (sat >= min_saturation) & (mx >= min_value) & (chroma > 0)
    return red.flatten(1).float().mean(1)


def intensity_entropy(images: torch.Tensor, bins: int = 64) -> torch.Tensor:
    """Entropy (bits) of the grey-level histogram with ``bins`` bins: low = simple
    (GANalyze's proxy for simplicity). 0 for a flat image; 1 for half black, half white."""
    grey = _grey01(images).flatten(1)
    idx = (grey * bins).long().clamp(0, bins - 1)
    counts = torch.zeros(len(grey), bins).scatter_add_(1, idx, torch.ones_like(grey))
    p = counts / counts.sum(1, keepdim=True)
    return -(p * torch.log2(p.clamp(min=1e-12))).sum(1)


def object_mask(images: torch.Tensor) -> torch.Tensor:
    """The object's mask ``(N, H, W)`` bool: grey level above the image's Otsu threshold, flipped
    when that side covers most of the border (so a dark object on a light ground works too).

    For the book's silhouettes (light animal, dark ground) this is the silhouette. For photos it
    is a crude figure/ground split, where the paper used Mask R-CNN; the book says so.
    """
    grey = _grey01(images)
    n, h, w = grey.shape
    flat = grey.flatten(1)
    levels = torch.linspace(0, 1, 65)[1:-1]  # candidate thresholds
    above = flat[:, None, :] > levels[None, :, None]  # (N, T, HW)
    w1 = above.float().mean(2)
    m1 = (flat[:, None, :] * above).sum(2) / above.sum(2).clamp(min=1)
    m0 = (flat[:, None, :] * ~above).sum(2) / (~above).sum(2).clamp(min=1)
    between = w1 * (1 - w1) * (m1 - m0) ** 2  # Otsu's between-class variance
    t = levels[between.argmax(1)]
    mask = grey > t.view(n, 1, 1)
    border = torch.cat([mask[:, 0], mask[:, -1], mask[:, :, 0], mask[:, :, -1]], 1).float().mean(1)
    return torch.where((border > 0.5).view(n, 1, 1), ~mask, mask)


def object_size(images: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Share of the frame covered by the object's mask (GANalyze's object size)."""
    mask = object_mask(images) if mask is None else mask
    return mask.flatten(1).float().mean(1)


def _moments(mask: torch.Tensor):
    n, h, w = mask.shape
    m = mask.float()
    area = m.flatten(1).sum(1).clamp(min=1)
    ys = torch.arange(h, dtype=torch.float32).view(1, h, 1) + 0.5
    xs = torch.arange(w, dtype=torch.float32).view(1, 1, w) + 0.5
    cy, cx = (m * ys).flatten(1).sum(1) / area, (m * xs).flatten(1).sum(1) / area
    dy, dx = ys - cy.view(n, 1, 1), xs - cx.view(n, 1, 1)
    myy = (m * dy**2).flatten(1).sum(1) / area
    mxx = (m * dx**2).flatten(1).sum(1) / area
    mxy = (m * dx * dy).flatten(1).sum(1) / area
    return cy, cx, myy, mxx, mxy


def centredness(images: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """``1 − d / d_max``: ``d`` the distance of the mask's centroid from the frame centre,
    ``d_max`` the half-diagonal (1 = centred; GANalyze measures the deviation ``d``). An empty
    mask counts as centred 0."""
    mask = object_mask(images) if mask is None else mask
    h, w = mask.shape[-2:]
    cy, cx, *_ = _moments(mask)
    d = ((cy - h / 2) ** 2 + (cx - w / 2) ** 2).sqrt()
    out = 1 - d / (0.5 * (h**2 + w**2) ** 0.5)
    return torch.where(mask.flatten(1).any(1), out, torch.zeros_like(out))


def squareness(images: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Minor over major axis of the ellipse with the mask's normalised second central moments
    (GANalyze's squareness; skimage's ``minor_axis_length / major_axis_length``): 1 for a square
    or a disc, → 0 for a thin bar."""
    mask = object_mask(images) if mask is None else mask
    _, _, myy, mxx, mxy = _moments(mask)
    common = ((mxx - myy) ** 2 + 4 * mxy**2).sqrt()
    major, minor = (mxx + myy + common) / 2, (mxx + myy - common) / 2
    return (minor.clamp(min=0) / major.clamp(min=1e-12)).sqrt()


#: the seven emerging factors of GANalyze, each ``images -> (N,)``
FACTORS = {
    "brightness": brightness,
    "colourfulness": colourfulness,
    "redness": redness,
    "entropy": intensity_entropy,
    "object size": object_size,
    "centredness": centredness,
    "squareness": squareness,
}


def emerging_factors(images: torch.Tensor) -> dict[str, torch.Tensor]:
    """All seven factors of ``images`` (one mask shared by the three mask-based ones)."""
    mask = object_mask(images)
    out = {}
    for name, fn in FACTORS.items():
        out[name] = fn(images, mask) if name in ("object size", "centredness", "squareness") else fn(images)
    return out
