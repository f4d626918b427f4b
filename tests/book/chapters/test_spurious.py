"""Chapter 5's pieces: the judges' rate tables, the formatted intervals, the stored seeds'
comparison and the η sweep table, and the sentences that read the result."""
import json

import numpy as np
import pandas as pd
import pytest
import torch

from probelib.book.chapter import describe
from probelib.book.chapters import spurious


def test_judge_rates_names_rows_and_counts_images_above_the_threshold():
    frame = spurious.judge_rates({"ERM": torch.tensor([0.0, 0.5, 1.0, 0.9])},
                                 {"land": torch.tensor([0.0, 0.1])}, 0.4, mean="mean (%)", above="above it (%)")
    assert list(frame.index) == ["probe of ERM", "real test images on land"]
    assert frame.loc["probe of ERM", "above it (%)"] == pytest.approx(75.0)
    assert frame.loc["probe of ERM", "mean (%)"] == pytest.approx(60.0)
    assert frame.loc["real test images on land", "above it (%)"] == 0.0
    lo, hi = frame.loc["probe of ERM", ["CI low", "CI high"]]
    assert lo < 75.0 < hi  # Wilson interval around the share


def test_rate_table_writes_intervals_and_dashes():
    frame = pd.DataFrame({"images": [24.0, 90.0], "on water (%)": [12.345, 50.0], "CI low": [5.0, np.nan],
                          "CI high": [20.04, np.nan], "says target (%)": [100.0, np.nan]},
                         index=["probe of ERM", "real"])
    out = spurious.rate_table(frame, "on water (%)")
    assert list(out.columns) == ["images", "on water (%, 95 % CI)", "says target (%)"]
    assert out.loc["probe of ERM"].tolist() == ["24", "12.3 (5.0–20.0)", "100.0"]
    assert out.loc["real"].tolist() == ["90", "50.0", "–"]  # no interval, no value


def test_graded_table_and_accuracy_table_format_numbers():
    graded = pd.DataFrame({"mean p(water)": [0.4529, 0.44], "p low": [0.4, np.nan], "p high": [0.5, np.nan],
                           "blue − red tint": [-0.5142, 0.5776], "tint low": [-0.585, np.nan],
                           "tint high": [-0.436, np.nan]}, index=["probe of ERM", "real test images on water"])
    out = spurious.graded_table(graded)
    assert out.loc["probe of ERM", "blue − red tint (95 % CI)"] == "-0.514 (-0.585 to -0.436)"
    assert out.loc["real test images on water", "mean p(water) (95 % CI)"] == "0.440"
    acc = pd.DataFrame({"average (%)": [77.63], "waterbird on land": [0.0], "worst group (%)": [0.0],
                        "train min": [0.123]}, index=["ERM"])
    table = spurious.accuracy_table(acc)
    assert list(table.index) == ["average (%)", "waterbird on land (%)", "worst group (%)", "training (min)"]
    assert table["ERM"].tolist() == ["77.6", "0.0", "0.0", "0.1"]


def _per_seed():
    rows = []
    for seed in range(3):
        rows.append({"seed": seed, "classifier": "ERM", "average (%)": 70.0 + seed, "worst group (%)": 0.0,
                     "blue − red tint": -0.2, "water-coloured (%)": 40.0, "water windows (%)": 1.0,
                     "on water (%)": 0.0})
        rows.append({"seed": seed, "classifier": "DRO η = 0.01", "average (%)": 88.0, "worst group (%)": 80.0 + seed,
                     "blue − red tint": -0.1 if seed == 0 else -0.5,  # seed 0: DRO's probe is the bluer one
                     "water-coloured (%)": 1.0 if seed < 2 else 39.0, "water windows (%)": 0.0,
                     "on water (%)": 0.0})
    return pd.DataFrame(rows).set_index(["seed", "classifier"])


def test_seed_comparisons_count_apart_intervals_and_bluer_probes():
    (c,) = spurious.seed_comparisons(_per_seed())
    assert c == {"other": "DRO η = 0.01", "apart": 2, "n": 3, "bluer": 2, "n_tint": 3}
    assert "(this chapter)" in spurious.comparison_sentence(c, 0.01)
    assert "(this chapter)" not in spurious.comparison_sentence(c, 0.1)
    assert "apart in 2 of 3 seeds, bluer in 2 of 3" in spurious.seeds_summary(c, 0.01)
    assert spurious.seeds_summary(None, 0.01) == "no stored seeds of this chapter's classifiers"


def test_seed_tables_give_t_intervals_over_seeds():
    each, mean = spurious.seed_tables(_per_seed())
    assert each.loc[(0, "ERM"), "blue − red tint"] == "-0.200"
    assert list(mean.index) == ["ERM", "DRO η = 0.01"]  # ERM first
    assert mean.loc["ERM", "seeds"] == "3"
    assert mean.loc["ERM", "average (%, 95 % CI)"].startswith("71.0 (")
    assert mean.loc["ERM", "worst group (%, 95 % CI)"] == "0.0 (0.0–0.0)"


def test_stored_files_missing_give_none_and_present_ones_are_read(tmp_path):
    assert spurious.load_stored_seeds([tmp_path / "absent.jsonl"]) is None
    assert spurious.stored_eta_table(tmp_path / "absent.jsonl") is None
    path = tmp_path / "eta.jsonl"
    lines = [{"data_seed": s, "eta": eta, "epochs": 8, "average (%)": 90.0 - s, "worst group (%)": w}
             for s, (eta, w) in enumerate([(0.1, 30.0), (0.1, 80.0), (0.01, 85.0), (0.01, 87.0)])]
    path.write_text("\n".join(json.dumps(x) for x in lines))
    table = spurious.stored_eta_table(path)
    assert table.loc["0.1", "worst group (%, min–max)"] == "55.0 (30.0–80.0)"
    assert table.loc["0.01", "data seeds"] == "2"
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text("\n".join(json.dumps({"seed": 0, "probe": p, "dro_eta": 0.01, "average (%)": a,
                                           "worst group (%)": 0.0, "tint": 0.0, "water colour (%)": 1.0,
                                           "water windows (%)": 0.0, "on water (%)": 0.0})
                               for p, a in (("ERM", 70.0), ("ERM", 72.0), ("DRO", 88.0))))
    per_seed = spurious.load_stored_seeds([seeds])
    assert per_seed.loc[(0, "ERM"), "average (%)"] == 71.0  # two passes averaged
    assert (0, "DRO η = 0.01") in per_seed.index


def test_reading_decides_by_the_intervals():
    acc = pd.DataFrame({"average (%)": [80.0, 85.0], "worst group (%)": [10.0, 70.0]}, index=["ERM", "DRO"])

    def rates(col, erm, dro):
        return pd.DataFrame({col: [erm[0], dro[0]], "CI low": [erm[1], dro[1]], "CI high": [erm[2], dro[2]]},
                            index=["probe of ERM", "probe of DRO"])

    graded = pd.DataFrame({"mean p(water)": [0.1, 0.1, 0.0, 0.9], "blue − red tint": [0.0, -0.3, -0.4, 0.5]},
                          index=["probe of ERM", "probe of DRO", "real test images on land",
                                 "real test images on water"])
    lines = spurious.reading(acc, rates("on water (%)", (5, 2, 9), (4, 1, 8)), graded,
                             rates("images water-coloured (%)", (60, 55, 65), (2, 1, 4)),
                             rates("images showing water (%)", (1, 0, 3), (0, 0, 2)), "waterbird")
    assert lines[0].startswith("Worst-group test accuracy: ERM 10.0 %, DRO 70.0 % (+60.0 points)")
    assert "the intervals overlap, so by the hard verdict" in lines[1]
    assert lines[2].endswith("the intervals overlap.")
    assert "the intervals do not overlap — asked for a waterbird" in lines[4]


def test_plan_lists_the_erm_and_dro_probes_with_the_profiles_lambda():
    ch = describe(profile="smoke", dataset="waterbirds", target_class="waterbird", seed=1)
    plan = spurious.plan(ch)
    S = ch.profile.shortcut
    assert S.spurious_seeds == 2
    assert [(p.row, p.seed) for p in plan] == [("ERM", 1), ("ERM", 2), ("DRO", 1), ("DRO", 2)]
    assert [p.data for p in plan] == ["spurious-erm-waterbird"] * 2 + ["spurious-dro-waterbird"] * 2
    assert {(p.target, p.steps) for p in plan} == {(ch.target, S.probe_steps)}
    assert {p.changes for p in plan} == {(("lambda_cls", S.spurious_lambda_cls),)}
    assert len({p.label for p in plan}) == 4  # four GANs, none read from another's cache entry


def test_rates_over_seeds_are_each_probes_share_then_a_t_interval_over_seeds():
    """Hand values: a judge that calls an image water when its first pixel is positive."""
    def images(k, n=10):  # k of n images called water
        x = -torch.ones(n, 3, 2, 2)
        x[:k, 0, 0, 0] = 1.0
        return x

    by_seed = {("ERM", 0): images(8), ("ERM", 1): images(6), ("ERM", 2): images(7),
               ("DRO", 0): images(1), ("DRO", 1): images(0), ("DRO", 2): images(2)}
    calls = {j: (lambda x: x[:, 0, 0, 0] > 0) for j in spurious.JUDGES}
    rates = spurious.seed_rates(by_seed, calls)
    assert rates.loc[("ERM", 1), spurious.JUDGES[0]] == pytest.approx(60.0)
    assert list(rates.index) == list(by_seed)
    summary = spurious.over_seeds(rates)
    m, lo, hi, n = summary["ERM"][spurious.JUDGES[1]]
    half = 4.3027 * 10.0 / 3 ** 0.5  # t(0.975, 2) × sd (10 points) / √3
    assert (m, n) == (pytest.approx(70.0), 3) and lo == pytest.approx(70 - half, abs=0.01) and hi == pytest.approx(70 + half, abs=0.01)
    assert summary["DRO"][spurious.JUDGES[0]][1] == 0.0  # cut at 0 %
    assert spurious.apart(summary, spurious.JUDGES[2])
    table = spurious.over_seeds_table(summary)
    assert list(table.index) == ["probe of ERM", "probe of DRO"] and set(table["seeds"]) == {"3"}
    assert "intervals over seeds apart" in spurious.headline(summary, spurious.JUDGES[1])
    close = spurious.over_seeds(spurious.seed_rates({**by_seed, ("DRO", 2): images(9)}, calls))
    assert not spurious.apart(close, spurious.JUDGES[0])
    assert "overlapping" in spurious.over_seeds_sentence(close, "waterbird")
