"""How fast a ProbeGAN step runs, without changing what it computes.

Two kinds of setting, kept apart on purpose:

- ``ProbeGANConfig.precision`` (in the GAN's cache key, since it changes the numbers):
  ``"float32"`` (the default and the only choice of the ``cpu`` and ``smoke`` profiles) or
  ``"bfloat16"``: G, D and the classifier run under ``torch.autocast`` in bfloat16, every loss
  is reduced in float32, and the gradient penalty (eq. 3) — the one term with a double backward —
  is computed with autocast off, in float32, from float32 inputs. Weights and Adam's moments stay
  float32 (bfloat16 needs no loss scaling).
- :class:`StepSettings` (not in any key: the same maths up to float rounding): fused Adam,
  ``cudnn.benchmark``, and ``torch.compile`` of the parts of the step that need no double
  backward (G, the classifier, D's plain forward; the penalty's critic stays eager, since
  ``torch.compile`` does not support double backward). Inductor compiles G and D since their
  spectral norm updates its power-iteration vectors out of place
  (:mod:`probelib.models.spectral`; torch's in-place update failed under compile).

Measured at one thread on the `cpu` profile's trainer, side by side in one process on a loaded
2-core machine (``benchmarks/fast_step.py --ab``, 2026-12-06): CPU seconds per generator step,
median of 7 rounds, plain 0.344; ``compile=inductor`` 0.297 (0.86x; ~12 CPU-s of warm-up with a
warm inductor cache, minutes cold); ``precision="bfloat16"`` 0.224 (0.68x); both 0.200 (0.59x).
Convolutions are ~2/3 of the compiled float32 step (forward, backward and the penalty's double
backward), so no float32 path that computes the same maths halves it.

:func:`default_settings` picks them per device; ``PROBELIB_STEP`` (``key=value,…``, e.g.
``fused_adam=1,compile=inductor``) overrides them for a whole run. What each one is worth was
measured, not assumed (``benchmarks/fast_step.py``, the Results page).
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["PRECISIONS", "StepSettings", "default_settings", "parse_settings", "autocast", "adam", "compiled"]

PRECISIONS = ("float32", "bfloat16")
ENV = "PROBELIB_STEP"


@dataclass(frozen=True)
class StepSettings:
    """Speed-only choices for a trainer's step (see the module docstring)."""

    fused_adam: bool = False  # torch's fused Adam kernel (CPU and CUDA)
    cudnn_benchmark: bool = False  # let cuDNN time its convolution algorithms (CUDA only)
    compile: str | None = None  # a torch.compile backend ("inductor", "aot_eager", …) or None


def parse_settings(text: str, base: StepSettings | None = None) -> StepSettings:
    """``"fused_adam=1,compile=inductor"`` → :class:`StepSettings` (unknown keys are an error)."""
    base = base or StepSettings()
    names = {f.name: f.type for f in dataclasses.fields(StepSettings)}
    out = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in names:
            raise ValueError(f"bad {ENV} entry {item!r}; use key=value with key one of: {', '.join(names)}")
        value = value.strip()
        if key == "compile":
            out[key] = None if value.lower() in ("", "0", "none", "off", "false") else value
        elif value.lower() in ("1", "true", "on", "yes"):
            out[key] = True
        elif value.lower() in ("0", "false", "off", "no"):
            out[key] = False
        else:
            raise ValueError(f"bad {ENV} value {item!r}; {key} takes 1 or 0")
    return dataclasses.replace(base, **out)


def default_settings(device: torch.device) -> StepSettings:
    """CUDA: fused Adam and cudnn.benchmark on, no compile (until a lent GPU measures it worth it);
    CPU: the plain step. Fused Adam was measured not to help on 2 cores; inductor saves ~14 % of
    a `cpu`-profile step but costs ~12 CPU-s of warm-up per process with a warm cache (minutes
    cold, ~40 s saved over a 700-step GAN) and needs a C++ compiler, so it is opt-in:
    ``PROBELIB_STEP=compile=inductor``. Then ``PROBELIB_STEP`` on top."""
    base = StepSettings(fused_adam=True, cudnn_benchmark=True) if device.type == "cuda" else StepSettings()
    return parse_settings(os.environ.get(ENV, ""), base)


def check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of: {', '.join(PRECISIONS)}")


def autocast(device: torch.device, precision: str):
    """The autocast context of ``precision`` on ``device`` (a no-op context for float32)."""
    check_precision(precision)
    if precision == "float32":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


def full_precision(device: torch.device):
    """Autocast off: what the gradient penalty runs under, whatever the step's precision."""
    return torch.autocast(device.type, enabled=False)


def adam(params, lr: float, betas: tuple[float, float], settings: StepSettings) -> torch.optim.Adam:
    """Adam, fused when ``settings.fused_adam``."""
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=True if settings.fused_adam else None)


def compiled(module: nn.Module, settings: StepSettings):
    """``module`` itself, or ``torch.compile(module)`` sharing its parameters and buffers."""
    return module if settings.compile is None else torch.compile(module, backend=settings.compile)
