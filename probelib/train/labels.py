"""The labels of a ProbeGAN step's fakes: uniform over all classes, or each absent class at its
share of the unconditional head's batch and the rest uniform over the seen classes (class
dilution, Zhang et al. 2022; several absent classes go beyond the paper)."""
from __future__ import annotations

import torch

__all__ = ["absent_shares", "fake_labels"]


def absent_shares(fraction: float | tuple[float, ...], k: int) -> tuple[float, ...] | None:
    """Each absent class's share of Du's fakes, or None for labels uniform over all classes."""
    if isinstance(fraction, (tuple, list)):
        if len(fraction) != k:
            raise ValueError(f"target_fraction gives {len(fraction)} shares for {k} absent classes")
        if any(f < 0 for f in fraction):
            raise ValueError("a per-target share cannot be negative (use -1.0 alone for uniform labels)")
        shares = tuple(float(f) for f in fraction)
    elif fraction < 0:
        return None
    else:
        shares = (float(fraction),) * k
    if sum(shares) > 1.0 + 1e-9:
        raise ValueError(f"the absent classes' shares of Du's fakes add up to {sum(shares):g} > 1")
    return shares


def fake_labels(n: int, num_classes: int, target: int | tuple[int, ...], fraction: float | tuple[float, ...],
                g: torch.Generator) -> torch.Tensor:
    """Labels of the fakes: uniform over all classes (fraction < 0), or each absent class
    ``target`` (an index or a tuple of them) with its probability (``fraction``: one share for
    each, or a tuple) and uniform over the seen classes otherwise. One target draws exactly
    what it drew before several targets existed (the same random numbers, the same labels)."""
    absent = (target,) if isinstance(target, int) else tuple(target)
    shares = absent_shares(fraction, len(absent))
    if shares is None:
        return torch.randint(0, num_classes, (n,), generator=g)
    seen = torch.tensor([c for c in range(num_classes) if c not in absent])
    y = seen[torch.randint(0, len(seen), (n,), generator=g)]
    u = torch.rand(n, generator=g)
    low = 0.0
    for t, share in zip(absent, shares):  # consecutive slices of [0, 1): the first is u < share
        y = torch.where((u >= low) & (u < low + share), torch.full_like(y, t), y)
        low += share
    return y
