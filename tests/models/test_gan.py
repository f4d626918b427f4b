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


def _expected(res: int, channels: int, ch: int, classes: int, g_mult, d_mult, z_dim=120, shared=128):
    """Parameter counts of BigGAN's G and D, derived layer by layer from the architecture."""
    up = len(g_mult) - 1
    chunk = z_dim // (up + 1)
    cond = shared + chunk
    w = [ch * m for m in g_mult]
    g = classes * shared + (chunk * w[0] * (res // 2**up) ** 2 + w[0] * (res // 2**up) ** 2)
    for a, b in zip(w[:-1], w[1:]):
        g += 2 * cond * a + (9 * a * b + b) + 2 * cond * b + (9 * b * b + b) + (a * b + b)
    g += 2 * w[-1] + 9 * w[-1] * channels + channels
    d, c = 0, channels
    downs = [i < 2 for i in range(len(d_mult))] if res == 32 else [i < len(d_mult) - 1 for i in range(len(d_mult))]
    for m, down in zip(d_mult, downs):
        b = ch * m
        d += 9 * c * b + b + 9 * b * b + b + ((c * b + b) if (c != b or down) else 0)
        c = b
    d += (c + 1) + classes * c + (c + 1)
    return g, d


@pytest.mark.parametrize("res, narrow", [(32, False), (64, False), (128, False), (64, True), (128, True)])
def test_architectures_by_resolution(res, narrow):
    from probelib.models.gan import architecture

    cfg = architecture(res, 3, ch=64 if not narrow else 16, narrow=narrow)
    G, D = build_gan(cfg, 10)
    assert (_count(G), _count(D)) == _expected(res, 3, cfg.ch, 10, cfg.g_mult, cfg.d_mult)
    x = G(torch.randn(2, G.z_dim), torch.tensor([1, 2]))
    assert x.shape == (2, 3, res, res)
    side = 8 if res == 32 else 4  # the reference's 32×32 D stops at 8×8, BigGAN's larger ones at 4×4
    assert D.blocks(x).shape[-1] == side


def test_paper_scale_counts_at_64_and_128():
    """ch = 64: G 31.8 M / D 19.6 M at 64×64, G 31.8 M / D 38.4 M at 128×128 (BigGAN's multipliers,
    no non-local block); the 32×32 reference stays at 4.4 M / 4.2 M."""
    from probelib.models.gan import architecture

    for res, g, d in ((64, 31_760_899, 19_553_986), (128, 31_831_427, 38_430_402)):
        G, D = build_gan(architecture(res, 3, ch=64), 10)
        assert (_count(G), _count(D)) == (g, d)
    with pytest.raises(ValueError, match="no GAN architecture for 48×48 images; choose one of: 32, 64, 128"):
        architecture(48, 3)
