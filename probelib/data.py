"""Data sets as tensors, the target-absence split, and their one-line errors.

Every loader returns an :class:`ImageSet`: images ``(N, C, 32, 32)`` float32 in [-1, 1]
(C = 1 for grey data, 3 for colour), integer labels and the full tuple of class names.
Splits are fixed and seeded (``SPLIT_SEED``), independent of the experiment seed, so every
chapter and every profile sees the same test images.
"""
from __future__ import annotations

import gzip
import io
import pickle
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "DatasetError",
    "ImageSet",
    "DATASETS",
    "ANIMAL_CLASSES",
    "load",
    "class_names",
    "class_index",
    "without_class",
    "only_class",
    "restricted_loads",
    "save_samples",
    "RED",
    "NEAR_MISSES",
    "near_miss",
    "colourise",
    "add_marker",
    "mark_class", "add_decoys", "leakage_colour",
]

SPLIT_SEED = 20220228  # fixed: the train/test split never depends on the experiment seed
TEST_FRACTION = 0.2
SIZE = 32
ANIMAL_CLASSES = ("bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DIGIT_CLASSES = tuple(str(d) for d in range(10))
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


class DatasetError(ValueError):
    """Bad data-set input; the message names the problem and the fix in one line."""


@dataclass(frozen=True, eq=False)
class ImageSet:
    """Images ``(N, C, H, W)`` in [-1, 1], labels ``(N,)`` and the *full* label space."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    name: str
    split: str

    def __post_init__(self):
        if self.images.ndim != 4 or self.images.shape[0] != self.labels.shape[0]:
            raise DatasetError(f"images {tuple(self.images.shape)} and labels {tuple(self.labels.shape)} do not match")

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def subset(self, keep: torch.Tensor, split: str | None = None) -> "ImageSet":
        """The images selected by a boolean mask or an index tensor; same label space."""
        return ImageSet(self.images[keep], self.labels[keep], self.classes, self.name, split or self.split)

    def counts(self) -> dict[str, int]:
        """Number of images per class name (classes with no image count 0)."""
        n = torch.bincount(self.labels, minlength=self.num_classes)
        return {c: int(k) for c, k in zip(self.classes, n)}

    def tensors(self, device=None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images.to(device), self.labels.to(device)


# ---------------------------------------------------------------- restricted unpickling
_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"): ("numpy", "ndarray"),
    ("numpy", "dtype"): ("numpy", "dtype"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy arrays and refuses every other global."""

    def find_class(self, module: str, name: str):
        target = _NUMPY_GLOBALS.get((module, name))
        if target is None:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}: only numpy arrays are allowed")
        import importlib

        return getattr(importlib.import_module(target[0]), target[1])


def restricted_loads(data: bytes):
    """``pickle.loads`` that accepts numpy arrays only (anything else raises UnpicklingError)."""
    return _NumpyOnlyUnpickler(io.BytesIO(data)).load()


# ---------------------------------------------------------------- helpers
def _to_unit(x: np.ndarray | torch.Tensor, max_value: float) -> torch.Tensor:
    """uint8-like values in [0, max_value] -> float32 in [-1, 1]."""
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    return x / max_value * 2.0 - 1.0


def _split(labels: np.ndarray, split: str) -> np.ndarray:
    """Indices of a fixed, stratified, seeded train/test split."""
    if split not in ("train", "test", "all"):
        raise DatasetError(f"unknown split {split!r}; choose one of: train, test, all")
    if split == "all":
        return np.arange(len(labels))
    rng = np.random.default_rng(SPLIT_SEED)
    chosen = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        idx = idx[rng.permutation(len(idx))]
        n_test = int(round(len(idx) * TEST_FRACTION))
        chosen.append(idx[:n_test] if split == "test" else idx[n_test:])
    return np.sort(np.concatenate(chosen))


def _resize(images: torch.Tensor) -> torch.Tensor:
    if images.shape[-1] == SIZE and images.shape[-2] == SIZE:
        return images
    return F.interpolate(images, size=(SIZE, SIZE), mode="bilinear", align_corners=False, antialias=True)


# ---------------------------------------------------------------- loaders
def _animal_mnist(split: str, data_dir) -> ImageSet:
    try:
        import animal_mnist
    except ImportError as err:
        raise DatasetError(
            "animal-mnist is not installed; run `pip install --no-deps animal-mnist==0.4` (or `make book`)"
        ) from err
    root = Path(animal_mnist.__file__).parent / "data" / "Animal_MNIST"
    with gzip.open(root / "animal_data_version_3.gz", "rb") as f:
        images = restricted_loads(f.read())  # (10000, 28, 28) uint8, white animal on black
    with gzip.open(root / "animal_label_version_3.gz", "rb") as f:
        labels = restricted_loads(f.read()).astype(np.int64)  # (10000,) in 0..9, alphabetical names
    # the wheel holds 284 exact duplicates (mostly birds); keep the first copy of each so that
    # no test image is also a training image
    _, first = np.unique(images.reshape(len(images), -1), axis=0, return_index=True)
    unique = np.sort(first)
    images, labels = images[unique], labels[unique]
    keep = _split(labels, split)
    x = _to_unit(images[keep], 255.0)[:, None]  # (N, 1, 28, 28)
    x = F.pad(x, (2, 2, 2, 2), value=-1.0)  # zero-pad (black) to 32x32
    return ImageSet(x.contiguous(), torch.from_numpy(labels[keep]), ANIMAL_CLASSES, "animal-mnist", split)


def _digits(split: str, data_dir) -> ImageSet:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    labels = bunch.target.astype(np.int64)
    keep = _split(labels, split)
    x = _to_unit(bunch.images[keep], 16.0)[:, None]  # (N, 1, 8, 8)
    return ImageSet(_resize(x).clamp(-1, 1).contiguous(), torch.from_numpy(labels[keep]), DIGIT_CLASSES, "digits", split)


def _missing(what: str, data_dir) -> DatasetError:
    return DatasetError(
        f"{what} not found in data_dir={data_dir}; download it on a machine with internet and point data_dir at it"
    )


def _cifar10(split: str, data_dir) -> ImageSet:
    if not data_dir:
        raise _missing("CIFAR-10", data_dir)
    from torchvision.datasets import CIFAR10

    parts = []
    for train in ((True, False) if split == "all" else (split == "train",)):
        try:
            parts.append(CIFAR10(root=str(data_dir), train=train, download=False))
        except RuntimeError as err:
            raise _missing("CIFAR-10 (cifar-10-batches-py)", data_dir) from err
    images = np.concatenate([p.data for p in parts])  # (N, 32, 32, 3) uint8
    labels = np.concatenate([np.asarray(p.targets) for p in parts]).astype(np.int64)
    x = _to_unit(images, 255.0).permute(0, 3, 1, 2).contiguous()
    return ImageSet(x, torch.from_numpy(labels), CIFAR10_CLASSES, "cifar10", split)


def _folder_classes(root: Path) -> tuple[str, ...]:
    return tuple(sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")))


def _imagefolder(split: str, data_dir) -> ImageSet:
    from PIL import Image, UnidentifiedImageError

    root = Path(data_dir) if data_dir else None
    if root is None or not root.is_dir():
        raise _missing("image folder", data_dir)
    classes = _folder_classes(root)
    if not classes:
        raise DatasetError(f"no class sub-folders in data_dir={data_dir}; expected data_dir/<class>/<image>.png")
    files, labels = [], []
    for c, name in enumerate(classes):
        found = sorted(p for p in (root / name).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        files += found
        labels += [c] * len(found)
    if not files:
        raise DatasetError(f"no images ({', '.join(IMAGE_SUFFIXES)}) under data_dir={data_dir}/<class>/")
    labels = np.asarray(labels, dtype=np.int64)
    keep = _split(labels, split)
    arrays = []
    for i in keep:
        try:
            with Image.open(files[i]) as im:
                im = im.convert("RGB")
                side = min(im.size)  # centre crop to a square, then resize
                left, top = (im.width - side) // 2, (im.height - side) // 2
                im = im.crop((left, top, left + side, top + side)).resize((SIZE, SIZE), Image.BILINEAR)
                arrays.append(np.asarray(im))
        except (UnidentifiedImageError, OSError) as err:
            raise DatasetError(f"cannot read image {files[i]}: {err}; remove or replace the file") from err
    x = _to_unit(np.stack(arrays), 255.0).permute(0, 3, 1, 2).contiguous()
    return ImageSet(x, torch.from_numpy(labels[keep]), classes, "imagefolder", split)


def _waterbirds(split: str, data_dir) -> ImageSet:
    from . import spurious  # the real Waterbirds folder when data_dir is given, else the offline analogue

    if split == "all":
        a, b = spurious.load("train", data_dir).data, spurious.load("test", data_dir).data
        return ImageSet(torch.cat([a.images, b.images]), torch.cat([a.labels, b.labels]), a.classes, a.name, "all")
    return spurious.load(split, data_dir).data


def _speech(split: str, data_dir) -> ImageSet:
    from . import audio  # mel images of the offline corpus (cached under runs/) or of data_dir/<class>/*.wav
    from .chapter import project_root

    cfg = audio.AudioConfig()
    corpus = audio.load_folder(data_dir, cfg) if data_dir else audio.load_corpus(cfg, project_root() / "runs")
    if split == "all":
        a, b = audio.to_image_set(corpus, "train", cfg), audio.to_image_set(corpus, "test", cfg)
        return ImageSet(torch.cat([a.images, b.images]), torch.cat([a.labels, b.labels]), a.classes, a.name, "all")
    return audio.to_image_set(corpus, split, cfg)


DATASETS = {
    "animal-mnist": _animal_mnist,
    "digits": _digits,
    "cifar10": _cifar10,
    "imagefolder": _imagefolder,
    "waterbirds": _waterbirds,
    "speech": _speech,
}


def load(name: str = "animal-mnist", split: str = "train", data_dir: str | Path | None = None) -> ImageSet:
    """Load data set ``name`` (``animal-mnist``, ``digits``, ``cifar10``, ``imagefolder``, ``waterbirds``, ``speech``)."""
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    if split not in ("train", "test", "all"):
        raise DatasetError(f"unknown split {split!r}; choose one of: train, test, all")
    return DATASETS[name](split, data_dir)


def class_names(name: str, data_dir: str | Path | None = None) -> tuple[str, ...]:
    """The label space of data set ``name`` without loading its images."""
    fixed = {"animal-mnist": ANIMAL_CLASSES, "digits": DIGIT_CLASSES, "cifar10": CIFAR10_CLASSES,
             "waterbirds": ("landbird", "waterbird")}
    if name == "speech":
        if data_dir is None:
            return ("men", "women", "nonhuman")
        if not Path(data_dir).is_dir():
            raise _missing("audio folder", data_dir)
        return _folder_classes(Path(data_dir))
    if name in fixed:
        return fixed[name]
    if name == "imagefolder":
        if not data_dir or not Path(data_dir).is_dir():
            raise _missing("image folder", data_dir)
        return _folder_classes(Path(data_dir))
    raise DatasetError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")


def class_index(classes: tuple[str, ...] | ImageSet, target: str | int) -> int:
    """Index of ``target`` (a name or an index) in the label space, or a one-line error."""
    names = classes.classes if isinstance(classes, ImageSet) else tuple(classes)
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        if 0 <= int(target) < len(names):
            return int(target)
    elif target in names:
        return names.index(target)
    raise DatasetError(f"unknown target class {target!r}; choose one of: {', '.join(names)}")


def without_class(data: ImageSet, target: str | int) -> ImageSet:
    """The target-absence split: drop every image of ``target``, keep the full label space.

    Class names and indices are unchanged, so a classifier over all C classes still applies
    and the generator can still be asked for the absent class.
    """
    y = class_index(data, target)
    return data.subset(data.labels != y)


def only_class(data: ImageSet, target: str | int) -> ImageSet:
    """Only the images of ``target`` (for evaluation: intra-FID, the judge's reference)."""
    y = class_index(data, target)
    return data.subset(data.labels == y)


def save_samples(path: str | Path, images: torch.Tensor, labels: torch.Tensor | int, **extra) -> Path:
    """Write generated images as ``.npz``: ``images`` float32 ``(N, C, H, W)`` in [-1, 1],
    ``labels`` int64 ``(N,)``, plus any ``extra`` arrays; atomically, so readers never see half a file."""
    from .cache import atomic_write

    path = Path(path)
    images = images.detach().cpu().float().clamp(-1, 1).numpy()
    if isinstance(labels, int):
        labels = np.full(len(images), labels, dtype=np.int64)
    else:
        labels = np.asarray(labels.cpu() if torch.is_tensor(labels) else labels, dtype=np.int64)
    arrays = {k: np.asarray(v.cpu() if torch.is_tensor(v) else v) for k, v in extra.items()}

    def _write(tmp: str) -> None:
        with open(tmp, "wb") as f:  # a file object: numpy would append ".npz" to a bare name
            np.savez_compressed(f, images=images, labels=labels, **arrays)

    atomic_write(path, _write)
    return path


# ---------------------------------------------------------------- colour and markers (chapter 4)
RED = (1.0, -1.0, -1.0)  # pure red in [-1, 1] units
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
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
    fg = torch.from_numpy(_hsv_to_rgb(*hsv[:, :3].T)).float() * 2 - 1  # (N, 3) in [-1, 1]
    bg = torch.from_numpy(_hsv_to_rgb(*hsv[:, 3:].T)).float() * 2 - 1
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
            rgb = _hsv_to_rgb(np.array([h]), np.array([s_]), np.array([v]))[0] * 2 - 1
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
