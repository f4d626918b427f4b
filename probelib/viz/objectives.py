"""Objectives for feature visualisation: quantities to maximise, computed from the activations
of a batch, that compose with ``+``, ``-`` and ``*`` (lucent's ``objectives``, without hidden
reductions: each returns one value per image, or a scalar for batch terms like diversity)."""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

__all__ = ["Objective", "channel", "neuron", "class_logit", "diversity"]


class Objective:
    """A quantity to *maximise*, computed from the activations of a batch: ``(N,)`` per image or
    a scalar. Objectives compose: ``a + b``, ``a - b``, ``2 * a``, ``-a``."""

    def __init__(self, fn: Callable[[dict], torch.Tensor], layers: tuple[str, ...], name: str):
        self.fn, self.layers, self.name = fn, tuple(dict.fromkeys(layers)), name

    def __call__(self, acts: dict) -> torch.Tensor:
        return self.fn(acts)

    def __add__(self, other: "Objective") -> "Objective":
        return Objective(lambda a: self(a) + other(a), self.layers + other.layers, f"{self.name} + {other.name}")

    def __sub__(self, other: "Objective") -> "Objective":
        return Objective(lambda a: self(a) - other(a), self.layers + other.layers, f"{self.name} − {other.name}")

    def __mul__(self, k: float) -> "Objective":
        if isinstance(k, Objective):
            return Objective(lambda a: self(a) * k(a), self.layers + k.layers, f"{self.name} · {k.name}")
        return Objective(lambda a: k * self(a), self.layers, f"{k:g}·{self.name}")

    __rmul__ = __mul__

    def __neg__(self) -> "Objective":
        return -1.0 * self


def channel(layer: str, c: int) -> Objective:
    """Mean activation of channel ``c`` of ``layer`` over all positions, per image."""
    return Objective(lambda a: a[layer][:, c].mean(dim=(-2, -1)), (layer,), f"channel {layer}:{c}")


def neuron(layer: str, c: int, y: int | None = None, x: int | None = None) -> Objective:
    """Activation of channel ``c`` of ``layer`` at one position (default: the centre), per image."""
    def fn(a):
        t = a[layer][:, c]
        yy = t.shape[-2] // 2 if y is None else y
        xx = t.shape[-1] // 2 if x is None else x
        return t[:, yy, xx]
    return Objective(fn, (layer,), f"neuron {layer}:{c}")


def class_logit(c: int) -> Objective:
    """The logit of class ``c`` (the model's output), per image."""
    return Objective(lambda a: a[""][:, c], ("",), f"logit {c}")


def diversity(layer: str) -> Objective:
    """Olah et al.'s diversity term: minus the mean cosine similarity of the images' Gram matrices
    at ``layer`` over all pairs in the batch (a scalar; higher = more diverse)."""
    def fn(a):
        t = a[layer]
        n, c = t.shape[:2]
        flat = t.reshape(n, c, -1)
        gram = F.normalize((flat @ flat.transpose(1, 2)).reshape(n, -1), dim=1)
        sim = gram @ gram.T
        return -(sim.sum() - sim.diagonal().sum()) / max(n * (n - 1), 1)
    return Objective(fn, (layer,), f"diversity {layer}")
