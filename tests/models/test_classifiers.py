import pytest
import torch

from probelib.models import EvalNet, ResNetClassifier, build_classifier


@pytest.mark.parametrize("arch, cls", [("resnet", ResNetClassifier), ("evalnet", EvalNet)])
@pytest.mark.parametrize("channels", [1, 3])
def test_logits_and_features_shapes(arch, cls, channels):
    model = build_classifier(arch, channels, 7, 8)
    assert isinstance(model, cls)
    x = torch.randn(5, channels, 32, 32)
    assert model(x).shape == (5, 7)
    assert model.features(x).shape == (5, model.feature_dim)


def test_the_judge_is_a_different_architecture():
    judge, probed = build_classifier("evalnet", 1, 10, 16), build_classifier("resnet", 1, 10, 16)
    kinds = lambda m: {type(mod).__name__ for mod in m.modules()}  # noqa: E731
    assert "MaxPool2d" in kinds(judge) and "MaxPool2d" not in kinds(probed)
    assert "BasicBlock" in kinds(probed) and "BasicBlock" not in kinds(judge)


def test_unknown_architecture():
    with pytest.raises(ValueError, match="unknown classifier architecture 'mlp'; choose one of: resnet, evalnet, vit"):
        build_classifier("mlp", 1, 10, 8)


def test_the_panel_judges_are_other_families():
    """The ViT has attention and no convolution past its patch embedding; the HOG judge has no
    network but one linear layer. Both give logits and features of their stated size."""
    from probelib.models import HOGJudge, ViTJudge

    vit = build_classifier("vit", 3, 10, 16)
    assert isinstance(vit, ViTJudge) and "MultiheadAttention" in {type(m).__name__ for m in vit.modules()}
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    assert vit(x).shape == (4, 10) and vit.features(x).shape == (4, vit.feature_dim)
    hog = HOGJudge(324, 10)
    assert [type(m).__name__ for m in hog.modules()] == ["HOGJudge", "Linear"]
    assert hog(x).shape == (4, 10) and hog.features(x[:, :1]).shape == (4, 324)


def test_the_judge_reads_any_probe_resolution_and_is_unchanged_at_32_px():
    from probelib.models.classifiers import EvalNet

    torch.manual_seed(0)
    net = EvalNet(3, 5, width=4).eval()
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(net.features(x), net.fc(net.conv(x)))  # the pooling is an identity at 32 px
    assert "pool" not in "".join(net.state_dict())  # no new weights: stored judges load as before
    for side in (64, 128):
        assert net(torch.randn(2, 3, side, side)).shape == (2, 5)
