"""Reading a user's image folder ``<dir>/<class>/*.png|jpg|…`` for a probe: any size, grey or
RGB, unreadable files skipped and counted (an error above a threshold), images centre-cropped
to a square and resized to the probe's resolution, the median size reported so the resolution
can follow the data.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .imageset import DatasetError, ImageSet, to_unit

__all__ = ["FolderScan", "scan_folder", "read_folder", "MIN_SIDE", "MAX_BAD_SHARE"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
MIN_SIDE = 16  # smaller images carry too little to probe with
MAX_BAD_SHARE = 0.05  # unreadable or non-image files tolerated (skipped and counted)


@dataclass
class FolderScan:
    """What a folder holds before any pixel is read: classes, files per class, and which files
    are not images (by suffix) or could not be opened."""

    root: Path
    classes: tuple[str, ...]
    files: dict[str, list[Path]]
    skipped: list[str] = field(default_factory=list)  # "path: reason"
    sizes: list[int] = field(default_factory=list)  # the shorter side of every readable image

    @property
    def median_side(self) -> int:
        return int(statistics.median(self.sizes)) if self.sizes else 0

    def count(self, cls: str) -> int:
        return len(self.files.get(cls, []))


def scan_folder(root: str | Path, max_bad: float = MAX_BAD_SHARE, flat: bool = False) -> FolderScan:
    """Open every file's header (not its pixels): one-line errors for a missing folder, no class
    sub-folders, images under :data:`MIN_SIDE` px, or more than ``max_bad`` unreadable files.
    ``flat``: a folder of images of one class (named after the folder) is fine too."""
    from PIL import Image, UnidentifiedImageError

    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"image folder not found: {root}; expected {root}/<class>/<image>.png")
    classes = tuple(sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")))
    single = flat and not classes
    if single:
        classes = (root.name,)
    if not classes:
        raise DatasetError(f"no class sub-folders in {root}; expected {root}/<class>/<image>.png")
    scan = FolderScan(root, classes, {})
    n_files = 0
    for cls in classes:
        good = []
        where = root if single else root / cls
        for path in sorted(p for p in where.iterdir() if p.is_file() and not p.name.startswith(".")):
            n_files += 1
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                scan.skipped.append(f"{path}: not an image file")
                continue
            try:
                with Image.open(path) as im:
                    im.verify()  # reads the header and checks the file's structure
                with Image.open(path) as im:
                    side = min(im.size)
            except (UnidentifiedImageError, OSError, SyntaxError) as err:
                scan.skipped.append(f"{path}: {type(err).__name__}")
                continue
            if side < MIN_SIDE:
                raise DatasetError(f"image {path} is {side} px on its shorter side; a probe needs at least "
                                   f"{MIN_SIDE} px")
            good.append(path)
            scan.sizes.append(side)
        scan.files[cls] = good
    if n_files and len(scan.skipped) > max_bad * n_files:
        raise DatasetError(f"{len(scan.skipped)} of {n_files} files in {root} are not readable images "
                           f"(more than {100 * max_bad:.0f} %), e.g. {scan.skipped[0]}")
    return scan


def _read(path: Path, size: int, grey: bool) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("L" if grey else "RGB")
        side = min(im.size)
        left, top = (im.width - side) // 2, (im.height - side) // 2
        im = im.crop((left, top, left + side, top + side)).resize((size, size), Image.BICUBIC)
        arr = np.asarray(im)
    return arr[..., None] if grey else arr


def read_folder(scan: FolderScan, size: int, classes: tuple[str, ...] | None = None, grey: bool | None = None,
                skip: tuple[str, ...] = ()) -> ImageSet:
    """The scanned folder's images at ``size``×``size`` as an :class:`ImageSet` over ``classes``
    (default: the folder's), except the classes in ``skip`` (read nothing of them: the target of
    a probe). ``grey``: one channel (default: when every image of the folder is grey)."""
    from PIL import Image

    classes = tuple(classes or scan.classes)
    if grey is None:
        first = [p for c in scan.classes for p in scan.files[c][:20]]
        grey = bool(first) and all(Image.open(p).mode in ("L", "1", "LA", "I;16") for p in first)
    arrays, labels = [], []
    for c, name in enumerate(classes):
        if name in skip:
            continue
        for path in scan.files.get(name, []):
            arrays.append(_read(path, size, grey))
            labels.append(c)
    if not arrays:
        raise DatasetError(f"no images to read in {scan.root} (besides {', '.join(skip) or 'nothing'})")
    x = to_unit(np.stack(arrays), 255.0).permute(0, 3, 1, 2).contiguous()
    return ImageSet(x, torch.tensor(labels, dtype=torch.long), classes, f"folder({scan.root.name}, {size}px)", "all")
