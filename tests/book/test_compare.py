"""Intervals over runs and the verdict on each ordering, against hand-computed values."""
import math

import pandas as pd
import pytest
import torch

from probelib.book import compare


def _long(values: dict[str, list[float]], metric="recognition (%)", judge="j"):
    return pd.DataFrame([{"row": r, "seed": s, "judge": judge, metric: v}
                         for r, vs in values.items() for s, v in enumerate(vs)])


def test_interval_is_the_t_interval_over_runs_or_a_point():
    mean, lo, hi, n = compare.interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (mean, n) == (3.0, 5) and lo == pytest.approx(3 - 1.9632, abs=1e-3) and hi == pytest.approx(3 + 1.9632, abs=1e-3)
    assert compare.interval([7.0]) == (7.0, 7.0, 7.0, 1)
    assert compare.interval([float("nan"), 2.0]) == (2.0, 2.0, 2.0, 1)
    assert math.isnan(compare.interval([])[0])
    assert compare.fmt_ci(3.0, 1.04, 4.96, 5) == "3.0 (1.0–5.0)" and compare.fmt_ci(7.0, 7.0, 7.0, 1) == "7.0"
    assert compare.fmt_ci(math.nan, math.nan, math.nan, 0) == "—"


def test_an_interval_is_cut_to_the_metrics_range():
    # 90, 99, 100: mean 96.33, t(2) half-width 4.303 * 5.508 / sqrt(3) = 13.68 -> 82.65 to 110.0
    mean, lo, hi, n = compare.interval([90.0, 99.0, 100.0], bounds=(0.0, 100.0))
    assert mean == pytest.approx(96.333, abs=1e-3) and lo == pytest.approx(82.65, abs=0.02) and hi == 100.0
    assert compare.interval([0.01, 0.5, 0.02], bounds=(0.0, 1.0))[1] == 0.0
    text, nums = compare.summarise(_long({"a": [90.0, 99.0, 100.0]}), "recognition (%)")
    assert nums.loc["a", "j"][2] == 100.0 and text.loc["a", "j"] == "96.3 (82.7–100)"
    assert compare.summarise(_long({"a": [-0.2, 0.1, 0.4]}, metric="KID"), "KID")[1].loc["a", "j"][1] < -0.2


def test_numbers_of_three_digits_lose_their_decimals():
    assert compare.fmt_ci(958.3, 546.4, 1370.2, 3, digits=2) == "958 (546–1370)"
    assert compare.fmt_ci(0.125, 0.0312, 0.219, 3, digits=2) == "0.12 (0.03–0.22)"


@pytest.mark.parametrize("a, b, expected", [
    ([90.0, 91.0, 92.0], [50.0, 51.0, 52.0], "apart"),
    ([60.0, 90.0, 75.0], [50.0, 80.0, 65.0], "on average"),
    ([50.0, 80.0, 65.0], [60.0, 90.0, 75.0], "fails"),
    ([10.0, 11.0, 12.0], [50.0, 51.0, 52.0], "reversed"),
    ([90.0, 91.0, 92.0], [50.0], "apart"),  # a single run counts as a point
])
def test_verdict_for_a_higher_is_better_metric(a, b, expected):
    long = _long({"a": a, "b": b})
    assert compare.verdict(long, compare.Claim("a beats b", "a", "b", "recognition (%)"), "j") == expected


def test_verdict_turns_round_for_a_lower_is_better_metric():
    long = _long({"a": [10.0, 11.0, 12.0], "b": [50.0, 51.0, 52.0]}, metric="intra-FID")
    assert compare.verdict(long, compare.Claim("a lower", "a", "b", "intra-FID"), "j") == "apart"
    assert compare.verdict(long, compare.Claim("b lower", "b", "a", "intra-FID"), "j") == "reversed"
    assert compare.verdict(long, compare.Claim("c", "a", "missing", "intra-FID"), "j") == "not measured"


def test_summarise_gives_rows_by_judges():
    long = pd.concat([_long({"a": [1.0, 2.0, 3.0], "b": [5.0]}, judge="x"), _long({"a": [4.0], "b": [6.0]}, judge="y")])
    text, nums = compare.summarise(long, "recognition (%)", ["b", "a"])
    assert list(text.index) == ["b", "a"] and list(text.columns) == ["x", "y"]
    assert text.loc["b", "x"] == "5.0" and text.loc["a", "x"].startswith("2.0 (") and nums.loc["a", "y"][3] == 1


def test_score_runs_is_one_line_per_run_and_judge():
    class Judge(torch.nn.Module):
        feature_dim = 2

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def features(self, x):
            return x.flatten(1)[:, :2]

        def forward(self, x):
            return x.flatten(1)[:, :3]

    g = torch.Generator().manual_seed(0)
    real = torch.randn(30, 1, 2, 2, generator=g)
    runs = [compare.Run("a", s, torch.randn(20, 1, 2, 2, generator=g), {"extra": s}) for s in (0, 1)]
    long = compare.score_runs(runs, {"j1": Judge(), "j2": Judge()}, real, target=1)
    assert len(long) == 4 and set(long["judge"]) == {"j1", "j2"} and list(long["extra"]) == [0, 0, 1, 1]
    # each line scores its own run's images as the fakes (swapping real and fake, or runs, changes these)
    from probelib.measure import judge_metrics

    for i, r in enumerate(runs):
        expected = judge_metrics(Judge(), r.fake, real, 1)
        assert long.iloc[2 * i][list(expected)].to_dict() == pytest.approx(expected)
        swapped = judge_metrics(Judge(), real, r.fake, 1)
        assert long.iloc[2 * i][list(expected)].to_dict() != pytest.approx(swapped)
    assert long.iloc[0]["intra-FID"] != pytest.approx(long.iloc[2]["intra-FID"])


# ---- the judges on real images ---------------------------------------------------------------------

class _FirstPixel(torch.nn.Module):
    """A judge whose answer is the image's first pixel, read as a class index (batches of 2: the
    confusion counts must add up across batches)."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return torch.nn.functional.one_hot(x[:, 0, 0, 0].long(), 3).float() + 0 * self.w


def test_real_accuracy_counts_each_class_and_what_it_is_taken_for_with_wilson_intervals():
    from probelib.measure import confusion_counts, proportion_ci

    said = torch.tensor([0, 0, 0, 1, 2, 1, 2, 2])  # true: 0 0 0 1 1 1 2 2
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2])
    images = said.float()[:, None, None, None].expand(8, 1, 2, 2).clone()
    counts = confusion_counts(_FirstPixel(), images, labels, 3, batch_size=2)
    assert counts.tolist() == [[3, 0, 0], [0, 2, 1], [0, 0, 2]]
    rates = compare.real_accuracy({"j": _FirstPixel()}, images, labels, ["a", "b", "c"])
    row = rates.loc[("j", "b")]
    _, lo, hi = proportion_ci(2, 3)
    assert (row["images"], row["recognised (%)"], row["taken for c (%)"]) == (3, pytest.approx(200 / 3),
                                                                             pytest.approx(100 / 3))
    assert (row["lo (%)"], row["hi (%)"]) == (pytest.approx(100 * lo), pytest.approx(100 * hi))
    wide = compare.real_accuracy_wide(rates)
    assert list(wide.columns) == ["a", "b", "c", "all classes"]
    assert wide.loc["j", "b"].startswith("66.7 (") and wide.loc["j", "all classes"] == "87.5"  # 7 of 8
