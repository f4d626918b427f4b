"""Sample export: generated images as ``.npz`` files anyone can score with their own judge."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..core.cache import atomic_write

__all__ = ["save_samples"]


def save_samples(path: str | Path, images: torch.Tensor, labels: torch.Tensor | int, **extra) -> Path:
    """Write generated images as ``.npz``: ``images`` float32 ``(N, C, H, W)`` in [-1, 1],
    ``labels`` int64 ``(N,)``, plus any ``extra`` arrays; atomically, so readers never see half a file."""
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


