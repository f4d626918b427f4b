"""Batched inference with any classifier: logits and top-1 accuracy."""
from __future__ import annotations

import torch
from torch import nn

from ..core.device import pick_device

__all__ = ["predict", "accuracy"]


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 500, device=None) -> torch.Tensor:
    """Logits ``(N, num_classes)`` on CPU, computed in batches on ``device`` (default: the model's)."""
    device = pick_device(device) if device is not None else next(model.parameters()).device
    out = [model(images[i : i + batch_size].to(device)).cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(out) if out else torch.empty(0)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, device=None) -> float:
    """Top-1 accuracy of ``model`` on ``images``."""
    return float((predict(model, images, device=device).argmax(1) == labels).float().mean())
