"""Each loss against values computed by hand on tiny tensors."""
import math

import pytest
import torch

from probelib.train import losses


def test_hinge_d_by_hand():
    real = torch.tensor([2.0, 0.5, -1.0])  # relu(1-x): 0, 0.5, 2.0 -> mean 2.5/3
    fake = torch.tensor([-2.0, 0.0])  # relu(1+x): 0, 1 -> mean 0.5
    assert losses.hinge_d(real, fake).item() == pytest.approx(2.5 / 3 + 0.5)


def test_hinge_g_and_wgan_g_by_hand():
    fake = torch.tensor([1.0, -3.0, 0.5, 0.5])
    assert losses.hinge_g(fake).item() == pytest.approx(0.25)
    assert losses.wgan_g(fake).item() == pytest.approx(0.25)


def test_wgan_d_by_hand():
    assert losses.wgan_d(torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0, 4.0])).item() == pytest.approx(1 - 2)


def test_drift_by_hand():
    assert losses.drift(torch.tensor([1.0, -3.0])).item() == pytest.approx(1e-4 * 5.0)
    assert losses.drift(torch.tensor([2.0]), weight=0.5).item() == pytest.approx(2.0)


def test_classifier_ce_by_hand():
    logits = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    y = torch.tensor([1, 0])
    expected = (torch.log(torch.tensor(2.0)) + torch.log(1 + torch.exp(torch.tensor(-2.0)))) / 2
    assert losses.classifier_ce(logits, y).item() == pytest.approx(expected.item())


def test_gradient_penalty_on_a_linear_critic_equals_its_definition():
    """For Du(x) = <w, x> the gradient is w everywhere, so Lgp = (||w|| - 1)^2 exactly."""
    w = torch.tensor([3.0, 4.0, 0.0, 0.0]).view(1, 1, 2, 2)  # ||w|| = 5
    critic = lambda x: (x * w).flatten(1).sum(1)  # noqa: E731
    real, fake = torch.randn(6, 1, 2, 2), torch.randn(6, 1, 2, 2)
    alpha = torch.rand(6, 1, 1, 1)
    assert losses.gradient_penalty(critic, real, fake, alpha).item() == pytest.approx(16.0)


def test_gradient_penalty_interpolates_and_is_differentiable():
    """Du(x) = sum(x^2): grad = 2 x_hat, so the penalty depends on alpha as computed by hand."""
    critic = lambda x: (x**2).flatten(1).sum(1)  # noqa: E731
    real, fake = torch.ones(1, 1, 1, 1), torch.zeros(1, 1, 1, 1)
    alpha = torch.full((1, 1, 1, 1), 0.25)  # x_hat = 0.25, grad = 0.5, penalty = (0.5-1)^2
    assert losses.gradient_penalty(critic, real, fake, alpha).item() == pytest.approx(0.25)
    scale = torch.tensor(1.0, requires_grad=True)
    gp = losses.gradient_penalty(lambda x: scale * (x**2).flatten(1).sum(1), real, fake, alpha)
    gp.backward()  # create_graph=True lets the penalty train the critic
    assert scale.grad is not None and scale.grad.item() == pytest.approx(2 * (0.5 - 1) * 0.5)


def test_group_dro_by_hand():
    """Sagawa et al. 2019, Alg. 1: q ∝ q·exp(η·l_g); loss Σ q_g l_g. By hand:
    l = (2, 4), q = (½, ½), η = ½ → q' = (1, e)/(1 + e) = (0.2689, 0.7311), loss = 3.4621."""
    per_sample = torch.tensor([1.0, 3.0, 4.0])
    groups = torch.tensor([0, 0, 1])
    means, counts = losses.group_means(per_sample, groups, 2)
    assert torch.allclose(means, torch.tensor([2.0, 4.0])) and counts.tolist() == [2.0, 1.0]
    loss, q = losses.group_dro(per_sample, groups, torch.tensor([0.5, 0.5]), eta=0.5)
    e = math.e
    assert torch.allclose(q, torch.tensor([1 / (1 + e), e / (1 + e)]), atol=1e-6)
    assert float(loss) == pytest.approx(2 / (1 + e) + 4 * e / (1 + e), abs=1e-5)


def test_group_dro_absent_group_and_gradient():
    """An absent group has loss 0 (its weight only shrinks relative to present ones); the
    gradient flows to the per-sample losses, not to the weights."""
    per_sample = torch.tensor([1.0, 3.0], requires_grad=True)
    loss, q = losses.group_dro(per_sample, torch.tensor([0, 0]), torch.full((3,), 1 / 3), eta=0.5)
    e = math.e
    assert torch.allclose(q, torch.tensor([e, 1.0, 1.0]) / (e + 2), atol=1e-6)
    loss.backward()
    w0 = e / (e + 2)
    assert torch.allclose(per_sample.grad, torch.tensor([w0 / 2, w0 / 2]), atol=1e-6)  # q_0 · ∂(mean)/∂l_i
    assert not q.requires_grad
