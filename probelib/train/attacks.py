"""Projected gradient descent in an L2 ball (Madry et al. 2018), untargeted or targeted.

Used three ways: robust training (untargeted, random start), robustness evaluation
(untargeted, the accuracy-vs-ε curve, :func:`robust_accuracy`) and the chapter-1 "first look"
at a classifier's memory (targeted, very large ε, starting from noise).
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from ..core.device import pick_device

__all__ = ["l2_project", "pgd_l2", "robust_accuracy", "gaussian_noise", "class_visualisation"]


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


def robust_accuracy(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    eps: float,
    steps: int,
    batch_size: int = 250,
    device=None,
) -> float:
    """Top-1 accuracy under an untargeted PGD-L2 attack of radius ``eps`` (``steps`` steps)."""
    device = next(model.parameters()).device if device is None else pick_device(device)
    correct = 0
    for i in range(0, len(labels), batch_size):
        x, y = images[i : i + batch_size].to(device), labels[i : i + batch_size].to(device)
        x_adv = pgd_l2(model, x, y, eps, steps)
        with torch.no_grad():
            correct += int((model(x_adv).argmax(1) == y).sum())
    return correct / max(len(labels), 1)


def gaussian_noise(images: torch.Tensor, n: int, seed: int = 0, jitter: float = 1e-4) -> torch.Tensor:
    """``n`` draws of Gaussian noise with the mean and covariance of ``images`` ``(N, C, H, W)``.

    A class-agnostic starting point for activation maximisation (Santurkar et al. 2019 fit
    one Gaussian per class; fitted on the target-absent image set, this one carries no
    information about the target). Clamped to [-1, 1].
    """
    flat = images.flatten(1).double()  # (N, D)
    mean = flat.mean(0)
    cov = torch.cov(flat.T) + jitter * torch.eye(flat.shape[1], dtype=flat.dtype)
    chol = torch.linalg.cholesky(cov)  # (D, D)
    g = torch.Generator().manual_seed(seed)
    draws = mean + torch.randn(n, flat.shape[1], generator=g, dtype=flat.dtype) @ chol.T
    return draws.float().view(n, *images.shape[1:]).clamp(-1, 1)


def class_visualisation(
    model: nn.Module,
    start: torch.Tensor,
    targets: torch.Tensor,
    eps: float,
    steps: int,
) -> torch.Tensor:
    """Targeted large-ε PGD from ``start`` images toward ``targets``: ``(N, C, H, W)``.

    Nothing about the class comes from the starting noise, so whatever appears was put there
    by the classifier's gradient. A robust classifier's gradients are perceptually aligned
    (Santurkar et al. 2019); a regular one's make adversarial texture.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        targets = torch.as_tensor(targets, dtype=torch.long, device=device)
        return pgd_l2(model, start.to(device), targets, eps, steps, step_size=2.5 * eps / steps, targeted=True)
    finally:
        model.train(was_training)
