"""Spectral norm whose power iteration torch.compile can trace: torch's numbers, bit for bit."""
import copy

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as torch_spectral_norm

from probelib.models.spectral import SpectralNorm, spectral_norm


def _pair(make):
    torch.manual_seed(0)
    ours = spectral_norm(make())
    torch.manual_seed(0)
    theirs = torch_spectral_norm(make())
    return ours, theirs


def test_the_same_numbers_as_torchs_spectral_norm_bit_for_bit():
    for make, x in ((lambda: nn.Conv2d(3, 5, 3), torch.randn(4, 3, 8, 8)),
                    (lambda: nn.Linear(6, 1), torch.randn(4, 6)),
                    (lambda: nn.Embedding(7, 6), torch.tensor([1, 3, 6]))):
        ours, theirs = _pair(make)
        assert ours.state_dict().keys() == theirs.state_dict().keys()
        for _ in range(3):  # two forwards before one backward (D on reals, then on fakes), 3 times
            loss_a = ours(x).square().sum() - ours(x).sum()
            loss_b = theirs(x).square().sum() - theirs(x).sum()
            loss_a.backward()
            loss_b.backward()
            assert torch.equal(loss_a, loss_b)
        for (ka, a), (kb, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
            assert ka == kb and torch.equal(a, b), ka
        pa, pb = ours.parametrizations.weight.original, theirs.parametrizations.weight.original
        assert torch.equal(pa.grad, pb.grad)
        ours.eval()
        theirs.eval()
        assert torch.equal(ours(x), theirs(x))


def test_buffers_are_replaced_or_updated_in_place():
    layer = spectral_norm(nn.Linear(6, 4))
    sn = layer.parametrizations.weight[0]
    assert isinstance(sn, SpectralNorm)
    u = sn._u
    layer(torch.randn(2, 6))
    assert sn._u is not u and not torch.equal(sn._u, u)  # replaced: a saved u is never overwritten
    in_place = copy.deepcopy(layer)
    in_place.parametrizations.weight[0].rebind = False  # functional_call's way (the pack)
    u = in_place.parametrizations.weight[0]._u
    before = u.clone()
    in_place(torch.randn(2, 6))
    assert in_place.parametrizations.weight[0]._u is u and not torch.equal(u, before)
