"""Loading a user's classifier from disk without unpickling anything.

Accepted: a TorchScript file (``torch.jit.save``), a ``torch.export`` program (``.pt2``),
``module:factory`` (an importable function that builds the model) or ``torchvision:NAME`` (a
torchvision architecture, its number of classes read from the weights), each of the last two
with ``--weights`` (safetensors, or a state dict read with ``torch.load(weights_only=True)``).
A model saved whole with ``torch.save(model)`` is a pickle: refused, with how to export it.
"""
from __future__ import annotations

import importlib
import zipfile
from pathlib import Path

import torch
from torch import nn

from ..core.errors import UserError

__all__ = ["ClassifierFileError", "Exported", "load_classifier", "load_weights", "parse_class_map"]

EXPORT_HELP = ("export it with torch.jit.save(torch.jit.script(model), 'model.pt'), or "
               "torch.export.save(torch.export.export(model, (example,)), 'model.pt2'), or save its state_dict and "
               "pass module:factory (or torchvision:NAME) with --weights")


class ClassifierFileError(UserError, ValueError):
    """A classifier file that cannot be loaded safely; the message says how to export it."""


def load_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict from safetensors or from ``torch.load(weights_only=True)`` (``state_dict``
    wrappers and ``module.`` prefixes removed); a pickled model is refused."""
    path = Path(path)
    if not path.is_file():
        raise ClassifierFileError(f"weights file not found: {path}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            state = load_file(str(path))
        except Exception as err:  # noqa: BLE001 - any unreadable file is the same user problem
            raise ClassifierFileError(f"{path} is not a readable safetensors file ({type(err).__name__})") from None
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001
            raise ClassifierFileError(f"{path} is not a state dict probelib can read without unpickling code "
                                      f"({type(err).__name__}); {EXPORT_HELP}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise ClassifierFileError(f"{path} holds a {type(state).__name__}, not a state dict of tensors")
    return {k.removeprefix("module."): v for k, v in state.items()}


class Exported(nn.Module):
    """A ``torch.export`` program's module, which refuses ``train()`` / ``eval()``: kept as it was
    exported (inference), with its parameters visible for hashing and ``.to(device)``."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.program = module

    def train(self, mode: bool = True) -> "Exported":
        self.training = mode  # the exported graph fixed its behaviour when it was exported
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.program(x)


def _num_classes(state: dict[str, torch.Tensor]) -> int:
    """The number of outputs: the rows of the last 2-D weight (the classification layer)."""
    mats = [v for k, v in state.items() if k.endswith("weight") and v.ndim == 2]
    if not mats:
        raise ClassifierFileError("cannot read the number of classes from the weights: no 2-D weight in them")
    return int(mats[-1].shape[0])


def _fit(model: nn.Module, state: dict[str, torch.Tensor], what: str) -> nn.Module:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = str(err).splitlines()[1].strip() if len(str(err).splitlines()) > 1 else str(err)
        raise ClassifierFileError(f"the weights do not fit {what}: {first}") from None
    return model.eval()


def load_classifier(spec: str, weights: str | Path | None = None) -> nn.Module:
    """The model ``spec`` names (see the module doc), in eval mode."""
    if spec.startswith("torchvision:"):
        name = spec.split(":", 1)[1]
        if weights is None:
            raise ClassifierFileError(f"{spec} needs --weights (its state dict)")
        import torchvision

        state = load_weights(weights)
        try:
            model = torchvision.models.get_model(name, weights=None, num_classes=_num_classes(state))
        except ValueError as err:
            raise ClassifierFileError(f"unknown torchvision architecture {name!r} ({err})") from None
        return _fit(model, state, spec)
    path = Path(spec)
    if ":" in spec and not path.exists():
        module, _, factory = spec.partition(":")
        if weights is None:
            raise ClassifierFileError(f"{spec} needs --weights (its state dict)")
        try:
            build = getattr(importlib.import_module(module), factory)
        except (ImportError, AttributeError) as err:
            raise ClassifierFileError(f"cannot import {spec} ({err}); give module:factory of an importable "
                                      "function that returns the model") from None
        return _fit(build(), load_weights(weights), spec)
    if not path.is_file():
        raise ClassifierFileError(f"classifier file not found: {spec}")
    if path.suffix == ".pt2":
        try:
            return Exported(torch.export.load(str(path)).module())
        except Exception as err:  # noqa: BLE001
            raise ClassifierFileError(f"{path} is not a torch.export program ({type(err).__name__})") from None
    if not zipfile.is_zipfile(path):
        raise ClassifierFileError(f"{path}: unknown classifier format (neither TorchScript nor torch.export); "
                                  f"{EXPORT_HELP}")
    try:
        return torch.jit.load(str(path), map_location="cpu").eval()
    except Exception:  # noqa: BLE001 - not TorchScript: tell a state dict from a pickled model
        pass
    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001
        raise ClassifierFileError(f"{path} is a pickled model (torch.save(model)), which probelib does not unpickle; "
                                  f"{EXPORT_HELP}") from None
    raise ClassifierFileError(f"{path} holds weights only, not a model; pass module:factory or torchvision:NAME "
                              f"with --weights {path}")


def parse_class_map(text: str | None, classes: tuple[str, ...]) -> list[int] | None:
    """``--class-map``: a JSON file ``{"folder class": output index}`` or ``name=index,...``,
    as the output index of each folder class in order; every class must be mapped."""
    if not text:
        return None
    import json

    path = Path(text)
    if path.is_file():
        mapping = json.loads(path.read_text())
    else:
        try:
            mapping = {k.strip(): int(v) for k, v in (item.split("=") for item in text.split(","))}
        except ValueError:
            raise ClassifierFileError(f"--class-map {text!r}: give a JSON file or name=index,name=index") from None
    missing = [c for c in classes if c not in mapping]
    if missing:
        raise ClassifierFileError(f"--class-map has no output index for {', '.join(missing)}")
    return [int(mapping[c]) for c in classes]
