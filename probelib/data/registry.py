"""The data-set registry: a name → loader table, filled where each loader is defined.

A loader is registered with :func:`register` beside its code (``builtin``, ``waterbirds``,
``speech``), so :func:`load` needs to know none of them. A loader takes ``(split, data_dir,
**options)`` and returns an :class:`~probelib.data.imageset.ImageSet`; ``classes`` is the
label space, a tuple or a function of ``data_dir`` (folders name their classes).
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .imageset import SPLITS, DatasetError, ImageSet

__all__ = ["DATASETS", "Dataset", "register", "load", "class_names", "missing"]


@dataclass(frozen=True)
class Dataset:
    """One registered data set: its loader and its label space."""

    name: str
    loader: Callable[..., ImageSet]
    classes: tuple[str, ...] | Callable[[Path | None], tuple[str, ...]]
    summary: str = ""

    def options(self) -> list[str]:
        """The keyword options the loader takes beyond ``split`` and ``data_dir``."""
        return [p for p in inspect.signature(self.loader).parameters if p not in ("split", "data_dir")]


#: every data set :func:`load` knows, by name (filled by :func:`register`)
DATASETS: dict[str, Dataset] = {}


def register(name: str, classes, summary: str = ""):
    """Decorator: add the decorated loader to :data:`DATASETS` under ``name``."""
    def deco(loader):
        DATASETS[name] = Dataset(name, loader, classes, summary)
        return loader

    return deco


def _entry(name: str) -> Dataset:
    if name not in DATASETS:
        raise DatasetError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    return DATASETS[name]


def load(name: str = "animal-mnist", split: str = "train", data_dir: str | Path | None = None,
         **options) -> ImageSet:
    """Load data set ``name`` (see :data:`DATASETS`); ``options`` go to its loader (e.g.
    ``config=`` and ``run_dir=`` for ``speech``); an option it does not take is an error."""
    entry = _entry(name)
    if split not in SPLITS:
        raise DatasetError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    unknown = sorted(set(options) - set(entry.options()))
    if unknown:
        raise DatasetError(f"dataset {name!r} takes no option {unknown[0]!r}; its options: "
                           f"{', '.join(entry.options()) or 'none'}")
    return entry.loader(split, data_dir, **options)


def class_names(name: str, data_dir: str | Path | None = None) -> tuple[str, ...]:
    """The label space of data set ``name`` without loading its images."""
    classes = _entry(name).classes
    return tuple(classes(None if data_dir is None else Path(data_dir))) if callable(classes) else tuple(classes)


def missing(what: str, data_dir) -> DatasetError:
    """The one-line error for a real data set that is not on disk."""
    return DatasetError(
        f"{what} not found in data_dir={data_dir}; download it on a machine with internet and point data_dir at it"
    )
