"""The ``ImageSet`` every loader returns, the fixed train/test split, and the absence split.

An :class:`ImageSet` holds images ``(N, C, H, W)`` float32 in [-1, 1] (C = 1 for grey data,
3 for colour), integer labels and the *full* tuple of class names. Its :attr:`~ImageSet.fingerprint`
(a hash of the pixels, labels and class names) is what cache keys cite, never its ``name``.
Splits are fixed and seeded (:data:`SPLIT_SEED`), independent of the experiment seed, so every
chapter and every profile sees the same test images.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
import torch.nn.functional as F

from ..core.errors import UserError
from ..core.hashing import tensor_fingerprint

__all__ = ["DatasetError", "ImageSet", "SIZE", "SPLIT_SEED", "fixed_split", "class_index", "require_index",
           "without_class", "only_class", "concat"]

SPLIT_SEED = 20220228  # fixed: the train/test split never depends on the experiment seed
TEST_FRACTION = 0.2
SIZE = 32
SPLITS = ("train", "test", "all")


class DatasetError(UserError, ValueError):
    """Bad data-set input; the message names the problem and the fix in one line."""


@dataclass(frozen=True, eq=False)
class ImageSet:
    """Images ``(N, C, H, W)`` in [-1, 1], labels ``(N,)`` and the *full* label space."""

    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]
    name: str  # a readable description (which transforms were applied); never part of a cache key
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

    @cached_property
    def fingerprint(self) -> str:
        """16 hex digits of a SHA-256 over the pixels, labels and class names (computed once):
        the data's identity in every cache key, so a changed image or label is a cache miss."""
        return tensor_fingerprint(self.images, self.labels, extra=json.dumps(list(self.classes)))

    def subset(self, keep: torch.Tensor, split: str | None = None) -> "ImageSet":
        """The images selected by a boolean mask or an index tensor; same label space."""
        return ImageSet(self.images[keep], self.labels[keep], self.classes, self.name, split or self.split)

    def counts(self) -> dict[str, int]:
        """Number of images per class name (classes with no image count 0)."""
        n = torch.bincount(self.labels, minlength=self.num_classes)
        return {c: int(k) for c, k in zip(self.classes, n)}

    def tensors(self, device=None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images.to(device), self.labels.to(device)


def concat(a: ImageSet, b: ImageSet, split: str = "all") -> ImageSet:
    """Two image sets over the same label space, one after the other."""
    if a.classes != b.classes:
        raise DatasetError(f"cannot join image sets over different classes: {a.classes} and {b.classes}")
    return ImageSet(torch.cat([a.images, b.images]), torch.cat([a.labels, b.labels]), a.classes, a.name, split)


def to_unit(x, max_value: float) -> torch.Tensor:
    """uint8-like values in [0, max_value] -> float32 in [-1, 1]."""
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    return x / max_value * 2.0 - 1.0


def resize(images: torch.Tensor, size: int = SIZE) -> torch.Tensor:
    """Antialiased bilinear resize to ``size``×``size`` (a no-op when already that size)."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False, antialias=True)


def fixed_split(labels: np.ndarray, split: str) -> np.ndarray:
    """Indices of the fixed, stratified, seeded 80/20 train/test split (``all``: every index)."""
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
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


def class_index(classes: tuple[str, ...] | ImageSet, target: str | int) -> int:
    """Index of ``target`` (a name or an index) in the label space, or a one-line error."""
    names = classes.classes if isinstance(classes, ImageSet) else tuple(classes)
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        if 0 <= int(target) < len(names):
            return int(target)
    elif target in names:
        return names.index(target)
    raise DatasetError(f"unknown target class {target!r}; choose one of: {', '.join(names)}")


def require_index(classes: tuple[str, ...] | ImageSet, target: int) -> int:
    """``target`` as it travels below the boundary: a class index in range (a one-line
    :class:`DatasetError` otherwise). A name is a one-line ``TypeError``: names are resolved once,
    where they enter (``probelib.probe``, the command line, a page's parameters), with
    :func:`class_index`."""
    if isinstance(target, str):
        raise TypeError(f"target class {target!r} is a name where an index is expected; resolve names with "
                        f"probelib.class_index(images, {target!r}) first")
    if not isinstance(target, (int, np.integer)) or isinstance(target, bool):
        raise TypeError(f"a target class is an int index, not {type(target).__name__} {target!r}; resolve names "
                        "with probelib.class_index(images, name) first")
    return class_index(classes, int(target))


def without_class(data: ImageSet, target: str | int | tuple | list | set | frozenset) -> ImageSet:
    """The target-absence split: drop every image of ``target`` (a class, or a set of classes),
    keep the full label space.

    Class names and indices are unchanged, so a classifier over all C classes still applies
    and the generator can still be asked for the absent classes.
    """
    if isinstance(target, (tuple, list, set, frozenset)):
        absent = torch.tensor(sorted({class_index(data, t) for t in target}), dtype=torch.long)
        return data.subset(~torch.isin(data.labels, absent))
    y = class_index(data, target)
    return data.subset(data.labels != y)


def only_class(data: ImageSet, target: str | int) -> ImageSet:
    """Only the images of ``target`` (for evaluation: intra-FID, the judge's reference)."""
    y = class_index(data, target)
    return data.subset(data.labels == y)
