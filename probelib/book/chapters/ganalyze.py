"""Chapter 6 (GANalyze on the book's all-class GAN) as functions: the slope tables, the emerging
factors along α, the degeneracy check, the figures of the sweeps and the sentences that read
the result.

The chapter's visible cells train the directions and sweep α; these functions measure and
format what the sweeps hold (each sweep is the dict :func:`probelib.train.sweep` returns).
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ... import measure
from ...viz.plots import image_grid, to_display
from ..chapter import Chapter
from ..runs import Planned, planned

__all__ = ["plan", "sweep_figure", "loss_figure", "slope_frame", "slope_table", "factor_slope", "factor_table",
           "degeneracy_table", "size_slope", "frame_figure", "strip_figure", "paper_setting", "reading"]


def plan(ch: Chapter) -> list[Planned]:
    """The one GAN the chapter moves images in: BigGAN on every class (Table 1's ``biggan-all`` row,
    no classifier loss) for the chapter's seed, from the cache when chapter 3 trained it."""
    return [planned(ch, "biggan-all", "biggan-all", None, ch.seed)]


def _ci(fit: dict, digits: int = 3) -> str:
    return f"{fit['ci_low']:.{digits}f} to {fit['ci_high']:.{digits}f}"


def sweep_figure(sweep: dict, classes: Sequence[str], rows: int = 4) -> plt.Figure:
    """The first ``rows`` seeds of a sweep, one row each (its seed and class on the left), α in
    the columns."""
    k = len(set(sweep["alpha"].tolist()))
    seeds, labels = sweep["seed"][::k], sweep["label"][::k]
    images = [torch.from_numpy(sweep["images"][i * k:(i + 1) * k]) for i in range(min(rows, len(seeds)))]
    return image_grid(images, [f"seed {s} ({classes[int(l)]})" for s, l in zip(seeds, labels)],
                      col_labels=[f"α={a:+.1f}" for a in sweep["alpha"][:k]], cell=0.8)


def loss_figure(directions: Mapping[tuple[str, str], tuple]) -> plt.Figure:
    """GANalyze's loss against step for every trained direction (log scale)."""
    fig, ax = plt.subplots(figsize=(6, 3))
    for (a, v), (_, record) in directions.items():
        ax.plot([h["step"] for h in record["history"]], [h["loss"] for h in record["history"]],
                label=f"{a} ({v})")
    ax.set(xlabel="step", ylabel="GANalyze loss", yscale="log")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def slope_frame(sweeps: Mapping[tuple[str, str], dict]) -> pd.DataFrame:
    """Per (assessor, variant): the score's slope on α by the mixed model
    (:func:`probelib.measure.mixed_slope`), its 95 % CI, p, whether it rises and the images."""
    rows = []
    for (a, v), sw in sweeps.items():
        fit = measure.mixed_slope(sw["score"], sw["alpha"], sw["seed"])
        rows.append({"assessor": a, "variant": v, "slope": fit["beta"], "ci_low": fit["ci_low"],
                     "ci_high": fit["ci_high"], "95 % CI": _ci(fit), "p": fit["p"],
                     "rises with α": fit["ci_low"] > 0, "images": fit["n"]})
    return pd.DataFrame(rows).set_index(["assessor", "variant"])


def slope_table(slopes: pd.DataFrame) -> pd.DataFrame:
    """:func:`slope_frame` formatted for the page."""
    return pd.DataFrame({
        "slope (score per unit α)": slopes["slope"].map(lambda v: f"{v:.3f}"),
        "95 % CI": slopes["95 % CI"],
        "p": slopes["p"].map(lambda v: f"{v:.1e}"),
        "rises with α": slopes["rises with α"].map(lambda v: "yes" if v else "no"),
        "images": slopes["images"].map(lambda v: f"{int(v):,}"),
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


@torch.no_grad()
def frame_figure(G, T, assessor, z: torch.Tensor, y: torch.Tensor, alpha: float, class_name: str
                 ) -> plt.Figure:
    """One image moved by ``alpha`` along ``T`` and the assessor's score of it (the slider's frame).
    The figure is not registered with pyplot, so ``display(fig)`` shows it exactly once."""
    from matplotlib.figure import Figure

    x = G(T(z, torch.tensor([alpha]), y), y)
    score = float(assessor(x, y))
    fig = Figure(figsize=(2, 2))
    ax = fig.add_subplot()
    ax.imshow(to_display(x)[0], cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"α={alpha:+.2f}: p({class_name})={score:.2f}", fontsize=8)
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
    from ...train.ganalyze import sweep, train_transformer

    res = train_transformer(biggan.to(device), memnet.to(device), biggan.num_classes, cfg)
    seeds = list(range(2000, 2000 + n_seeds))
    sw = sweep(biggan, res.transformer.eval(), memnet, alphas, seeds, [s % biggan.num_classes for s in seeds],
               cfg.truncation)
    fit = measure.mixed_slope(sw["score"], sw["alpha"], sw["seed"])
    return f"MemNet on BigGAN: slope {fit['beta']:.3f} (95 % CI {_ci(fit)}); paper 0.68 (0.66 to 0.70)"


def reading(slopes: pd.DataFrame, size_fit: dict) -> list[str]:
    """The sentences that read the result: each direction's slope, and whether objects grow
    along the area direction by the independent size measurement."""
    out = [f"{a} ({v}): slope {row['slope']:.3f} (95 % CI {row['95 % CI']}) — "
           + ("rises with α." if row["rises with α"] else "does NOT rise significantly with α.")
           for (a, v), row in slopes.iterrows()]
    out.append(f"Area assessor: the independently measured object size changes by {size_fit['beta']:.3f} per "
               f"unit α (95 % CI {_ci(size_fit)}): "
               + ("objects grow, as they should." if size_fit["ci_low"] > 0 else "no significant growth."))
    return out
