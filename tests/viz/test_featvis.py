"""Feature visualisation, natural exemplars and the 2AFC observer, against numpy references."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from probelib import measure, viz


def _bilinear_np(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Bilinear resize with half-pixel centres (source coordinates clamped at 0), by hand."""
    h, w = img.shape
    ys = np.clip((np.arange(out_h) + 0.5) * h / out_h - 0.5, 0, h - 1)
    xs = np.clip((np.arange(out_w) + 0.5) * w / out_w - 0.5, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = img[y0][:, x0] * (1 - wx) + img[y0][:, x1] * wx
    bot = img[y1][:, x0] * (1 - wx) + img[y1][:, x1] * wx
    return top * (1 - wy) + bot * wy


def test_fft_scale_is_one_over_frequency():
    s = viz.fft_scale(8, 8)
    assert s.shape == (8, 5)
    assert s[0, 0] == pytest.approx(8 * 8)  # DC clamped to 1/max(h, w): 1/(1/8) · sqrt(64)
    assert s[0, 1] == pytest.approx(8 / 0.125)  # f = 1/8
    assert s[4, 4] == pytest.approx(8 / np.sqrt(0.5 ** 2 + 0.5 ** 2))


@pytest.mark.parametrize("channels", [1, 3])
def test_fft_image_matches_numpy(channels):
    param = viz.FFTImage(2, channels, 8, 6, sd=0.5, seed=3)
    spec = param.spectrum.detach().numpy()
    coeffs = (spec[..., 0] + 1j * spec[..., 1]) * viz.fft_scale(8, 6)
    x = np.fft.irfft2(coeffs, s=(8, 6), norm="ortho") / 4
    if channels == 3:
        m = viz.COLOR_CORRELATION / np.linalg.norm(viz.COLOR_CORRELATION, axis=0).max()
        x = np.einsum("ij,njhw->nihw", m, x)
    want = 2 / (1 + np.exp(-x)) - 1
    got = param().detach().numpy()
    assert got.shape == (2, channels, 8, 6)
    np.testing.assert_allclose(got, want, atol=1e-5)
    with pytest.raises(ValueError, match="grey or RGB"):
        viz.FFTImage(1, 2, 8, 8)


def test_transforms_match_numpy():
    x = torch.arange(2 * 1 * 5 * 5, dtype=torch.float32).view(2, 1, 5, 5)
    xn = x.numpy()
    np.testing.assert_array_equal(viz.Pad(2, value=-1.0)(x).numpy(),
                                  np.pad(xn, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=-1.0))
    np.testing.assert_array_equal(viz.Jitter(2)(x, offset=(1, 2)).numpy(), xn[..., 1:4, 2:5])
    up = viz.RandomScale((2.0,))(x).numpy()
    assert up.shape == (2, 1, 10, 10)
    np.testing.assert_allclose(up[1, 0], _bilinear_np(xn[1, 0], 10, 10), atol=1e-5)
    # a quarter turn about the centre is exact on a square grid: np.rot90 (counter-clockwise on screen)
    np.testing.assert_allclose(viz.RandomRotate((90.0,))(x).numpy(), np.rot90(xn, k=1, axes=(2, 3)), atol=1e-4)
    np.testing.assert_allclose(viz.RandomRotate((0.0,))(x).numpy(), xn, atol=1e-5)
    chain = viz.standard_transforms(32, seed=0)
    assert isinstance(chain, nn.Sequential)
    assert chain(torch.zeros(3, 1, 32, 32)).shape == (3, 1, 32, 32)


def test_objectives_compose_by_hand():
    a = {"l": torch.arange(2 * 2 * 3 * 3, dtype=torch.float32).view(2, 2, 3, 3), "": torch.tensor([[1.0, 5.0], [2.0, 7.0]])}
    ch = viz.channel("l", 1)
    torch.testing.assert_close(ch(a), torch.tensor([13.0, 31.0]))  # means of 9..17 and 27..35
    torch.testing.assert_close(viz.neuron("l", 0)(a), torch.tensor([4.0, 22.0]))  # centre
    torch.testing.assert_close(viz.class_logit(1)(a), torch.tensor([5.0, 7.0]))
    combo = 2 * ch - viz.class_logit(1) + viz.neuron("l", 0)
    torch.testing.assert_close(combo(a), torch.tensor([2 * 13.0 - 5 + 4, 2 * 31.0 - 7 + 22]))
    torch.testing.assert_close((-ch)(a), -ch(a))
    assert combo.layers == ("l", "")
    same = {"l": torch.ones(3, 2, 4, 4)}
    assert float(viz.diversity("l")(same)) == pytest.approx(-1.0)


def _tiny_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 6, 3, padding=1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 3))


def test_render_increases_the_objective():
    net = _tiny_net()
    obj = viz.channel("2", 3) + 0.1 * viz.diversity("2")
    images, history = viz.render(net, obj, viz.FFTImage(4, 1, 16, 16, seed=0),
                                     viz.standard_transforms(16), steps=40, lr=0.1, progress=False)
    assert images.shape == (4, 1, 16, 16) and float(images.abs().max()) <= 1
    assert history[-1]["objective"] > history[0]["objective"] + 0.1
    with pytest.raises(ValueError, match="no layer 'nope'"):
        viz.render(net, viz.channel("nope", 0), viz.FFTImage(1, 1, 8, 8), steps=1, progress=False)


def test_streamed_exemplars_equal_a_full_sort():
    net = _tiny_net()
    x = torch.randn(50, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    ex = measure.top_exemplars(net, "2", [0, 5], (x[i:i + 7] for i in range(0, 50, 7)), k=4)
    full = measure.unit_activations(net, "2", x)
    for row, u in enumerate([0, 5]):
        order = torch.argsort(full[:, u], descending=True)
        assert ex.top_idx[row].tolist() == order[:4].tolist()
        assert ex.bottom_idx[row].tolist() == order.flip(0)[:4].tolist()
        torch.testing.assert_close(ex.top_act[row], full[order[:4], u])
    with pytest.raises(ValueError, match="at least k=4"):
        measure.top_exemplars(net, "2", [0], [x[:3]], k=4)


def test_two_afc_observer_and_bootstrap():
    e = torch.eye(4)
    max_refs = e[0] + 0.1 * torch.randn(9, 4, generator=torch.Generator().manual_seed(0))
    min_refs = e[1] + 0.1 * torch.randn(9, 4, generator=torch.Generator().manual_seed(1))
    q_hi, q_lo = e[0].expand(20, 4) + 0.05, e[1].expand(20, 4) + 0.05
    ident = lambda v: v  # noqa: E731
    assert measure.two_afc(ident, max_refs, min_refs, q_hi, q_lo).correct.all()
    assert not measure.two_afc(ident, min_refs, max_refs, q_hi, q_lo).correct.any()  # references swapped
    with pytest.raises(ValueError, match="pair up"):
        measure.two_afc(ident, max_refs, min_refs, q_hi, q_lo[:3])
    assert measure.bootstrap_ci(np.full(10, 0.7)) == pytest.approx((0.7, 0.7, 0.7))
    mean, lo, hi = measure.bootstrap_ci(np.r_[np.zeros(10), np.ones(10)])
    assert mean == 0.5 and lo < 0.5 < hi
