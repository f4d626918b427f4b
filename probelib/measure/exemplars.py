"""Natural exemplars and a simulated 2AFC observer (Borowski et al., ICLR 2021).

- **Natural exemplars**: the k most and least activating images of each unit, streamed over
  a data set (activation = the spatial mean of the unit's feature map).
- **A simulated 2AFC observer** that predicts which of two query images activates a unit more
  from max- and min-reference images, by similarity in a feature space that is not the
  probed network's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..models.hooks import Activations

__all__ = ["unit_activations", "Exemplars", "top_exemplars", "TwoAFC", "two_afc"]


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
