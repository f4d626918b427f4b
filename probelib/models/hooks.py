"""Forward hooks that keep the outputs of named layers: what feature visualisation optimises and
what natural exemplars rank."""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["Activations"]


class Activations:
    """Forward hooks that keep the outputs of named submodules (``""`` is the model's output)."""

    def __init__(self, model: nn.Module, layers: list[str]):
        self.model, self.store, self.handles = model, {}, []
        modules = dict(model.named_modules())
        for name in layers:
            if name not in modules:
                raise ValueError(f"no layer {name!r} in {type(model).__name__}; "
                                 f"layers: {', '.join(n for n in modules if n)[:300]}")
            self.handles.append(modules[name].register_forward_hook(self._hook(name)))

    def _hook(self, name: str):
        def hook(_module, _inp, out):
            self.store[name] = out
        return hook

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        self.store = {}
        self.store[""] = self.model(x)
        return self.store

    def close(self) -> None:
        for h in self.handles:
            h.remove()
