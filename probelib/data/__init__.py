"""Data: the :class:`ImageSet`, the data-set registry, the absence split, derived data
(colour, markers, decoys, near misses), the Waterbirds setting, speech as log-mel images, and
sample export.

``load(name, split, data_dir)`` serves every registered data set (:data:`DATASETS`):
``animal-mnist`` and ``digits`` offline, ``cifar10`` and ``imagefolder`` from ``data_dir``,
``waterbirds`` (the released folder, else an offline analogue) and ``speech`` (the offline
corpus, else ``data_dir/<class>/*.wav``).
"""
from . import builtin, derived, mel, speech, waterbirds  # noqa: F401  (each registers its data sets)
from .builtin import ANIMAL_CLASSES, CIFAR10_CLASSES, DIGIT_CLASSES, load_image_folder
from .derived import (CORNERS, NEAR_MISSES, RED, add_decoys, add_marker, colourise, leakage_colour, mark_class,
                      near_miss)
from .export import save_samples
from .folder import FolderScan, read_folder, scan_folder
from .imageset import (SIZE, DatasetError, ImageSet, class_index, concat, fixed_split, only_class, require_index,
                       without_class)
from .registry import DATASETS, class_names, load, register
from .safe_pickle import restricted_loads
from .waterbirds import SpuriousSet, load_spurious, make_spurious

__all__ = ["ImageSet", "DatasetError", "DATASETS", "load", "load_image_folder", "register", "class_names", "class_index",
           "require_index", "without_class", "only_class", "concat", "fixed_split", "SIZE", "save_samples",
           "restricted_loads",
           "ANIMAL_CLASSES", "CIFAR10_CLASSES", "DIGIT_CLASSES", "RED", "CORNERS", "NEAR_MISSES", "colourise",
           "add_marker", "near_miss", "add_decoys", "leakage_colour", "mark_class", "SpuriousSet", "load_spurious",
           "make_spurious", "FolderScan", "read_folder", "scan_folder", "builtin", "derived", "mel", "speech", "waterbirds"]
