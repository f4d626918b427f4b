import numpy as np
import pytest
import torch
from torch import nn

from probelib import measure, models, train
from probelib.train import losses


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
    """A 'generator' whose image brightness is the first latent coordinate (class ignored)."""

    z_dim = 4

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([1.0, 0.0, 0.0, 0.0]))

    def forward(self, z, y):
        return torch.tanh(0.5 * (z @ self.w)).view(-1, 1, 1, 1).expand(-1, 1, 4, 4)


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
    assert float(models.ClassConfidence(clf)(x, torch.tensor([0]))) == pytest.approx(float(p[0]))
    assert float(models.ClassConfidence(clf, cls=2)(x)) == pytest.approx(float(p[2]))
    with pytest.raises(ValueError, match="needs the labels"):
        models.ClassConfidence(clf)(x)


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
