"""Chapter 8 (natural exemplars vs feature visualisation, Borowski et al. 2021) as functions:
the disjoint reference and query pools, the units drawn, the feature visualisations, the
reference sets of each kind, the simulated 2AFC test per unit, its summary over units, the
figures, the tables and the sentences that read the result.

The chapter calls these so that its visible cells hold the experiment; nothing here displays.
Each observer embeds the images once (:func:`embed`); numbers stay numeric in :func:`two_afc_per_unit` and :func:`summarise` (the prose reads them);
:func:`accuracy_table` and :func:`control_table` turn them into the book's formatted tables.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ... import measure, viz
from ..chapter import Chapter
from ..runs import Planned, planned

__all__ = ["KINDS", "plan", "REFERENCE_TYPES", "PAPER_PEOPLE", "Renders", "split_pools", "batches", "pick_units",
           "feature_visualisations", "describe_renders", "reference_sets", "reference_figure",
           "embed", "two_afc_per_unit", "summarise", "accuracy_table", "control_table", "count_table", "readings",
           "unit_figure"]

REFERENCE_TYPES = ("natural", "feature visualisation", "ProbeGAN samples")
#: Borowski et al.'s human 2AFC accuracies (%, mean ± SEM) by (reference type, references per side)
PAPER_PEOPLE = {("natural", 9): "92 ± 2", ("feature visualisation", 9): "82 ± 4",
                ("natural", 1): "73 ± 4", ("feature visualisation", 1): "65 ± 5"}


@dataclass
class Renders:
    """Per unit, ``n_refs`` feature visualisations that maximise (``maxs``) and minimise
    (``mins``) it, ``(units, n_refs, C, H, W)``, and each render's objective gain."""

    maxs: torch.Tensor
    mins: torch.Tensor
    gains: np.ndarray


#: the probed classifiers whose units the chapter explains
KINDS = ("regular", "robust")


def plan(ch: Chapter) -> list[Planned]:
    """The ProbeGAN generators whose samples are the third kind of reference: Table 1's
    ProbeGAN-regular and ProbeGAN-robust rows for the chapter's seed (from the cache when chapter 3
    trained them)."""
    return [planned(ch, f"probegan-{kind}", "probegan", kind, ch.seed) for kind in KINDS]


def split_pools(images: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``images`` split once at random into a reference pool and a query pool of equal halves."""
    perm = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    half = len(images) // 2
    return images[perm[:half]], images[perm[half:]]


def batches(x: torch.Tensor, size: int = 256):
    """``x`` in batches of ``size`` (a generator, for :func:`probelib.measure.top_exemplars`)."""
    return (x[i:i + size] for i in range(0, len(x), size))


def pick_units(model, layer: str, pool: torch.Tensor, n_units: int, seed: int) -> list[int]:
    """``n_units`` channels of ``layer`` drawn at random among those that respond at all (on up
    to 512 images of ``pool``), sorted."""
    act = measure.unit_activations(model, layer, pool[:512])
    alive = torch.nonzero(act.std(0) > 1e-4).flatten()
    g = torch.Generator().manual_seed(seed)
    return sorted(alive[torch.randperm(len(alive), generator=g)[:n_units]].tolist())


def feature_visualisations(model, units: list[int], EX, channels: int, seed: int, size: int = 32) -> Renders:
    """Per unit, a batch of ``EX.n_refs`` images that maximises the unit's mean activation plus
    ``EX.diversity`` × the diversity term, and one that minimises it (Fourier parameterisation,
    the standard robustness transforms, ``EX.render_steps`` steps)."""
    maxs, mins, gains = [], [], []
    for j, u in enumerate(units):
        out = []
        for sign in (1.0, -1.0):
            obj = sign * viz.channel(EX.layer, u) + EX.diversity * viz.diversity(EX.layer)
            param = viz.FFTImage(EX.n_refs, channels, size, size, seed=seed * 1000 + 2 * j + (sign < 0))
            x, hist = viz.render(model, obj, param, viz.standard_transforms(size, seed=seed + j),
                                 steps=EX.render_steps, lr=EX.render_lr, progress=False)
            out.append(x)
            gains.append(hist[-1]["objective"] - hist[0]["objective"])
        maxs.append(out[0])
        mins.append(out[1])
    return Renders(torch.stack(maxs), torch.stack(mins), np.array(gains))


def describe_renders(kind: str, model, layer: str, units: list[int], renders: Renders, natural) -> str:
    """One sentence: how often the objective rose, and the units' mean activation on the max and
    min visualisations beside the top natural exemplars."""
    def mean_act(images):
        return float(torch.stack([measure.unit_activations(model, layer, m)[:, u].mean()
                                  for m, u in zip(images, units)]).mean())

    return (f"{kind}: the objective rose in {100 * np.mean(renders.gains > 0):.0f} % of renders; mean unit "
            f"activation of the max visualisations {mean_act(renders.maxs):.2f} vs the top natural exemplars "
            f"{float(natural.top_act.mean()):.2f}; of the min visualisations {mean_act(renders.mins):.2f}")


def reference_sets(ref_pool: torch.Tensor, natural, renders: Renders, gan_pool: torch.Tensor,
                   gan_ranked) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """The max and min references of each kind, ``{type: (maxs, mins)}``, each ``(units, k, C, H, W)``
    most extreme first: natural exemplars of ``ref_pool``, the feature visualisations, and the
    ProbeGAN samples of ``gan_pool`` ranked by the unit (``gan_ranked``)."""
    return {"natural": (ref_pool[natural.top_idx], ref_pool[natural.bottom_idx]),
            "feature visualisation": (renders.maxs, renders.mins),
            "ProbeGAN samples": (gan_pool[gan_ranked.top_idx], gan_pool[gan_ranked.bottom_idx])}


def reference_figure(kind: str, units: list[int], refs: dict, layer: str, n_units: int = 3):
    """For the first ``n_units`` units: the max references of each kind, then the natural min."""
    rows, labels = [], []
    for j in range(min(n_units, len(units))):
        rows += [refs["natural"][0][j], refs["feature visualisation"][0][j], refs["ProbeGAN samples"][0][j],
                 refs["natural"][1][j]]
        labels += [f"unit {units[j]}: natural max", "visualisation max", "ProbeGAN max", "natural min"]
    return viz.image_grid(rows, labels, title=f"{kind} classifier, layer {layer}", cell=0.7)


def _embed(features, x: torch.Tensor, size: int = 256) -> torch.Tensor:
    """``features`` of images ``(..., C, H, W)`` in batches: ``(..., F)``."""
    flat = x.reshape(-1, *x.shape[-3:])
    with torch.no_grad():
        f = torch.cat([features(b).flatten(1) for b in batches(flat, size)])
    return f.view(*x.shape[:-3], -1)


def embed(observers: dict, refs: dict, query_pool: torch.Tensor, queries) -> dict:
    """Each observer's features of every reference and query image, computed once:
    ``{observer: {"queries": (more, less), type: (maxs, mins)}}``, each ``(units, k, F)``. The
    queries of unit ``j`` are the query pool's i-th most and least activating images
    (``queries``); the features of an image do not depend on its batch."""
    out = {}
    for space, feats in observers.items():
        out[space] = {"queries": tuple(_embed(feats, query_pool[idx])
                                       for idx in (queries.top_idx, queries.bottom_idx))}
        out[space].update({t: tuple(_embed(feats, r) for r in pair) for t, pair in refs.items()})
    return out


def two_afc_per_unit(embedded: dict, units: list[int], n_refs, seed: int, types=REFERENCE_TYPES) -> pd.DataFrame:
    """The simulated observer's 2AFC accuracy per unit (%), one row per (observer, reference
    type, references, unit), from :func:`embed`'s features, with the ``n_refs`` most extreme
    references per side (a number or a list of numbers). The trials of unit ``j`` are shown in
    an order seeded ``seed * 100 + j`` (:func:`probelib.measure.two_afc`)."""
    counts = [n_refs] if isinstance(n_refs, int) else list(n_refs)
    rows = []
    for space, emb in embedded.items():
        q_hi, q_lo = emb["queries"]
        for ref_type in types:
            maxs, mins = emb[ref_type]
            for n in counts:
                for j, u in enumerate(units):
                    trial = measure.two_afc(lambda f: f, maxs[j][:n], mins[j][:n], q_hi[j], q_lo[j],
                                            seed=seed * 100 + j)
                    rows.append({"observer": space, "references": n, "reference type": ref_type, "unit": u,
                                 "accuracy (%)": 100 * float(trial.correct.mean())})
    return pd.DataFrame(rows)


def summarise(per_unit: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Mean accuracy over units with its 95 % bootstrap CI (units resampled), per classifier,
    observer, references and reference type (numbers, %)."""
    keys = [k for k in ("classifier", "observer", "references", "reference type") if k in per_unit]
    rows = []
    for key, group in per_unit.groupby(keys, sort=False):
        mean, lo, hi = measure.bootstrap_ci(group["accuracy (%)"].to_numpy() / 100, seed=seed)
        rows.append({**dict(zip(keys, key)), "accuracy (%)": 100 * mean, "lo (%)": 100 * lo, "hi (%)": 100 * hi,
                     "units": len(group)})
    out = pd.DataFrame(rows)
    order = {k: {v: i for i, v in enumerate(per_unit[k].unique())} for k in ("classifier", "observer") if k in out}
    order["reference type"] = {t: i for i, t in enumerate(REFERENCE_TYPES)}
    rank = pd.DataFrame({k: out[k].map(order[k]) for k in order if k in out})
    if "references" in out:
        rank["references"] = -out["references"]  # the most references first
    rank = rank[[k for k in keys if k in rank]]
    return out.loc[rank.sort_values(list(rank.columns), kind="stable").index].reset_index(drop=True)


def _interval(frame: pd.DataFrame) -> list[str]:
    return [f"{a:.1f} ({lo:.1f}–{hi:.1f})" for a, lo, hi in zip(frame["accuracy (%)"], frame["lo (%)"],
                                                               frame["hi (%)"])]


def accuracy_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The judges' observers side by side (accuracy "mean (lo–hi)" over units) with the paper's
    people, per classifier, references and reference type (the pixel control left out)."""
    s = summary[summary["observer"] != "pixels"].assign(cell=lambda f: _interval(f))
    index = ["classifier", "references", "reference type"]
    out = s.pivot_table(index=index, columns="observer", values="cell", aggfunc="first", sort=False)
    out.columns = [f"{c}: accuracy (%)" for c in out.columns]
    out["paper: people (%)"] = [PAPER_PEOPLE.get((t, n), "—") for _, n, t in out.index]
    return out


def control_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The pixel-space control: accuracy "mean (lo–hi)" over units."""
    s = summary[summary["observer"] == "pixels"]
    return pd.DataFrame({"accuracy (%) (95 % CI over units)": _interval(s)},
                        index=pd.MultiIndex.from_frame(s[["classifier", "references", "reference type"]]))


def readings(main: pd.DataFrame, n_refs_list) -> list[str]:
    """One sentence per classifier and number of references: which reference type explains the
    units best for the main observer (``main``: :func:`summarise` rows of one observer)."""
    out = []
    for kind in main["classifier"].unique():
        for n_refs in n_refs_list:
            sub = main[(main["classifier"] == kind) & (main["references"] == n_refs)]
            acc = dict(zip(sub["reference type"], sub["accuracy (%)"]))
            nat, syn, gan = (acc[t] for t in REFERENCE_TYPES)
            scores = {"natural exemplars": nat, "feature visualisations": syn, "ProbeGAN samples": gan}
            best = [k for k, v in scores.items() if v >= max(scores.values()) - 1e-9]
            if best == ["natural exemplars"]:
                verdict = "natural exemplars explain the units best, as in the paper"
            elif "natural exemplars" in best:
                verdict = f"a tie at the top between {' and '.join(best)}"
            else:
                verdict = (f"{' and '.join(best)} explain the units best here — unlike the paper, where natural "
                           "exemplars won")
            out.append(f"{kind}, {n_refs} reference(s): natural {nat:.1f} %, feature visualisation {syn:.1f} %, "
                       f"ProbeGAN {gan:.1f} % — {verdict}.")
    return out


def unit_figure(refs: dict, j: int, unit: int, query_pool: torch.Tensor, queries, n: int = 9):
    """One unit's natural and feature-visualisation references (max and min) and its queries."""
    rows = [refs["natural"][0][j][:n], refs["natural"][1][j][:n], refs["feature visualisation"][0][j][:n],
            refs["feature visualisation"][1][j][:n], query_pool[queries.top_idx[j]][:n],
            query_pool[queries.bottom_idx[j]][:n]]
    labels = ["natural max", "natural min", "visualisation max", "visualisation min", "queries: more",
              "queries: less"]
    return viz.image_grid(rows, labels, title=f"unit {unit}", cell=0.7)


def count_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One observer's accuracy "mean (lo–hi)" per classifier and reference type (rows) against
    the number of references per side (columns, fewest first)."""
    s = summary.assign(cell=lambda f: _interval(f))
    out = s.pivot_table(index=["classifier", "reference type"], columns="references", values="cell",
                        aggfunc="first", sort=False)
    out = out[sorted(out.columns)]
    out.columns = [f"{n} per side: accuracy (%)" for n in out.columns]
    return out
