"""GANalyze (Goetschalckx et al., ICCV 2019): a latent direction that moves an assessor's score.

A frozen generator ``G(z, y)`` and a differentiable assessor ``A(image) -> score``; the
*transformer* ``T(z, α) = z + α·θ`` is trained so that ``A(G(T(z, α), y)) ≈ A(G(z, y)) + α``
(:func:`probelib.losses.ganalyze`). Variants of the reference code: one direction per class
(``θ_y = W·onehot(y)``) and re-normalising ``z′`` to the norm of ``z``.

Then: α sweeps per seed, the score against α by a linear mixed-effects regression
(statsmodels ``mixedlm``, seed as the group), the emerging factors of
:data:`probelib.metrics.FACTORS` against α, and a degeneracy check (grey or collapsed images
at the ends of the α range).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from . import losses
from .cache import quiet

__all__ = ["GANalyzeConfig", "Transformer", "ClassConfidence", "truncated_normal", "train_transformer",
           "GANalyzeResult", "sweep", "mixed_slope", "degeneracy", "load_memnet", "load_biggan", "BigGANGenerator", "AdapterError"]


class AdapterError(FileNotFoundError):
    """Pretrained weights (MemNet, BigGAN) are missing; the message says where to get them."""


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


class ClassConfidence(nn.Module):
    """Assessor: a classifier's softmax probability of the image's class ``y`` (or of a fixed
    ``cls``): "what makes the classifier more sure?" Scores lie in [0, 1]."""

    def __init__(self, classifier: nn.Module, cls: int | None = None):
        super().__init__()
        self.classifier, self.cls = classifier.eval(), cls

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        p = self.classifier(x).softmax(1)
        if self.cls is not None:
            return p[:, self.cls]
        if y is None:
            raise ValueError("ClassConfidence needs the labels y (or a fixed cls)")
        return p.gather(1, y.view(-1, 1)).squeeze(1)


def _score(assessor: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    try:
        return assessor(x, y)
    except TypeError:  # assessors that ignore the class
        return assessor(x)


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


def mixed_slope(values, alpha, groups) -> dict:
    """Slope of ``values`` on ``alpha`` by a linear mixed-effects model with a random intercept
    per group (statsmodels ``mixedlm``; GANalyze reports 0.68, 95 % CI 0.66–0.70, for MemNet).
    Returns ``beta``, ``ci_low``, ``ci_high``, ``p`` and ``n``."""
    import pandas as pd
    import statsmodels.formula.api as smf

    df = pd.DataFrame({"v": np.asarray(values, float), "alpha": np.asarray(alpha, float),
                       "g": np.asarray(groups)})
    if df["alpha"].nunique() < 2:
        raise ValueError("a slope needs at least two α values")
    import warnings

    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        fit = smf.mixedlm("v ~ alpha", df, groups=df["g"]).fit(reml=True)
    lo, hi = fit.conf_int().loc["alpha"]
    # a seed variance estimated at 0 ("boundary") is reported, not printed as a warning
    boundary = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return {"beta": float(fit.params["alpha"]), "ci_low": float(lo), "ci_high": float(hi),
            "p": float(fit.pvalues["alpha"]), "n": len(df), "boundary": boundary}


def degeneracy(images, alpha, seeds, flat_std: float = 0.05) -> "pd.DataFrame":
    """Per α: the spread across seeds (mean pairwise pixel distance, RMS per pixel) and the share
    of near-uniform images (pixel std < ``flat_std``), so a slope bought by collapse shows."""
    import pandas as pd

    x = torch.as_tensor(np.asarray(images)).flatten(1).double()
    alpha = np.asarray(alpha)
    rows = []
    for a in sorted(set(alpha.tolist())):
        sel = torch.from_numpy(alpha == a)
        xa = x[sel]
        d = torch.cdist(xa, xa) / xa.shape[1] ** 0.5
        n = len(xa)
        rows.append({"alpha": a, "spread across seeds": float(d.sum() / max(n * (n - 1), 1)),
                     "near-uniform (%)": 100 * float((xa.std(1) < flat_std).double().mean())})
    return pd.DataFrame(rows).set_index("alpha")


MEMNET_HELP = ("MemNet (Khosla et al. 2015) as used by GANalyze: on a machine with internet, get the PyTorch "
               "conversion of the LaMem model (e.g. memnet_lamem-a92fdac2.pth from pretorched-x, or the weights "
               "of https://github.com/LoreGoetschalckx/GANalyze) and pass the file's path")
BIGGAN_HELP = ("pretrained BigGAN: pip install pytorch-pretrained-biggan, download biggan-deep-256 "
               "(config.json + pytorch_model.bin) on a machine with internet, and pass its folder")


def load_memnet(path: str | Path | None) -> nn.Module:
    """The MemNet assessor (:class:`probelib.models.memnet.MemNetAssessor`, scores in [0, 1])
    from a local state dict (``.pth``/``.pt`` or ``.safetensors``, layer names ``conv1`` … ``fc8``,
    optionally under ``state_dict`` or prefixed ``module.``); one-line errors when the file is
    absent, unreadable or holds another network."""
    from .models.memnet import MemNet, MemNetAssessor

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


# ---------------------------------------------------------------- the area assessor (a known answer)
class AreaNet(nn.Module):
    """A small CNN that predicts the object's area (share of the frame, in [0, 1]) from the image:
    an assessor whose right answer is known, since :func:`probelib.metrics.object_size` measures
    the same quantity independently."""

    def __init__(self, in_channels: int = 1, width: int = 16):
        super().__init__()
        c = width
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * c, 2 * c, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(2 * c, 1),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(1)


def train_area_assessor(images: torch.Tensor, steps: int = 600, batch_size: int = 64, lr: float = 3e-3,
                        width: int = 16, seed: int = 0, progress: bool = True) -> tuple[AreaNet, dict]:
    """Fit :class:`AreaNet` to the measured object size of ``images`` (MSE, Adam); returns the
    model (eval mode, frozen) and a record with the loss history and the final mean absolute error."""
    from .metrics import object_size

    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    target = object_size(images)
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
