import pytest
import torch
from torch import nn

from probelib.train.baselines import METHODS, AMConfig, biggan_am, method_config, sample_embedding
from probelib.models.gan import GANConfig, Generator
from probelib.train.probegan import ProbeGANConfig


def test_method_configs():
    base = ProbeGANConfig()
    naive = method_config("naive", base)
    assert not naive.use_dc and naive.use_du and naive.target_fraction == 1.0 and naive.lambda_cls > 0
    oracle = method_config("probegan-oracle", base)
    assert oracle.include_target and oracle.use_dc and oracle.use_du
    assert method_config("biggan-all", base).lambda_cls == 0 and not method_config("biggan-all", base).use_du
    seen = method_config("biggan-seen", base)
    assert not seen.include_target and seen.target_fraction == 0.0
    assert method_config("probegan", base) == base
    with pytest.raises(ValueError, match="unknown GAN method 'probe'; choose one of: probegan, naive"):
        method_config("probe", base)
    assert set(METHODS) == {"probegan", "naive", "probegan-oracle", "biggan-all", "biggan-seen"}


def test_biggan_am_raises_the_target_probability_and_stays_in_range():
    torch.manual_seed(0)
    G = Generator(GANConfig(ch=2, z_dim=8, shared_dim=4, g_mult=(4, 4, 2), resolution=16), 3).eval()
    clf = nn.Sequential(nn.Flatten(), nn.Linear(256, 3))
    target = 2
    e_mean = G.shared.weight.detach().mean(0)
    z = torch.randn(64, G.z_dim)
    before = clf(G(z, embedding=e_mean.expand(64, -1))).softmax(1)[:, target].mean()
    res = biggan_am(G, clf, target, AMConfig(rounds=3, steps=10, restarts=2, batch_size=16), progress=False)
    after = clf(G(z, embedding=res.embedding.expand(64, -1))).softmax(1)[:, target].mean()
    assert after > before
    table = G.shared.weight.detach()
    assert (res.embedding >= table.min(0).values - 1e-6).all() and (res.embedding <= table.max(0).values + 1e-6).all()
    assert len(res.history) == 2 * 3
    x = sample_embedding(G, res.embedding, 5, seed=0)
    assert x.shape == (5, 1, 16, 16) and torch.equal(x, sample_embedding(G, res.embedding, 5, seed=0))


def test_sampling_a_classs_own_embedding_is_sampling_the_class():
    from probelib.models.gan import GANConfig, Generator
    from probelib.train.gans import sample

    G = Generator(GANConfig(ch=2, z_dim=8, shared_dim=4, g_mult=(4, 4, 2), resolution=16), 3)
    torch.nn.init.normal_(G.shared.weight)  # distinct class embeddings
    own = sample_embedding(G, G.shared.weight[2].detach(), 7, seed=3, batch_size=4)
    assert torch.allclose(own, sample(G, 2, 7, seed=3, batch_size=4), atol=1e-6)
    assert not torch.allclose(own, sample(G, 1, 7, seed=3, batch_size=4), atol=1e-3)
