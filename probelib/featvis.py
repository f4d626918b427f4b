"""Feature visualisation that runs on torch 2.x, natural exemplars, and a simulated 2AFC observer.

Three parts, for chapter 8 (Borowski et al., ICLR 2021: natural exemplars explain units
better than synthetic feature visualisations):

- **Feature visualisation** in the manner of Olah et al. (2017): a decorrelated image
  parameterisation (Fourier coefficients scaled by 1/f, colours through the ImageNet colour
  correlation's square root, a sigmoid into range), robustness transforms as ``nn.Module``\\ s
  composed in an ``nn.Sequential`` (pad, jitter, random scale, random rotate), objectives for
  a channel, a neuron or a class logit that compose with ``+``, ``-`` and ``*`` (plus a
  diversity term over the batch), and :func:`render`.
- **Natural exemplars**: the k most and least activating images of each unit, streamed over
  a data set (activation = the spatial mean of the unit's feature map).
- **A simulated 2AFC observer** that predicts which of two query images activates a unit more
  from max- and min-reference images, by similarity in a feature space that is not the
  probed network's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from . import metrics
from .cache import quiet

__all__ = ["fft_scale", "FFTImage", "COLOR_CORRELATION", "Pad", "Jitter", "RandomScale", "RandomRotate",
           "standard_transforms", "Activations", "Objective", "channel", "neuron", "class_logit", "diversity",
           "render", "unit_activations", "Exemplars", "top_exemplars", "TwoAFC", "two_afc", "bootstrap_ci"]

# square root of the colour correlation of ImageNet (Olah et al. 2017, lucid's default)
COLOR_CORRELATION = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype=np.float32)


# ---------------------------------------------------------------- parameterisation
def fft_scale(h: int, w: int, decay_power: float = 1.0) -> np.ndarray:
    """``(h, w//2+1)`` scale of each rFFT coefficient: ``1 / max(|f|, 1/max(h, w)) ** decay_power``
    times ``sqrt(h·w)``, so that white noise in the coefficients becomes 1/f ("pink") noise."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    freqs = np.sqrt(fx * fx + fy * fy)
    return (1.0 / np.maximum(freqs, 1.0 / max(h, w)) ** decay_power * math.sqrt(h * w)).astype(np.float32)


class FFTImage(nn.Module):
    """A batch of images parameterised by Fourier coefficients, decorrelated colours and a sigmoid.

    ``forward()`` returns ``(n, channels, h, w)`` in [−1, 1]. The pixels are
    ``2·sigmoid(M · irfft2(scale · spectrum) / 4) − 1`` where ``M`` is the colour matrix
    (normalised by its largest column norm; identity for grey images).
    """

    def __init__(self, n: int, channels: int, h: int, w: int, sd: float = 0.01, decay_power: float = 1.0,
                 seed: int = 0):
        super().__init__()
        if channels not in (1, 3):
            raise ValueError(f"FFTImage makes grey or RGB images, got channels={channels}")
        g = torch.Generator().manual_seed(seed)
        self.h, self.w = h, w
        self.spectrum = nn.Parameter(torch.randn(n, channels, h, w // 2 + 1, 2, generator=g) * sd)
        self.register_buffer("scale", torch.from_numpy(fft_scale(h, w, decay_power)))
        m = COLOR_CORRELATION / np.max(np.linalg.norm(COLOR_CORRELATION, axis=0)) if channels == 3 else np.eye(1)
        self.register_buffer("colour", torch.from_numpy(m.astype(np.float32)))

    def forward(self) -> torch.Tensor:
        coeffs = torch.view_as_complex(self.spectrum) * self.scale
        x = torch.fft.irfft2(coeffs, s=(self.h, self.w), norm="ortho") / 4
        x = torch.einsum("ij,njhw->nihw", self.colour, x)
        return 2 * torch.sigmoid(x) - 1


# ---------------------------------------------------------------- transforms
class Pad(nn.Module):
    """Pad every side by ``pad`` pixels with a constant (default: mid-grey, 0 in [−1, 1])."""

    def __init__(self, pad: int, value: float = 0.0):
        super().__init__()
        self.pad, self.value = pad, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pad(x, (self.pad,) * 4, value=self.value)


class Jitter(nn.Module):
    """A random crop that shifts the image by up to ``d`` pixels (output ``d`` pixels smaller)."""

    def __init__(self, d: int, generator: torch.Generator | None = None):
        super().__init__()
        self.d, self.g = d, generator

    def forward(self, x: torch.Tensor, offset: tuple[int, int] | None = None) -> torch.Tensor:
        if offset is None:
            dy, dx = (int(v) for v in torch.randint(0, self.d + 1, (2,), generator=self.g))
        else:
            dy, dx = offset
        h, w = x.shape[-2:]
        return x[..., dy:dy + h - self.d, dx:dx + w - self.d]


class RandomScale(nn.Module):
    """Resize by a factor drawn from ``scales`` (bilinear, half-pixel centres)."""

    def __init__(self, scales: tuple[float, ...], generator: torch.Generator | None = None):
        super().__init__()
        self.scales, self.g = tuple(scales), generator

    def forward(self, x: torch.Tensor, scale: float | None = None) -> torch.Tensor:
        s = self.scales[int(torch.randint(len(self.scales), (1,), generator=self.g))] if scale is None else scale
        size = (max(1, round(x.shape[-2] * s)), max(1, round(x.shape[-1] * s)))
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


class RandomRotate(nn.Module):
    """Rotate about the centre by an angle (degrees) drawn from ``angles``; outside pixels are 0."""

    def __init__(self, angles: tuple[float, ...], generator: torch.Generator | None = None):
        super().__init__()
        self.angles, self.g = tuple(angles), generator

    def forward(self, x: torch.Tensor, angle: float | None = None) -> torch.Tensor:
        a = self.angles[int(torch.randint(len(self.angles), (1,), generator=self.g))] if angle is None else angle
        t = math.radians(a)
        theta = torch.tensor([[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0]],
                             dtype=x.dtype, device=x.device).expand(len(x), 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def standard_transforms(size: int = 32, seed: int = 0) -> nn.Sequential:
    """Lucid's standard robustness chain scaled to ``size``-pixel images: pad, jitter, random
    scale, random rotate, jitter, then back to ``size``×``size``."""
    g = torch.Generator().manual_seed(seed)
    d = max(1, size // 16)
    return nn.Sequential(Pad(2 * d), Jitter(2 * d, g), RandomScale((1.0, 0.975, 1.025, 0.95, 1.05), g),
                         RandomRotate(tuple(range(-10, 11)), g), Jitter(d, g), _Resize(size))


class _Resize(nn.Module):
    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] == (self.size, self.size):
            return x
        return F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)


# ---------------------------------------------------------------- objectives
class Activations:
    """Forward hooks that keep the outputs of named submodules (``""`` is the model's output)."""

    def __init__(self, model: nn.Module, layers: list[str]):
        self.model, self.store, self.handles = model, {}, []
        modules = dict(model.named_modules())
        for name in layers:
            if name not in modules:
                raise ValueError(f"no layer {name!r} in {type(model).__name__}; "
                                 f"layers: {', '.join(n for n in modules if n)[:300]}")
            self.handles.append(modules[name].register_forward_hook(self._hook(name)))

    def _hook(self, name: str):
        def hook(_module, _inp, out):
            self.store[name] = out
        return hook

    def __call__(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        self.store = {}
        self.store[""] = self.model(x)
        return self.store

    def close(self) -> None:
        for h in self.handles:
            h.remove()


class Objective:
    """A quantity to *maximise*, computed from the activations of a batch: ``(N,)`` per image or
    a scalar. Objectives compose: ``a + b``, ``a - b``, ``2 * a``, ``-a``."""

    def __init__(self, fn: Callable[[dict], torch.Tensor], layers: tuple[str, ...], name: str):
        self.fn, self.layers, self.name = fn, tuple(dict.fromkeys(layers)), name

    def __call__(self, acts: dict) -> torch.Tensor:
        return self.fn(acts)

    def __add__(self, other: "Objective") -> "Objective":
        return Objective(lambda a: self(a) + other(a), self.layers + other.layers, f"{self.name} + {other.name}")

    def __sub__(self, other: "Objective") -> "Objective":
        return Objective(lambda a: self(a) - other(a), self.layers + other.layers, f"{self.name} − {other.name}")

    def __mul__(self, k: float) -> "Objective":
        if isinstance(k, Objective):
            return Objective(lambda a: self(a) * k(a), self.layers + k.layers, f"{self.name} · {k.name}")
        return Objective(lambda a: k * self(a), self.layers, f"{k:g}·{self.name}")

    __rmul__ = __mul__

    def __neg__(self) -> "Objective":
        return -1.0 * self


def channel(layer: str, c: int) -> Objective:
    """Mean activation of channel ``c`` of ``layer`` over all positions, per image."""
    return Objective(lambda a: a[layer][:, c].mean(dim=(-2, -1)), (layer,), f"channel {layer}:{c}")


def neuron(layer: str, c: int, y: int | None = None, x: int | None = None) -> Objective:
    """Activation of channel ``c`` of ``layer`` at one position (default: the centre), per image."""
    def fn(a):
        t = a[layer][:, c]
        yy = t.shape[-2] // 2 if y is None else y
        xx = t.shape[-1] // 2 if x is None else x
        return t[:, yy, xx]
    return Objective(fn, (layer,), f"neuron {layer}:{c}")


def class_logit(c: int) -> Objective:
    """The logit of class ``c`` (the model's output), per image."""
    return Objective(lambda a: a[""][:, c], ("",), f"logit {c}")


def diversity(layer: str) -> Objective:
    """Olah et al.'s diversity term: minus the mean cosine similarity of the images' Gram matrices
    at ``layer`` over all pairs in the batch (a scalar; higher = more diverse)."""
    def fn(a):
        t = a[layer]
        n, c = t.shape[:2]
        flat = t.reshape(n, c, -1)
        gram = F.normalize((flat @ flat.transpose(1, 2)).reshape(n, -1), dim=1)
        sim = gram @ gram.T
        return -(sim.sum() - sim.diagonal().sum()) / max(n * (n - 1), 1)
    return Objective(fn, (layer,), f"diversity {layer}")


def render(model: nn.Module, objective: Objective, param: FFTImage, transforms: nn.Module | None = None,
           steps: int = 128, lr: float = 0.05, progress: bool = True, log_every: int = 8
           ) -> tuple[torch.Tensor, list[dict]]:
    """Optimise ``param`` so that ``objective`` (summed over the batch) grows; returns the final
    images ``(N, C, H, W)`` in [−1, 1] and the history of the objective (untransformed images)."""
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    acts = Activations(model, [l for l in objective.layers if l])
    opt = torch.optim.Adam(param.parameters(), lr=lr)
    history = []
    try:
        for step in tqdm(range(steps + 1), desc=objective.name, disable=quiet(progress), leave=False):
            if step % log_every == 0 or step == steps:
                with torch.no_grad():
                    history.append({"step": step, "objective": float(objective(acts(param())).sum())})
            if step == steps:
                break
            x = param()
            if transforms is not None:
                x = transforms(x)
            loss = -objective(acts(x)).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    finally:
        acts.close()
    with torch.no_grad():
        return param().detach(), history


# ---------------------------------------------------------------- natural exemplars
@torch.no_grad()
def unit_activations(model: nn.Module, layer: str, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """``(N, channels)`` spatial-mean activations of every channel of ``layer`` (for small sets)."""
    acts = Activations(model, [layer])
    try:
        return torch.cat([acts(images[i:i + batch_size])[layer].mean(dim=(-2, -1))
                          for i in range(0, len(images), batch_size)])
    finally:
        acts.close()


@dataclass
class Exemplars:
    """Per unit, the indices (into the streamed data) and activations of the k most and least
    activating images, most extreme first: ``top_idx`` / ``bottom_idx`` ``(units, k)``."""

    top_idx: torch.Tensor
    top_act: torch.Tensor
    bottom_idx: torch.Tensor
    bottom_act: torch.Tensor


@torch.no_grad()
def top_exemplars(model: nn.Module, layer: str, units: list[int], batches, k: int) -> Exemplars:
    """Stream ``batches`` (an iterable of image tensors) through ``model``, keeping only the
    running top-k and bottom-k per unit, never all activations."""
    model.eval()
    acts = Activations(model, [layer])
    u = torch.as_tensor(units)
    top_a = bot_a = top_i = bot_i = None
    offset = 0
    try:
        for x in batches:
            a = acts(x)[layer][:, u].mean(dim=(-2, -1)).T  # (units, B)
            idx = torch.arange(offset, offset + a.shape[1]).expand_as(a)
            offset += a.shape[1]
            if top_a is None:
                cand_a, cand_i, cand_b, cand_bi = a, idx, a, idx
            else:
                cand_a, cand_i = torch.cat([top_a, a], 1), torch.cat([top_i, idx], 1)
                cand_b, cand_bi = torch.cat([bot_a, a], 1), torch.cat([bot_i, idx], 1)
            kk = min(k, cand_a.shape[1])
            top_a, j = cand_a.topk(kk, dim=1)
            top_i = cand_i.gather(1, j)
            bot_a, j = cand_b.topk(min(k, cand_b.shape[1]), dim=1, largest=False)
            bot_i = cand_bi.gather(1, j)
    finally:
        acts.close()
    if top_a is None:
        raise ValueError("top_exemplars got no images")
    if top_a.shape[1] < k:
        raise ValueError(f"top_exemplars needs at least k={k} images, got {offset}")
    return Exemplars(top_i, top_a, bot_i, bot_a)


# ---------------------------------------------------------------- the simulated 2AFC observer
@dataclass
class TwoAFC:
    """One unit's trials: did the observer pick the truly more activating query?"""

    correct: np.ndarray  # (trials,) bool


def two_afc(features: Callable[[torch.Tensor], torch.Tensor], max_refs: torch.Tensor, min_refs: torch.Tensor,
            query_max: torch.Tensor, query_min: torch.Tensor, seed: int = 0) -> TwoAFC:
    """Simulated observer for one unit (Borowski et al.'s task).

    Each trial shows a pair (``query_max[i]``, ``query_min[i]``) in random order; the observer
    embeds the references and the queries with ``features`` (a network that is *not* the
    probed one, so it cannot read the answer off the unit) and picks the query whose mean
    cosine similarity to the max references minus that to the min references is larger.
    """
    if len(query_max) != len(query_min):
        raise ValueError("query_max and query_min must pair up (same length)")
    with torch.no_grad():
        f_max = F.normalize(features(max_refs), dim=1).mean(0)
        f_min = F.normalize(features(min_refs), dim=1).mean(0)
        score = lambda q: F.normalize(features(q), dim=1) @ (f_max - f_min)  # noqa: E731
        s_hi, s_lo = score(query_max), score(query_min)
    g = np.random.default_rng(seed)
    first_is_max = g.random(len(s_hi)) < 0.5  # presentation order; ties go to the first shown
    s_first = torch.where(torch.from_numpy(first_is_max), s_hi, s_lo)
    s_second = torch.where(torch.from_numpy(first_is_max), s_lo, s_hi)
    picks_first = (s_first >= s_second).numpy()
    return TwoAFC(picks_first == first_is_max)


bootstrap_ci = metrics.bootstrap_ci  # over units (chapter 8); one implementation in metrics
