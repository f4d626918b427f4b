"""The water detectors of chapter 5 and group accuracy, against hand-computed values."""
import pytest
import torch

from probelib import data, measure, models


def test_water_share_counts_windows_by_hand():
    class BlueIsWater(models.PatchBackground):  # water when the window is bluer than red, on average
        def forward(self, x):
            blue = (x[:, 2] - x[:, 0]).mean((1, 2))
            return torch.stack([-blue, blue], 1)

    x = torch.zeros(2, 3, 32, 32)
    x[0, 0] = 1.0  # all red: no water
    x[1, 2, :, :16] = 1.0  # left half blue: windows at columns 0, 4, 8 (inside) and 12 (mostly inside)
    x[1, 0, :, 16:] = 1.0
    share = measure.water_share(BlueIsWater(8), x, stride=4)
    assert share.shape == (2,)
    assert float(share[0]) == 0.0
    assert float(share[1]) == pytest.approx(3 / 7)  # column windows starting at 0, 4, 8 of 7; 12..19 is a tie
    with pytest.raises(ValueError, match="colour images"):
        measure.water_share(BlueIsWater(8), torch.zeros(2, 1, 32, 32))


def test_tint_is_blue_minus_red_per_image():
    x = torch.zeros(3, 3, 4, 4)
    x[0, 2] = 1.0  # all blue: +1
    x[1, 0] = 0.5  # all red at 0.5: −0.5
    x[2, 2, :2] = 1.0  # blue in the top half, green elsewhere (ignored): +0.5
    x[2, 1] = 1.0
    torch.testing.assert_close(measure.tint(x), torch.tensor([1.0, -0.5, 0.5]))
    with pytest.raises(ValueError, match="colour images"):
        measure.tint(torch.zeros(2, 1, 4, 4))


def test_water_colour_counts_dark_blue_pixels_not_light_birds():
    x = torch.zeros(2, 3, 4, 4)
    x[0, 2] = -0.2  # dark blue everywhere: blue − red 0.8, darkest channel −1 (below a bird's 0.1)
    x[0, 0] = -1.0
    x[0, 1] = -0.6
    x[1] = torch.tensor([0.2, 0.4, 0.9]).view(3, 1, 1)  # a light-blue bird: bluer, but no channel below 0.1
    x[1, :, 0, :2] = torch.tensor([-0.8, -0.5, -0.1]).view(3, 1)  # two dark-blue pixels
    x[1, :, 1, 0] = torch.tensor([-0.8, -0.5, -0.75])  # dark but only 0.05 bluer than red: not counted
    mask = measure.water_colour_mask(x)
    assert mask.shape == (2, 4, 4) and bool(mask[0].all())
    assert mask[1].nonzero().tolist() == [[0, 0], [0, 1]]
    torch.testing.assert_close(measure.water_colour(x), torch.tensor([1.0, 2 / 16]))
    assert float(measure.water_colour(x, birds=(0.0, 1.0))[1]) == 0.0  # were birds allowed black, nothing is
    with pytest.raises(ValueError, match="colour images"):
        measure.water_colour(torch.zeros(2, 1, 4, 4))


def test_group_accuracy_by_hand():
    class SaysWaterbird(torch.nn.Module):  # always class 1
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            return torch.stack([torch.zeros(len(x)), torch.ones(len(x))], 1) + self.w

    labels, place = torch.tensor([0, 0, 1, 1, 1, 1]), torch.tensor([0, 1, 0, 1, 1, 1])
    s = data.waterbirds.SpuriousSet(data.ImageSet(torch.zeros(6, 3, 4, 4), labels, data.waterbirds.CLASSES, "t", "test"), place)
    average, per_group = measure.group_accuracy(SaysWaterbird(), s)
    assert average == pytest.approx(4 / 6)
    assert per_group == {"landbird on land": 0.0, "landbird on water": 0.0, "waterbird on land": 1.0,
                         "waterbird on water": 1.0}


def test_patch_background_learns_the_two_places(tmp_path):
    model = measure.train_patch_background(tmp_path, n=64, steps=60)
    land, water = data.waterbirds.backgrounds("land", 16, seed=99), data.waterbirds.backgrounds("water", 16, seed=98)
    assert float(measure.water_share(model, water).mean()) > 0.8
    assert float(measure.water_share(model, land).mean()) < 0.2
    again = measure.train_patch_background(tmp_path, n=64, steps=60)  # from the cache
    torch.testing.assert_close(measure.water_share(again, water), measure.water_share(model, water))
