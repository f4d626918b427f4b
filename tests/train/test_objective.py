"""One GAN's objective (ProbeGAN eqs. 1-4) against values and gradients worked out by hand."""
import math

import pytest
import torch

from probelib.train.objective import discriminator_objective, generator_objective


def _t(*values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def _d_inputs():
    # Dc, eq. (2): relu(1 - real) = 0, 0.5, 2 -> mean 2.5/3; relu(1 + fake) = 0, 1 -> mean 0.5
    dc_real, dc_fake = _t(2.0, 0.5, -1.0), _t(-2.0, 0.0)
    # Du, eq. (3): mean fake - mean real = (-1 + 0 + 4)/3 - (1 + 3)/2 = 1 - 2 = -1
    du_real, du_fake = _t(1.0, 3.0), _t(-1.0, 0.0, 4.0)
    gp = torch.tensor(0.25, requires_grad=True)
    return dc_real, dc_fake, du_real, du_fake, gp


def test_discriminator_objective_by_hand():
    dc_real, dc_fake, du_real, du_fake, gp = inputs = _d_inputs()
    loss, parts = discriminator_objective(*inputs, lambda_gp=10.0, drift=0.01)
    hinge, wgan, drift = 2.5 / 3 + 0.5, -1.0, 0.01 * (1 + 9) / 2  # drift on Du's reals only: 0.01·E[Du(x)²]
    assert list(parts) == ["d_hinge", "d_wgan", "gp", "d_drift", "d_loss"]
    assert parts["d_hinge"].item() == pytest.approx(hinge)
    assert parts["d_wgan"].item() == pytest.approx(wgan)
    assert parts["gp"].item() == 0.25  # logged unweighted
    assert parts["d_drift"].item() == pytest.approx(drift)
    assert loss is parts["d_loss"] and loss.item() == pytest.approx(hinge + wgan + 10.0 * 0.25 + drift)


def test_discriminator_gradients_reach_each_score_as_the_formula_says():
    dc_real, dc_fake, du_real, du_fake, gp = inputs = _d_inputs()
    loss, _ = discriminator_objective(*inputs, lambda_gp=10.0, drift=0.01)
    g = torch.autograd.grad(loss, inputs)
    # d/dx E relu(1 - x) = -1/n where x < 1, else 0; d/dx E relu(1 + x) = 1/n where x > -1, else 0
    assert torch.allclose(g[0], torch.tensor([0.0, -1 / 3, -1 / 3]))
    assert torch.allclose(g[1], torch.tensor([0.0, 0.5]))
    # Du's reals: -1/n from the WGAN term plus the drift's 0.01·2x/n; its fakes: +1/n, no drift
    assert torch.allclose(g[2], torch.tensor([-0.5 + 0.01 * 1.0, -0.5 + 0.01 * 3.0]))
    assert torch.allclose(g[3], torch.full((3,), 1 / 3))
    assert g[4].item() == pytest.approx(10.0)  # λgp


def test_discriminator_with_one_head_off():
    dc_real, dc_fake, du_real, du_fake, gp = _d_inputs()
    loss, parts = discriminator_objective(dc_real, dc_fake, lambda_gp=10.0, drift=0.01)  # Du off
    assert list(parts) == ["d_hinge", "d_loss"] and loss.item() == pytest.approx(2.5 / 3 + 0.5)
    loss, parts = discriminator_objective(None, None, du_real, du_fake, gp, lambda_gp=10.0, drift=0.01)  # Dc off
    assert list(parts) == ["d_wgan", "gp", "d_drift", "d_loss"]
    assert loss.item() == pytest.approx(-1.0 + 2.5 + 0.05)
    assert torch.autograd.grad(loss, du_fake)[0].allclose(torch.full((3,), 1 / 3))


def test_no_dc_fake_this_step_leaves_only_the_real_hinge_term():
    """The paper's single batch with every fake a target fake: Dc scores no fake; its fake term is 0
    (not the NaN of a mean over nothing) and the real term keeps its gradient."""
    dc_real, empty = _t(2.0, 0.5, -1.0), torch.empty(0, requires_grad=True)
    loss, parts = discriminator_objective(dc_real, empty, lambda_gp=10.0, drift=0.01)
    assert loss.item() == pytest.approx(2.5 / 3) and math.isfinite(parts["d_hinge"].item())
    g_real, g_fake = torch.autograd.grad(loss, (dc_real, empty), allow_unused=True)
    assert torch.allclose(g_real, torch.tensor([0.0, -1 / 3, -1 / 3])) and g_fake is None


def test_discriminator_refuses_half_a_head_and_no_head():
    dc_real, dc_fake, du_real, du_fake, gp = _d_inputs()
    with pytest.raises(ValueError, match="Dc needs both"):
        discriminator_objective(dc_real, None, lambda_gp=1.0, drift=0.0)
    with pytest.raises(ValueError, match="Du needs"):
        discriminator_objective(None, None, du_real, du_fake, None, lambda_gp=1.0, drift=0.0)
    with pytest.raises(ValueError, match="no term"):
        discriminator_objective(lambda_gp=1.0, drift=0.0)


def _g_inputs():
    dc = _t(1.0, -3.0, 0.5, 0.5)  # -E Dc = -(1 - 3 + 0.5 + 0.5)/4 = 0.25
    du = _t(1.0, -1.0, 2.0)  # -E Du = -2/3; E Du² = (1 + 1 + 4)/3 = 2
    logits = torch.tensor([[0.0, 0.0], [2.0, 0.0]], requires_grad=True)
    labels = torch.tensor([1, 0])
    return dc, du, logits, labels


CE = (math.log(2.0) + math.log(1 + math.exp(-2.0))) / 2  # -E log softmax(logits)_y: ln 2 and ln(1 + e^-2)


def test_generator_objective_by_hand():
    dc, du, logits, labels = _g_inputs()
    loss, parts = generator_objective(dc, du, logits, labels, lambda_cls=0.5, drift=0.1)
    assert list(parts) == ["g_hinge", "g_wgan", "g_cls", "g_loss"]  # G's drift is in the loss, not logged
    assert parts["g_hinge"].item() == pytest.approx(0.25)
    assert parts["g_wgan"].item() == pytest.approx(-2 / 3)
    assert parts["g_cls"].item() == pytest.approx(CE)  # logged unweighted
    assert loss is parts["g_loss"] and loss.item() == pytest.approx(0.25 - 2 / 3 + 0.1 * 2.0 + 0.5 * CE)


def test_generator_gradients_reach_each_score_as_the_formula_says():
    dc, du, logits, labels = _g_inputs()
    loss, _ = generator_objective(dc, du, logits, labels, lambda_cls=0.5, drift=0.1)
    g_dc, g_du, g_logits = torch.autograd.grad(loss, (dc, du, logits))
    assert torch.allclose(g_dc, torch.full((4,), -0.25))
    # -1/n from the WGAN term plus the drift's 0.1·2x/n, n = 3
    assert torch.allclose(g_du, torch.tensor([-1 + 0.2, -1 - 0.2, -1 + 0.4]) / 3)
    # λg·(softmax - onehot)/n, n = 2
    s = math.exp(2.0) / (math.exp(2.0) + 1)
    assert torch.allclose(g_logits, 0.5 * torch.tensor([[0.5, -0.5], [s - 1, 1 - s]]) / 2)


def test_generator_with_heads_or_the_classifier_off():
    dc, du, logits, labels = _g_inputs()
    loss, parts = generator_objective(None, du, logits, labels, lambda_cls=0.5, drift=0.1)  # Dc off
    assert list(parts) == ["g_wgan", "g_cls", "g_loss"]
    assert loss.item() == pytest.approx(-2 / 3 + 0.2 + 0.5 * CE)
    loss, parts = generator_objective(torch.empty(0), du, None, None, lambda_cls=0.5, drift=0.1)  # no Dc fake
    assert list(parts) == ["g_wgan", "g_loss"] and loss.item() == pytest.approx(-2 / 3 + 0.2)  # no classifier
    loss, parts = generator_objective(dc, None, None, None, lambda_cls=0.5, drift=0.1)  # Du off, λg = 0
    assert list(parts) == ["g_hinge", "g_loss"] and loss.item() == pytest.approx(0.25)
    g_dc, g_du = torch.autograd.grad(loss, (dc, du), allow_unused=True)
    assert torch.allclose(g_dc, torch.full((4,), -0.25)) and g_du is None  # an absent head gets nothing
    with pytest.raises(ValueError, match="labels"):
        generator_objective(dc, du, logits, None, lambda_cls=0.5, drift=0.1)
    with pytest.raises(ValueError, match="no term"):
        generator_objective(torch.empty(0), lambda_cls=0.5, drift=0.1)


def test_low_precision_scores_give_a_float32_loss_and_their_own_gradient():
    """Under bfloat16 autocast the scores arrive in bfloat16: the losses are taken in float32 and
    the gradient goes back to the bfloat16 scores."""
    dc = _t(1.0, -3.0, 0.5, 0.5, dtype=torch.bfloat16)
    du = _t(1.0, -1.0, 2.0, dtype=torch.bfloat16)
    loss, _ = generator_objective(dc, du, lambda_cls=0.0, drift=0.1)
    assert loss.dtype == torch.float32 and loss.item() == pytest.approx(0.25 - 2 / 3 + 0.2, rel=1e-6)
    g_dc, g_du = torch.autograd.grad(loss, (dc, du))
    assert g_dc.dtype == g_du.dtype == torch.bfloat16 and torch.allclose(g_dc.float(), torch.full((4,), -0.25))
    d_loss, _ = discriminator_objective(dc, dc[:2], du, du, torch.tensor(0.0), lambda_gp=10.0, drift=0.0)
    assert d_loss.dtype == torch.float32
