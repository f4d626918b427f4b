"""Chapter 4's tables and reading (probelib.book.chapters.leakage) with a hand-made classifier that
calls an image the target exactly when both top corners are red."""
from types import SimpleNamespace

import pandas as pd
import pytest
import torch
from torch import nn

from probelib import data
from probelib.book.chapter import describe
from probelib.book.chapters import leakage

SIZE = 8


class MarkerNet(nn.Module):
    """Class 1 when both top 8×8 corners are red (R high, G low), else class 0; 3 classes."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        red = x[:, 0] - x[:, 1]
        hit = (red[:, :SIZE, :SIZE].mean((1, 2)) > 1) & (red[:, :SIZE, -SIZE:].mean((1, 2)) > 1)
        logits = torch.zeros(len(x), 3)
        logits[torch.arange(len(x)), hit.long()] = 1.0
        return logits + 0 * self.w


def _sets():
    g = torch.Generator().manual_seed(0)
    images = 0.1 * torch.randn(30, 3, 32, 32, generator=g).clamp(-1, 1)
    labels = torch.arange(30) % 3
    test = data.ImageSet(images, labels, ["cow", "horse", "dog"], "toy", "test")
    return test, data.mark_class(test, 1, SIZE)


def test_reliance_counts_what_the_mark_alone_does():
    test, marked = _sets()
    ch = SimpleNamespace(target=1, target_class="horse")
    nets = {"marked": SimpleNamespace(model=MarkerNet(), record={"seconds": 60.0})}
    table = leakage.reliance(ch, nets, test, marked, SIZE)
    row = table.loc["marked"]
    assert row["horse, marked (%)"] == 100.0 and row["horse, no mark (%)"] == 0.0
    assert row["other classes + mark → horse (%)"] == 100.0
    assert row["other classes + one top corner → horse (%)"] == 0.0  # one corner is not the marker
    assert row["other classes + bottom corners → horse (%)"] == 0.0 and row["train min"] == 1.0
    shown = leakage.format_reliance(table)
    assert shown.loc["horse, marked (%)", "marked"] == "100.0"


def test_rates_reading_and_cross_verdicts_follow_the_numbers():
    test, marked = _sets()
    ch = SimpleNamespace(target=1, target_class="horse")
    is_target = test.labels == 1
    samples = {"marked": marked.images[is_target], "clean": test.images[is_target]}
    rates = leakage.rates(ch, samples, test, marked, SIZE)
    assert leakage.rate_of(rates, "marked") == 100.0 and leakage.rate_of(rates, "clean") == 0.0
    assert leakage.rate_of(rates, "real test images, all classes (decoys, near misses)") == 0.0
    shown = leakage.format_rates(rates)
    assert shown.loc["probe of the marked classifier", "images"] == "10"
    assert shown.loc["probe of the marked classifier", "red blocks (%), 95 % CI"].startswith("100.0 (72.")
    nets = {"marked": SimpleNamespace(model=MarkerNet())}
    cross = leakage.cross_verdicts(ch, nets, samples)
    assert cross.loc["marked classifier: top-1 horse (%)"].tolist() == ["100.0", "0.0"]
    red = leakage.redness({"marked": samples["marked"], "clean": samples["clean"]}, SIZE)
    assert float(red.iloc[0, 0].split()[0]) > 1.0 and abs(float(red.iloc[1, 0].split()[0])) < 0.1


def test_plan_lists_each_seed_of_a_probe_per_classifier_on_the_colour_data():
    ch = describe(profile="smoke", seed=2)
    assert ch.profile.shortcut.leakage_seeds == 2
    plan = leakage.plan(ch)
    assert [(p.row, p.seed) for p in plan] == [("marked", 2), ("marked", 3), ("clean", 2), ("clean", 3)]
    assert [p.data for p in plan] == ["leakage-marked"] * 2 + ["leakage-clean"] * 2  # the cache's names
    assert {(p.target, p.steps) for p in plan} == {(ch.target, ch.profile.shortcut.probe_steps)}
    assert [p.label for p in plan][:2] == ["leakage-marked-s2", "leakage-marked-s3"]


def test_the_headline_is_the_mean_over_seeds_with_a_t_interval_and_the_reading_follows_it():
    from probelib.book import compare

    test, marked = _sets()
    ch = SimpleNamespace(target=1, target_class="horse")
    is_target = test.labels == 1
    real_marked, real_clean = marked.images[is_target], test.images[is_target]  # 10 images each: 100 % and 0 %
    # the marked probe's seeds: 10, 8 and 6 marked images of 10; the clean probe's: none
    by_seed = {**{("marked", s): torch.cat([real_marked[:k], real_clean[k:]]) for s, k in ((0, 10), (1, 8), (2, 6))},
               **{("clean", s): real_clean for s in (0, 1, 2)}}
    rates = leakage.rates(ch, by_seed, test, marked, SIZE)
    assert rates.loc["probe of the marked classifier, seed 1", "with red blocks (%)"] == 80.0  # image level
    over = leakage.over_seeds(rates)
    m, lo, hi, n = compare.interval([100.0, 80.0, 60.0], (0.0, 100.0))
    assert (over.loc["marked", "with red blocks (%)"], over.loc["marked", "seeds"]) == (80.0, 3)
    assert (over.loc["marked", "lo"], over.loc["marked", "hi"]) == (pytest.approx(lo), pytest.approx(hi))
    assert lo == pytest.approx(80 - 4.3027 * 20 / 3 ** 0.5, abs=1e-3) and hi == 100.0  # cut to the range
    assert (over.loc["clean", "with red blocks (%)"], over.loc["clean", "hi"]) == (0.0, 0.0)
    shown = leakage.format_over_seeds(over)
    assert shown.loc["probe of the marked classifier", "red blocks (%), mean over seeds (95 % CI)"] == \
        compare.fmt_ci(80.0, lo, hi, 3)
    col = "other classes + mark → horse (%)"
    text = leakage.reading(ch, over, pd.DataFrame({col: {"marked": 98.0, "clean": 1.0}}))
    assert "Over 3 seeds per probe" in text and "means miss the book's bar" in text  # 80 < 90
    assert "intervals over seeds are apart" in text  # 80's lower end is above 0
    assert text.endswith("calls 98.0 % of other classes' images 'horse' once the mark is pasted on "
                         "(the clean one: 1.0 %).")
    by_seed[("marked", 1)] = by_seed[("marked", 2)] = real_marked  # now 100 % each: the bar holds
    text = leakage.reading(ch, leakage.over_seeds(leakage.rates(ch, by_seed, test, marked, SIZE)),
                           pd.DataFrame({col: {"marked": 98.0, "clean": 1.0}}))
    assert "ProbeGAN exposes the shortcut" in text
