"""Hashes that make cache keys honest: of a config (canonical JSON), of tensors (their bytes),
of a model (its state dict). Each is a prefix of a SHA-256 in hex."""
from __future__ import annotations

import hashlib
import json

import torch
from torch import nn

__all__ = ["canonical", "config_hash", "tensor_fingerprint", "weights_hash"]


def canonical(config: dict) -> str:
    """The canonical JSON of ``config``: sorted keys, no spaces, unknown types as ``str``."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)


def config_hash(config: dict) -> str:
    """First 16 hex digits of the SHA-256 of the canonical JSON of ``config``."""
    return hashlib.sha256(canonical(config).encode()).hexdigest()[:16]


def _bytes(tensor: torch.Tensor) -> bytes:
    """The raw bytes of a tensor of any dtype (bfloat16 included, which numpy lacks)."""
    t = tensor.detach().cpu().contiguous().reshape(-1)
    return t.view(torch.uint8).numpy().tobytes() if t.numel() else b""


def _update(h, tensor: torch.Tensor) -> None:
    h.update(f"{tensor.dtype}{tuple(tensor.shape)}".encode())
    h.update(_bytes(tensor))


def tensor_fingerprint(*tensors: torch.Tensor, extra: str = "") -> str:
    """First 16 hex digits of a SHA-256 over the dtype, shape and bytes of ``tensors`` (in order)
    and an ``extra`` string: a changed pixel or label changes it."""
    h = hashlib.sha256(extra.encode())
    for t in tensors:
        _update(h, t)
    return h.hexdigest()[:16]


def weights_hash(model: nn.Module, digits: int = 12) -> str:
    """First ``digits`` hex digits of a SHA-256 over the model's state dict (names and bytes)."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(_bytes(tensor))
    return h.hexdigest()[:digits]
