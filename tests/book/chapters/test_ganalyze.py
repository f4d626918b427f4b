"""Chapter 6's pieces: slopes of a factor along α by the mixed model (constant factors have
none), the formatted slope, factor and degeneracy tables, and the figures' shapes."""
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


def test_slope_frame_and_table():
    slopes = ganalyze.slope_frame({("area", "plain"): _sweep(0.5), ("flat", "plain"): _sweep(0.0)})
    assert slopes.loc[("area", "plain"), "slope"] == pytest.approx(0.5, abs=0.05)
    assert bool(slopes.loc[("area", "plain"), "rises with α"])
    assert not bool(slopes.loc[("flat", "plain"), "rises with α"])
    table = ganalyze.slope_table(slopes)
    assert table.loc[("area", "plain"), "rises with α"] == "yes"
    assert table.loc[("area", "plain"), "images"] == "20"


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


def test_plan_is_the_biggan_all_gan_of_the_chapters_seed():
    from probelib.book.chapter import describe

    ch = describe(profile="smoke", seed=4)
    (p,) = ganalyze.plan(ch)
    assert (p.row, p.method, p.kind, p.seed, p.target) == ("biggan-all", "biggan-all", None, 4, ch.target)
    assert p.label == "biggan-all-s4" and p.steps == ch.profile.probegan.steps
