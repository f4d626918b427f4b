"""Putting anyone's classifier in front of the book's generator: :class:`ClassifierAdapter`
turns the generator's images (``(B, C, R, R)`` in [-1, 1]) into what the model expects — the
right number of channels, its input size, its normalisation — and its outputs into logits over
the image folder's classes (``class_map``: folder class → output index, so a 1,000-way ImageNet
model probed on a 10-class folder is an ordinary case). Everything is differentiable, so
ProbeGAN's classifier loss flows through it.

``features(x)`` is the model's penultimate representation when it has one (a ``features``
method, else the input of its last ``nn.Linear``), else its logits: the space in which the
probe report finds each generated image's nearest real neighbours.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ClassifierAdapter", "IMAGENET_MEAN", "IMAGENET_STD", "AdapterInputError"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class AdapterInputError(ValueError):
    """The adapter's settings do not fit the images or the model (one line)."""


class ClassifierAdapter(nn.Module):
    """``model`` behind a resize, a channel fit, a normalisation and a class map.

    - ``size``: the model's input side (``None``: images pass at their own size);
    - ``in_channels``: what the model takes (grey images are repeated to 3; RGB images are
      averaged to 1 only when the model takes 1);
    - ``mean`` / ``std``: per-channel normalisation on the [0, 1] scale (e.g.
      :data:`IMAGENET_MEAN`, :data:`IMAGENET_STD`); ``None`` feeds [-1, 1] as it is;
    - ``class_map``: the model's output index of each folder class, in the folder's order
      (``None``: the outputs already are the folder's classes).
    """

    def __init__(self, model: nn.Module, size: int | None = None, in_channels: int | None = None,
                 mean: Sequence[float] | None = None, std: Sequence[float] | None = None,
                 class_map: Sequence[int] | None = None):
        super().__init__()
        if (mean is None) != (std is None):
            raise AdapterInputError("give both mean and std, or neither")
        if mean is not None and len(mean) != len(std):
            raise AdapterInputError(f"mean has {len(mean)} channels and std {len(std)}")
        self.model, self.size, self.in_channels = model, size, in_channels
        self.register_buffer("mean", torch.tensor(mean if mean is not None else [], dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std if std is not None else [], dtype=torch.float32))
        self.register_buffer("class_map", torch.tensor(list(class_map) if class_map is not None else [],
                                                       dtype=torch.long))

    # ---------------------------------------------------------------- the input side
    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """Images in [-1, 1] → the model's input: channels, size, normalisation."""
        want = self.in_channels or x.shape[1]
        if x.shape[1] != want:
            if x.shape[1] == 1:
                x = x.expand(-1, want, -1, -1)
            elif want == 1:
                x = x.mean(1, keepdim=True)
            else:
                raise AdapterInputError(f"the model takes {want} channels, the images have {x.shape[1]}")
        if self.size is not None and x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        if self.mean.numel():
            if self.mean.numel() != x.shape[1]:
                raise AdapterInputError(f"mean / std have {self.mean.numel()} channels, the model's input has "
                                        f"{x.shape[1]}")
            x = ((x + 1) / 2 - self.mean.view(1, -1, 1, 1)) / self.std.view(1, -1, 1, 1)
        return x

    # ---------------------------------------------------------------- the output side
    def select(self, logits: torch.Tensor) -> torch.Tensor:
        """The model's logits → logits over the folder's classes (through ``class_map``)."""
        return logits[:, self.class_map] if self.class_map.numel() else logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.select(self.model(self.prepare(x)))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The model's penultimate features of images in [-1, 1], ``(B, F)`` (see the module doc)."""
        x = self.prepare(x)
        if hasattr(self.model, "features") and callable(self.model.features):
            return self.model.features(x).flatten(1)
        linear = [m for m in self.model.modules() if isinstance(m, nn.Linear)]
        if not linear:
            return self.model(x)
        store = {}
        handle = linear[-1].register_forward_hook(lambda _m, inp, _out: store.update(h=inp[0]))
        try:
            self.model(x)
        finally:
            handle.remove()
        return store["h"].flatten(1)
