"""GANalyze (Goetschalckx et al., ICCV 2019): a latent direction that moves an assessor's score.

A frozen generator ``G(z, y)`` and a differentiable assessor ``A(image) -> score``; the
*transformer* ``T(z, α) = z + α·θ`` is trained so that ``A(G(T(z, α), y)) ≈ A(G(z, y)) + α``
(:func:`probelib.train.losses.ganalyze`). Variants of the reference code: one direction per class
(``θ_y = W·onehot(y)``) and re-normalising ``z′`` to the norm of ``z``.

The check every direction needs (:func:`direction_check`): the trained transformer's loss on fresh
draws against the loss of θ = 0 (``T`` = identity), which is ``E[α²] = α_max²/3``
(:func:`null_loss`); a direction whose loss is not below it has learned nothing.

Then: α sweeps per seed, the score against α by a linear mixed-effects regression
(statsmodels ``mixedlm``, seed as the group), the emerging factors of
:data:`probelib.measure.factors.FACTORS` against α and a degeneracy check (grey or collapsed images
at the ends of the α range).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..core.cache import load_or_train
from ..core.hashing import tensor_fingerprint, weights_hash
from ..core.progress import quiet
from ..core.stats import mean_ci
from ..models.judges import AreaNet
from . import losses

__all__ = ["GANalyzeConfig", "GANALYZE_VERSION", "Transformer", "truncated_normal", "train_transformer",
           "GANalyzeResult", "null_loss", "direction_check", "load_or_train_direction", "sweep", "train_area_assessor", "load_or_train_area_assessor"]

#: bumped whenever the training of a direction or of the area assessor changes (part of their keys);
#: 2: the assessor's score kind in the key, the record holds :func:`direction_check`
GANALYZE_VERSION = 2


@dataclass(frozen=True)
class GANalyzeConfig:
    """Training of one transformer (reference: batch 4, Adam lr 2e-4, 400k z samples)."""

    steps: int = 100_000
    batch_size: int = 4
    lr: float = 2e-4
    alpha_max: float = 0.5  # α ~ U[−alpha_max, alpha_max]
    truncation: float = 2.0  # z ~ N(0, I) truncated to [−truncation, truncation]
    per_class: bool = False  # one direction per class: θ_y = W·onehot(y)
    renorm: bool = False  # rescale z′ to the norm of z
    init_std: float = 0.1
    seed: int = 0


class Transformer(nn.Module):
    """``T(z, α) = z + α·θ`` (GANalyze eq. 1), or ``z + α·W·onehot(y)`` with ``per_class``;
    with ``renorm``, ``z′`` is rescaled to ``‖z‖`` (the reference code's variant)."""

    def __init__(self, z_dim: int, num_classes: int = 1, per_class: bool = False, renorm: bool = False,
                 init_std: float = 0.1, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.per_class, self.renorm = per_class, renorm
        self.theta = nn.Parameter(torch.randn(num_classes if per_class else 1, z_dim, generator=g) * init_std)

    def direction(self, y: torch.Tensor | None, batch: int) -> torch.Tensor:
        """θ (or θ_y) for each of ``batch`` rows: ``(B, z_dim)``."""
        if self.per_class:
            if y is None:
                raise ValueError("a per-class transformer needs the labels y")
            return self.theta[y]  # W·onehot(y)
        return self.theta.expand(batch, -1)

    def forward(self, z: torch.Tensor, alpha: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        alpha = torch.as_tensor(alpha, dtype=z.dtype, device=z.device).reshape(-1, 1)
        out = z + alpha * self.direction(y, len(z))  # z + α·θ
        if self.renorm:
            out = out * (z.norm(dim=1, keepdim=True) / out.norm(dim=1, keepdim=True).clamp(min=1e-8))
        return out


def _score(assessor: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    try:
        return assessor(x, y)
    except TypeError:  # assessors that ignore the class
        return assessor(x)


def _score_kind(assessor: nn.Module) -> str | None:
    kind = getattr(assessor, "score", None)  # ClassConfidence's "log-odds" / "probability"
    return kind if isinstance(kind, str) else None


def truncated_normal(n: int, dim: int, bound: float, generator: torch.Generator) -> torch.Tensor:
    """``(n, dim)`` standard normal samples, each entry redrawn until it lies in [−bound, bound]."""
    z = torch.randn(n, dim, generator=generator)
    bad = z.abs() > bound
    while bad.any():
        z[bad] = torch.randn(int(bad.sum()), generator=generator)
        bad = z.abs() > bound
    return z


@dataclass
class GANalyzeResult:
    """A trained transformer, its config, the loss history and the seconds per step."""

    transformer: Transformer
    config: GANalyzeConfig
    history: list[dict] = field(default_factory=list)
    seconds_per_step: float = 0.0


def train_transformer(G: nn.Module, assessor: nn.Module, num_classes: int, cfg: GANalyzeConfig,
                      classes: list[int] | None = None, device=None, progress: bool = True,
                      log_every: int = 50) -> GANalyzeResult:
    """Train θ with G and the assessor frozen: z truncated normal, α ~ U[−α_max, α_max], a
    random class of ``classes`` (default all), Adam; history of the loss every ``log_every`` steps."""
    device = device or next(G.parameters()).device
    g = torch.Generator().manual_seed(cfg.seed)
    T = Transformer(G.z_dim, num_classes, cfg.per_class, cfg.renorm, cfg.init_std, cfg.seed).to(device)
    opt = torch.optim.Adam(T.parameters(), lr=cfg.lr)
    pool = torch.tensor(classes if classes is not None else list(range(num_classes)))
    G.eval()
    for p in list(G.parameters()) + list(assessor.parameters()):
        p.requires_grad_(False)
    history, running, start = [], 0.0, time.perf_counter()
    for step in tqdm(range(1, cfg.steps + 1), desc="GANalyze θ", disable=quiet(progress)):
        z = truncated_normal(cfg.batch_size, G.z_dim, cfg.truncation, g).to(device)
        y = pool[torch.randint(len(pool), (cfg.batch_size,), generator=g)].to(device)
        alpha = ((torch.rand(cfg.batch_size, generator=g) * 2 - 1) * cfg.alpha_max).to(device)
        with torch.no_grad():
            s0 = _score(assessor, G(z, y), y)
        s1 = _score(assessor, G(T(z, alpha, y), y), y)
        loss = losses.ganalyze(s1, s0, alpha)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if not torch.isfinite(loss.detach()):
            raise FloatingPointError(f"GANalyze loss is {float(loss)} at step {step}")
        running += float(loss.detach())
        if step % log_every == 0 or step == cfg.steps:
            history.append({"step": step, "loss": running / (step - (history[-1]["step"] if history else 0))})
            running = 0.0
    T.eval()
    return GANalyzeResult(T, cfg, history, (time.perf_counter() - start) / max(cfg.steps, 1))


def null_loss(alpha_max: float) -> float:
    """The GANalyze loss of θ = 0 (``T`` = identity, so ``A(G(T(z, α))) = A(G(z))`` and the residual
    is ``−α``): ``E[α²] = α_max²/3`` for α ~ U[−α_max, α_max]. A direction must beat it."""
    return alpha_max ** 2 / 3  # E[a^2], a ~ U(-a_max, a_max)


@torch.no_grad()
def direction_check(G: nn.Module, T: Transformer, assessor: nn.Module, num_classes: int, cfg: GANalyzeConfig,
                    n: int = 512, classes: list[int] | None = None, seed: int | None = None,
                    batch_size: int = 128) -> dict:
    """The trained ``T`` against θ = 0 on ``n`` fresh draws of (z, y) made as in training (seed
    ``cfg.seed + 1_000_003`` unless given), α on an even grid over [−α_max, α_max] in random order
    (so the draws' own loss of θ = 0 is α_max²/3 up to 1/n², not up to sampling noise): ``loss``
    (GANalyze's objective of ``T``), ``null_loss`` (the draws' mean α², the loss of θ = 0) and
    ``null_expected`` (α_max²/3); ``gain`` = per
    draw ``α² − residual²`` averaged, with its 95 % interval ``gain_low``/``gain_high``
    (:func:`~probelib.core.stats.mean_ci`; ``learned`` when ``gain_low > 0``); ``score_at_zero``, the
    assessor's mean score of ``G(z, y)`` (α = 0), and ``score_std`` its spread."""
    device = next(G.parameters()).device
    g = torch.Generator().manual_seed(cfg.seed + 1_000_003 if seed is None else seed)
    pool = torch.tensor(classes if classes is not None else list(range(num_classes)))
    grid = ((torch.arange(n) + 0.5) / n * 2 - 1) * cfg.alpha_max  # (n,) midpoints over [-a_max, a_max]
    grid = grid[torch.randperm(n, generator=g)]
    res, a2, s0s = [], [], []
    for start in range(0, n, batch_size):
        b = min(batch_size, n - start)
        z = truncated_normal(b, G.z_dim, cfg.truncation, g).to(device)
        y = pool[torch.randint(len(pool), (b,), generator=g)].to(device)
        alpha = grid[start:start + b].to(device)
        s0 = _score(assessor, G(z, y), y)
        s1 = _score(assessor, G(T(z, alpha, y), y), y)
        res.append(((s1 - (s0 + alpha)) ** 2).double().cpu())  # (b,) the objective per draw
        a2.append((alpha ** 2).double().cpu())  # (b,) theta = 0: the residual is -alpha
        s0s.append(s0.double().cpu())
    res, a2, s0 = torch.cat(res), torch.cat(a2), torch.cat(s0s)
    gain, lo, hi = mean_ci((a2 - res).numpy())
    return {"loss": float(res.mean()), "null_loss": float(a2.mean()), "null_expected": null_loss(cfg.alpha_max),
            "gain": gain, "gain_low": lo, "gain_high": hi, "learned": bool(lo > 0),
            "score_at_zero": float(s0.mean()), "score_std": float(s0.std()), "n": n}


@torch.no_grad()
def sweep(G: nn.Module, T: Transformer, assessor: nn.Module, alphas, seeds, labels, truncation: float = 2.0
          ) -> dict[str, np.ndarray]:
    """Images along α for each seed: seed ``s`` fixes z (truncated normal) and its class
    ``labels[i]``. Returns ``images`` float32 (N, C, H, W), ``alpha``, ``seed``, ``label``, ``score``
    (N = len(seeds) × len(alphas), seed-major)."""
    device = next(G.parameters()).device
    images, alpha_col, seed_col, label_col, scores = [], [], [], [], []
    for s, lab in zip(seeds, labels):
        z = truncated_normal(1, G.z_dim, truncation, torch.Generator().manual_seed(int(s))).to(device)
        a = torch.tensor(list(alphas), dtype=torch.float32, device=device)
        zz = z.expand(len(a), -1)
        y = torch.full((len(a),), int(lab), dtype=torch.long, device=device)
        x = G(T(zz, a, y), y)
        images.append(x.cpu())
        scores.append(_score(assessor, x, y).cpu())
        alpha_col += list(alphas)
        seed_col += [int(s)] * len(a)
        label_col += [int(lab)] * len(a)
    return {"images": torch.cat(images).numpy().astype(np.float32), "alpha": np.asarray(alpha_col, np.float32),
            "seed": np.asarray(seed_col, np.int64), "label": np.asarray(label_col, np.int64),
            "score": torch.cat(scores).numpy().astype(np.float64)}


def train_area_assessor(images: torch.Tensor, target: torch.Tensor, steps: int = 600, batch_size: int = 64,
                        lr: float = 3e-3, width: int = 16, seed: int = 0, progress: bool = True
                        ) -> tuple[AreaNet, dict]:
    """Fit :class:`~probelib.models.judges.AreaNet` to a measured per-image ``target`` (the
    book passes :func:`probelib.measure.factors.object_size`) by MSE with Adam; returns the
    model (eval mode, frozen) and a record with the loss history and the final mean absolute error."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = AreaNet(images.shape[1], width)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history, start = [], time.perf_counter()
    for step in tqdm(range(1, steps + 1), desc="area assessor", disable=quiet(progress)):
        idx = torch.randint(len(images), (batch_size,), generator=g)
        loss = ((model(images[idx]) - target[idx]) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 50 == 0:
            history.append({"step": step, "loss": float(loss.detach())})
    model.eval().requires_grad_(False)
    with torch.no_grad():
        mae = float((torch.cat([model(images[i:i + 500]) for i in range(0, len(images), 500)]) - target).abs().mean())
    return model, {"history": history, "mae": mae, "seconds": time.perf_counter() - start}


def load_or_train_area_assessor(images: torch.Tensor, target: torch.Tensor, run_dir: str | Path, steps: int = 600,
                                seed: int = 0, progress: bool = True) -> tuple[AreaNet, dict]:
    """:func:`train_area_assessor` through the run cache; the key holds a fingerprint of
    ``images`` and ``target``. Returns the frozen model and its record."""
    key = {"data": tensor_fingerprint(images, target), "steps": steps, "seed": seed, "in_channels": images.shape[1]}

    def _train():
        model, record = train_area_assessor(images, target, steps, seed=seed, progress=progress)
        return model.state_dict(), record

    art = load_or_train("area-assessor", key, _train, run_dir, version=GANALYZE_VERSION, name="area assessor")
    model = AreaNet(images.shape[1])
    model.load_state_dict(art.tensors)
    return model.eval().requires_grad_(False), art.record


def load_or_train_direction(G: nn.Module, assessor: nn.Module, num_classes: int, cfg: GANalyzeConfig,
                            run_dir: str | Path, name: str | None = None, progress: bool = True
                            ) -> tuple[Transformer, dict]:
    """:func:`train_transformer` through the run cache. The key holds the weights hashes of the
    generator and of the assessor (and the assessor's type and fixed class, if any): a retrained
    GAN or assessor means a new direction; the assessor's ``score`` kind (log-odds or probability)
    is part of it. The config's ``seed`` is the direction's: one cached direction per seed. Returns
    the transformer (eval mode) and its record: the loss history, the seconds per step and
    :func:`direction_check` under ``check``."""
    key = {**dataclasses.asdict(cfg), "num_classes": num_classes, "generator": weights_hash(G, digits=16),
           "assessor": {"type": type(assessor).__name__, "weights": weights_hash(assessor, digits=16),
                        "cls": getattr(assessor, "cls", None), "score": _score_kind(assessor)}}

    def _train():
        res = train_transformer(G, assessor, num_classes, cfg, progress=progress)
        check = direction_check(G, res.transformer, assessor, num_classes, cfg)
        return {"theta": res.transformer.theta.detach().cpu()}, {"history": res.history, "check": check,
                                                                  "seconds_per_step": res.seconds_per_step}

    art = load_or_train("ganalyze-direction", key, _train, run_dir, version=GANALYZE_VERSION, name=name)
    T = Transformer(G.z_dim, num_classes, cfg.per_class, cfg.renorm)
    T.theta.data.copy_(art.tensors["theta"])
    return T.eval(), art.record
