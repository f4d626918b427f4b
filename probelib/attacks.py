"""Projected gradient descent in an L2 ball (Madry et al. 2018), untargeted or targeted.

Used three ways: robust training (untargeted, random start), robustness evaluation
(untargeted, the accuracy-vs-ε curve) and the chapter-1 "first look" at a classifier's
memory (targeted, very large ε, starting from noise).
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

__all__ = ["l2_project", "pgd_l2", "class_visualisation"]


def _norms(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (x.ndim - 1)))  # (B, 1, 1, 1)


def l2_project(delta: torch.Tensor, eps: float) -> torch.Tensor:
    """Project each perturbation onto the L2 ball of radius ``eps``: δ · min(1, ε/‖δ‖₂)."""
    return delta * (eps / _norms(delta)).clamp(max=1.0)


def pgd_l2(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    steps: int,
    step_size: float | None = None,
    targeted: bool = False,
    random_start: bool = False,
    generator: torch.Generator | None = None,
    bounds: tuple[float, float] = (-1.0, 1.0),
) -> torch.Tensor:
    """L2 PGD: ``steps`` normalised-gradient steps on the cross-entropy, projected to ‖δ‖₂ ≤ ε.

    Untargeted, it *increases* the loss of the true labels ``y``; targeted, it *decreases*
    the loss of the target labels ``y``. Images stay inside ``bounds``. Gradients of the
    model's parameters are left untouched. Returns the adversarial images (detached).
    """
    if eps <= 0 or steps <= 0:
        return x.detach().clone()
    step_size = 2.5 * eps / steps if step_size is None else step_size
    delta = torch.zeros_like(x)
    if random_start:
        noise = torch.randn(x.shape, generator=generator, device="cpu").to(x)
        radius = torch.rand(x.shape[0], generator=generator, device="cpu").to(x).view(-1, 1, 1, 1)
        delta = noise / _norms(noise) * eps * radius
    delta = ((x + delta).clamp(*bounds) - x).detach()
    sign = -1.0 if targeted else 1.0
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = F.cross_entropy(model(x + delta), y)
        (grad,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            delta = delta + sign * step_size * grad / _norms(grad)
            delta = l2_project(delta, eps)
            delta = (x + delta).clamp(*bounds) - x
    return (x + delta).detach()


def class_visualisation(
    model: nn.Module,
    targets: torch.Tensor,
    eps: float,
    steps: int,
    shape: tuple[int, int, int],
    seed: int = 0,
    device=None,
) -> torch.Tensor:
    """Targeted large-ε PGD from seeded noise, one image per entry of ``targets``: ``(N, C, H, W)``.

    The starting point is Gaussian noise (σ = 0.5) around mid-grey; nothing about the
    class comes from data, so whatever appears was put there by the classifier's gradient.
    A robust classifier's gradients are perceptually aligned (Santurkar et al. 2019).
    """
    targets = torch.as_tensor(targets, dtype=torch.long)
    g = torch.Generator().manual_seed(seed)
    x0 = (0.5 * torch.randn((len(targets), *shape), generator=g)).clamp(-1, 1).to(device)
    was_training = model.training
    model.eval()
    try:
        return pgd_l2(model, x0, targets.to(device), eps, steps, step_size=2.5 * eps / steps, targeted=True)
    finally:
        model.train(was_training)
