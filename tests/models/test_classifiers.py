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
    with pytest.raises(ValueError, match="unknown classifier architecture 'vit'; choose one of: resnet, evalnet"):
        build_classifier("vit", 1, 10, 8)
