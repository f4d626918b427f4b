"""The objective of one ProbeGAN, each side as one pure function of its scores.

ProbeGAN (Zhang et al., AAAI 2022) trains G against two heads of one discriminator and a frozen
classifier, eq. (1): ``min_G max_{Dc,Du} Σ_{y≠y*} Lc(y) + Lu + λg Σ_y Lclass(y)``. The two
functions here combine the losses of :mod:`probelib.train.losses` into what each side minimises
and name every term for logging; :class:`~probelib.train.probegan.ProbeGANTrainer` calls them
once per update, :class:`~probelib.train.pack.PackedTrainer` once per member, so a GAN trained
alone and one trained in a pack minimise literally the same expression. No networks, no I/O, no
randomness: scores in, ``(loss, parts)`` out.

A head that is off is ``None``. Scores in another float type (bfloat16 under autocast) are cast to
float32 before any loss; float32 scores pass through unchanged.
"""
from __future__ import annotations

import torch

from . import losses

__all__ = ["discriminator_objective", "generator_objective"]


def _total(terms: list[torch.Tensor], side: str) -> torch.Tensor:
    """The terms added left to right, as the trainers always added them (the same rounding)."""
    if not terms:
        raise ValueError(f"the {side} objective has no term: switch on Dc or Du (or the classifier for G)")
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def discriminator_objective(
    dc_real: torch.Tensor | None = None,
    dc_fake: torch.Tensor | None = None,
    du_real: torch.Tensor | None = None,
    du_fake: torch.Tensor | None = None,
    gp: torch.Tensor | None = None,
    *,
    lambda_gp: float,
    drift: float,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """What D minimises in one update: the negated inner maximum of ProbeGAN's eq. (1),
    ``L_D = Lhinge(Dc) + [E Du(fake) − E Du(real)] + λgp·Lgp + drift·E[Du(real)²]``.

    - Dc, eq. (2): the BigGAN hinge on seen classes, ``E relu(1 − Dc(x, y)) + E relu(1 + Dc(G(z, y), y))``;
      ``dc_real`` the scores of real images, ``dc_fake`` of seen-class fakes. An *empty*
      ``dc_fake`` means Dc scores no fake this step (the paper's single batch whose fakes are all
      target fakes): the fake term is exactly 0 (a score of −1 stands in, ``relu(1 + (−1)) = 0``).
    - Du, eq. (3): the WGAN critic loss on reals of seen classes (``du_real``) against fakes of
      all classes (``du_fake``, class dilution), plus ``lambda_gp`` times the gradient penalty
      ``gp`` (a scalar computed by the caller: it needs the critic, see
      :func:`~probelib.train.losses.gradient_penalty`), plus the reference implementation's drift
      ``drift·E[Du(real)²]`` (not in the paper).

    ``dc_real``/``dc_fake`` are both given or both ``None`` (Dc off); likewise ``du_real``,
    ``du_fake`` and ``gp`` (Du off). Returns ``(loss, parts)`` with ``parts`` the named terms
    ``d_hinge``, ``d_wgan``, ``gp``, ``d_drift`` (those of the heads that are on, unweighted) and
    ``d_loss`` (the loss itself).
    """
    if (dc_real is None) != (dc_fake is None):
        raise ValueError("Dc needs both its real and its fake scores (or neither: Dc off)")
    if len({du_real is None, du_fake is None, gp is None}) > 1:
        raise ValueError("Du needs its real and fake scores and the gradient penalty (or none: Du off)")
    parts: dict[str, torch.Tensor] = {}
    terms: list[torch.Tensor] = []
    if dc_real is not None:
        dc_real, dc_fake = dc_real.float(), dc_fake.float()
        if not dc_fake.numel():  # no Dc fake this step: the fake term is empty
            dc_fake = torch.full((1,), -1.0, device=dc_real.device)  # relu(1 + (-1)) = 0 exactly
        parts["d_hinge"] = losses.hinge_d(dc_real, dc_fake)  # eq. (2), negated
        terms.append(parts["d_hinge"])
    if du_real is not None:
        du_real, du_fake = du_real.float(), du_fake.float()
        parts["d_wgan"] = losses.wgan_d(du_real, du_fake)  # eq. (3) without Lgp, negated
        parts["gp"] = gp  # Lgp of eq. (3)
        parts["d_drift"] = losses.drift(du_real, drift)
        terms += [parts["d_wgan"], lambda_gp * gp, parts["d_drift"]]
    loss = _total(terms, "discriminator")
    parts["d_loss"] = loss
    return loss, parts


def generator_objective(
    dc: torch.Tensor | None = None,
    du: torch.Tensor | None = None,
    logits: torch.Tensor | None = None,
    labels: torch.Tensor | None = None,
    *,
    lambda_cls: float,
    drift: float,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """What G minimises in one update, the outer minimum of ProbeGAN's eq. (1):
    ``L_G = −E Dc(G(z, y), y) − E Du(G(z, y)) + drift·E[Du(G(z, y))²] + λg·Lclass``.

    - ``dc``: Dc's scores of seen-class fakes, the generator side of the hinge loss, eq. (2)
      (``None`` or empty: Dc off, or no seen-class fake this step; no term).
    - ``du``: Du's scores of fakes of all classes, the generator side of ``Lu``, eq. (3), plus the
      reference implementation's drift ``drift·E[Du²]`` (in the loss, not logged on its own).
    - ``logits``: the frozen classifier's logits of Du's fakes and their conditioning ``labels``:
      ``Lclass`` of eq. (4), ``−E log p̂(y | G(z, y))``, weighted by ``lambda_cls`` (λg of eq. 1).
      ``None``: no classifier term (the caller passes ``None`` where λg = 0).

    Returns ``(loss, parts)`` with ``parts`` the named terms ``g_hinge``, ``g_wgan``, ``g_cls``
    (those present, unweighted) and ``g_loss`` (the loss itself).
    """
    if logits is not None and labels is None:
        raise ValueError("the classifier term needs the fakes' labels")
    parts: dict[str, torch.Tensor] = {}
    terms: list[torch.Tensor] = []
    if dc is not None and dc.numel():
        parts["g_hinge"] = losses.hinge_g(dc.float())  # eq. (2), generator side
        terms.append(parts["g_hinge"])
    if du is not None:
        du = du.float()
        parts["g_wgan"] = losses.wgan_g(du)  # eq. (3), generator side
        terms += [parts["g_wgan"], losses.drift(du, drift)]
    if logits is not None:
        parts["g_cls"] = losses.classifier_ce(logits.float(), labels)  # eq. (4)
        terms.append(lambda_cls * parts["g_cls"])
    loss = _total(terms, "generator")
    parts["g_loss"] = loss
    return loss, parts
