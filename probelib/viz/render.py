"""Rendering a feature visualisation: optimise a parameterisation so that an objective grows,
through robustness transforms; hooks removed in ``finally``."""
from __future__ import annotations

import torch
from torch import nn
from tqdm.auto import tqdm

from ..core.progress import quiet
from ..models.hooks import Activations
from .objectives import Objective
from .param import FFTImage

__all__ = ["render"]


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
