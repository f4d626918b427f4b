"""BigGAN-style class-conditional generator and a discriminator with two heads, at 32, 64 or
128 pixels (:func:`architecture`).

Generator (Brock et al. 2019): a 4×4 seed from the first chunk of a
hierarchical z, ``len(up)`` up-sampling residual blocks whose batch norms are conditioned on
the shared class embedding concatenated with the next z chunk, then BN-ReLU-conv-tanh.
Discriminator: residual down-sampling trunk, ReLU, global sum pooling; two heads on the
same pooled features — the conditional projection head ``Dc(x, y)`` (Miyato & Koyama 2018)
and the unconditional linear head ``Du(x)`` of ProbeGAN. Only the projection head sees
labels, so sharing the trunk does not leak class information into ``Du``. Spectral norm
on every weight of G and D. At ``ch=64`` with the default multipliers (256 channels in every
block, the reference's 32×32 architecture) the parameter counts are those of the reference:
≈ 4.4 M in G, ≈ 4.2 M in D. The ``cpu`` profile narrows the high-resolution blocks (as
BigGAN does at 64×64 and above), which is where the CPU time goes. At 64 and 128 pixels the
multipliers are BigGAN's (G 16-16-8-4-2(-1), D 1-2-4-8-16(-16), D down-sampling to 4×4; without
the non-local block).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
import torch.nn.functional as F
from .spectral import spectral_norm

__all__ = ["GANConfig", "Generator", "Discriminator", "build_gan", "RESOLUTIONS", "architecture"]

#: the resolutions :func:`architecture` knows
RESOLUTIONS = (32, 64, 128)


@dataclass(frozen=True)
class GANConfig:
    """Architecture of G and D (the profile picks it; the cache key includes it)."""

    ch: int = 16  # width unit (reference: 64)
    g_mult: tuple[int, ...] = (4, 4, 4, 4)  # G channels ÷ ch: the 4×4 seed, then each up-block's output
    d_mult: tuple[int, ...] = (4, 4, 4, 4)  # D channels ÷ ch: each down-block's output
    z_dim: int = 120  # latent size; split into len(up)+1 chunks when hierarchical
    shared_dim: int = 128  # shared class embedding of G
    hierarchical: bool = True  # z chunks into every block (BigGAN) or z only at the bottom
    resolution: int = 32
    channels: int = 1  # image channels (1 grey, 3 colour)
    spectral: bool = True
    init_std: float = 0.02  # N(0, 0.02) init, as the reference

    @property
    def up(self) -> int:
        """Up-sampling blocks of G; the seed is ``resolution / 2**up`` pixels wide."""
        return len(self.g_mult) - 1

    @property
    def d_down(self) -> tuple[bool, ...]:
        """Which D blocks halve the resolution: the first two at 32 pixels (the reference, down to
        8×8), all but the last above (BigGAN, down to 4×4)."""
        n = len(self.d_mult)
        if self.resolution <= 32:
            return tuple(i < 2 for i in range(n))
        return tuple(i < n - 1 for i in range(n))


def architecture(resolution: int, channels: int, ch: int = 64, narrow: bool = False, **changes) -> GANConfig:
    """BigGAN's G and D for ``resolution`` (32, 64 or 128) and ``channels``; ``narrow`` halves the
    high-resolution blocks' widths (the `cpu` profile's trade), ``changes`` set other fields."""
    mults = {
        32: ((4, 4, 2, 1), (1, 2, 4, 4)) if narrow else ((4, 4, 4, 4), (4, 4, 4, 4)),
        64: ((8, 8, 4, 2, 1), (1, 2, 4, 8, 8)) if narrow else ((16, 16, 8, 4, 2), (1, 2, 4, 8, 16)),
        128: ((8, 8, 4, 2, 1, 1), (1, 1, 2, 4, 8, 8)) if narrow else ((16, 16, 8, 4, 2, 1), (1, 2, 4, 8, 16, 16)),
    }
    if resolution not in mults:
        raise ValueError(f"no GAN architecture for {resolution}×{resolution} images; choose one of: "
                         f"{', '.join(map(str, RESOLUTIONS))}")
    g_mult, d_mult = mults[resolution]
    return GANConfig(**{"ch": ch, "g_mult": g_mult, "d_mult": d_mult, "resolution": resolution,
                        "channels": channels, **changes})


def _sn(module: nn.Module, on: bool) -> nn.Module:
    return spectral_norm(module) if on else module


class ConditionalBatchNorm(nn.Module):
    """BatchNorm without affine parameters whose gain (1 + γ(c)) and bias β(c) are linear in ``c``."""

    def __init__(self, channels: int, cond_dim: int, spectral: bool):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = _sn(nn.Linear(cond_dim, channels, bias=False), spectral)
        self.bias = _sn(nn.Linear(cond_dim, channels, bias=False), spectral)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        g = 1 + self.gain(c)[:, :, None, None]  # (B, C, 1, 1)
        b = self.bias(c)[:, :, None, None]
        return self.bn(x) * g + b


class GBlock(nn.Module):
    """CBN-ReLU-up-conv-CBN-ReLU-conv, plus an up-sampled 1×1 shortcut."""

    def __init__(self, c_in: int, c_out: int, cond_dim: int, spectral: bool):
        super().__init__()
        self.bn1 = ConditionalBatchNorm(c_in, cond_dim, spectral)
        self.conv1 = _sn(nn.Conv2d(c_in, c_out, 3, padding=1), spectral)
        self.bn2 = ConditionalBatchNorm(c_out, cond_dim, spectral)
        self.conv2 = _sn(nn.Conv2d(c_out, c_out, 3, padding=1), spectral)
        self.shortcut = _sn(nn.Conv2d(c_in, c_out, 1), spectral)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, c)), scale_factor=2)
        h = self.conv2(F.relu(self.bn2(self.conv1(h), c)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2))


class Generator(nn.Module):
    """``G(z, y)``: latent ``(B, z_dim)`` and labels ``(B,)`` -> images ``(B, C, R, R)`` in [-1, 1]."""

    def __init__(self, cfg: GANConfig, num_classes: int):
        super().__init__()
        self.cfg, self.num_classes = cfg, num_classes
        widths = [cfg.ch * m for m in cfg.g_mult]
        self.bottom = cfg.resolution // 2**cfg.up
        n_chunks = cfg.up + 1 if cfg.hierarchical else 1
        self.chunk = cfg.z_dim // n_chunks
        self.z_dim = self.chunk * n_chunks  # a z_dim not divisible by the chunks is rounded down
        cond_dim = cfg.shared_dim + (self.chunk if cfg.hierarchical else 0)
        self.shared = nn.Embedding(num_classes, cfg.shared_dim)
        self.linear = _sn(nn.Linear(self.chunk, widths[0] * self.bottom**2), cfg.spectral)
        self.blocks = nn.ModuleList(GBlock(widths[i], widths[i + 1], cond_dim, cfg.spectral) for i in range(cfg.up))
        self.out_bn = nn.BatchNorm2d(widths[-1])
        self.out_conv = _sn(nn.Conv2d(widths[-1], cfg.channels, 3, padding=1), cfg.spectral)
        _init(self, cfg.init_std)

    def embed(self, y: torch.Tensor) -> torch.Tensor:
        return self.shared(y)  # (B, shared_dim)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None, embedding: torch.Tensor | None = None):
        """Labels ``y`` or, for BigGAN-AM, a class ``embedding`` ``(B, shared_dim)`` directly."""
        e = self.embed(y) if embedding is None else embedding
        if self.cfg.hierarchical:
            zs = torch.split(z[:, : self.z_dim], self.chunk, dim=1)
            conds = [torch.cat([e, zi], dim=1) for zi in zs[1:]]
            z0 = zs[0]
        else:
            conds, z0 = [e] * len(self.blocks), z[:, : self.chunk]
        h = self.linear(z0).view(z.shape[0], -1, self.bottom, self.bottom)  # (B, ch·g_mult[0], 4, 4)
        for block, c in zip(self.blocks, conds):
            h = block(h, c)  # doubles the resolution
        return torch.tanh(self.out_conv(F.relu(self.out_bn(h))))  # (B, C, R, R)


class DBlock(nn.Module):
    """(ReLU)-conv-ReLU-conv(-avgpool) with a 1×1 shortcut where shape changes."""

    def __init__(self, c_in: int, c_out: int, down: bool, preactivation: bool, spectral: bool):
        super().__init__()
        self.conv1 = _sn(nn.Conv2d(c_in, c_out, 3, padding=1), spectral)
        self.conv2 = _sn(nn.Conv2d(c_out, c_out, 3, padding=1), spectral)
        self.down, self.preactivation = down, preactivation
        self.shortcut = _sn(nn.Conv2d(c_in, c_out, 1), spectral) if (c_in != c_out or down) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(x) if self.preactivation else x
        h = self.conv2(F.relu(self.conv1(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.shortcut is not None:
            if self.preactivation:  # BigGAN: conv then pool for pre-activated blocks
                s = self.shortcut(s)
                s = F.avg_pool2d(s, 2) if self.down else s
            else:  # the first block: pool then conv
                s = F.avg_pool2d(s, 2) if self.down else s
                s = self.shortcut(s)
        return h + s


class Discriminator(nn.Module):
    """One trunk, two heads: ``forward(x, y)`` returns ``(Dc(x, y), Du(x))``, each ``(B,)``."""

    def __init__(self, cfg: GANConfig, num_classes: int):
        super().__init__()
        self.cfg, self.num_classes = cfg, num_classes
        blocks, c = [], cfg.channels
        for i, (m, down) in enumerate(zip(cfg.d_mult, cfg.d_down)):
            blocks.append(DBlock(c, cfg.ch * m, down=down, preactivation=i > 0, spectral=cfg.spectral))
            c = cfg.ch * m
        width = c
        self.blocks = nn.Sequential(*blocks)
        self.linear_c = _sn(nn.Linear(width, 1), cfg.spectral)  # unconditional part of Dc
        self.embed = _sn(nn.Embedding(num_classes, width), cfg.spectral)  # projection: <embed(y), h>
        self.linear_u = _sn(nn.Linear(width, 1), cfg.spectral)  # Du: the second head
        _init(self, cfg.init_std)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.blocks(x)).sum(dim=(2, 3))  # (B, ch·d_mult[-1]): global sum pooling

    def heads(self, h: torch.Tensor, y: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        du = self.linear_u(h).squeeze(1)
        if y is None:
            return torch.zeros_like(du), du
        dc = self.linear_c(h).squeeze(1) + (self.embed(y) * h).sum(dim=1)
        return dc, du

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.heads(self.features(x), y)


def _init(module: nn.Module, std: float) -> None:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)):
            weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            nn.init.normal_(weight, 0.0, std)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)


def build_gan(cfg: GANConfig, num_classes: int) -> tuple[Generator, Discriminator]:
    """A fresh generator and discriminator of ``cfg`` for ``num_classes`` classes (G built first)."""
    return Generator(cfg, num_classes), Discriminator(cfg, num_classes)
