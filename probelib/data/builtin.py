"""The built-in image data sets: Animal-MNIST and scikit-learn's digits (offline, shipped in
packages), CIFAR-10 and any image folder (from ``data_dir``; a one-line error when absent)."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .imageset import SIZE, DatasetError, ImageSet, fixed_split, resize, to_unit
from .registry import missing, register
from .safe_pickle import restricted_loads

__all__ = ["ANIMAL_CLASSES", "CIFAR10_CLASSES", "DIGIT_CLASSES", "IMAGE_SUFFIXES", "folder_classes", "load_image_folder"]

ANIMAL_CLASSES = ("bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse", "sheep", "zebra")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DIGIT_CLASSES = tuple(str(d) for d in range(10))
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@register("animal-mnist", ANIMAL_CLASSES, "10 classes of 28×28 animal silhouettes (the animal-mnist wheel)")
def animal_mnist(split: str, data_dir=None) -> ImageSet:
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
    keep = fixed_split(labels, split)
    x = to_unit(images[keep], 255.0)[:, None]  # (N, 1, 28, 28)
    x = F.pad(x, (2, 2, 2, 2), value=-1.0)  # zero-pad (black) to 32x32
    return ImageSet(x.contiguous(), torch.from_numpy(labels[keep]), ANIMAL_CLASSES, "animal-mnist", split)


@register("digits", DIGIT_CLASSES, "scikit-learn's 8×8 handwritten digits, resized to 32×32")
def digits(split: str, data_dir=None) -> ImageSet:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    labels = bunch.target.astype(np.int64)
    keep = fixed_split(labels, split)
    x = to_unit(bunch.images[keep], 16.0)[:, None]  # (N, 1, 8, 8)
    return ImageSet(resize(x).clamp(-1, 1).contiguous(), torch.from_numpy(labels[keep]), DIGIT_CLASSES, "digits",
                    split)


@register("cifar10", CIFAR10_CLASSES, "CIFAR-10 from data_dir/cifar-10-batches-py")
def cifar10(split: str, data_dir=None) -> ImageSet:
    if not data_dir:
        raise missing("CIFAR-10", data_dir)
    from torchvision.datasets import CIFAR10

    parts = []
    for train in ((True, False) if split == "all" else (split == "train",)):
        try:
            parts.append(CIFAR10(root=str(data_dir), train=train, download=False))
        except RuntimeError as err:
            raise missing("CIFAR-10 (cifar-10-batches-py)", data_dir) from err
    images = np.concatenate([p.data for p in parts])  # (N, 32, 32, 3) uint8
    labels = np.concatenate([np.asarray(p.targets) for p in parts]).astype(np.int64)
    x = to_unit(images, 255.0).permute(0, 3, 1, 2).contiguous()
    return ImageSet(x, torch.from_numpy(labels), CIFAR10_CLASSES, "cifar10", split)


def folder_classes(root: Path | None, what: str = "image folder") -> tuple[str, ...]:
    """The sub-folder names of ``root`` (its classes), sorted; a one-line error when absent."""
    if root is None or not Path(root).is_dir():
        raise missing(what, root)
    return tuple(sorted(p.name for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith(".")))


def _read_square(path: Path, size: int) -> np.ndarray:
    """One image file as RGB ``(size, size, 3)`` uint8: centre-cropped to a square, resized."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            side = min(im.size)
            left, top = (im.width - side) // 2, (im.height - side) // 2
            return np.asarray(im.crop((left, top, left + side, top + side)).resize((size, size), Image.BILINEAR))
    except (UnidentifiedImageError, OSError) as err:
        raise DatasetError(f"cannot read image {path}: {err}; remove or replace the file") from err


@register("imagefolder", folder_classes, "any folder data_dir/<class>/<image>.png|jpg|…")
def imagefolder(split: str, data_dir=None) -> ImageSet:
    root = Path(data_dir) if data_dir else None
    classes = folder_classes(root)
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
    keep = fixed_split(labels, split)
    x = to_unit(np.stack([_read_square(files[i], SIZE) for i in keep]), 255.0).permute(0, 3, 1, 2).contiguous()
    return ImageSet(x, torch.from_numpy(labels[keep]), classes, "imagefolder", split)


def load_image_folder(path, split: str = "all") -> ImageSet:
    """An image folder ``path/<class>/*.png|jpg|…`` (any size, grey or RGB) as an :class:`ImageSet`
    of 32×32 RGB images in [-1, 1]: ``split`` ``all`` (default), or the fixed 80/20 ``train`` /
    ``test`` split. Class names are the sub-folder names, sorted."""
    return imagefolder(split, path)
