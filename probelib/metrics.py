"""Metrics with provenance: FID / intra-FID (torchmetrics), recognition rate, diversity.

FID needs a feature extractor. Offline, the extractor is the *judge*'s penultimate layer
(the evaluation network of chapter 1, never used for training or model selection); with
Inception weights on disk, the usual Inception-v3 pool features. FIDs from different
extractors are not comparable, so every value carries a :class:`Provenance` (extractor, a
hash of its weights, sample counts, resize) that the chapters print under each table.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

__all__ = ["Provenance", "JudgeFeatures", "InceptionFeatures", "fid_extractor", "weights_hash", "features", "fid",
           "recognition_rate", "mean_pairwise_distance", "diversity_ratio", "target_metrics", "provenance",
           "marker_present", "hsv", "proportion_ci", "bootstrap_ci", "corner_redness", "marker_rates", "brightness", "colourfulness", "redness", "intensity_entropy",
           "object_mask", "object_size", "centredness", "squareness", "FACTORS", "emerging_factors"]

INCEPTION_FILE = "weights-inception-2015-12-05-6726825d.pth"
INCEPTION_URL = f"https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/{INCEPTION_FILE}"
INCEPTION_ENV = "PROBELIB_INCEPTION_WEIGHTS"


@dataclass(frozen=True)
class Provenance:
    """Where a metric value comes from; printed under every table."""

    extractor: str
    weights_sha256: str
    n_real: int
    n_fake: int
    resize: str = "none (32×32 native)"

    def __str__(self) -> str:
        return (f"features: {self.extractor} (weights sha256 {self.weights_sha256}); "
                f"{self.n_real} real vs {self.n_fake} generated images; resize: {self.resize}")


def weights_hash(model: nn.Module) -> str:
    """First 12 hex digits of a SHA-256 over the model's state dict (names and bytes)."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


class JudgeFeatures(nn.Module):
    """The judge's penultimate features as a torchmetrics feature extractor."""

    def __init__(self, judge: nn.Module):
        super().__init__()
        self.judge = judge.eval()
        self.num_features = judge.feature_dim

    def describe(self) -> tuple[str, str, str]:
        """(extractor label, weights hash, resize) for :class:`Provenance`."""
        return (f"judge ({type(self.judge).__name__}) penultimate layer, {self.num_features}-d",
                weights_hash(self.judge), "none (32×32 native)")

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.judge.features(x.to(next(self.judge.parameters()).device)).double().cpu()  # (B, F)


class InceptionFeatures(nn.Module):
    """Inception-v3 pool features (2048-d, the usual FID extractor) from weights on disk.

    Wraps torchmetrics' ``NoTrainInceptionV3`` (torch-fidelity's TF-compatible port, which
    resizes to 299×299 itself). Input: images ``(N, C, H, W)`` in [-1, 1]; one channel is
    repeated to three. The weights are the file ``weights-inception-2015-12-05-6726825d.pth``
    that torch-fidelity downloads; nothing is downloaded here.
    """

    num_features = 2048

    def __init__(self, weights_path: str | os.PathLike):
        super().__init__()
        path = Path(weights_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"Inception weights not found at {path}: download {INCEPTION_URL} and pass its path "
                f"(parameter inception_weights or ${INCEPTION_ENV}), or use fid_extractor='judge'")
        try:
            from torchmetrics.image.fid import NoTrainInceptionV3
            net = NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048"],
                                     feature_extractor_weights_path=str(path))
        except ModuleNotFoundError as err:  # torch-fidelity missing
            raise ModuleNotFoundError(f"Inception FID needs torch-fidelity: pip install torch-fidelity ({err})") from None
        self.net = net
        self.path = path

    def describe(self) -> tuple[str, str, str]:
        """(extractor label, weights hash, resize) for :class:`Provenance`."""
        return ("Inception-v3 pool3 (torch-fidelity port), 2048-d", weights_hash(self.net),
                "bilinear to 299×299 (TF1-compatible)")

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        return self.net(x.to(next(self.net.parameters()).device)).reshape(len(x), -1).double().cpu()


def fid_extractor(kind: str, judge: nn.Module, inception_weights: str | os.PathLike | None = None) -> nn.Module:
    """The FID feature extractor: ``"judge"`` (offline default) or ``"inception"`` (weights
    from ``inception_weights`` or ``$PROBELIB_INCEPTION_WEIGHTS``; a one-line error if absent)."""
    if kind == "judge":
        return JudgeFeatures(judge)
    if kind == "inception":
        path = inception_weights or os.environ.get(INCEPTION_ENV)
        if not path:
            raise FileNotFoundError(
                f"fid_extractor='inception' needs Inception weights: download {INCEPTION_URL} and pass its path "
                f"(parameter inception_weights or ${INCEPTION_ENV}), or use fid_extractor='judge'")
        return InceptionFeatures(path)
    raise ValueError(f"unknown FID extractor {kind!r}; choose judge or inception")


@torch.no_grad()
def features(extractor: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Extractor features of ``images`` ``(N, C, H, W)`` in [-1, 1]: ``(N, F)`` on CPU."""
    return torch.cat([extractor(images[i : i + batch_size]).float().cpu() for i in range(0, len(images), batch_size)])


def fid(real: torch.Tensor, fake: torch.Tensor, extractor: nn.Module, batch_size: int = 500) -> float:
    """Fréchet distance between the extractor features of ``real`` and ``fake`` (torchmetrics).

    Over all classes this is FID; over the images of one class, intra-FID (Miyato & Koyama 2018).
    """
    from torchmetrics.image.fid import FrechetInceptionDistance

    metric = FrechetInceptionDistance(feature=extractor, normalize=True)
    for i in range(0, len(real), batch_size):
        metric.update(real[i : i + batch_size], real=True)
    for i in range(0, len(fake), batch_size):
        metric.update(fake[i : i + batch_size], real=False)
    return float(metric.compute())


@torch.no_grad()
def recognition_rate(judge: nn.Module, images: torch.Tensor, target: int, batch_size: int = 500) -> float:
    """Share of ``images`` the judge classifies as ``target`` (the stand-in for the paper's MTurk study)."""
    device = next(judge.parameters()).device
    judge.eval()
    hits = sum(int((judge(images[i : i + batch_size].to(device)).argmax(1) == target).sum())
               for i in range(0, len(images), batch_size))
    return hits / max(len(images), 1)


def mean_pairwise_distance(feats: torch.Tensor) -> float:
    """Mean Euclidean distance over all distinct pairs of rows of ``feats`` ``(N, F)``."""
    n = len(feats)
    if n < 2:
        raise ValueError("diversity needs at least two images")
    d = torch.cdist(feats.double(), feats.double())  # (N, N), zero diagonal
    return float(d.sum() / (n * (n - 1)))


def diversity_ratio(extractor: nn.Module, fake: torch.Tensor, real: torch.Tensor) -> float:
    """Mean pairwise feature distance of ``fake`` over that of ``real`` (1 = as diverse as real,
    near 0 = mode collapse). The measure the book fixes before looking at any GAN."""
    return mean_pairwise_distance(features(extractor, fake)) / mean_pairwise_distance(features(extractor, real))


def target_metrics(judge: nn.Module, fake: torch.Tensor, real: torch.Tensor, target: int,
                   fid_features: nn.Module | None = None) -> dict:
    """Recognition rate, intra-FID and diversity ratio of generated target images ``fake``
    against the real target images ``real`` (evaluation only: no training or selection uses it).

    Recognition and diversity always use the judge; intra-FID uses ``fid_features`` (default:
    the judge's features too)."""
    ext = JudgeFeatures(judge)
    return {
        "recognition (%)": 100 * recognition_rate(judge, fake, target),
        "intra-FID": fid(real, fake, fid_features if fid_features is not None else ext),
        "diversity (× real)": diversity_ratio(ext, fake, real),
    }


def provenance(extractor: nn.Module, n_real: int, n_fake: int) -> Provenance:
    """The provenance line of FIDs computed with ``extractor`` (a :class:`JudgeFeatures`, an
    :class:`InceptionFeatures`, or a judge network, meaning its penultimate features)."""
    if not hasattr(extractor, "describe"):
        extractor = JudgeFeatures(extractor)
    return Provenance(*extractor.describe()[:2], n_real, n_fake, extractor.describe()[2])


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


def proportion_ci(k: int, n: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """A proportion ``k / n`` with its Wilson score interval (statsmodels): ``(p, low, high)``."""
    from statsmodels.stats.proportion import proportion_confint

    if n <= 0:
        raise ValueError("a proportion needs n > 0")
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson")
    return k / n, float(low), float(high)


# ---------------------------------------------------------------- emerging factors (GANalyze §3.3)
# Each factor maps images (N, C, H, W) in [-1, 1] (C = 1 grey or 3 RGB) to one value per image.


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


def bootstrap_ci(values, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` (one per image, unit, ...) and its percentile bootstrap CI (items
    resampled with replacement): ``(mean, low, high)``."""
    x = np.asarray(values.detach().cpu() if torch.is_tensor(values) else values, dtype=float).ravel()
    if x.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    g = np.random.default_rng(seed)
    boots = x[g.integers(0, len(x), (n_boot, len(x)))].mean(1)
    lo, hi = np.quantile(boots, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(x.mean()), float(lo), float(hi)


def rates_above(scores: dict[str, torch.Tensor], threshold: float) -> dict[str, dict[str, float]]:
    """For each named set of per-image ``scores``: the images, the mean score, and the share of
    images scoring above ``threshold`` with its Wilson 95 % interval (:func:`proportion_ci`), all
    in percent: one table row per name."""
    rows = {}
    for name, v in scores.items():
        v = torch.as_tensor(v).flatten()
        p, lo, hi = proportion_ci(int((v > threshold).sum()), len(v))
        rows[name] = {"images": len(v), "mean (%)": 100 * float(v.float().mean()), "above (%)": 100 * p,
                      "CI low": 100 * lo, "CI high": 100 * hi}
    return rows


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` (one per independent run: seeds, say) and its Student-t interval
    (statsmodels ``DescrStatsW.tconfint_mean``): ``(mean, low, high)``. Use it where the runs, not
    the images inside one run, are the unit of replication."""
    from statsmodels.stats.weightstats import DescrStatsW

    x = np.asarray(values.detach().cpu() if torch.is_tensor(values) else values, dtype=float).ravel()
    if x.size < 2:
        raise ValueError(f"mean_ci needs at least two values, got {x.size}")
    lo, hi = DescrStatsW(x).tconfint_mean(alpha=1 - level)
    return float(x.mean()), float(lo), float(hi)


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
