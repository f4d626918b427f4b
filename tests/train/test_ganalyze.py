import numpy as np
import pytest
import torch
from torch import nn

from probelib import measure, models, train
from probelib.models.judges import class_log_odds
from probelib.train import losses
from probelib.train.ganalyze import direction_check, null_loss


def test_transformer_variants_by_hand():
    T = train.Transformer(3, init_std=0.0)
    with torch.no_grad():
        T.theta.copy_(torch.tensor([[1.0, 0.0, 2.0]]))
    z = torch.tensor([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    out = T(z, torch.tensor([0.5, -1.0]))
    assert torch.allclose(out, torch.tensor([[0.5, 1.0, 1.0], [0.0, 1.0, -1.0]]))  # z + α·θ
    R = train.Transformer(3, renorm=True, init_std=0.0)
    with torch.no_grad():
        R.theta.copy_(torch.tensor([[1.0, 0.0, 0.0]]))
    out = R(torch.tensor([[0.0, 2.0, 0.0]]), torch.tensor([2.0]))  # (2, 2, 0) rescaled to norm 2
    assert torch.allclose(out, torch.tensor([[2 ** 0.5, 2 ** 0.5, 0.0]]))
    P = train.Transformer(2, num_classes=3, per_class=True, init_std=0.0)
    with torch.no_grad():
        P.theta.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))  # W, one row per class
    out = P(torch.zeros(3, 2), torch.ones(3), torch.tensor([2, 0, 1]))
    assert torch.allclose(out, torch.tensor([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]]))  # θ_y = W·onehot(y)
    with pytest.raises(ValueError, match="needs the labels"):
        P(torch.zeros(1, 2), torch.ones(1))


def test_ganalyze_loss_by_hand():
    s1, s0, a = torch.tensor([0.9, 0.2]), torch.tensor([0.5, 0.5]), torch.tensor([0.5, -0.5])
    # residuals: 0.9 − 1.0 = −0.1 and 0.2 − 0.0 = 0.2 → mean of squares (0.01 + 0.04) / 2
    assert float(losses.ganalyze(s1, s0, a)) == pytest.approx(0.025)


def test_truncated_normal_bounds():
    z = train.truncated_normal(2000, 8, 2.0, torch.Generator().manual_seed(0))
    assert z.shape == (2000, 8) and float(z.abs().max()) <= 2.0 and abs(float(z.mean())) < 0.02


class ToyG(nn.Module):
    """A 'generator' whose image brightness is ``squash(gain · z₀)`` everywhere (class ignored):
    by default tanh(0.5 · z₀); ``LinearG`` is 0.25 · z₀."""

    z_dim = 4

    def __init__(self, gain: float = 0.5, squash=torch.tanh):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([gain, 0.0, 0.0, 0.0]))
        self.squash = squash

    def forward(self, z, y):
        return self.squash(z @ self.w).view(-1, 1, 1, 1).expand(-1, 1, 4, 4)


class Brightness(nn.Module):
    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x.flatten(1).mean(1)


def test_training_learns_a_direction_that_moves_the_score():
    G, A = ToyG(), Brightness()
    cfg = train.GANalyzeConfig(steps=300, batch_size=16, lr=0.05, seed=0)
    res = train.train_transformer(G, A, 1, cfg, progress=False)
    assert res.history[-1]["loss"] < res.history[0]["loss"]
    theta = res.transformer.theta.detach()[0]
    assert theta[0] > 1.0 and theta[0].abs() > 5 * theta[1:].abs().max()  # θ points along brightness
    sw = train.sweep(G, res.transformer, A, [-0.2, 0.0, 0.2], seeds=range(10), labels=[0] * 10)
    assert sw["images"].shape == (30, 1, 4, 4) and sw["alpha"].tolist()[:3] == pytest.approx([-0.2, 0, 0.2])
    fit = measure.mixed_slope(sw["score"], sw["alpha"], sw["seed"])
    assert fit["ci_low"] > 0 and fit["beta"] == pytest.approx(1.0, abs=0.35)


def test_mixed_slope_recovers_a_known_slope():
    rng = np.random.default_rng(0)
    seeds = np.repeat(np.arange(20), 5)
    alpha = np.tile([-0.2, -0.1, 0.0, 0.1, 0.2], 20)
    v = 0.7 * alpha + rng.normal(0, 1, 20)[seeds] + rng.normal(0, 0.01, 100)  # random intercepts per seed
    fit = measure.mixed_slope(v, alpha, seeds)
    assert fit["ci_low"] < 0.7 < fit["ci_high"] and fit["ci_high"] - fit["ci_low"] < 0.05 and fit["p"] < 1e-6
    with pytest.raises(ValueError, match="at least two"):
        measure.mixed_slope(v, np.zeros(100), seeds)


def test_degeneracy_flags_collapse_and_flat_images():
    g = torch.Generator().manual_seed(0)
    varied = torch.rand(5, 1, 8, 8, generator=g) * 2 - 1
    flat = torch.full((5, 1, 8, 8), 0.1) + 0.001 * torch.randn(5, 1, 8, 8, generator=g)  # grey and identical
    images = torch.cat([varied, flat]).numpy()
    table = measure.degeneracy(images, [0.0] * 5 + [0.2] * 5, list(range(5)) * 2)
    assert table.loc[0.2, "near-uniform (%)"] == 100 and table.loc[0.0, "near-uniform (%)"] == 0
    assert table.loc[0.2, "spread across seeds"] < 0.01 < table.loc[0.0, "spread across seeds"]


def test_adapters_say_where_to_get_the_weights(tmp_path):
    with pytest.raises(models.AdapterError, match="MemNet weights not found at None: .*GANalyze"):
        models.load_memnet(None)
    with pytest.raises(models.AdapterError, match="MemNet weights not found at .*memnet.pth"):
        models.load_memnet(tmp_path / "memnet.pth")
    with pytest.raises(models.AdapterError, match="BigGAN weights not found at .*biggan: pretrained BigGAN: pip install"):
        models.load_biggan(tmp_path / "biggan")
    (tmp_path / "biggan").mkdir()
    (tmp_path / "biggan" / "config.json").write_text("{}")
    try:
        import pytorch_pretrained_biggan  # noqa: F401
    except ImportError:
        with pytest.raises(models.AdapterError, match="pytorch-pretrained-biggan is not installed"):
            models.load_biggan(tmp_path / "biggan")


def test_class_confidence_assessor():
    clf = nn.Linear(2, 3, bias=False).requires_grad_(False)
    with torch.no_grad():
        clf.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    x = torch.tensor([[2.0, 0.0]])
    p = torch.tensor([2.0, 0.0, 0.0]).softmax(0)
    prob = models.ClassConfidence(clf, score="probability")
    assert float(prob(x, torch.tensor([0]))) == pytest.approx(float(p[0]))
    assert float(models.ClassConfidence(clf, cls=2, score="probability")(x)) == pytest.approx(float(p[2]))
    # the default is the log-odds: log p - log(1 - p)
    assert float(models.ClassConfidence(clf)(x, torch.tensor([0]))) == pytest.approx(float((p[0] / (1 - p[0])).log()))
    assert float(models.ClassConfidence(clf, cls=2)(x)) == pytest.approx(float((p[2] / (1 - p[2])).log()))
    with pytest.raises(ValueError, match="needs the labels"):
        models.ClassConfidence(clf)(x)
    with pytest.raises(ValueError, match="unknown confidence score 'odds'; choose one of: log-odds, probability"):
        models.ClassConfidence(clf, score="odds")


def test_class_log_odds_by_hand_and_where_the_probability_rounds_to_one():
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 3.0], [100.0, 0.0, 0.0]])
    y = torch.tensor([0, 1, 0])
    # p_0 = e² / (e² + 2): log-odds = 2 − log 2; p_1 = e / (1 + e + e³): log-odds = 1 − log(1 + e³)
    expected = torch.tensor([2 - np.log(2), 1 - np.log(1 + np.e ** 3), 100 - np.log(2)], dtype=torch.float32)
    torch.testing.assert_close(class_log_odds(logits, y), expected)
    p = logits.softmax(1).gather(1, y.view(-1, 1)).squeeze(1)
    assert torch.isinf((p / (1 - p)).log()[2])  # the naive formula from p breaks where p rounds to 1
    logits.requires_grad_(True)
    class_log_odds(logits, y)[2].backward()  # gradient 1 on the own logit: it does not vanish as p → 1
    torch.testing.assert_close(logits.grad[2], torch.tensor([1.0, -0.5, -0.5]))


def test_the_loss_of_theta_zero_is_the_mean_square_of_alpha():
    assert null_loss(0.5) == pytest.approx(0.25 / 3) and null_loss(1.0) == pytest.approx(1 / 3)
    T = train.Transformer(4, init_std=0.0)  # θ = 0: T is the identity
    z, alpha = torch.randn(6, 4), torch.tensor([0.5, -0.5, 0.1, 0.0, -0.3, 0.2])
    A = Brightness()
    s0, s1 = A(ToyG()(z, None)), A(ToyG()(T(z, alpha), None))
    # residual −α: (0.25 + 0.25 + 0.01 + 0 + 0.09 + 0.04) / 6
    assert float(losses.ganalyze(s1, s0, alpha)) == pytest.approx(0.64 / 6)
    check = direction_check(ToyG(), T, A, 1, train.GANalyzeConfig(alpha_max=0.5), n=4000)
    assert check["loss"] == pytest.approx(check["null_loss"]) and check["gain"] == pytest.approx(0.0, abs=1e-7)
    assert check["null_loss"] == pytest.approx(0.25 / 3, rel=1e-6) and not check["learned"]  # α on an even grid


def LinearG() -> ToyG:
    """A 'generator' whose image brightness is linear in z: 0.25·z₀ everywhere (class ignored)."""
    return ToyG(gain=0.25, squash=lambda v: v)


class SaturatedAssessor(nn.Module):
    """sigmoid(8·brightness + 6): near 1 at z ~ N(0, I) (mean ≈ 0.99), or its log-odds 8·brightness + 6."""

    def __init__(self, score: str):
        super().__init__()
        self.score, self.bias = score, nn.Parameter(torch.tensor(6.0))

    def forward(self, x):
        logit = 8 * x.flatten(1).mean(1) + self.bias
        return logit if self.score == "log-odds" else torch.sigmoid(logit)


def _train_toy(score: str):
    G, A = LinearG(), SaturatedAssessor(score)
    cfg = train.GANalyzeConfig(steps=300, batch_size=16, lr=0.05, seed=0)
    res = train.train_transformer(G, A, 1, cfg, progress=False)
    check = direction_check(G, res.transformer, A, 1, cfg)
    sw = train.sweep(G, res.transformer, A, [-0.2, -0.1, 0.0, 0.1, 0.2], seeds=range(20), labels=[0] * 20)
    return check, measure.mixed_slope(sw["score"], sw["alpha"], sw["seed"])


def test_a_saturated_probability_fails_where_its_log_odds_learns():
    a2_3 = null_loss(0.5)
    check, fit = _train_toy("probability")
    assert check["score_at_zero"] > 0.98  # sits near 1: s₀ + α is out of reach for α > 0
    assert check["loss"] > 0.6 * a2_3 and fit["beta"] < 0.5  # not clearly below a²/3, slope far below 1
    check, fit = _train_toy("log-odds")
    assert check["learned"] and check["loss"] < 0.05 * a2_3  # well below a²/3
    assert fit["beta"] == pytest.approx(1.0, abs=0.05)


def test_area_assessor_learns_object_size():
    g = torch.Generator().manual_seed(0)
    x = torch.full((256, 1, 16, 16), -1.0)
    sides = torch.randint(2, 15, (256,), generator=g)
    for i, s in enumerate(sides.tolist()):
        x[i, 0, :s, :s] = 1.0
    truth = measure.object_size(x)
    model, record = train.train_area_assessor(x, truth, steps=300, batch_size=64, width=8, progress=False)
    assert record["mae"] < 0.25 * float(truth.std())  # far better than predicting the mean
    small, large = model(x[sides.argsort()[:8]]), model(x[sides.argsort()[-8:]])
    assert float(large.mean()) > float(small.mean()) + 0.3  # larger squares score larger areas
    assert not any(p.requires_grad for p in model.parameters())  # served frozen


def test_memnet_loads_a_state_dict_and_scores_book_images(tmp_path):
    from probelib.models.memnet import MemNet
    torch.manual_seed(0)
    net = MemNet().eval()
    torch.save({"state_dict": {f"module.{k}": v for k, v in net.state_dict().items()}}, tmp_path / "memnet.pth")
    assessor = models.load_memnet(tmp_path / "memnet.pth")
    x = torch.rand(2, 1, 32, 32) * 2 - 1  # the book's grey 32×32 images in [-1, 1]
    score = assessor(x)
    assert score.shape == (2,) and bool(((score >= 0) & (score <= 1)).all())
    # by hand: grey repeated to RGB, [0, 1], bilinear to 227, ImageNet-normalised, fc8 mapped and clamped
    rgb = torch.nn.functional.interpolate(((x + 1) / 2).repeat(1, 3, 1, 1), size=(227, 227), mode="bilinear")
    mean, std = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    raw = net((rgb - mean) / std)
    torch.testing.assert_close(score, ((raw - 0.7626) * 2 + 0.65).clamp(0, 1))
    assert not any(p.requires_grad for p in assessor.parameters())


def test_memnet_rejects_other_files(tmp_path):
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(models.AdapterError, match="not a readable MemNet state dict"):
        models.load_memnet(tmp_path / "junk.pth")
    torch.save({"conv1.weight": torch.zeros(3)}, tmp_path / "other.pth")
    with pytest.raises(models.AdapterError, match="not a MemNet state dict \\(missing"):
        models.load_memnet(tmp_path / "other.pth")
    from probelib.models.memnet import MemNet
    state = MemNet().state_dict()
    state["fc8.weight"] = torch.zeros(2, 4096)
    torch.save(state, tmp_path / "wrong.pth")
    with pytest.raises(models.AdapterError, match="fc8.weight has shape \\(2, 4096\\)"):
        models.load_memnet(tmp_path / "wrong.pth")
    with pytest.raises(ValueError, match="MemNet takes"):
        MemNet()(torch.zeros(1, 3, 32, 32))


def test_biggan_wrapper_feeds_one_hot_classes():
    class FakeBigGAN(torch.nn.Module):  # the pytorch-pretrained-biggan call signature
        config = type("Config", (), {"z_dim": 4, "num_classes": 5})()

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(1))

        def forward(self, z, class_label, truncation):
            return torch.tanh(z.sum(1, keepdim=True) * truncation + class_label.argmax(1, keepdim=True)).view(-1, 1, 1, 1)

    G = models.BigGANGenerator(FakeBigGAN(), truncation=0.5)
    assert (G.z_dim, G.num_classes) == (4, 5)
    z, y = torch.ones(2, 4), torch.tensor([0, 3])
    torch.testing.assert_close(G(z, y).flatten(), torch.tanh(torch.tensor([2.0, 5.0])))
