import torch

from probelib import data
from probelib.probing import COLLAPSED, spread


def _set(x, labels):
    return data.ImageSet(x, torch.tensor(labels), ("a", "b"), "t", "train")


def test_spread_is_zero_for_one_image_repeated_and_about_one_for_a_real_class():
    g = torch.Generator().manual_seed(0)
    real = _set(torch.rand(40, 3, 8, 8, generator=g) * 2 - 1, [0] * 20 + [1] * 20)
    assert spread(real.images[:1].repeat(30, 1, 1, 1), real) == 0.0 < COLLAPSED
    fresh = torch.rand(30, 3, 8, 8, generator=g) * 2 - 1  # drawn as the real images were
    assert abs(spread(fresh, real) - 1.0) < 0.05


def test_spread_by_hand():
    # class a: 0 and 2 (distance 2 per pixel -> 2); class b: 5 and 6 (distance 1); fakes 0, 0, 3
    real = _set(torch.tensor([0.0, 2.0, 5.0, 6.0]).view(4, 1, 1, 1), [0, 0, 1, 1])
    fakes = torch.tensor([0.0, 0.0, 3.0]).view(3, 1, 1, 1)
    # fakes' mean pairwise distance: (0 + 3 + 3) * 2 / 6 = 2; reals' mean over classes: (2 + 1) / 2 = 1.5
    assert abs(spread(fakes, real) - 2 / 1.5) < 1e-6


def test_the_judge_sees_as_many_target_images_as_a_seen_class():
    from probelib.probing.evaluate import balanced_judge_set

    seen = data.ImageSet(torch.zeros(30, 1, 4, 4), torch.tensor([0] * 10 + [1] * 12 + [2] * 8), ("a", "b", "c", "t"),
                         "toy", "train")
    ref = data.ImageSet(torch.arange(4.0).view(4, 1, 1, 1).expand(4, 1, 4, 4), torch.full((4,), 3), seen.classes,
                        "toy", "all")
    out = balanced_judge_set(seen, ref)
    target = out.images[out.labels == 3]
    assert len(out) == 40 and len(target) == 10  # the median seen class holds 10
    assert target[:, 0, 0, 0].tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]  # every reference image, in turn
    big = ref.subset(torch.arange(12) % 4)
    assert len(balanced_judge_set(seen, big)) == 42  # enough already: nothing repeated


def test_each_absent_class_of_the_reference_is_topped_up_on_its_own():
    from probelib.probing.evaluate import balanced_judge_set

    seen = data.ImageSet(torch.zeros(20, 1, 4, 4), torch.tensor([0] * 10 + [1] * 10), ("a", "b", "s", "t"), "toy",
                         "train")
    labels = torch.tensor([2, 3, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3])  # 2 of s, 11 of t
    ref = data.ImageSet(torch.arange(13.0).view(13, 1, 1, 1).expand(13, 1, 4, 4), labels, seen.classes, "toy", "all")
    out = balanced_judge_set(seen, ref)
    s, t = out.images[out.labels == 2], out.images[out.labels == 3]
    assert s[:, 0, 0, 0].tolist() == [0, 2] * 5  # s repeated to the median seen class (10), in its own order
    assert len(t) == 11 and len(out) == 20 + 10 + 11  # t has enough already
