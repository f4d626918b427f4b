"""Chapter 6 (GANalyze on the book's all-class GAN) as functions: the seeds of the directions, the
slope and check tables (intervals over directions, the loss against θ = 0's), the emerging factors
along α, the degeneracy check, the figures of the sweeps and the sentences that read the result.

The chapter's visible cells train the directions (several seeds per assessor) and sweep α; these
functions measure and format what the sweeps hold (each sweep is the dict
:func:`probelib.train.sweep` returns; ``sweeps[(assessor, variant)]`` is one sweep per direction).
"""
from __future__ import annotations

import math
from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ... import measure
from ...core.stats import mean_ci
from ...train.ganalyze import null_loss
from ...viz.plots import image_grid, to_display
from ..chapter import Chapter
from ..runs import Planned, planned

__all__ = ["plan", "direction_seeds", "score_name", "sweep_figure", "loss_figure", "slope_frame", "check_frame",
           "slope_table", "factor_slope", "factor_table", "degeneracy_table", "size_slope", "size_over_directions",
           "frame_figure", "strip_figure", "paper_setting", "reading", "finding"]


def plan(ch: Chapter) -> list[Planned]:
    """The GANs the chapter moves images in: BigGAN on every class (Table 1's ``biggan-all`` row,
    no classifier loss), one per direction seed (:func:`direction_seeds`), so that direction *i*
    is learned on GAN *i* and the slopes' interval over directions holds the GAN's own variation
    too (one GAN's directions agreed closely yet moved sign on a retrained GAN, 2026-12-06). The
    chapter's seed is Table 1's run, from the cache when chapter 3 trained it."""
    return [planned(ch, "biggan-all", "biggan-all", None, s) for s in direction_seeds(ch)]


def direction_seeds(ch: Chapter) -> list[int]:
    """The seeds of the chapter's runs: ``ch.seed + i`` for ``i`` below the profile's
    ``ganalyze.directions``; run *i* is direction seed *i* on BigGAN-all seed *i* (:func:`plan`),
    and the slopes' headline intervals are over these runs."""
    return [ch.seed + i for i in range(ch.profile.ganalyze.directions)]


def score_name(assessor) -> str:
    """What an assessor scores, for the tables: ``log-odds``, ``probability (saturates)`` (both
    :class:`~probelib.models.ClassConfidence`), ``area (regression)`` or ``memorability (MemNet)``."""
    kind = getattr(assessor, "score", None)
    if isinstance(kind, str):
        return "probability (saturates)" if kind == "probability" else kind
    names = {"AreaNet": "area (regression)", "MemNetAssessor": "memorability (MemNet)"}
    return names.get(type(assessor).__name__, type(assessor).__name__)


def _ci(fit: dict, digits: int = 3) -> str:
    return f"{fit['ci_low']:.{digits}f} to {fit['ci_high']:.{digits}f}"


def _over(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and Student-t 95 % interval over directions (NaN interval for a single direction)."""
    return mean_ci(values) if len(values) > 1 else (float(values[0]), math.nan, math.nan)


def sweep_figure(sweep: dict, classes: Sequence[str], rows: int = 4) -> plt.Figure:
    """The first ``rows`` seeds of a sweep, one row each (its seed and class on the left), α in
    the columns."""
    k = len(set(sweep["alpha"].tolist()))
    seeds, labels = sweep["seed"][::k], sweep["label"][::k]
    images = [torch.from_numpy(sweep["images"][i * k:(i + 1) * k]) for i in range(min(rows, len(seeds)))]
    return image_grid(images, [f"seed {s} ({classes[int(l)]})" for s, l in zip(seeds, labels)],
                      col_labels=[f"α={a:+.1f}" for a in sweep["alpha"][:k]], cell=0.8)


def loss_figure(directions: Mapping[tuple[str, str], Sequence[tuple]], alpha_max: float) -> plt.Figure:
    """GANalyze's training loss against step for every trained direction (one colour per assessor
    and variant, one line per seed; log scale), and the loss of θ = 0, α_max²/3, dashed."""
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    for i, ((a, v), runs) in enumerate(directions.items()):
        for j, (_, record) in enumerate(runs):
            h = record["history"]
            ax.plot([r["step"] for r in h], [r["loss"] for r in h], color=f"C{i}", lw=1, alpha=0.8,
                    label=f"{a} ({v})" if j == 0 else None)
    ax.axhline(null_loss(alpha_max), color="k", ls="--", lw=1, label="θ = 0: α_max²/3")
    ax.set(xlabel="step", ylabel="GANalyze loss", yscale="log")
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def slope_frame(sweeps: Mapping[tuple[str, str], Sequence[dict]]) -> pd.DataFrame:
    """Per (assessor, variant): each direction's slope of the score on α by the mixed model
    (:func:`probelib.measure.mixed_slope`, seeds of z as groups); their mean and Student-t 95 %
    interval over the directions (``slope``, ``ci_low``, ``ci_high``: the headline); the first
    direction's own interval over latent samples (``latent_low``, ``latent_high``: secondary)."""
    rows = []
    for (a, v), sws in sweeps.items():
        fits = [measure.mixed_slope(sw["score"], sw["alpha"], sw["seed"]) for sw in sws]
        mean, lo, hi = _over([f["beta"] for f in fits])
        rows.append({"assessor": a, "variant": v, "slope": mean, "ci_low": lo, "ci_high": hi,
                     "directions": len(fits), "slopes": [f["beta"] for f in fits], "rises with α": lo > 0,
                     "latent_slope": fits[0]["beta"], "latent_low": fits[0]["ci_low"],
                     "latent_high": fits[0]["ci_high"], "images": fits[0]["n"]})
    return pd.DataFrame(rows).set_index(["assessor", "variant"])


def check_frame(directions: Mapping[tuple[str, str], Sequence[tuple]], assessors: Mapping) -> pd.DataFrame:
    """Per (assessor, variant), from each direction's record (:func:`probelib.train.ganalyze.direction_check`):
    what the assessor scores, the trained transformer's loss on fresh draws (mean over directions)
    against the loss of θ = 0 (α_max²/3), how many directions beat it (95 % interval of the paired
    gain above 0) and the mean score at α = 0."""
    rows = []
    for (a, v), runs in directions.items():
        checks = [record["check"] for _, record in runs]
        rows.append({"assessor": a, "variant": v, "score": score_name(assessors[a]),
                     "loss": float(np.mean([c["loss"] for c in checks])),
                     "loss_max": float(np.max([c["loss"] for c in checks])), "null": checks[0]["null_expected"],
                     "learned": sum(c["learned"] for c in checks), "directions": len(checks),
                     "score_at_zero": float(np.mean([c["score_at_zero"] for c in checks]))})
    return pd.DataFrame(rows).set_index(["assessor", "variant"])


def slope_table(slopes: pd.DataFrame, checks: pd.DataFrame) -> pd.DataFrame:
    """:func:`slope_frame` and :func:`check_frame` side by side, formatted for the page."""
    return pd.DataFrame({
        "score": checks["score"],
        "slope (mean over directions)": slopes["slope"].map(lambda v: f"{v:.3f}"),
        "95 % CI over directions": [f"{lo:.3f} to {hi:.3f}" for lo, hi in zip(slopes["ci_low"], slopes["ci_high"])],
        "latent-sample 95 % CI (first direction)": [f"{lo:.3f} to {hi:.3f}" for lo, hi in
                                                    zip(slopes["latent_low"], slopes["latent_high"])],
        "final loss (fresh draws)": checks["loss"].map(lambda v: f"{v:.4f}"),
        "loss of θ = 0 (α_max²/3)": checks["null"].map(lambda v: f"{v:.4f}"),
        "directions below it": [f"{k} of {n}" for k, n in zip(checks["learned"], checks["directions"])],
        "mean score at α = 0": checks["score_at_zero"].map(lambda v: f"{v:.3f}"),
    }, index=slopes.index)


def factor_slope(values, sweep: dict) -> dict | None:
    """The slope on α of one per-image measurement ``values`` (``(N,)``, in the sweep's order) by
    the mixed model with the seed as group; None when the values are constant (no slope)."""
    vals = np.asarray(values.detach().cpu() if torch.is_tensor(values) else values, dtype=float)
    if np.allclose(vals, vals[0]):
        return None
    return measure.mixed_slope(vals, sweep["alpha"], sweep["seed"])


def factor_table(sweeps: Mapping[str, dict],
                 factors: Callable[[torch.Tensor], dict[str, torch.Tensor]] = measure.emerging_factors
                 ) -> pd.DataFrame:
    """Rows: the factors ``factors(images)`` returns (default the paper's seven); columns: the
    sweeps (one per assessor); cells: "slope (low to high)" with the mixed model's 95 % CI, or
    "constant" where the factor does not vary (e.g. colour on grey images)."""
    cols = {}
    for name, sw in sweeps.items():
        col = {}
        for factor, values in factors(torch.from_numpy(sw["images"])).items():
            fit = factor_slope(values, sw)
            col[factor] = "constant" if fit is None else f"{fit['beta']:.3f} ({_ci(fit)})"
        cols[f"{name} (slope, 95 % CI)"] = col
    out = pd.DataFrame(cols)
    out.index.name = "factor"
    return out


def degeneracy_table(sweeps: Mapping[str, dict]) -> pd.DataFrame:
    """Per assessor and α: the spread across seeds (RMS pixel distance) and the share of
    near-uniform images (:func:`probelib.measure.degeneracy`), formatted."""
    rows = []
    for name, sw in sweeps.items():
        d = measure.degeneracy(sw["images"], sw["alpha"], sw["seed"])
        for alpha, r in d.iterrows():
            rows.append({"assessor": name, "α": f"{alpha:+.1f}",
                         "spread across seeds": f"{r['spread across seeds']:.3f}",
                         "near-uniform (%)": f"{r['near-uniform (%)']:.0f}"})
    return pd.DataFrame(rows).set_index(["assessor", "α"])


def size_slope(sweep: dict) -> dict:
    """The slope on α of the independently measured object size
    (:func:`probelib.measure.object_size`) along a sweep."""
    size = measure.object_size(torch.from_numpy(sweep["images"])).numpy()
    return measure.mixed_slope(size, sweep["alpha"], sweep["seed"])


def size_over_directions(sweeps: Sequence[dict]) -> dict:
    """:func:`size_slope` of each direction's sweep: the mean slope and its Student-t 95 % interval
    over the directions (``beta``, ``ci_low``, ``ci_high``, ``directions``) and the first
    direction's own fit over latent samples (``latent``)."""
    fits = [size_slope(sw) for sw in sweeps]
    mean, lo, hi = _over([f["beta"] for f in fits])
    return {"beta": mean, "ci_low": lo, "ci_high": hi, "directions": len(fits), "latent": fits[0]}


@torch.no_grad()
def frame_figure(G, T, assessor, z: torch.Tensor, y: torch.Tensor, alpha: float, class_name: str,
                 score: str = "log-odds") -> plt.Figure:
    """One image moved by ``alpha`` along ``T`` and the assessor's ``score`` of it (the slider's
    frame). The figure is not registered with pyplot, so ``display(fig)`` shows it exactly once."""
    from matplotlib.figure import Figure

    x = G(T(z, torch.tensor([alpha]), y), y)
    value = float(assessor(x, y))
    fig = Figure(figsize=(2, 2))
    ax = fig.add_subplot()
    ax.imshow(to_display(x)[0], cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"α={alpha:+.2f}: {score}({class_name})={value:.2f}", fontsize=8)
    ax.axis("off")
    return fig


def strip_figure(strip: dict, class_name: str) -> plt.Figure:
    """One seed's images along α in a row, the assessor's score under each α."""
    return image_grid([torch.from_numpy(strip["images"])], [class_name],
                      col_labels=[f"α={a:+.2f}\n{s:.2f}" for a, s in zip(strip["alpha"], strip["score"])],
                      cell=0.9)


def paper_setting(memnet, biggan, cfg, alphas, n_seeds: int, device) -> str:
    """GANalyze's headline run, MemNet on a pretrained BigGAN, when both are given (else why not):
    one direction trained with ``cfg``, swept over ``n_seeds`` seeds, its slope against the paper's."""
    if memnet is None or biggan is None:
        return ("skipped: MemNet on a pretrained BigGAN needs memnet_weights and biggan_weights (local files); "
                + ("MemNet alone scored the book's GAN above." if memnet is not None else "neither was given."))
    from ...train.ganalyze import direction_check, sweep, train_transformer

    res = train_transformer(biggan.to(device), memnet.to(device), biggan.num_classes, cfg)
    check = direction_check(biggan, res.transformer.eval(), memnet, biggan.num_classes, cfg)
    seeds = list(range(2000, 2000 + n_seeds))
    sw = sweep(biggan, res.transformer, memnet, alphas, seeds, [s % biggan.num_classes for s in seeds],
               cfg.truncation)
    fit = measure.mixed_slope(sw["score"], sw["alpha"], sw["seed"])
    return (f"MemNet on BigGAN (one direction): slope {fit['beta']:.3f} (latent-sample 95 % CI {_ci(fit)}); "
            f"paper 0.68 (0.66 to 0.70); loss {check['loss']:.4f} against θ = 0's {check['null_expected']:.4f}")


def _verdict(row, check) -> str:
    n = int(check["directions"])
    if check["learned"] == 0:
        return (f"its loss {check['loss']:.4f} is not below θ = 0's {check['null']:.4f} in any of {n} directions: "
                "this direction has learned nothing.")
    return (f"its loss {check['loss']:.4f} is below θ = 0's {check['null']:.4f} in {int(check['learned'])} of "
            f"{n} directions; the score " + ("rises with α." if row["rises with α"]
                                             else "does NOT rise significantly with α over directions."))


def reading(slopes: pd.DataFrame, checks: pd.DataFrame, size: dict, alpha_max: float) -> list[str]:
    """The sentences that read the result: per direction, its slope (interval over directions) and
    whether its loss beats θ = 0's; why a saturated probability cannot follow α; whether objects
    grow along the area direction by the independent size measurement (:func:`size_over_directions`)."""
    out = []
    for key, row in slopes.iterrows():
        check = checks.loc[key]
        out.append(f"{key[0]} ({key[1]}, {check['score']}): slope {row['slope']:.3f} (95 % CI over "
                   f"{row['directions']} directions {row['ci_low']:.3f} to {row['ci_high']:.3f}); "
                   + _verdict(row, check))
        if check["score"].startswith("probability") and check["score_at_zero"] > 1 - alpha_max:
            out.append(f"  its mean probability at α = 0 is {check['score_at_zero']:.3f}: the target s₀ + α passes 1 "
                       f"for α > {1 - check['score_at_zero']:.3f}, out of reach of any direction.")
    out.append(f"Area assessor: the independently measured object size changes by {size['beta']:.3f} per unit α "
               f"(95 % CI over {size['directions']} directions {_ci(size)}): "
               + ("objects grow, as they should." if size["ci_low"] > 0 else "no significant growth."))
    return out


def finding(slopes: pd.DataFrame, checks: pd.DataFrame, size: dict) -> str:
    """The chapter's headline: the robust classifier's log-odds slope and the saturating probability's,
    each with its interval over directions and whether the loss beats θ = 0's, and the object size
    along the area direction."""
    lo_key, p_key = ("confidence-robust", "plain"), ("probability-robust", "plain")
    r, c, p, pc = slopes.loc[lo_key], checks.loc[lo_key], slopes.loc[p_key], checks.loc[p_key]
    return (f"the robust classifier's log-odds changes by {r['slope']:.3f} per unit α (95 % CI {r['ci_low']:.3f} – "
            f"{r['ci_high']:.3f} over {r['directions']} directions; loss {c['loss']:.4f} against θ = 0's "
            f"{c['null']:.4f}), its probability (mean {pc['score_at_zero']:.3f} at α = 0) by "
            f"{p['slope']:.3f} ({p['ci_low']:.3f} – {p['ci_high']:.3f}; loss {pc['loss']:.4f}); along the area "
            f"direction the measured object size changes by {size['beta']:.3f} ({size['ci_low']:.3f} – "
            f"{size['ci_high']:.3f}); intervals over directions, each learned on its own GAN")
