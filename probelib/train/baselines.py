"""The baselines of Table 1 as configurations of the one trainer, and BigGAN-AM.

- ``probegan``: the full objective, eq. (1), target absent, class dilution at 1/C.
- ``naive``: Du only, G fed the constant target label (no Dc, no dilution).
- ``probegan-oracle``: the full objective with the target's real images present.
- ``biggan-all``: a plain class-conditional GAN (Dc hinge only) on all classes: upper bound.
- ``biggan-seen``: the same on the seen classes only: the prior that BigGAN-AM searches.
- ``biggan-am``: optimise the class embedding of ``biggan-seen`` toward the target logit
  (Li et al. 2020; reference: Adam lr 0.1, weight decay 0.9, 10 rounds × 20 steps, z
  resampled every round, 3 restarts, clamped to the range of the trained embeddings).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn
from tqdm.auto import tqdm

from ..core.progress import quiet
from ..models.gan import Generator
from . import losses
from .gans import sample
from .probegan import ProbeGANConfig

__all__ = ["METHODS", "method_config", "AMConfig", "AMResult", "biggan_am", "sample_embedding"]

#: how each GAN method differs from the ProbeGAN defaults
METHODS: dict[str, dict] = {
    "probegan": {},
    "naive": {"use_dc": False, "target_fraction": 1.0},
    "probegan-oracle": {"include_target": True},
    "biggan-all": {"use_du": False, "lambda_cls": 0.0, "include_target": True},
    "biggan-seen": {"use_du": False, "lambda_cls": 0.0, "target_fraction": 0.0},
}


def method_config(method: str, base: ProbeGANConfig, **changes) -> ProbeGANConfig:
    """The trainer config of ``method`` on top of the profile's ``base`` config."""
    if method not in METHODS:
        raise ValueError(f"unknown GAN method {method!r}; choose one of: {', '.join(METHODS)}")
    return dataclasses.replace(base, **(METHODS[method] | changes))


@dataclass(frozen=True)
class AMConfig:
    """BigGAN-AM's embedding search (reference settings: Adam lr 0.1, weight decay 0.9, 10 × 20 steps, 3 restarts)."""

    lr: float = 0.1
    weight_decay: float = 0.9
    rounds: int = 10
    steps: int = 20
    restarts: int = 3
    batch_size: int = 32
    init_std: float = 0.1
    seed: int = 0


@dataclass
class AMResult:
    """The best restart's class embedding, the classifier's mean target probability, all restarts' history."""

    embedding: torch.Tensor  # (shared_dim,) the best restart's class embedding
    target_prob: float  # the probed classifier's mean p(target) at the end of the best restart
    history: list[dict]


def biggan_am(G: Generator, classifier: nn.Module, target: int, cfg: AMConfig, progress: bool = True) -> AMResult:
    """Search G's class-embedding space for the target class of ``classifier`` (no target data).

    The best of ``cfg.restarts`` restarts is chosen by the classifier's own mean target
    probability: model selection without target images.
    """
    device = next(G.parameters()).device
    G.eval()
    for p in G.parameters():
        p.requires_grad_(False)
    table = G.shared.weight.detach()  # (classes, shared_dim)
    low, high = table.min(0).values, table.max(0).values
    g = torch.Generator().manual_seed(cfg.seed)
    best, history = None, []
    for restart in tqdm(range(cfg.restarts), desc="BigGAN-AM", disable=quiet(progress)):
        e0 = table.mean(0) + cfg.init_std * torch.randn(table.shape[1], generator=g).to(device)
        e = e0.clone().requires_grad_(True)
        opt = torch.optim.Adam([e], lr=cfg.lr, weight_decay=cfg.weight_decay)
        for rnd in range(cfg.rounds):
            z = torch.randn(cfg.batch_size, G.z_dim, generator=g).to(device)  # resampled every round
            y = torch.full((cfg.batch_size,), target, device=device)
            for _ in range(cfg.steps):
                logits = classifier(G(z, embedding=e.expand(cfg.batch_size, -1)))
                loss = losses.classifier_ce(logits, y)
                opt.zero_grad()
                loss.backward()
                opt.step()
                with torch.no_grad():
                    e.copy_(torch.maximum(torch.minimum(e, high), low))  # stay in the trained range
            prob = float(logits.detach().softmax(1)[:, target].mean())
            history.append({"restart": restart, "round": rnd, "loss": float(loss.detach()), "target_prob": prob})
        if best is None or prob > best.target_prob:
            best = AMResult(e.detach().clone(), prob, history)
    best.history = history
    return best


def sample_embedding(G: Generator, embedding: torch.Tensor, n: int, seed: int = 0, batch_size: int = 250):
    """``n`` images from G with one fixed class ``embedding`` ``(shared_dim,)``: ``(n, C, H, W)``."""
    return sample(G, None, n, seed=seed, batch_size=batch_size, embedding=embedding)
