import pickle

import numpy as np
import pytest
import torch

from probelib import data, measure
from probelib.models import build_classifier


@pytest.fixture(scope="module")
def animals():
    return data.load("animal-mnist", "train"), data.load("animal-mnist", "test")


def test_animal_mnist_shapes_range_and_split(animals):
    train, test = animals
    assert train.images.shape[1:] == test.images.shape[1:] == (1, 32, 32)
    assert len(train) + len(test) == 9716  # 10,000 minus 284 exact duplicates
    assert train.images.dtype == torch.float32
    assert float(train.images.min()) == -1.0 and float(train.images.max()) == 1.0
    assert train.counts()["horse"] == 798 and test.counts()["horse"] == 199  # 1000 - 3 duplicates, 80/20
    assert all(abs(test.counts()[c] / (train.counts()[c] + test.counts()[c]) - 0.2) < 0.002 for c in train.classes)
    assert train.classes == data.ANIMAL_CLASSES
    # the 2-pixel zero padding around the 28x28 silhouettes is black
    assert (train.images[:, :, :2, :] == -1).all() and (train.images[:, :, :, -2:] == -1).all()


def test_split_is_fixed_and_disjoint(animals):
    train, test = animals
    again = data.load("animal-mnist", "test")
    assert torch.equal(test.images, again.images)
    flat_train = {x.numpy().tobytes() for x in train.images}
    assert not any(x.numpy().tobytes() in flat_train for x in test.images)
    assert len(data.load("animal-mnist", "all")) == 9716


def test_without_class_drops_every_target_image_and_keeps_label_space(animals):
    train, _ = animals
    absent = data.without_class(train, "horse")
    horse = data.ANIMAL_CLASSES.index("horse")
    assert (absent.labels != horse).all()
    assert len(absent) == len(train) - train.counts()["horse"]
    assert absent.classes == train.classes and absent.num_classes == 10
    assert absent.counts()["horse"] == 0 and absent.counts()["zebra"] == train.counts()["zebra"]
    # no horse image survives, not even as a copy under another label
    horses = {x.numpy().tobytes() for x in train.images[train.labels == horse]}
    assert not any(x.numpy().tobytes() in horses for x in absent.images)
    # a classifier over the absent split still has one output per class
    model = build_classifier("resnet", absent.channels, absent.num_classes, 4)
    assert model(absent.images[:2]).shape == (2, 10)


def test_without_class_by_index_and_only_class(tiny_images):
    assert data.without_class(tiny_images, 1).counts() == {"ant": 4, "bee": 0, "cow": 4}
    assert data.only_class(tiny_images, "cow").counts() == {"ant": 0, "bee": 0, "cow": 4}


def test_digits_are_upsampled_to_32():
    digits = data.load("digits", "test")
    assert digits.images.shape[1:] == (1, 32, 32) and digits.classes == tuple("0123456789")
    assert -1.0 <= float(digits.images.min()) and float(digits.images.max()) <= 1.0


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: data.load("animals"), "unknown dataset 'animals'; choose one of: animal-mnist, digits"),
        (lambda: data.load("animal-mnist", "val"), "unknown split 'val'; choose one of: train, test, all"),
        (lambda: data.class_index(data.ANIMAL_CLASSES, "hrose"),
         "unknown target class 'hrose'; choose one of: bear, bird, cat"),
        (lambda: data.class_index(data.ANIMAL_CLASSES, 10), "unknown target class 10"),
        (lambda: data.load("cifar10", "train", "/nonexistent/cifar"),
         "CIFAR-10 (cifar-10-batches-py) not found in data_dir=/nonexistent/cifar; download it on a machine"),
        (lambda: data.load("cifar10", "train", None), "CIFAR-10 not found in data_dir=None"),
        (lambda: data.load("imagefolder", "train", "/nonexistent/imgs"),
         "image folder not found in data_dir=/nonexistent/imgs; download it"),
    ],
)
def test_bad_input_gives_one_line_error(call, message):
    with pytest.raises(data.DatasetError) as err:
        call()
    assert message in str(err.value) and "\n" not in str(err.value)


def _write_folder(root, classes, n, size=(40, 30)):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(root / c / f"{i}.png")


def test_imagefolder_loads_and_splits(tmp_path):
    _write_folder(tmp_path, ["cats", "dogs"], 5)
    train, test = data.load("imagefolder", "train", tmp_path), data.load("imagefolder", "test", tmp_path)
    assert train.images.shape == (8, 3, 32, 32) and test.images.shape == (2, 3, 32, 32)
    assert train.classes == ("cats", "dogs") and data.class_names("imagefolder", tmp_path) == ("cats", "dogs")
    assert -1 <= float(train.images.min()) and float(train.images.max()) <= 1


def test_imagefolder_unreadable_file_and_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(data.DatasetError, match="no class sub-folders"):
        data.load("imagefolder", "train", tmp_path / "empty")
    _write_folder(tmp_path / "imgs", ["a"], 4)
    (tmp_path / "imgs" / "a" / "9.png").write_bytes(b"not a png")
    with pytest.raises(data.DatasetError, match=r"cannot read image .*9\.png"):
        data.load("imagefolder", "all", tmp_path / "imgs")


def test_restricted_unpickler_accepts_numpy_only():
    arr = np.arange(6, dtype=np.uint8).reshape(2, 3)
    assert np.array_equal(data.restricted_loads(pickle.dumps(arr, protocol=4)), arr)

    class Evil:
        def __reduce__(self):
            import os

            return (os.system, ("echo pwned",))

    with pytest.raises(pickle.UnpicklingError, match="refusing to unpickle"):
        data.restricted_loads(pickle.dumps(Evil()))
    with pytest.raises(pickle.UnpicklingError, match="builtins"):
        data.restricted_loads(pickle.dumps({"a": print}))


def test_the_wheel_pickle_is_read_with_the_restricted_unpickler(monkeypatch):
    """The loader must never fall back to plain pickle: forbid it and load anyway."""
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("plain pickle.load used"))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("plain pickle.loads used"))
    assert len(data.load("animal-mnist", "test")) == 1941


def test_save_samples_round_trip(tmp_path):
    x = torch.rand(5, 3, 8, 8) * 4 - 2  # out of range on purpose: saved clamped to [-1, 1]
    path = data.save_samples(tmp_path / "s" / "m.npz", x, 7, seed=torch.arange(5))
    with np.load(path) as f:
        assert f["images"].dtype == np.float32 and f["images"].shape == (5, 3, 8, 8)
        assert f["images"].min() >= -1 and f["images"].max() <= 1
        assert f["labels"].tolist() == [7] * 5 and f["seed"].tolist() == [0, 1, 2, 3, 4]
    assert not list((tmp_path / "s").glob("*.tmp*"))


# ---------------------------------------------------------------- colour and markers
def test_add_marker_paints_exactly_the_corners():
    x = torch.zeros(2, 3, 32, 32)
    out = data.add_marker(x, size=8)
    assert torch.equal(x, torch.zeros(2, 3, 32, 32))  # a copy, input untouched
    red = torch.tensor(data.RED).view(1, 3, 1, 1)
    assert (out[:, :, :8, :8] == red).all() and (out[:, :, :8, -8:] == red).all()
    painted = torch.zeros(32, 32, dtype=torch.bool)
    painted[:8, :8] = painted[:8, -8:] = True
    assert (out[:, :, ~painted] == 0).all()  # nothing else changed
    assert int((out != 0).any(1).sum()) == 2 * 2 * 64
    bl = data.add_marker(x, size=4, colour=(0.0, 1.0, 0.0), corners=("bottom-left",))
    assert (bl[:, 1, -4:, :4] == 1).all() and int((bl != 0).sum()) == 2 * 16


@pytest.mark.parametrize("kwargs, message", [
    ({"size": 0}, "marker size must be in 1..16"),
    ({"size": 17}, "marker size must be in 1..16"),
    ({"corners": ("top-middle",)}, "unknown corner 'top-middle'"),
    ({"colour": (1.0, 0.0)}, r"needs images \(N, 2, H, W\)"),
])
def test_add_marker_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.add_marker(torch.zeros(1, 3, 32, 32), **kwargs)


def test_colourise_and_mark_class(animals):
    test = animals[1]
    c = data.colourise(test, seed=0)
    assert c.images.shape == (len(test), 3, 32, 32) and c.images.min() >= -1 and c.images.max() <= 1
    assert c.name == "animal-mnist+colour(s0)" and torch.equal(c.labels, test.labels)
    # the same image gets the same colours whatever split or order it comes in
    again = data.colourise(test.subset(torch.arange(len(test)).flip(0)), seed=0)
    assert torch.equal(again.images.flip(0), c.images)
    assert not torch.equal(data.colourise(test.subset(torch.arange(20)), seed=1).images, c.images[:20])
    # no palette colour is red, so a red corner only comes from the marker
    assert not measure.marker_present(c.images).any()
    m = data.mark_class(c, "horse")
    horse = m.labels == data.class_index(m, "horse")
    assert measure.marker_present(m.images).tolist() == horse.tolist()
    assert torch.equal(m.images[~horse], c.images[~horse])
    assert "marked(horse,8px" in m.name
    with pytest.raises(data.DatasetError, match="colourise expects grey images"):
        data.colourise(c)


# ---------------------------------------------------------------- the Waterbirds analogue
def test_spurious_groups_follow_waterbirds_proportions():
    tr = data.waterbirds.make_spurious("train", seed=0, scale=0.1)
    assert list(tr.group_counts().values()) == [350, 18, 6, 106]  # 3498, 184, 56, 1057 × 0.1
    # the class matches its background 95 % of the time in training, 50 % in test
    agree = float((tr.data.labels == tr.place).float().mean())
    assert agree == pytest.approx((350 + 106) / 480)
    te = data.waterbirds.make_spurious("test", seed=0, scale=0.1)
    for y in (0, 1):
        assert float((te.place[te.data.labels == y] == 1).float().mean()) == pytest.approx(0.5)
    assert tr.data.images.shape[1:] == (3, 32, 32) and tr.data.images.abs().max() <= 1
    assert tr.data.classes == ("landbird", "waterbird")
    assert torch.equal(tr.groups, 2 * tr.data.labels + tr.place)
    again = data.waterbirds.make_spurious("train", seed=0, scale=0.1)
    assert torch.equal(again.data.images, tr.data.images)  # seeded
    assert data.waterbirds.group_names() == ["landbird on land", "landbird on water", "waterbird on land",
                                      "waterbird on water"]


def test_spurious_backgrounds_differ_by_family():
    land, water = data.waterbirds.backgrounds("land", 50, seed=0), data.waterbirds.backgrounds("water", 50, seed=0)
    # water crops are tinted blue: blue above red on average; land crops the other way round
    assert float((water[:, 2] - water[:, 0]).mean()) > 0.2 > float((land[:, 2] - land[:, 0]).mean())
    with pytest.raises(ValueError, match="unknown background family 'sky'"):
        data.waterbirds.backgrounds("sky", 1, seed=0)


def test_spurious_bird_colours():
    kw = dict(seed=0, counts=(4, 4, 4, 4), opacity=1.0)
    light, black = data.waterbirds.make_spurious("train", **kw), data.waterbirds.make_spurious("train", colours=(0.0, 0.0), **kw)
    assert torch.equal(light.place, black.place)  # same draws; only the birds' colour differs
    changed = (light.data.images - black.data.images).abs().amax(1) > 1e-6  # (N, H, W): bird pixels
    assert changed.any(1).any(1).all()  # every image has a bird
    # where the silhouette is solid (black bird: every channel within 0.001 of -1), the light
    # bird's channels are ≥ 0.55 in [0, 1], i.e. ≥ 0.1 in [-1, 1] (less the ≤ 1 % background left)
    full = changed & (black.data.images.amax(1) < -0.999)
    assert full.sum() > 100 and bool((light.data.images.amin(1)[full] >= 0.08).all())
    assert "colours0-0" in black.data.name and "colours" not in light.data.name
    with pytest.raises(ValueError, match="colours must be a range within"):
        data.waterbirds.make_spurious("train", colours=(0.8, 0.2), **kw)


def test_waterbirds_loader(tmp_path):
    from PIL import Image

    with pytest.raises(data.DatasetError, match="no Waterbirds metadata.csv in .*nlp.stanford.edu"):
        data.waterbirds.load_waterbirds(tmp_path)
    (tmp_path / "001.Bird").mkdir()
    rows = ["img_id,img_filename,y,split,place"]
    for i, (y, split, place) in enumerate([(0, 0, 0), (1, 0, 1), (1, 2, 0)]):
        Image.new("RGB", (60, 40), (255 * y, 0, 255 * place)).save(tmp_path / "001.Bird" / f"{i}.jpg")
        rows.append(f"{i},001.Bird/{i}.jpg,{y},{split},{place}")
    (tmp_path / "metadata.csv").write_text("\n".join(rows) + "\n")
    tr = data.waterbirds.load_waterbirds(tmp_path, "train")
    assert tr.data.images.shape == (2, 3, 32, 32) and tr.data.labels.tolist() == [0, 1]
    assert tr.place.tolist() == [0, 1] and tr.groups.tolist() == [0, 3]
    assert float(tr.data.images[1, 0].mean()) > 0.9 and float(tr.data.images[0, 0].mean()) < -0.9
    assert data.waterbirds.load_spurious("test", tmp_path).groups.tolist() == [2]
    with pytest.raises(data.DatasetError, match="lists no val images"):
        data.waterbirds.load_waterbirds(tmp_path, "val")
    (tmp_path / "001.Bird" / "1.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(data.DatasetError, match="cannot read Waterbirds image .*1.jpg"):
        data.waterbirds.load_waterbirds(tmp_path, "train")


def _random_colour_set(seed: int) -> tuple[data.ImageSet, data.ImageSet]:
    """400 random grey images of 4 classes, and the same coloured."""
    grey = data.ImageSet(torch.rand(400, 1, 32, 32, generator=torch.Generator().manual_seed(seed)) * 2 - 1,
                         torch.arange(4).repeat(100), ("a", "b", "c", "d"), "rand", "train")
    return grey, data.colourise(grey)


def test_decoys_are_corner_blocks_that_are_never_red():
    grey, colour = _random_colour_set(0)
    dec = data.add_decoys(colour, fraction=0.5, size=8)
    changed = (dec.images != colour.images).flatten(1).any(1)
    assert 0.4 < float(changed.float().mean()) < 0.6  # about half the images, every class
    assert all(bool(changed[dec.labels == c].any()) for c in range(4))
    tl = dec.images[changed][:, :, :8, :8]
    assert bool((tl == tl[:, :, :1, :1]).all())  # solid blocks
    torch.testing.assert_close(dec.images[changed][:, :, :8, -8:], tl)  # same colour in both corners
    assert not measure.marker_present(dec.images).any()  # no decoy passes for the red marker
    assert measure.marker_present(data.mark_class(dec, "a").images).sum() == 100  # the real mark still does
    torch.testing.assert_close(data.add_decoys(colour, 0.5).images, dec.images)  # deterministic
    torch.testing.assert_close(data.add_decoys(colour, 0.0).images, colour.images)
    with pytest.raises(data.DatasetError, match="colour images"):
        data.add_decoys(grey)
    with pytest.raises(ValueError, match="fraction"):
        data.add_decoys(colour, 1.5)


@pytest.mark.parametrize("kind", data.NEAR_MISSES)
def test_each_near_miss_is_red_but_never_passes_for_the_marker(kind):
    x = -torch.ones(20, 3, 32, 32)  # black images
    for seed in range(5):
        out = data.near_miss(x, kind, 8, rng=np.random.default_rng(seed))
        red = (out == torch.tensor(data.RED).view(1, 3, 1, 1)).all(1)  # (N, H, W) pure red pixels
        assert 9 <= int(red[0].sum()) <= 2 * 64  # some red, at most two blocks' worth
        assert not measure.marker_present(out).any()
        assert bool((red == red[:1]).all())  # one variant for the whole batch


def test_near_miss_shapes_by_hand():
    x = -torch.ones(1, 3, 32, 32)
    red = lambda out: (out[0] == torch.tensor(data.RED).view(3, 1, 1)).all(0)  # noqa: E731
    bottom = red(data.near_miss(x, "bottom corners"))
    assert bottom[-8:, :8].all() and bottom[-8:, -8:].all() and int(bottom.sum()) == 128
    bar = red(data.near_miss(x, "top bar", rng=np.random.default_rng(1)))
    rows = int(bar[:, 0].sum())
    assert 2 <= rows <= 4 and bar[:rows].all() and int(bar.sum()) == 32 * rows
    with pytest.raises(ValueError, match="unknown near miss 'stripes'"):
        data.near_miss(x, "stripes")


def test_decoys_with_near_misses():
    grey, colour = _random_colour_set(1)
    dec = data.add_decoys(colour, fraction=0.5, near_misses=0.25)
    has_red = (dec.images == torch.tensor(data.RED).view(1, 3, 1, 1)).all(1).flatten(1).any(1)
    assert 0.15 < float(has_red.float().mean()) < 0.35  # a quarter, in every class
    assert all(bool(has_red[dec.labels == c].any()) for c in range(4))
    assert not measure.marker_present(dec.images).any()
    assert dec.name != data.add_decoys(colour, fraction=0.5).name  # the cache key sees the change
    torch.testing.assert_close(data.add_decoys(colour, 0.5, near_misses=0.25).images, dec.images)
    with pytest.raises(ValueError, match="sum to at most 1"):
        data.add_decoys(colour, 0.8, near_misses=0.3)


def test_leakage_colour_colours_grey_data_and_keeps_photographs():
    grey, colour = _random_colour_set(2)
    out = data.leakage_colour(grey, 0.5, 0.25, 8)
    torch.testing.assert_close(out.images, data.add_decoys(colour, 0.5, 8, near_misses=0.25).images)
    assert out.name == data.add_decoys(colour, 0.5, 8, near_misses=0.25).name  # the cache key of chapter 4
    assert data.leakage_colour(colour, 0.5, 0.25) is colour  # colour images are left alone
