"""Every loss of the book, one short function per equation.

Losses are pure functions of logits / scores (no modules inside), named ``<family>_<role>``,
the formula in a trailing comment and the equation in the docstring. Trainers call them
and hold no formula themselves. Notation of ProbeGAN (Zhang et al., AAAI 2022):
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
    "group_means",
    "group_dro_weights",
    "group_dro",
    "ganalyze",
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
    return gradient_penalty_terms(critic, real, fake, alpha).mean()  # E[(||grad Du(x_hat)||_2 - 1)^2]


def gradient_penalty_terms(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    alpha: torch.Tensor,
) -> torch.Tensor:
    """The per-sample terms ``(‖∇ Du(x̂_i)‖₂ − 1)²`` of eq. (3)'s ``Lgp``, shape ``(B,)``
    (:func:`gradient_penalty` is their mean; a pack of GANs averages each member's own)."""
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (grad.flatten(1).norm(dim=1) - 1.0) ** 2


def drift(scores: torch.Tensor, weight: float = 1e-4) -> torch.Tensor:
    """The reference implementation's drift term on ``Du``: ``weight · E[Du²]`` (keeps Du near 0)."""
    return weight * (scores**2).mean()  # 1e-4 * E[Du(x)^2]


def classifier_ce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``Lclass``, eq. (4): −E log p̂(y | G(z, y)) under the frozen classifier, all classes."""
    return F.cross_entropy(logits, y)  # -E[log softmax(C(G(z,y)))_y]


def group_means(per_sample: torch.Tensor, groups: torch.Tensor, n_groups: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss of each group in a batch and the group counts: ``(G,)``, ``(G,)``; 0 for absent groups."""
    counts = torch.bincount(groups, minlength=n_groups).to(per_sample.dtype)
    sums = torch.zeros(n_groups, dtype=per_sample.dtype, device=per_sample.device).index_add(0, groups, per_sample)
    return sums / counts.clamp(min=1), counts  # l_g = (1/n_g) sum_{i in g} l_i


def group_dro_weights(q: torch.Tensor, group_losses: torch.Tensor, eta: float) -> torch.Tensor:
    """Online group-DRO weights, Sagawa et al. 2019, Algorithm 1: ``q_g ← q_g·exp(η·ℓ_g)``, normalised.

    The worst groups gain weight exponentially fast in their loss; ``η`` is the step size.
    """
    q = q * torch.exp(eta * group_losses.detach())  # q_g <- q_g exp(eta l_g)
    return q / q.sum()  # q <- q / sum_g q_g


def group_dro(per_sample: torch.Tensor, groups: torch.Tensor, q: torch.Tensor, eta: float
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """The group-DRO objective (Sagawa et al. 2019, eq. 7 optimised by Algorithm 1): update the
    weights with this batch's group losses, then return ``Σ_g q_g·ℓ_g`` and the new ``q``.

    ``per_sample``: unreduced losses ``(B,)``; ``groups``: group ids ``(B,)`` in ``0..G-1``;
    ``q``: current weights ``(G,)`` summing to 1.
    """
    losses, _ = group_means(per_sample, groups, len(q))
    q = group_dro_weights(q, losses, eta)
    return (q * losses).sum(), q  # sum_g q_g l_g


def ganalyze(score_transformed: torch.Tensor, score_original: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """GANalyze's objective (Goetschalckx et al. 2019, eq. 2): the transformed image's score
    should exceed the original's by α: ``E[(A(G(T(z, α), y)) − (A(G(z, y)) + α))²]``."""
    return ((score_transformed - (score_original.detach() + alpha)) ** 2).mean()  # E[(A(G(T(z,a))) - (A(G(z)) + a))^2]
