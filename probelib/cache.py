"""The run cache: trained artefacts keyed by a hash of their config, written atomically.

An artefact is one safetensors file ``<run_dir>/cache/<name>-<hash>.safetensors`` whose
header metadata holds the resolved config and a small JSON record (history, timings),
plus a human-readable ``.json`` twin. Loading goes through ``safetensors`` only, never
through pickle. A second run with the same config trains nothing.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

__all__ = ["CacheError", "Artefact", "config_hash", "atomic_write", "save_artefact", "load_artefact", "load_or_train"]

FORMAT = "probelib-artefact-1"


class CacheError(RuntimeError):
    """A cached artefact is corrupt or does not match what was asked for (one-line message)."""


@dataclass
class Artefact:
    """Tensors, the config they were made from, a JSON-able record, and where they live."""

    tensors: dict[str, torch.Tensor]
    config: dict
    record: dict
    path: Path
    hit: bool  # True when loaded from the cache, False when just trained


def _canonical(config: dict) -> str:
    return json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)


def config_hash(config: dict) -> str:
    """First 16 hex digits of the SHA-256 of the canonical JSON of ``config``."""
    return hashlib.sha256(_canonical(config).encode()).hexdigest()[:16]


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file ordinary permissions
        os.replace(tmp, path)  # atomic on POSIX: readers see the old file or the new one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_artefact(path: Path, tensors: dict[str, torch.Tensor], config: dict, record: dict) -> None:
    """Write ``tensors`` + ``config`` + ``record`` atomically (safetensors, then a JSON twin)."""
    path = Path(path)
    meta = {"format": FORMAT, "config": _canonical(config), "record": json.dumps(record, default=str)}
    clean = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    atomic_write(path, lambda tmp: save_file(clean, tmp, metadata=meta))

    def _json(tmp: str) -> None:
        Path(tmp).write_text(json.dumps({"config": config, "record": record}, indent=2, default=str))

    atomic_write(path.with_suffix(".json"), _json)


def load_artefact(path: Path, expect_config: dict | None = None) -> Artefact:
    """Load an artefact; a corrupt file or a config other than ``expect_config`` is a CacheError."""
    path = Path(path)
    try:
        tensors = load_file(str(path))
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as err:
        raise CacheError(f"corrupt checkpoint {path} ({err}); delete it and rerun to retrain") from err
    if meta.get("format") != FORMAT or "config" not in meta:
        raise CacheError(f"{path} is not a probelib artefact (no config in its header); delete it and rerun")
    config = json.loads(meta["config"])
    if expect_config is not None and meta["config"] != _canonical(expect_config):
        raise CacheError(f"checkpoint {path} was written for another config; delete it and rerun to retrain")
    return Artefact(tensors, config, json.loads(meta.get("record", "{}")), path, hit=True)


def artefact_path(run_dir: str | Path, name: str, config: dict) -> Path:
    return Path(run_dir) / "cache" / f"{name}-{config_hash(config)}.safetensors"


def load_or_train(
    name: str,
    config: dict,
    train: Callable[[], tuple[dict[str, torch.Tensor], dict]],
    run_dir: str | Path,
) -> Artefact:
    """Return the cached artefact for ``(name, config)``, or call ``train()`` and cache its result.

    ``train`` returns ``(tensors, record)``; ``record`` is any JSON-able dict (history, timings).
    """
    path = artefact_path(run_dir, name, config)
    if path.exists():
        return load_artefact(path, expect_config=config)
    tensors, record = train()
    save_artefact(path, tensors, config, record)
    return Artefact(tensors, config, record, path, hit=False)


def quiet(progress: bool) -> bool:
    """``disable=`` for tqdm: off when ``progress`` is False or ``$TQDM_DISABLE`` is set (the book
    build sets it, so executed pages hold no frozen bars; tqdm ignores the variable when
    ``disable`` is passed explicitly)."""
    import os

    return (not progress) or os.environ.get("TQDM_DISABLE", "") not in ("", "0")
