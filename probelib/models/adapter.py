"""Putting anyone's classifier in front of the book's generator: :class:`ClassifierAdapter`
turns the generator's images (``(B, C, R, R)`` in [-1, 1]) into what the model expects — the
right number of channels, its input size, its normalisation — and its outputs into logits over
the image folder's classes (``class_map``: folder class → output index, so a 1,000-way ImageNet
model probed on a 10-class folder is an ordinary case). Everything is differentiable, so
ProbeGAN's classifier loss flows through it.

``features(x)`` is the model's penultimate representation when it has one (a ``features``
method, else the input of its last ``nn.Linear``), else its logits: the space in which the
probe report finds each generated image's nearest real neighbours.

:class:`FixedShape` puts a model that takes one input shape only (a ``torch.export`` program
exported without a dynamic batch, an ONNX graph with a fixed batch) behind any batch size: it is
called in chunks of its batch, the last chunk padded and the padding dropped, differentiably.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ClassifierAdapter", "FixedShape", "IMAGENET_MEAN", "IMAGENET_STD", "AdapterInputError"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class AdapterInputError(ValueError):
    """The adapter's settings do not fit the images or the model (one line)."""


def _shape(dims) -> str:
    return "(" + ", ".join("any" if d is None else str(d) for d in dims) + ")"


def _last_linear_input(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The input of ``model``'s last ``nn.Linear`` on ``x`` (its output when it has none)."""
    linear = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linear:
        return model(x)
    store = {}
    handle = linear[-1].register_forward_hook(lambda _m, inp, _out: store.update(h=inp[0]))
    try:
        model(x)
    finally:
        handle.remove()
    return store["h"]


class FixedShape(nn.Module):
    """``model``, which takes inputs of ``shape`` only (``None``: any size in that dimension),
    called on any batch: when ``shape[0]`` is a number b, in chunks of b — the last one padded
    with zeros, the padding's outputs dropped — so outputs and input gradients equal one call
    of a model that takes any batch. An input of another shape (beyond the batch) is a one-line
    :class:`AdapterInputError` naming the shape the model takes. ``what`` names the model in it."""

    def __init__(self, model: nn.Module, shape: Sequence[int | None], what: str = "the classifier"):
        super().__init__()
        self.model, self.shape, self.what = model, tuple(shape), what

    @property
    def batch(self) -> int | None:
        """The only batch size the model takes (``None``: any)."""
        return self.shape[0] if self.shape else None

    def _check(self, x: torch.Tensor) -> None:
        if x.ndim != len(self.shape) or any(s is not None and s != d for s, d in zip(self.shape[1:], x.shape[1:])):
            fix = []
            if len(self.shape) == 4 and self.shape[1] is not None and self.shape[1] != x.shape[1]:
                fix.append(f"--in-channels {self.shape[1]}")
            if len(self.shape) == 4 and self.shape[-1] is not None and self.shape[-1] != x.shape[-1]:
                fix.append(f"--input-size {self.shape[-1]}")
            raise AdapterInputError(f"{self.what} takes inputs of shape {_shape(self.shape)} only, not "
                                    f"{_shape((None, *x.shape[1:]))}; pass {' '.join(fix) or 'images of that shape'} "
                                    "(ClassifierAdapter(size=..., in_channels=...))")

    def _chunked(self, fn, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        b = self.batch
        if b is None or len(x) == b:
            return _first(fn(x))
        out = []
        for chunk in x.split(b):  # (b, C, H, W) each, the last one (n, C, H, W) with n <= b
            n = len(chunk)
            if n < b:
                chunk = torch.cat([chunk, chunk.new_zeros((b - n, *chunk.shape[1:]))])
            out.append(_first(fn(chunk))[:n])
        return torch.cat(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._chunked(self.model, x)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The input of the model's last ``nn.Linear`` (else its outputs), chunk by chunk, ``(B, F)``."""
        return self._chunked(lambda c: _last_linear_input(self.model, c).flatten(1), x)


def _first(out):
    """A model's output, or the first of several (an ONNX graph with more than one output)."""
    return out[0] if isinstance(out, (tuple, list)) else out


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
        return _last_linear_input(self.model, x).flatten(1)
