"""Atomic checkpoints of a ProbeGAN trainer and bit-identical resume (safetensors, no pickle), and
the keys of its config (cache keys and checkpoint hashes)."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from ..core.cache import CacheError, atomic_write

__all__ = ["Checkpoints", "config_key", "trajectory_key", "NOT_TRAJECTORY"]


def config_key(cfg: "ProbeGANConfig") -> dict:
    """The config as it enters cache keys and checkpoint hashes: ``targets`` only when there are
    further targets, so a one-target GAN keeps the key it had before several targets existed."""
    out = dataclasses.asdict(cfg)
    if not out["targets"]:
        del out["targets"]
    if out["precision"] == "float32":  # the default keeps the keys of GANs trained before it existed
        del out["precision"]
    return out


#: config fields that do not change what a step computes: the budget and how often to checkpoint
NOT_TRAJECTORY = ("steps", "checkpoint_every")


def trajectory_key(cfg: "ProbeGANConfig") -> dict:
    """:func:`config_key` less :data:`NOT_TRAJECTORY`: checkpoints are keyed by it, so a run goes
    on under a larger budget (step ``k`` of a 700-step run is step ``k`` of a 1,500-step one)."""
    return {k: v for k, v in config_key(cfg).items() if k not in NOT_TRAJECTORY}


class Checkpoints:
    """Mixin of :class:`~probelib.train.probegan.ProbeGANTrainer`: G, D, EMA G, both optimisers,
    the random generator, step, history and seconds, keyed by the trainer's ``_hash()``; a checkpoint
    resumes when its hash is one of the trainer's ``_hashes()`` (today's and earlier ones)."""

    def _state(self) -> tuple[dict[str, torch.Tensor], dict]:
        tensors = {}
        for prefix, module in (("G", self.G), ("D", self.D), ("G_ema", self.G_ema)):
            tensors.update({f"{prefix}.{k}": v for k, v in module.state_dict().items()})
        meta = {}
        for name, opt in (("opt_g", self.opt_g), ("opt_d", self.opt_d)):
            sd = opt.state_dict()
            for idx, state in sd["state"].items():
                for key, value in state.items():
                    tensors[f"{name}.{idx}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
            meta[name] = sd["param_groups"]
        tensors["rng"] = self.rng.get_state()
        meta.update(step=self.step, history=self.history, seconds=self.seconds, config_hash=self._hash())
        return tensors, meta

    def save_checkpoint(self) -> Path:
        """Write ``step-<n>.safetensors`` atomically into ``checkpoint_dir``; keep the last two."""
        tensors, meta = self._state()
        path = self.checkpoint_dir / f"step-{self.step:07d}.safetensors"
        clean = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
        atomic_write(path, lambda tmp: save_file(clean, tmp, metadata={"meta": json.dumps(meta)}))
        for old in sorted(self.checkpoint_dir.glob("step-*.safetensors"))[:-2]:
            old.unlink()
        return path

    def load_checkpoint(self, path: Path) -> None:
        """Restore everything (weights, optimisers, random state, step, history) from ``path``."""
        try:
            tensors = load_file(str(path))
            with safe_open(str(path), framework="pt") as f:
                meta = json.loads(f.metadata()["meta"])
        except Exception as err:  # noqa: BLE001 - any failure to read is the same user problem
            raise CacheError(f"corrupt GAN checkpoint {path} ({err}); delete it to restart") from err
        if meta.get("config_hash") not in self._hashes():
            raise CacheError(f"GAN checkpoint {path} belongs to another config; delete it to restart")
        for prefix, module in (("G", self.G), ("D", self.D), ("G_ema", self.G_ema)):
            module.load_state_dict({k[len(prefix) + 1:]: v for k, v in tensors.items()
                                    if k.startswith(prefix + ".")}, strict=True)
        for name, opt in (("opt_g", self.opt_g), ("opt_d", self.opt_d)):
            state: dict = {}
            for key, value in tensors.items():
                if key.startswith(name + "."):
                    _, idx, field_name = key.split(".", 2)
                    state.setdefault(int(idx), {})[field_name] = value.to(self.device)
            opt.load_state_dict({"state": state, "param_groups": meta[name]})
        self.rng.set_state(tensors["rng"])
        self.step, self.history, self.seconds = meta["step"], meta["history"], meta["seconds"]

    def resume_latest(self) -> bool:
        """Load the newest checkpoint in ``checkpoint_dir`` if there is one."""
        if self.checkpoint_dir is None:
            return False
        found = sorted(self.checkpoint_dir.glob("step-*.safetensors"))
        if not found:
            return False
        self.load_checkpoint(found[-1])
        return True
