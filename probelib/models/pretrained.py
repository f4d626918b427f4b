"""Pretrained networks from local files only (nothing is downloaded): MemNet, the memorability
assessor GANalyze used, and a pretrained BigGAN as the book's ``G(z, y)``. A missing, unreadable
or foreign file is a one-line :class:`AdapterError` that says where to get the weights."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ..core.errors import UserError
from .memnet import MemNet, MemNetAssessor

__all__ = ["AdapterError", "load_memnet", "BigGANGenerator", "load_biggan"]


class AdapterError(UserError, FileNotFoundError):
    """Pretrained weights (MemNet, BigGAN) are missing; the message says where to get them."""


MEMNET_HELP = ("MemNet (Khosla et al. 2015) as used by GANalyze: on a machine with internet, get the PyTorch "
               "conversion of the LaMem model (e.g. memnet_lamem-a92fdac2.pth from pretorched-x, or the weights "
               "of https://github.com/LoreGoetschalckx/GANalyze) and pass the file's path")
BIGGAN_HELP = ("pretrained BigGAN: pip install pytorch-pretrained-biggan, download biggan-deep-256 "
               "(config.json + pytorch_model.bin) on a machine with internet, and pass its folder")


def load_memnet(path: str | Path | None) -> nn.Module:
    """The MemNet assessor (:class:`~probelib.models.memnet.MemNetAssessor`, scores in [0, 1])
    from a local state dict (``.pth``/``.pt`` or ``.safetensors``, layer names ``conv1`` … ``fc8``,
    optionally under ``state_dict`` or prefixed ``module.``); one-line errors when the file is
    absent, unreadable or holds another network."""
    p = Path(path).expanduser() if path else None
    if p is None or not p.is_file():
        raise AdapterError(f"MemNet weights not found at {path}: {MEMNET_HELP}")
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file
            state = load_file(str(p))
        else:
            state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable file gets the same one-line answer
        raise AdapterError(f"{p} is not a readable MemNet state dict ({type(e).__name__}): {MEMNET_HELP}") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise AdapterError(f"{p} holds a {type(state).__name__}, not a state dict: {MEMNET_HELP}")
    state = {k.removeprefix("module."): v for k, v in state.items()}
    net = MemNet()
    want = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items() if torch.is_tensor(v)}
    missing = sorted(set(want) - set(got))
    wrong = sorted(k for k in set(want) & set(got) if want[k] != got[k])
    if missing or wrong:
        detail = (f"missing {', '.join(missing[:4])}" if missing else
                  f"{wrong[0]} has shape {got[wrong[0]]}, MemNet needs {want[wrong[0]]}")
        raise AdapterError(f"{p} is not a MemNet state dict ({detail}): {MEMNET_HELP}")
    net.load_state_dict({k: state[k] for k in want})
    assessor = MemNetAssessor(net).eval()
    for q in assessor.parameters():
        q.requires_grad_(False)
    return assessor


class BigGANGenerator(nn.Module):
    """A ``pytorch-pretrained-biggan`` model as the book's ``G(z, y)``: ``z`` (N, z_dim), ``y``
    class indices (one-hot inside), images in [−1, 1]; ``z_dim`` and ``num_classes`` from its config."""

    def __init__(self, biggan: nn.Module, truncation: float = 1.0):
        super().__init__()
        self.biggan, self.truncation = biggan.eval(), truncation
        self.z_dim, self.num_classes = int(biggan.config.z_dim), int(biggan.config.num_classes)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        onehot = torch.nn.functional.one_hot(y, self.num_classes).to(z.dtype)
        return self.biggan(z, onehot, self.truncation)


def load_biggan(path: str | Path | None, truncation: float = 1.0) -> BigGANGenerator:
    """A pretrained BigGAN (``pytorch-pretrained-biggan``) from a local folder, wrapped as
    :class:`BigGANGenerator`; one-line errors when the package or the weights are missing."""
    p = Path(path).expanduser() if path else None
    if p is None or not (p / "config.json").is_file():
        raise AdapterError(f"BigGAN weights not found at {path}: {BIGGAN_HELP}")
    try:
        from pytorch_pretrained_biggan import BigGAN
    except ImportError:
        raise AdapterError(f"pytorch-pretrained-biggan is not installed: {BIGGAN_HELP}") from None
    G = BigGANGenerator(BigGAN.from_pretrained(str(p)), truncation)
    for q in G.parameters():
        q.requires_grad_(False)
    return G
