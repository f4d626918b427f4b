"""The public API's GAN entry points (``probelib.load_or_train_gan``, ``probelib.train_probegan``):
the boundary where a library user's class name becomes an index, once, with
:func:`~probelib.data.imageset.class_index`. Below it (:mod:`probelib.train`) a class is an index
only, so a GAN asked for by name or by index is one cache entry."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from torch import nn

from ..data.imageset import ImageSet, class_index
from ..train import gans
from ..train.gans import ProbeGANResult
from ..train.probegan import ProbeGANConfig

__all__ = ["load_or_train_gan", "train_probegan"]


def load_or_train_gan(cfg: ProbeGANConfig, images: ImageSet, classifier: nn.Module | None, target: int | str,
                      run_dir: str | Path = "runs", device=None, progress: bool = True, name: str | None = None,
                      trained: Callable[[], ProbeGANResult] | None = None) -> ProbeGANResult:
    """The EMA generator of ``(cfg, images, classifier, target)`` from the run cache, or trained
    now: :func:`probelib.train.gans.load_or_train_gan` with ``target`` a class name or index
    (an unknown one is a one-line :class:`~probelib.data.imageset.DatasetError`).
    ``cfg.targets``, further absent classes, are indices (``pl.class_index(images, name)``)."""
    return gans.load_or_train_gan(cfg, images, classifier, class_index(images, target), run_dir, device, progress,
                                  name, trained)


def train_probegan(cfg: ProbeGANConfig, images: ImageSet, classifier: nn.Module | None, target: int | str,
                   device=None, checkpoint_dir: Path | None = None, progress: bool = True) -> ProbeGANResult:
    """Train a ProbeGAN (resuming from ``checkpoint_dir``), no cache:
    :func:`probelib.train.gans.train_probegan` with ``target`` a class name or index."""
    return gans.train_probegan(cfg, images, classifier, class_index(images, target), device, checkpoint_dir, progress)
