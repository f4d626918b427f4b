"""Every loss of the book, one short function per equation.

Losses are pure functions of logits / scores (no modules inside), named ``<family>_<role>``,
the formula in a trailing comment and the equation in the docstring. Trainers call them
and hold no formula themselves. Notation of ProbeGAN (Wang et al., AAAI 2022):
``Dc`` the conditional (projection) head, ``Du`` the unconditional head, ``y*`` the target.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

__all__ = [
    "hinge_d",
    "hinge_g",
    "wgan_d",
    "wgan_g",
    "gradient_penalty",
    "drift",
    "classifier_ce",
]


def hinge_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Discriminator side of the BigGAN hinge loss, ProbeGAN eq. (2), for ``Dc`` on seen classes.

    Eq. (2) is written as a quantity D maximises; this is its negation, which D minimises.
    """
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()  # E[max(0, 1-Dc(x,y))] + E[max(0, 1+Dc(G(z,y),y))]


def hinge_g(fake: torch.Tensor) -> torch.Tensor:
    """Generator side of the hinge loss, eq. (2): G raises ``Dc`` on its seen-class fakes."""
    return -fake.mean()  # -E[Dc(G(z,y),y)]


def wgan_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Critic side of the WGAN loss ``Lu``, eq. (3), without the penalty (added separately).

    Reals are seen-class images only; fakes are of all classes (class dilution).
    """
    return fake.mean() - real.mean()  # E[Du(G(z,y))] - E[Du(x)]


def wgan_g(fake: torch.Tensor) -> torch.Tensor:
    """Generator side of ``Lu``, eq. (3): G raises ``Du`` on fakes of every class."""
    return -fake.mean()  # -E[Du(G(z,y))]


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor,
) -> torch.Tensor:
    """``Lgp`` of eq. (3) (Gulrajani et al. 2017): E[(‖∇ Du(x̂)‖₂ − 1)²] at x̂ = α·real + (1−α)·fake.

    ``alpha`` has shape ``(B, 1, 1, 1)``; drawing it is the caller's job, so tests can fix it.
    """
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1.0) ** 2).mean()  # E[(||grad Du(x_hat)||_2 - 1)^2]


def drift(scores: torch.Tensor, weight: float = 1e-4) -> torch.Tensor:
    """The reference implementation's drift term on ``Du``: ``weight · E[Du²]`` (keeps Du near 0)."""
    return weight * (scores**2).mean()  # 1e-4 * E[Du(x)^2]


def classifier_ce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``Lclass``, eq. (4): −E log p̂(y | G(z, y)) under the frozen classifier, all classes."""
    return F.cross_entropy(logits, y)  # -E[log softmax(C(G(z,y)))_y]
