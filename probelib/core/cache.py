"""The run cache: trained artefacts keyed by a hash of what made them, written atomically.

An artefact is one safetensors file ``<run_dir>/cache/<kind>-<hash>.safetensors`` whose header
holds the keyed config and a small JSON record (history, timings), plus a readable ``.json``
twin. The key is the hash of ``{"kind", "version", **config}``:

- ``kind`` names the trainer (``classifier``, ``gan``, ...) and ``version`` is that trainer's
  version constant, bumped whenever its training semantics change, so old artefacts miss;
- ``config`` is everything that determines the result: the settings *and* content hashes of
  the training data and of any frozen network involved (never a data set's name);
- a display ``name`` is recorded in the twin but is not part of the key, so two chapters
  asking for the same config under different names share one file.

Loading goes through ``safetensors`` only, never through pickle. A second run with the same
config trains nothing; a corrupt or foreign file is a one-line :class:`CacheError`.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from .errors import UserError
from .hashing import canonical, config_hash

__all__ = ["CacheError", "Artefact", "atomic_write", "keyed", "artefact_path", "save_artefact", "load_artefact",
           "load_or_train"]

FORMAT = "probelib-artefact-1"


class CacheError(UserError, RuntimeError):
    """A cached artefact is corrupt or does not match what was asked for (one-line message)."""


@dataclass
class Artefact:
    """Tensors, the config they were made from, a JSON-able record, and where they live."""

    tensors: dict[str, torch.Tensor]
    config: dict
    record: dict
    path: Path
    hit: bool  # True when loaded from the cache, False when just trained

    @property
    def key(self) -> str:
        """The hash part of the file name: what another artefact's key may cite."""
        return self.path.stem.rsplit("-", 1)[-1]


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``:
    readers see the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file ordinary permissions
        os.replace(tmp, path)  # atomic on POSIX
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def keyed(kind: str, version: int, config: dict) -> dict:
    """The dict whose hash is the key: the trainer's ``kind`` and ``version``, then ``config``."""
    if not kind or "/" in kind:
        raise ValueError(f"an artefact kind is a plain name, got {kind!r}")
    return {"kind": kind, "version": int(version), **config}


def artefact_path(run_dir: str | Path, kind: str, key_config: dict) -> Path:
    """``<run_dir>/cache/<kind>-<hash>.safetensors`` for an already :func:`keyed` config."""
    return Path(run_dir) / "cache" / f"{kind}-{config_hash(key_config)}.safetensors"


def save_artefact(path: Path, tensors: dict[str, torch.Tensor], config: dict, record: dict) -> None:
    """Write ``tensors`` + ``config`` + ``record`` atomically (safetensors, then a JSON twin)."""
    path = Path(path)
    meta = {"format": FORMAT, "config": canonical(config), "record": json.dumps(record, default=str)}
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
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as err:
        raise CacheError(f"corrupt checkpoint {path} ({err}); delete it and rerun to retrain") from err
    if meta.get("format") != FORMAT or "config" not in meta:
        raise CacheError(f"{path} is not a probelib artefact (no config in its header); delete it and rerun")
    config = json.loads(meta["config"])
    if expect_config is not None and meta["config"] != canonical(expect_config):
        raise CacheError(f"checkpoint {path} was written for another config; delete it and rerun to retrain")
    return Artefact(tensors, config, json.loads(meta.get("record", "{}")), path, hit=True)


def load_or_train(
    kind: str,
    config: dict,
    train: Callable[[], tuple[dict[str, torch.Tensor], dict]],
    run_dir: str | Path,
    *,
    version: int,
    name: str | None = None,
) -> Artefact:
    """The cached artefact of trainer ``kind`` (at ``version``) for ``config``, or ``train()``'s
    result, cached now. ``train`` returns ``(tensors, record)``, ``record`` any JSON-able dict;
    ``name`` (a display label) goes into the record of a new entry, not into the key."""
    key_config = keyed(kind, version, config)
    path = artefact_path(run_dir, kind, key_config)
    if path.exists():
        return load_artefact(path, expect_config=key_config)
    tensors, record = train()
    record = {**record, "name": name} if name else record
    save_artefact(path, tensors, key_config, record)
    return Artefact(tensors, key_config, record, path, hit=False)
