"""The Waterbirds setting (Sagawa et al. 2019) offline, and the real Waterbirds loader.

A class label ``y`` is correlated with the image's background ``b``: in training 95 % of
each class sit on "its" background, in the test set 50 %. Groups are ``(y, b)`` pairs,
``group = 2·y + b``, and the worst group is a minority combination.

Offline default: two Animal-MNIST silhouette classes (``dog`` plays the landbird, ``bird``
the waterbird) composited onto random crops of two families of background photos that ship
with scikit-image: *land* (grass, gravel, brick; earthy tints) and *water* (moon, Hubble deep
field, coffee; blue tints). The group sizes follow the released Waterbirds splits (train
3,498 / 184 / 56 / 1,057; test 2,255 / 2,255 / 642 / 642), scaled by ``scale``.

With the real data set: ``load_waterbirds(data_dir)`` reads the released folder
(``metadata.csv`` with ``img_filename, y, split, place``) and resizes to 32×32. Registered as
the data set ``waterbirds`` (the real folder when ``data_dir`` is given, else the analogue).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .builtin import animal_mnist
from .derived import hsv_to_rgb
from .imageset import SIZE, DatasetError, ImageSet, concat, only_class
from .registry import register

__all__ = ["CLASSES", "PLACES", "BACKGROUNDS", "GROUP_COUNTS", "LIGHT_BIRDS", "SpuriousSet", "group_names",
           "backgrounds", "make_spurious", "load_waterbirds", "load_spurious", "by_background"]

CLASSES = ("landbird", "waterbird")
PLACES = ("land", "water")
#: silhouettes standing in for the two bird classes (Animal-MNIST class names)
SILHOUETTES = {"landbird": "dog", "waterbird": "bird"}
#: scikit-image photos of each background family, and the hue range (degrees) of its tint
BACKGROUNDS = {
    "land": (("grass", "gravel", "brick"), (25.0, 110.0)),
    "water": (("moon", "hubble_deep_field", "coffee"), (185.0, 235.0)),
}
#: range of each RGB channel (in [0, 1]) of a bird's colour by default: light birds of any hue
LIGHT_BIRDS = (0.55, 1.0)
#: images per group (y, place) in the released Waterbirds splits: (landbird, land), (landbird, water),
#: (waterbird, land), (waterbird, water)
GROUP_COUNTS = {"train": (3498, 184, 56, 1057), "test": (2255, 2255, 642, 642)}
SPLIT_CODES = {"train": 0, "val": 1, "test": 2}


def group_names(classes: tuple[str, ...] = CLASSES) -> list[str]:
    """Readable group names in group-id order: ``landbird on land``, ..."""
    return [f"{c} on {p}" for c in classes for p in PLACES]


@dataclass(frozen=True, eq=False)
class SpuriousSet:
    """An :class:`ImageSet` with each image's background (0 land, 1 water) and group ``2·y + b``."""

    data: ImageSet
    place: torch.Tensor  # (N,) int64

    @property
    def groups(self) -> torch.Tensor:
        return 2 * self.data.labels + self.place

    def group_counts(self) -> dict[str, int]:
        n = torch.bincount(self.groups, minlength=4)
        return dict(zip(group_names(self.data.classes), (int(k) for k in n)))

    def subset(self, keep: torch.Tensor) -> "SpuriousSet":
        return SpuriousSet(self.data.subset(keep), self.place[keep])


def _photo(name: str) -> np.ndarray:
    """A scikit-image photo as float grey ``(H, W)`` in [0, 1] (bundled; never downloaded)."""
    import skimage.data
    from skimage.color import rgb2gray

    img = getattr(skimage.data, name)()
    if img.ndim == 3:
        img = rgb2gray(img[..., :3])
    img = img.astype(np.float64)
    return img / 255.0 if img.max() > 1.0 else img


def backgrounds(place: str, n: int, seed: int, size: int = 32) -> torch.Tensor:
    """``n`` background crops of family ``place``: ``(n, 3, size, size)`` in [-1, 1].

    Each crop: a random photo of the family, a random square window (64–160 px) resized to
    ``size``, a random flip, tinted with a random hue of the family's range.
    """
    if place not in BACKGROUNDS:
        raise ValueError(f"unknown background family {place!r}; choose one of: {', '.join(BACKGROUNDS)}")
    names, (h0, h1) = BACKGROUNDS[place]
    photos = [torch.from_numpy(_photo(p)).float() for p in names]
    rng = np.random.default_rng([seed, PLACES.index(place)])
    out = torch.empty(n, 3, size, size)
    for k in range(n):
        img = photos[rng.integers(len(photos))]
        side = int(rng.integers(64, min(160, *img.shape) + 1))
        r, c = rng.integers(0, img.shape[0] - side + 1), rng.integers(0, img.shape[1] - side + 1)
        crop = img[r : r + side, c : c + side][None, None]
        crop = F.interpolate(crop, size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0, 0]
        if rng.random() < 0.5:
            crop = crop.flip(-1)
        crop = (crop - crop.min()) / (crop.max() - crop.min() + 1e-6)  # contrast-stretch each crop
        hue, sat = rng.uniform(h0, h1) / 360.0, rng.uniform(0.45, 0.85)
        value = 0.25 + 0.6 * crop.numpy().ravel()  # texture in the value channel
        rgb = hsv_to_rgb(np.full(value.shape, hue), np.full(value.shape, sat), value)
        out[k] = torch.from_numpy(rgb.T.reshape(3, size, size)).float() * 2 - 1
    return out


def _composite(fg: torch.Tensor, bg: torch.Tensor, rng: np.random.Generator, fg_size: int, opacity: float,
               colours: tuple[float, float] = LIGHT_BIRDS) -> torch.Tensor:
    """Paste grey silhouettes ``fg`` ``(n, 1, H, W)`` (scaled to ``fg_size``, random position, a
    random colour whose RGB channels are drawn from ``colours`` in [0, 1], ``opacity``) onto
    backgrounds ``bg`` ``(n, 3, H, W)``."""
    n, _, h, w = bg.shape
    alpha = F.interpolate((fg + 1) / 2, size=(fg_size, fg_size), mode="bilinear", antialias=True,
                          align_corners=False).clamp(0, 1) * opacity
    out = bg.clone()
    for k in range(n):
        r, c = rng.integers(0, h - fg_size + 1), rng.integers(0, w - fg_size + 1)
        colour = torch.from_numpy(rng.uniform(*colours, 3)).float().view(3, 1, 1) * 2 - 1  # any hue
        patch = out[k, :, r : r + fg_size, c : c + fg_size]
        out[k, :, r : r + fg_size, c : c + fg_size] = patch + alpha[k] * (colour - patch)
    return out


def make_spurious(split: str = "train", seed: int = 0, scale: float = 1.0, fg_size: int = 22,
                  opacity: float = 0.85, counts: tuple[int, int, int, int] | None = None,
                  colours: tuple[float, float] = LIGHT_BIRDS) -> SpuriousSet:
    """The offline Waterbirds analogue for ``split`` (``train`` or ``test``).

    Silhouettes come from the matching Animal-MNIST split (so no test silhouette is a training
    one); backgrounds and positions are drawn from ``seed`` (test uses another stream).
    ``scale`` multiplies every group size (at least 2 images per group); ``counts`` replaces
    the Waterbirds group sizes (e.g. equal counts for a background classifier's data);
    ``colours`` is the range of each RGB channel of a bird's colour (default: light birds).
    """
    if not 0.0 <= colours[0] <= colours[1] <= 1.0:
        raise ValueError(f"colours must be a range within [0, 1], got {colours}")
    if split not in GROUP_COUNTS:
        raise DatasetError(f"unknown split {split!r}; choose one of: {', '.join(GROUP_COUNTS)}")
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    animals = animal_mnist(split)
    rng = np.random.default_rng([seed, SPLIT_CODES[split], 7])
    images, labels, places = [], [], []
    for g, count in enumerate(counts or GROUP_COUNTS[split]):
        y, b = divmod(g, 2)
        n = max(2, round(count * scale))
        pool = only_class(animals, SILHOUETTES[CLASSES[y]]).images
        fg = pool[torch.from_numpy(rng.integers(0, len(pool), n))]
        bg = backgrounds(PLACES[b], n, seed=int(rng.integers(2**31)))
        images.append(_composite(fg, bg, rng, fg_size, opacity, colours))
        labels.append(torch.full((n,), y, dtype=torch.int64))
        places.append(torch.full((n,), b, dtype=torch.int64))
    order = torch.from_numpy(rng.permutation(sum(len(l) for l in labels)))
    x, y, p = torch.cat(images)[order], torch.cat(labels)[order], torch.cat(places)[order]
    name = (f"spurious(dog/bird on land/water, s{seed}, ×{scale:g}, fg{fg_size}, op{opacity:g}"
            + (f", colours{colours[0]:g}-{colours[1]:g}" if tuple(colours) != LIGHT_BIRDS else "")
            + (f", counts{tuple(counts)})" if counts else ")"))
    return SpuriousSet(ImageSet(x.contiguous(), y, CLASSES, name, split), p)


def load_waterbirds(data_dir: str | Path, split: str = "train", size: int = SIZE) -> SpuriousSet:
    """The released Waterbirds folder (``waterbird_complete95_forest2water2``): ``metadata.csv``
    with ``img_filename, y, split, place``; images center-cropped and resized to ``size``."""
    from PIL import Image

    root = Path(data_dir) if data_dir else None
    if root is None or not (root / "metadata.csv").is_file():
        raise DatasetError(
            f"no Waterbirds metadata.csv in {data_dir}: download and unpack "
            "https://nlp.stanford.edu/data/dro/waterbird_complete95_forest2water2.tar.gz and pass its folder as data_dir")
    if split not in SPLIT_CODES:
        raise DatasetError(f"unknown split {split!r}; choose one of: {', '.join(SPLIT_CODES)}")
    with open(root / "metadata.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if int(r["split"]) == SPLIT_CODES[split]]
    if not rows:
        raise DatasetError(f"{root / 'metadata.csv'} lists no {split} images")
    images = []
    for r in rows:
        path = root / r["img_filename"]
        try:
            img = Image.open(path).convert("RGB")
        except OSError as err:
            raise DatasetError(f"cannot read Waterbirds image {path}: {err}") from None
        side = min(img.size)
        left, top = (img.size[0] - side) // 2, (img.size[1] - side) // 2
        img = img.crop((left, top, left + side, top + side)).resize((size, size), Image.BILINEAR)
        images.append(torch.from_numpy(np.asarray(img, dtype=np.float32) / 127.5 - 1).permute(2, 0, 1))
    y = torch.tensor([int(r["y"]) for r in rows])
    place = torch.tensor([int(r["place"]) for r in rows])
    return SpuriousSet(ImageSet(torch.stack(images), y, CLASSES, f"waterbirds({root.name})", split), place)


def load_spurious(split: str, data_dir: str | Path | None = None, **offline) -> SpuriousSet:
    """Real Waterbirds when ``data_dir`` is given, else the offline analogue (``offline`` kwargs)."""
    if data_dir is not None:
        return load_waterbirds(data_dir, split)
    return make_spurious(split, **offline)


def by_background(s: SpuriousSet) -> ImageSet:
    """The same images labelled by their background (``land`` / ``water``): data for a
    background classifier (balance the groups first, or it learns the bird instead)."""
    return ImageSet(s.data.images, s.place, PLACES, s.data.name + "+by-background", s.data.split)


@register("waterbirds", CLASSES, "the Waterbirds setting: the released folder in data_dir, else an offline analogue")
def waterbirds(split: str, data_dir=None) -> ImageSet:
    """Waterbirds as an :class:`ImageSet` (the groups dropped; :func:`load_spurious` keeps them)."""
    if split == "all":
        return concat(load_spurious("train", data_dir).data, load_spurious("test", data_dir).data)
    return load_spurious(split, data_dir).data
