"""Chapter 6's pieces: slopes of a factor along α by the mixed model (constant factors have
none), slopes with intervals over directions, the check against θ = 0, the formatted slope, factor
and degeneracy tables, the reading and the finding, and the figures' shapes."""
import numpy as np
import pytest
import torch

from probelib.book.chapters import ganalyze


def _sweep(slope=0.5, seeds=4, alphas=(-0.2, -0.1, 0.0, 0.1, 0.2)):
    g = np.random.default_rng(0)
    a = np.tile(np.asarray(alphas, np.float32), seeds)
    s = np.repeat(np.arange(seeds), len(alphas))
    images = np.broadcast_to((a * 2)[:, None, None, None], (len(a), 1, 8, 8)).copy()  # brighter with α
    images[:, :, :4] = -1.0  # a dark top half, the same in every image
    return {"images": images.astype(np.float32), "alpha": a, "seed": s, "label": s % 3,
            "score": slope * a + 0.3 * s + g.normal(0, 0.01, len(a))}


def test_factor_slope_recovers_a_known_slope_and_skips_constants():
    sw = _sweep()
    assert ganalyze.factor_slope(np.zeros(len(sw["alpha"])), sw) is None
    fit = ganalyze.factor_slope(torch.from_numpy(3 * sw["alpha"] + sw["seed"]), sw)
    assert fit["beta"] == pytest.approx(3.0, abs=1e-6)


def _record(loss, learned, s0=0.9):
    check = {"loss": loss, "null_expected": 0.25 / 3, "learned": learned, "score_at_zero": s0}
    return None, {"history": [{"step": 1, "loss": 0.1}, {"step": 2, "loss": loss}], "check": check}


class _Scored:
    def __init__(self, score):
        self.score = score


def _tables():
    sweeps = {("confidence-robust", "plain"): [_sweep(0.5), _sweep(0.7), _sweep(0.6)],
              ("probability-robust", "plain"): [_sweep(0.0), _sweep(0.01), _sweep(-0.01)]}
    directions = {("confidence-robust", "plain"): [_record(0.01, True, 6.0)] * 3,
                  ("probability-robust", "plain"): [_record(0.09, False, 0.99)] * 3}
    assessors = {"confidence-robust": _Scored("log-odds"), "probability-robust": _Scored("probability")}
    return ganalyze.slope_frame(sweeps), ganalyze.check_frame(directions, assessors)


def test_slope_frame_intervals_are_over_directions():
    slopes, checks = _tables()
    row = slopes.loc[("confidence-robust", "plain")]
    assert row["slope"] == pytest.approx(0.6, abs=0.01) and row["directions"] == 3
    # Student-t over the three directions' slopes (≈ 0.5, 0.7, 0.6): sd 0.1, t(2) = 4.303
    assert row["ci_high"] - row["slope"] == pytest.approx(4.303 * 0.1 / 3 ** 0.5, abs=0.01)
    assert row["latent_low"] < 0.5 < row["latent_high"]  # the first direction's own interval, much narrower
    assert bool(row["rises with α"]) and not bool(slopes.loc[("probability-robust", "plain"), "rises with α"])
    assert checks.loc[("confidence-robust", "plain"), "learned"] == 3
    assert checks.loc[("probability-robust", "plain"), "score"] == "probability (saturates)"
    table = ganalyze.slope_table(slopes, checks)
    assert table.loc[("probability-robust", "plain"), "directions below it"] == "0 of 3"
    assert table.loc[("probability-robust", "plain"), "loss of θ = 0 (α_max²/3)"] == "0.0833"
    assert table.loc[("confidence-robust", "plain"), "mean score at α = 0"] == "6.000"


def test_reading_and_finding_say_when_a_direction_learned_nothing():
    slopes, checks = _tables()
    size = ganalyze.size_over_directions([_sweep(), _sweep()])  # brighter with α: no mask grows here
    lines = ganalyze.reading(slopes, checks, size, alpha_max=0.5)
    assert "learned nothing" in lines[1] and "learned nothing" not in lines[0]
    assert "passes 1 for α > 0.010" in lines[2] and lines[3].startswith("Area assessor")
    text = ganalyze.finding(slopes, checks, size)
    slope = slopes.loc[("confidence-robust", "plain"), "slope"]
    assert text.startswith(f"the robust classifier's log-odds changes by {slope:.3f}") and "over 3 directions" in text


def test_one_direction_has_no_interval_over_directions():
    slopes = ganalyze.slope_frame({("area", "plain"): [_sweep(0.5)]})
    assert np.isnan(slopes.loc[("area", "plain"), "ci_low"]) and slopes.loc[("area", "plain"), "directions"] == 1


def test_score_names():
    from probelib import models
    from torch import nn
    assert ganalyze.score_name(models.ClassConfidence(nn.Linear(2, 3))) == "log-odds"
    assert ganalyze.score_name(models.ClassConfidence(nn.Linear(2, 3), score="probability")) == "probability (saturates)"
    assert ganalyze.score_name(models.AreaNet()) == "area (regression)"


def test_factor_table_takes_any_factor_function():
    def factors(images):
        grey = images.mean(1)
        return {"mean": grey.flatten(1).mean(1), "top": grey[:, :4].flatten(1).mean(1)}

    table = ganalyze.factor_table({"area": _sweep()}, factors)
    assert list(table.index) == ["mean", "top"]
    assert table.loc["top", "area (slope, 95 % CI)"] == "constant"  # the dark top half never changes
    assert table.loc["mean", "area (slope, 95 % CI)"].startswith("1.000 (")  # half the image: 2α / 2


def test_degeneracy_table_has_one_row_per_alpha():
    table = ganalyze.degeneracy_table({"area": _sweep()})
    assert len(table) == 5 and table.index.names == ["assessor", "α"]
    assert table.loc[("area", "+0.0"), "spread across seeds"] == "0.000"  # every seed draws the same image


def test_figures_have_a_cell_per_image():
    sw = _sweep()
    fig = ganalyze.sweep_figure(sw, ("a", "b", "c"), rows=2)
    assert len(fig.axes) == 2 * 5
    strip = {"images": sw["images"][:5], "alpha": sw["alpha"][:5], "score": sw["score"][:5]}
    assert len(ganalyze.strip_figure(strip, "a").axes) == 5
    fig = ganalyze.loss_figure({("area", "plain"): [_record(0.01, True)] * 2}, alpha_max=0.5)
    assert len(fig.axes[0].lines) == 3  # two directions and the dashed loss of θ = 0


def test_plan_is_one_biggan_all_gan_per_run_the_first_tables_one():
    from probelib.book.chapter import describe
    from probelib.book.chapters import table1

    ch = describe(profile="smoke", seed=4)
    plan = ganalyze.plan(ch)
    assert [p.seed for p in plan] == ganalyze.direction_seeds(ch) == [4 + i for i in range(ch.profile.ganalyze.directions)]
    assert len(plan) >= 2  # run i learns its directions on GAN i: the interval holds the GAN's variation
    assert {(p.row, p.method, p.kind, p.target, p.steps) for p in plan} == {
        ("biggan-all", "biggan-all", None, ch.target, ch.profile.probegan.steps)}
    assert plan[0].label == "biggan-all-s4"
    assert plan[0].key in {t.key for t in table1.plan(ch)}  # the first is Table 1's run, trained once
