"""GANalyze's seven emerging factors on synthetic images with known answers."""
import math

import pytest
import torch

from probelib import measure


def canvas(n: int = 1, c: int = 1, value: float = -1.0) -> torch.Tensor:
    return torch.full((n, c, 32, 32), value)


def centred_square():
    x = canvas()
    x[:, :, 8:24, 8:24] = 1.0
    return x


def disc(cy: float, cx: float, r: float):
    ys, xs = torch.meshgrid(torch.arange(32) + 0.5, torch.arange(32) + 0.5, indexing="ij")
    x = canvas()
    x[0, 0][(ys - cy) ** 2 + (xs - cx) ** 2 <= r**2] = 1.0
    return x


def test_centred_square():
    x = centred_square()
    assert measure.object_mask(x).sum() == 256
    assert float(measure.object_size(x)) == pytest.approx(0.25)
    assert float(measure.centredness(x)) == pytest.approx(1.0)
    assert float(measure.squareness(x)) == pytest.approx(1.0)


def test_shifted_disc_is_half_way_to_the_corner():
    x = disc(8.0, 8.0, 5.0)  # centroid (8, 8): distance 8√2 from the centre, half the half-diagonal
    assert float(measure.centredness(x)) == pytest.approx(0.5, abs=1e-5)
    assert float(measure.squareness(x)) == pytest.approx(1.0, abs=0.02)
    assert float(measure.object_size(x)) == pytest.approx(math.pi * 25 / 1024, rel=0.1)


def test_thin_bar_is_not_square():
    x = canvas()
    x[:, :, 14:18, 8:24] = 1.0  # 4 × 16 pixels: sqrt(var(4) / var(16)) = sqrt(1.25 / 21.25)
    assert float(measure.squareness(x)) == pytest.approx(math.sqrt(1.25 / 21.25), abs=1e-5)
    assert float(measure.squareness(x.transpose(-1, -2))) == pytest.approx(math.sqrt(1.25 / 21.25), abs=1e-5)


def test_dark_object_on_light_ground_is_the_object():
    x = -centred_square()
    assert float(measure.object_size(x)) == pytest.approx(0.25)


def test_pure_red_image():
    x = canvas(c=3)
    x[:, 0] = 1.0
    assert float(measure.redness(x)) == 1.0
    assert float(measure.colourfulness(x)) == pytest.approx(0.3 * math.sqrt(1 + 0.25))  # rg = 1, yb = 0.5, σ = 0
    assert float(measure.brightness(x)) == pytest.approx(0.299)
    green = canvas(c=3)
    green[:, 1] = 1.0
    assert float(measure.redness(green)) == 0.0


def test_half_red_half_grey():
    x = canvas(c=3, value=0.0)
    x[:, :, :16] = torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1)
    assert float(measure.redness(x)) == pytest.approx(0.5)
    assert float(measure.redness(x.mean(1, keepdim=True))) == 0.0  # grey images hold no red


def test_grey_images_brightness_entropy_colourfulness():
    black, white, mid = canvas(), canvas(value=1.0), canvas(value=0.0)
    assert float(measure.brightness(black)) == 0.0 and float(measure.brightness(white)) == 1.0
    assert float(measure.brightness(mid)) == pytest.approx(0.5)
    assert float(measure.colourfulness(mid)) == pytest.approx(0.0, abs=1e-7)
    assert float(measure.intensity_entropy(mid)) == pytest.approx(0.0)
    half = canvas()
    half[:, :, :16] = 1.0
    assert float(measure.intensity_entropy(half)) == pytest.approx(1.0)
    noise = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    assert float(measure.intensity_entropy(noise)) > 5.5  # near log2(64) = 6 for uniform noise


def test_emerging_factors_returns_all_seven_per_image():
    x = torch.cat([centred_square(), disc(8.0, 8.0, 5.0)])
    f = measure.emerging_factors(x)
    assert list(f) == ["brightness", "colourfulness", "redness", "entropy", "object size", "centredness",
                       "squareness"]
    assert all(v.shape == (2,) for v in f.values())
    assert f["centredness"].tolist() == pytest.approx([1.0, 0.5], abs=1e-5)
    assert f["object size"][0] > f["object size"][1]
