"""The classifier adapter against hand values: resize, channels, normalisation, class map, and
the penultimate features of any model with a final linear layer."""
import pytest
import torch
from torch import nn

from probelib.models import IMAGENET_MEAN, IMAGENET_STD, ClassifierAdapter
from probelib.models.adapter import AdapterInputError, FixedShape


class Record(nn.Module):
    """Returns what it was given (flattened) and remembers it."""

    def forward(self, x):
        self.seen = x
        return x.flatten(1)


def test_normalisation_on_the_unit_scale_by_hand():
    a = ClassifierAdapter(Record(), mean=IMAGENET_MEAN, std=IMAGENET_STD)
    x = torch.tensor([-1.0, 0.0, 1.0]).view(1, 3, 1, 1)  # [0, 1]-scale values 0, 0.5, 1
    a(x)
    expected = [(0 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (1 - 0.406) / 0.225]
    torch.testing.assert_close(a.model.seen.flatten(), torch.tensor(expected))


def test_resize_and_grey_to_rgb():
    a = ClassifierAdapter(Record(), size=4, in_channels=3)
    x = torch.arange(4.0).view(1, 1, 2, 2) / 4 - 0.5
    a(x)
    seen = a.model.seen
    assert seen.shape == (1, 3, 4, 4)
    assert torch.equal(seen[0, 0], seen[0, 2])  # grey repeated
    torch.testing.assert_close(seen[0, 0, 0, 0], x[0, 0, 0, 0])  # bilinear keeps the corner (align_corners=False)
    back = ClassifierAdapter(Record(), in_channels=1)
    back(torch.tensor([0.0, 0.3, 0.9]).view(1, 3, 1, 1))
    torch.testing.assert_close(back.model.seen.flatten(), torch.tensor([0.4]))  # RGB averaged to 1 channel
    with pytest.raises(AdapterInputError, match="the model takes 2 channels, the images have 3"):
        ClassifierAdapter(Record(), in_channels=2)(torch.zeros(1, 3, 2, 2))


def test_class_map_picks_the_folders_classes_out_of_many_outputs():
    a = ClassifierAdapter(Record(), class_map=[5, 0, 2])
    out = a(torch.arange(8.0).view(1, 8, 1, 1))  # a "model" with 8 outputs: logit i = i
    assert out.tolist() == [[5.0, 0.0, 2.0]]


def test_mean_and_std_together_and_matching_channels():
    with pytest.raises(AdapterInputError, match="give both mean and std"):
        ClassifierAdapter(Record(), mean=IMAGENET_MEAN)
    with pytest.raises(AdapterInputError, match="mean / std have 3 channels, the model's input has 1"):
        ClassifierAdapter(Record(), mean=IMAGENET_MEAN, std=IMAGENET_STD)(torch.zeros(1, 1, 2, 2))


def test_features_are_the_input_of_the_last_linear_layer():
    torch.manual_seed(0)
    body = nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.ReLU())
    model = nn.Sequential(body, nn.Linear(5, 3))
    a = ClassifierAdapter(model)
    x = torch.randn(2, 3, 2, 2)
    torch.testing.assert_close(a.features(x), body(x))
    assert a(x).shape == (2, 3)
    assert not model[1]._forward_hooks  # the hook is removed again


class OnlyBatch(nn.Module):
    """A model that takes batches of ``b`` only (as an exported program does), per-image independent."""

    def __init__(self, b):
        super().__init__()
        self.b, self.lin = b, nn.Linear(12, 3)

    def forward(self, x):
        assert len(x) == self.b, f"batch {len(x)}"
        return self.lin(torch.tanh(x.flatten(1)))


@pytest.mark.parametrize("b", [1, 2, 5])
def test_fixed_shape_calls_in_chunks_with_the_gradients_of_one_call(b):
    torch.manual_seed(0)
    model = OnlyBatch(b)
    whole = nn.Sequential(nn.Flatten(), nn.Tanh(), model.lin)  # the same maths at any batch
    x = torch.randn(5, 3, 2, 2)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, ref = FixedShape(model, (b, 3, 2, 2))(xa), whole(xb)
    out.square().sum().backward()
    ref.square().sum().backward()
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=0)
    torch.testing.assert_close(xa.grad, xb.grad, atol=1e-6, rtol=0)
    feats = ClassifierAdapter(FixedShape(model, (b, 3, 2, 2))).features(x)
    torch.testing.assert_close(feats, torch.tanh(x.flatten(1)))  # the last linear's input, padding dropped


def test_fixed_shape_names_the_shape_it_takes():
    fixed = FixedShape(OnlyBatch(1), (1, 3, 2, 2), "model.pt2")
    with pytest.raises(AdapterInputError, match=r"model.pt2 takes inputs of shape \(1, 3, 2, 2\) only, not "
                                                r"\(any, 1, 4, 4\); pass --in-channels 3 --input-size 2"):
        fixed(torch.zeros(3, 1, 4, 4))
