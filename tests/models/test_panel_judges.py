"""The reporting panel's judges: the HOG descriptors against scikit-image, random Fourier
features against hand values and the kernel they approximate, the judge's features (the metrics'
space) being its standardised descriptors and its logits the linear layer on their random features,
and the ViT's convolutional stem."""
import math

import numpy as np
import pytest
import torch
from skimage.feature import hog

from probelib.models import build_classifier
from probelib.models.panel import HOGJudge, ViTJudge, hog_features, random_fourier


def _images(n=3, channels=1, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, channels, 32, 32, generator=g) * 2 - 1


def test_several_cell_sizes_are_scikit_images_hog_at_each_size_concatenated_in_order():
    x = _images(2)
    f = hog_features(x, (4, 8))
    assert f.shape == (2, 7 * 7 * 2 * 2 * 9 + 3 * 3 * 2 * 2 * 9) == (2, 1764 + 324)
    im = ((x[1, 0] + 1) / 2).numpy()
    want = [hog(im, orientations=9, pixels_per_cell=(c, c), cells_per_block=(2, 2)) for c in (4, 8)]
    np.testing.assert_allclose(f[1].numpy(), np.concatenate(want), rtol=1e-5, atol=1e-6)
    assert torch.equal(hog_features(x), f[:, 1764:])  # the default is the one 8-px scale, as before
    assert torch.equal(hog_features(x, (8, 4)), torch.cat([f[:, 1764:], f[:, :1764]], 1))


def test_bins_and_the_averaged_silhouette_are_appended_as_stated():
    x = _images(2)
    f = hog_features(x, (8,), orientations=18, pixels=4)
    assert f.shape == (2, 3 * 3 * 2 * 2 * 18 + 16)
    im = ((x[0, 0] + 1) / 2).numpy()
    want = hog(im, orientations=18, pixels_per_cell=(8, 8), cells_per_block=(2, 2))
    np.testing.assert_allclose(f[0, :648].numpy(), want, rtol=1e-5, atol=1e-6)
    # the silhouette part: means of 8×8 squares of the image in [0, 1], row by row
    np.testing.assert_allclose(f[0, 648:].numpy(), im.reshape(4, 8, 4, 8).mean((1, 3)).ravel(), rtol=1e-5)
    binary = torch.full((1, 1, 32, 32), -1.0)
    binary[0, 0, :8, :16] = 1.0  # white top-left 8×16: the first two squares are white, the rest black
    assert hog_features(binary, (), pixels=4)[0].tolist() == [1.0, 1.0] + [0.0] * 14
    judge = HOGJudge(648 + 16, 3, cells=(8,), orientations=18, pixels=4)
    assert judge.standardised(x).shape == (2, 664)


def test_random_fourier_features_by_hand():
    z = torch.tensor([[0.0, 1.0], [2.0, 0.0]])
    w = torch.tensor([[math.pi, 0.0], [0.0, math.pi / 2]])
    # z @ w = [[0, π/2], [2π, 0]]
    out = random_fourier(z, w, torch.zeros(2))
    torch.testing.assert_close(out, math.sqrt(2) * torch.tensor([[1.0, 0.0], [1.0, 1.0]]), atol=1e-6, rtol=0)
    out = random_fourier(z, w, torch.full((2,), math.pi / 2))  # [[π/2, π], [5π/2, π/2]]
    torch.testing.assert_close(out, math.sqrt(2) * torch.tensor([[0.0, -1.0], [0.0, 0.0]]), atol=1e-6, rtol=0)


def test_random_fourier_features_approximate_the_gaussian_kernel():
    g = torch.Generator().manual_seed(0)
    d, dim, gamma = 20_000, 5, 0.1
    w = torch.randn(dim, d, generator=g, dtype=torch.float64) * math.sqrt(2 * gamma)
    b = torch.rand(d, generator=g, dtype=torch.float64) * 2 * math.pi
    z = torch.randn(4, dim, generator=g, dtype=torch.float64)
    f = random_fourier(z, w, b)
    approx = f @ f.T / d
    exact = torch.exp(-gamma * torch.cdist(z, z) ** 2)
    torch.testing.assert_close(approx, exact, atol=0.03, rtol=0)


@pytest.mark.parametrize("rff", [0, 16])
def test_the_hog_judge_reads_its_features_and_is_deterministic(rff):
    torch.manual_seed(0)
    judge = HOGJudge(1764 + 324, 5, cells=(4, 8), rff=rff)
    for t in judge.buffers():
        t.normal_()
    judge.scale.abs_().add_(0.5)
    x = _images(3)
    f = judge.features(x)
    # the metrics' space is the descriptors (2,088 values), whatever the read-out
    assert f.shape == (3, 2088) and judge.feature_dim == f.shape[1]
    assert torch.equal(judge.features(x), f)
    z = (hog_features(x, (4, 8)) - judge.mean) / judge.scale
    torch.testing.assert_close(f, z)
    head = random_fourier(z, judge.rff_weight, judge.rff_bias) if rff else z
    assert judge.linear.in_features == (rff or 2088)
    torch.testing.assert_close(judge(x), judge.linear(head))
    assert [type(m).__name__ for m in judge.modules()] == ["HOGJudge", "Linear"]  # no network


def test_the_conv_stem_vit_is_a_transformer_on_the_patch_grid():
    torch.manual_seed(0)
    vit = build_classifier("vit", 1, 10, 16, depth=2, stem="conv")
    patch = build_classifier("vit", 1, 10, 16)
    assert isinstance(vit, ViTJudge) and len(vit.blocks.layers) == 2 and len(patch.blocks.layers) == 3
    x = _images(4)
    assert vit.embed(x).shape == patch.embed(x).shape == (4, 16, 8, 8)  # 64 tokens either way
    assert vit.pos.shape == patch.pos.shape == (1, 64, 16)
    convs = [n for n, m in vit.named_modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs == ["embed.0", "embed.2"]  # convolutions only in the tokeniser
    assert "MultiheadAttention" in {type(m).__name__ for m in vit.modules()}
    assert vit(x).shape == (4, 10) and vit.features(x).shape == (4, 16)
    torch.testing.assert_close(vit(x), vit.head(vit.features(x)))


def test_vit_settings_are_refused_elsewhere():
    with pytest.raises(ValueError, match="unknown ViT stem 'cnn'"):
        build_classifier("vit", 1, 10, 16, stem="cnn")
    with pytest.raises(ValueError, match="depth and stem are ViT settings"):
        build_classifier("resnet", 1, 10, 16, depth=2)
