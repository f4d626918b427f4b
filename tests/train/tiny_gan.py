"""What the fast-step and pack tests share: a tiny GAN config, its image set and classifier, and
the weights whose value is float noise."""
import pytest
import torch
from torch import nn

from probelib.data import ImageSet
from probelib.models.gan import GANConfig
from probelib.train.probegan import ProbeGANConfig

TINY = GANConfig(ch=2, z_dim=8, shared_dim=4, g_mult=(4, 4, 4), resolution=16, channels=1)


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(4).repeat_interleave(16)
    return ImageSet(torch.rand(64, 1, 16, 16, generator=g) * 2 - 1, y, ("a", "b", "t", "d"), "tiny", "train")


@pytest.fixture
def classifier():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(1024, 4))


def tiny_cfg(**kw):
    return ProbeGANConfig(**(dict(gan=TINY, steps=3, batch_size=8, d_steps=2, diffaug=True) | kw))


def noise_only(key: str) -> bool:
    """G's convolution biases inside its blocks feed a batch norm, which removes them: their true
    gradient is 0 and what backward gives is float noise (~1e-8, the size of Adam's eps), which
    Adam turns into steps of up to ±lr in either direction — any change of rounding moves them;
    the batch norms' running means absorb them (and nothing else of G's output depends on them
    in training mode)."""
    return (key.startswith("blocks.") and key.endswith(".bias")) or key.endswith("running_mean")


def assert_same_gans(a, b, atol: float) -> None:
    """G, D and EMA G of trainers ``a`` and ``b`` equal within ``atol`` (D entirely; G's
    float-noise weights aside)."""
    for ma, mb, name in ((a.G, b.G, "G"), (a.D, b.D, "D"), (a.G_ema, b.G_ema, "G_ema")):
        for (ka, va), (kb, vb) in zip(ma.state_dict().items(), mb.state_dict().items()):
            if name != "D" and noise_only(ka):
                continue
            assert ka == kb and torch.allclose(va, vb, rtol=0, atol=atol), (name, ka, (va - vb).abs().max())
