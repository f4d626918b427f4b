"""Loading a user's classifier from disk without unpickling anything.

Accepted: a ``torch.export`` program (``.pt2``; one exported without a dynamic batch is called in
chunks of its batch), an ONNX graph (``.onnx``, through onnx2torch: ``pip install
'probelib[onnx]'``), a TorchScript file (``torch.jit.save``), ``module:factory`` (an importable
function that builds the model), ``torchvision:NAME`` or ``timm:NAME`` (``pip install
'probelib[timm]'``; the model's own input size and normalisation become the adapter's defaults),
each of the last three with ``--weights`` (safetensors, or a state dict read with
``torch.load(weights_only=True)``; the number of classes is read from them). A model saved whole
with ``torch.save(model)`` is a pickle: refused, with how to export it.

:class:`ClassifierSpec` is what a training job carries instead of the live module (which may not
pickle: TorchScript, an exported program): the file, the weights and the adapter's settings, from
which each worker builds the same classifier again.
"""
from __future__ import annotations

import importlib
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..core.errors import UserError
from ..models.adapter import ClassifierAdapter, FixedShape

__all__ = ["ClassifierFileError", "ClassifierSpec", "Exported", "load_classifier", "load_weights", "model_input",
           "parse_class_map"]

EXPORT_HELP = ("export it with torch.export.save(torch.export.export(model, (example,)), 'model.pt2'), or save its "
               "state_dict and pass module:factory (or torchvision:NAME, timm:NAME) with --weights")


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
    """A ``torch.export`` program's module (which refuses ``train()`` / ``eval()``) or an ONNX
    graph's: kept as it was exported (inference, batch norm on its running statistics), with its
    parameters visible for hashing and ``.to(device)``."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.program = module

    def train(self, mode: bool = True) -> "Exported":
        self.training = mode  # the exported graph fixed its behaviour when it was exported
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.program(x)


def _num_classes(state: dict[str, torch.Tensor], head: str | None = None) -> int:
    """The number of outputs: the rows of the head's weight (``head.weight``), else of the last
    2-D weight (the classification layer)."""
    if head is not None and f"{head}.weight" in state:
        return int(state[f"{head}.weight"].shape[0])
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


def _extra(name: str, modules: tuple[str, ...], what: str) -> None:
    """Import ``modules`` or raise a one-line error naming the optional extra that brings them."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise ClassifierFileError(f"{what} needs {module}, which is not installed: "
                                      f"pip install 'probelib[{name}]'") from None


def _timm(name: str, weights) -> nn.Module:
    """A timm architecture with ``weights``: its classes (and input channels) read from them."""
    _extra("timm", ("timm",), f"timm:{name}")
    import timm

    if weights is None:
        raise ClassifierFileError(f"timm:{name} needs --weights (its state dict or safetensors)")
    state = load_weights(weights)
    arch = name.split(".")[0]
    cfg = timm.models.get_pretrained_cfg(arch) if timm.is_model(arch) else None
    if cfg is None:
        raise ClassifierFileError(f"unknown timm architecture {name!r}; see timm.list_models()")
    head = cfg.classifier[0] if isinstance(cfg.classifier, (tuple, list)) else cfg.classifier
    conv = state.get(f"{cfg.first_conv}.weight") if isinstance(cfg.first_conv, str) else None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"timm(\.|$)")
        model = timm.create_model(name, pretrained=False, num_classes=_num_classes(state, head),
                                  in_chans=int(conv.shape[1]) if conv is not None and conv.ndim == 4 else 3)
    return _fit(model, state, f"timm:{name}")


def model_input(model: nn.Module) -> dict:
    """What ``model`` declares about its input, as :class:`ClassifierAdapter` settings: a timm
    model's pretrained config (``size``, ``in_channels``, ``mean``, ``std``); ``{}`` for others."""
    if not isinstance(getattr(model, "pretrained_cfg", None), dict):
        return {}
    try:
        from timm.data import resolve_model_data_config
    except ImportError:
        return {}
    cfg = resolve_model_data_config(model)
    first = model.pretrained_cfg.get("first_conv")
    try:
        channels = int(model.get_submodule(first).in_channels) if isinstance(first, str) else cfg["input_size"][0]
    except (AttributeError, TypeError):
        channels = cfg["input_size"][0]
    return {"size": int(cfg["input_size"][-1]), "in_channels": channels, "mean": tuple(cfg["mean"]),
            "std": tuple(cfg["std"])}


def _onnx(path: Path) -> nn.Module:
    """An ONNX graph as a differentiable module (onnx2torch), behind its declared input shape."""
    _extra("onnx", ("onnx", "onnx2torch"), f"{path} (ONNX)")
    import onnx

    try:
        graph = onnx.load(str(path))
    except Exception as err:  # noqa: BLE001 - any unreadable file is the same user problem
        raise ClassifierFileError(f"{path} is not a readable ONNX file ({type(err).__name__})") from None
    weights = {init.name for init in graph.graph.initializer}
    inputs = [i for i in graph.graph.input if i.name not in weights]
    if len(inputs) != 1:
        raise ClassifierFileError(f"{path} takes {len(inputs)} inputs ({', '.join(i.name for i in inputs)}); "
                                  "probelib feeds a classifier one batch of images")
    shape = tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
                  for d in inputs[0].type.tensor_type.shape.dim)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module=r"onnx2torch|onnx(\.|$)")
        from onnx2torch import convert

        try:
            module = convert(graph)
        except NotImplementedError as err:
            op = re.search(r"operation_type='([^']+)', version=(\d+)", str(err))
            what = f"{op.group(1)} (version {op.group(2)})" if op else str(err).splitlines()[0]
            raise ClassifierFileError(f"{path} uses the ONNX operator {what}, which onnx2torch cannot convert; "
                                      "export it again with another opset (torch.onnx.export(..., opset_version=17, "
                                      "dynamo=False)) or as a .pt2 (torch.export)") from None
    return FixedShape(Exported(module.eval()), shape, f"{path.name} (ONNX)")


def _export(path: Path) -> nn.Module:
    """A ``torch.export`` program behind its input shape (a fixed batch is called in chunks)."""
    try:
        program = torch.export.load(str(path))
    except Exception as err:  # noqa: BLE001
        raise ClassifierFileError(f"{path} is not a torch.export program ({type(err).__name__})") from None
    inputs = [n for n in program.graph.nodes if n.op == "placeholder" and n.name in program.graph_signature.user_inputs]
    if len(inputs) != 1 or not torch.is_tensor(inputs[0].meta.get("val")):
        raise ClassifierFileError(f"{path} takes {len(inputs)} inputs; probelib feeds a classifier one batch of "
                                  "images")
    shape = tuple(d if isinstance(d, int) else None for d in inputs[0].meta["val"].shape)
    return FixedShape(Exported(program.module()), shape, f"{path.name} (torch.export)")


def _torchscript(path: Path) -> nn.Module:
    with warnings.catch_warnings():  # deprecated, but the file is what the user has: nothing to act on
        warnings.filterwarnings("ignore", message=r".*torch\.jit.* is deprecated", category=FutureWarning)
        return torch.jit.load(str(path), map_location="cpu").eval()


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
    if spec.startswith("timm:"):
        return _timm(spec.split(":", 1)[1], weights)
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
        return _export(path)
    if path.suffix == ".onnx":
        return _onnx(path)
    if not zipfile.is_zipfile(path):
        raise ClassifierFileError(f"{path}: unknown classifier format (neither torch.export, ONNX nor TorchScript); "
                                  f"{EXPORT_HELP}")
    try:
        return _torchscript(path)
    except Exception:  # noqa: BLE001 - not TorchScript: tell a state dict from a pickled model
        pass
    try:
        torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001
        raise ClassifierFileError(f"{path} is a pickled model (torch.save(model)), which probelib does not unpickle; "
                                  f"{EXPORT_HELP}") from None
    raise ClassifierFileError(f"{path} holds weights only, not a model; pass module:factory or torchvision:NAME "
                              f"with --weights {path}")


@dataclass(frozen=True)
class ClassifierSpec:
    """Everything needed to build a classifier again in another process: ``classifier`` (a file,
    ``module:factory``, ``torchvision:NAME`` or ``timm:NAME``; see :func:`load_classifier`), its
    ``weights`` and the :class:`~probelib.models.adapter.ClassifierAdapter`'s settings. ``None``
    settings take the model's own (:func:`model_input`: a timm model's input size and
    normalisation) when it declares them; ``mean = std = ()`` means no normalisation at all.
    Paths are made absolute, so a worker in another directory (or on a cluster node sharing the
    file system) finds them. :meth:`load` (or calling the spec) builds it, frozen, in eval mode."""

    classifier: str
    weights: str | None = None
    size: int | None = None
    in_channels: int | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    class_map: tuple[int, ...] | None = None

    def __post_init__(self):
        for name in ("classifier", "weights"):
            value = getattr(self, name)
            if value is not None and Path(value).exists():
                object.__setattr__(self, name, str(Path(value).resolve()))
        for name in ("mean", "std", "class_map"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, tuple(getattr(self, name)))

    def load(self) -> ClassifierAdapter:
        """The classifier behind its adapter, on the CPU, in eval mode, its parameters frozen."""
        model = load_classifier(self.classifier, self.weights)
        own = model_input(model)
        mean, std = (self.mean, self.std) if self.mean is not None else (own.get("mean"), own.get("std"))
        adapter = ClassifierAdapter(model, size=self.size if self.size is not None else own.get("size"),
                                    in_channels=self.in_channels if self.in_channels is not None else own.get(
                                        "in_channels"), mean=mean or None, std=std or None, class_map=self.class_map)
        adapter.eval()
        for p in adapter.parameters():
            p.requires_grad_(False)
        return adapter

    __call__ = load


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
