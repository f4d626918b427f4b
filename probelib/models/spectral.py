"""Spectral norm (Miyato et al. 2018) as torch's parametrization, with a power iteration that
``torch.compile`` can trace and differentiate.

torch's ``_SpectralNorm`` updates its ``u`` and ``v`` buffers in place (``out=``) and then clones
them for ``sigma``. Traced by inductor, the clone may be dropped and the buffer itself saved for
backward, so the next call's in-place update (a second forward before backward: D on reals, then
on fakes, then the penalty's critic) trips autograd's "modified by an inplace operation" check.
:class:`SpectralNorm` computes the new ``u``, ``v`` as fresh tensors and takes ``sigma`` from
them: the same operations in the same order (the same numbers, bit for bit, in eager mode), the
same buffers and ``state_dict`` keys, and no saved tensor that a later update overwrites.

In training mode the new ``u``, ``v`` *replace* the buffers (``rebind``, the default): a tensor a
forward saved for backward is never written again, whichever forward (compiled or eager) comes
next. ``torch.func.functional_call`` swaps buffers in for one call, so a module called that way
(the pack of GANs, :mod:`probelib.train.pack`) sets ``rebind = False``: the new values are copied
into the buffers instead, in place.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import _SpectralNorm

__all__ = ["SpectralNorm", "spectral_norm"]


class SpectralNorm(_SpectralNorm):
    """``weight / sigma(weight)``; in training mode one power iteration per call, out of place."""

    rebind = True  # replace the buffers (False: copy into them, for functional_call)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            with torch.no_grad():
                u, v = self._u, self._v
                for _ in range(self.n_power_iterations):
                    u = F.normalize(torch.mv(weight_mat, v), dim=0, eps=self.eps)
                    v = F.normalize(torch.mv(weight_mat.H, u), dim=0, eps=self.eps)
                if self.rebind:
                    self._u, self._v = u, v
                else:
                    self._u.copy_(u)
                    self._v.copy_(v)
        else:
            u = self._u.clone(memory_format=torch.contiguous_format)
            v = self._v.clone(memory_format=torch.contiguous_format)
        sigma = torch.vdot(u, torch.mv(weight_mat, v))
        return weight / sigma


def spectral_norm(module: nn.Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int = 0) -> nn.Module:
    """:func:`torch.nn.utils.parametrizations.spectral_norm` with :class:`SpectralNorm` (Conv and
    Linear layers and embeddings: ``dim`` 0)."""
    weight = getattr(module, name)
    parametrize.register_parametrization(module, name, SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
