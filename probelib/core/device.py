"""Device choice and seeding, per call: no module-level globals."""
from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["pick_device", "seed_everything"]


def pick_device(device=None) -> torch.device:
    """``device`` if given, else CUDA when available, else CPU (chosen per call, no globals)."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and CUDA) from one integer."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
