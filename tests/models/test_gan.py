import pytest
import torch

from probelib.models.gan import GANConfig, build_gan


def _count(m):
    return sum(p.numel() for p in m.parameters())


def test_reference_parameter_counts_at_gpu_scale():
    """ch=64, 32x32x3, hierarchical z of 120, shared embedding 128: ≈ 4.4 M in G, ≈ 4.2 M in D."""
    G, D = build_gan(GANConfig(ch=64, channels=3), 10)
    assert _count(G) == pytest.approx(4.4e6, rel=0.02)
    assert _count(D) == pytest.approx(4.2e6, rel=0.02)


@pytest.mark.parametrize("hierarchical", [True, False])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_and_two_heads(hierarchical, channels):
    G, D = build_gan(GANConfig(ch=4, channels=channels, hierarchical=hierarchical), 10)
    z, y = torch.randn(3, G.z_dim), torch.tensor([0, 4, 9])
    x = G(z, y)
    assert x.shape == (3, channels, 32, 32) and x.abs().max() <= 1
    D.eval()  # no power iteration between the two calls
    dc, du = D(x, y)
    assert dc.shape == du.shape == (3,)
    # the unconditional head does not depend on labels; the conditional one does
    dc2, du2 = D(x, torch.tensor([1, 1, 1]))
    assert torch.equal(du, du2) and not torch.equal(dc, dc2)


def test_embedding_input_equals_label_input():
    G, _ = build_gan(GANConfig(ch=4), 10)
    G.eval()
    z, y = torch.randn(2, G.z_dim), torch.tensor([3, 7])
    assert torch.allclose(G(z, y), G(z, embedding=G.embed(y)))


def test_spectral_norm_everywhere():
    G, D = build_gan(GANConfig(ch=4), 10)
    for m in list(G.modules()) + list(D.modules()):
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            assert hasattr(m, "parametrizations"), m
