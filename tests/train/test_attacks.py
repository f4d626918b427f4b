import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from probelib.train.attacks import class_visualisation, gaussian_noise, l2_project, pgd_l2


@pytest.fixture
def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).eval()


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(1)
    return torch.rand(8, 1, 4, 4, generator=g) * 1.6 - 0.8, torch.randint(0, 3, (8,), generator=g)


def test_l2_project_matches_numpy():
    d = torch.tensor([[3.0, 4.0], [0.3, 0.4]]).view(2, 1, 1, 2)
    out = l2_project(d, 1.0).numpy().reshape(2, 2)
    ref = np.array([[3.0, 4.0], [0.3, 0.4]])
    ref = ref * np.minimum(1.0, 1.0 / np.linalg.norm(ref, axis=1, keepdims=True))
    np.testing.assert_allclose(out, ref, rtol=1e-6)  # [[0.6, 0.8], [0.3, 0.4]]


@pytest.mark.parametrize("eps", [0.1, 0.5, 2.0])
def test_pgd_stays_in_ball_and_bounds(model, batch, eps):
    x, y = batch
    adv = pgd_l2(model, x, y, eps, steps=7, random_start=True, generator=torch.Generator().manual_seed(0))
    norms = (adv - x).flatten(1).norm(dim=1)
    assert (norms <= eps + 1e-5).all()
    assert adv.min() >= -1 and adv.max() <= 1


def test_untargeted_pgd_increases_loss(model, batch):
    x, y = batch
    before = F.cross_entropy(model(x), y)
    after = F.cross_entropy(model(pgd_l2(model, x, y, 0.5, steps=5)), y)
    assert after > before + 0.05


def test_targeted_pgd_decreases_target_loss(model, batch):
    x, _ = batch
    t = torch.full((8,), 2)
    before = F.cross_entropy(model(x), t)
    after = F.cross_entropy(model(pgd_l2(model, x, t, 0.5, steps=5, targeted=True)), t)
    assert after < before - 0.05


def test_pgd_leaves_parameter_gradients_alone(model, batch):
    x, y = batch
    pgd_l2(model, x, y, 0.5, steps=3)
    assert all(p.grad is None for p in model.parameters())


def test_zero_eps_is_identity(model, batch):
    x, y = batch
    assert torch.equal(pgd_l2(model, x, y, 0.0, steps=3), x)


def test_class_visualisation_moves_towards_target(model):
    targets = torch.tensor([1, 1, 2, 0])
    start = torch.zeros(4, 1, 4, 4)
    imgs = class_visualisation(model, start, targets, eps=3.0, steps=10)
    assert imgs.shape == (4, 1, 4, 4)
    assert torch.equal(model(imgs).argmax(1), targets)
    assert torch.equal(imgs, class_visualisation(model, start, targets, eps=3.0, steps=10))


def test_gaussian_noise_matches_the_moments_of_the_images():
    g = torch.Generator().manual_seed(0)
    mix = torch.tensor([[1.0, 0.0], [0.8, 0.6]])
    images = (torch.randn(4000, 2, generator=g) @ mix.T + torch.tensor([0.3, -0.2])).view(-1, 2, 1, 1) * 0.3
    noise = gaussian_noise(images, 4000, seed=1)
    assert noise.shape == (4000, 2, 1, 1)
    np.testing.assert_allclose(noise.flatten(1).mean(0), images.flatten(1).mean(0), atol=0.02)
    np.testing.assert_allclose(torch.cov(noise.flatten(1).T), torch.cov(images.flatten(1).T), atol=0.01)
    assert torch.equal(noise, gaussian_noise(images, 4000, seed=1))
