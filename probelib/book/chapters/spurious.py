"""Chapter 5 (spurious features, Waterbirds) as functions: the judges of a probe's background,
their rate tables, the stored seeds' tables and the sentences that read the result.

The chapter calls these so that its visible cells hold the experiment; every function here
computes or formats, none displays. Numbers stay numeric in the ``*_rates`` frames (the prose
reads them); :func:`rate_table` and friends turn them into the book's formatted tables.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import torch

from ... import data as datamod
from ... import measure, models
from ...train.classifier import load_or_train_classifier
from ..chapter import Chapter
from ..compare import fmt_ci, interval
from ..runs import Planned, planned_probe

__all__ = ["N_SWEEP_IMAGES", "PROBED", "plan", "load_splits", "group_table", "accuracies", "accuracy_table", "dro_weights",
           "background_classifier", "JUDGES", "water_calls", "seed_rates", "over_seeds", "apart", "over_seeds_table",
           "headline", "over_seeds_sentence", "water_rates", "graded_measures", "judge_rates", "rate_table",
           "graded_table", "load_stored_seeds", "seed_tables", "seed_comparisons", "comparison_sentence",
           "seeds_summary", "stored_eta_table",
           "reading"]

#: images each run of the stored seed sweep scored (benchmarks/shortcut_sweep.py)
N_SWEEP_IMAGES = 500


#: the two probed classifiers: empirical risk minimisation and group DRO
PROBED = ("ERM", "DRO")


def plan(ch: Chapter) -> list[Planned]:
    """The chapter's probes: ProbeGAN on the other class's birds on their own background, the
    target absent, probing the ERM and the DRO classifier with the profile's
    ``shortcut.spurious_lambda_cls`` (data ``spurious-erm-<target>`` / ``spurious-dro-<target>``),
    each for ``shortcut.spurious_seeds`` seeds ``ch.seed``, ``ch.seed + 1``, …"""
    S = ch.profile.shortcut
    return [planned_probe(ch, name, f"spurious-{name.lower()}-{ch.target_class}", ch.target, ch.seed + i,
                          lambda_cls=S.spurious_lambda_cls) for name in PROBED for i in range(S.spurious_seeds)]


def load_splits(ch: Chapter) -> tuple[datamod.waterbirds.SpuriousSet, datamod.waterbirds.SpuriousSet]:
    """The training and test sets of the chapter (the real folder, or the offline analogue)."""
    S = ch.profile.shortcut
    offline = dict(seed=ch.seed, scale=S.spurious_scale)
    return (datamod.waterbirds.load_spurious("train", ch.data_dir, **offline),
            datamod.waterbirds.load_spurious("test", ch.data_dir, **offline))


def group_table(train, test) -> pd.DataFrame:
    """Images per group in each split, as formatted strings (thousands separated)."""
    frame = pd.DataFrame({"train (images)": train.group_counts(), "test (images)": test.group_counts()})
    frame.index.name = "group"
    return frame.map(lambda v: f"{int(v):,}")


def accuracies(nets: dict, test) -> pd.DataFrame:
    """Per classifier: average, per-group and worst-group test accuracy (%), training minutes."""
    rows = {}
    for name, net in nets.items():
        average, per_group = measure.group_accuracy(net.model, test)
        rows[name] = {"average (%)": 100 * average, **{g: 100 * v for g, v in per_group.items()},
                      "worst group (%)": 100 * min(per_group.values()),
                      "train min": net.record["seconds"] / 60}
    return pd.DataFrame(rows).T


def accuracy_table(acc: pd.DataFrame) -> pd.DataFrame:
    """:func:`accuracies` formatted, one column per classifier and one row per measure (one
    decimal; the group rows are test accuracies in %)."""
    out = pd.DataFrame(index=acc.index)
    for col in acc.columns:
        name = "training (min)" if col == "train min" else col if "(" in col else f"{col} (%)"
        out[name] = acc[col].map(lambda v: f"{v:.1f}")
    out = out.T
    out.index.name = "measure (test set)"
    return out


def dro_weights(net, names, eta: float) -> str | None:
    """The sentence stating DRO's group weights after training (None if not recorded)."""
    last = net.record["history"][-1]
    if "group_weights" not in last:
        return None
    weights = ", ".join(f"{n} {w:.3f}" for n, w in zip(names, last["group_weights"]))
    return f"DRO's step size η = {eta:g}; its group weights after training: {weights}"


def background_classifier(ch: Chapter, test):
    """The image-level judge of the background: a classifier trained on composites whose
    background is independent of the bird (all four groups equally often), so it cannot use the
    bird as a cue. Returns the trained classifier (cached) and its training set's size."""
    S = ch.profile.shortcut
    wb = datamod.waterbirds
    n_bg = max(8, round(min(wb.GROUP_COUNTS["train"]) * 10 * S.spurious_scale))
    bg_train = wb.by_background(wb.make_spurious("train", seed=ch.seed + 1, scale=1.0, counts=(n_bg,) * 4))
    net = load_or_train_classifier(S.background, bg_train, wb.by_background(test), ch.run_dir, ch.device,
                                   name="spurious-background")
    return net, len(bg_train)


def water_rates(samples: dict[str, torch.Tensor], nets: dict, bg_net, test, target: int, home: int
                ) -> tuple[pd.DataFrame, dict[str, torch.Tensor]]:
    """The background classifier's hard verdict per generated image: the share on water with
    its Wilson interval (%), and how often the probed classifier says ``target``; a row of real
    test images of class ``home`` for scale. Returns the frame and each probe's predictions."""
    water = datamod.waterbirds.PLACES.index("water")
    rows, pred = {}, {}
    for name, x in samples.items():
        pred[name] = models.predict(bg_net.model, x).argmax(1)
        p, lo, hi = measure.proportion_ci(int((pred[name] == water).sum()), len(x))
        rows[f"probe of {name}"] = {"images": len(x), "on water (%)": 100 * p, "CI low": 100 * lo,
                                    "CI high": 100 * hi, "says target (%)":
                                        100 * measure.recognition_rate(nets[name].model, x, target)}
    ref = test.subset(test.data.labels == home).data.images
    on_water = (models.predict(bg_net.model, ref).argmax(1) == water).float().mean()
    rows["real test images (50 % water)"] = {"images": len(ref), "on water (%)": 100 * float(on_water),
                                             "CI low": float("nan"), "CI high": float("nan")}
    return pd.DataFrame(rows).T, pred


def graded_measures(samples: dict[str, torch.Tensor], bg_net, test, seed: int = 0) -> pd.DataFrame:
    """Two graded measures per set of images: the background classifier's mean p(water) and the
    mean blue − red tint, with bootstrap 95 % intervals over the generated images (columns
    ``… low`` / ``… high``); real test images on each place for scale (no interval)."""
    water = datamod.waterbirds.PLACES.index("water")

    def p_water(x):
        return models.predict(bg_net.model, x).softmax(1)[:, water]

    rows = {}
    for name, x in samples.items():
        (pm, pl, ph), (tm, tl, th) = (measure.bootstrap_ci(v, seed=seed) for v in (p_water(x), measure.tint(x)))
        rows[f"probe of {name}"] = {"mean p(water)": pm, "p low": pl, "p high": ph,
                                    "blue − red tint": tm, "tint low": tl, "tint high": th}
    for i, place in enumerate(datamod.waterbirds.PLACES):
        x = test.data.images[test.place == i]
        rows[f"real test images on {place}"] = {"mean p(water)": float(p_water(x).mean()),
                                                "blue − red tint": float(measure.tint(x).mean())}
    return pd.DataFrame(rows).T


def judge_rates(probes: dict[str, torch.Tensor], real: dict[str, torch.Tensor], threshold: float,
                mean: str, above: str) -> pd.DataFrame:
    """One row per probe (``probe of …``) and per real place (``real test images on …``): the
    images, the mean score (column ``mean``, %) and the share above ``threshold`` (column
    ``above``, %) with its Wilson interval (``CI low`` / ``CI high``)."""
    scores = {**{f"probe of {n}": v for n, v in probes.items()},
              **{f"real test images on {p}": v for p, v in real.items()}}
    return pd.DataFrame(measure.rates_above(scores, threshold)).T.rename(
        columns={"mean (%)": mean, "above (%)": above})


def _interval(m, lo, hi, fmt: str = "{:.1f}", sep: str = "–") -> str:
    if pd.isna(m):
        return "–"
    if pd.isna(lo) or pd.isna(hi):
        return fmt.format(m)
    return f"{fmt.format(m)} ({fmt.format(lo)}{sep}{fmt.format(hi)})"


def rate_table(frame: pd.DataFrame, rate: str) -> pd.DataFrame:
    """A rate frame (:func:`water_rates`, :func:`judge_rates`) formatted: the ``rate`` column as
    "mean (low–high)" with its 95 % interval, the other columns rounded (images as integers)."""
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        if col in ("CI low", "CI high"):
            continue
        if col == rate:
            out[f"{rate[:-4]} (%, 95 % CI)" if rate.endswith(" (%)") else rate] = [
                _interval(m, lo, hi) for m, lo, hi in zip(frame[rate], frame["CI low"], frame["CI high"])]
        elif col == "images":
            out[col] = frame[col].map(lambda v: f"{int(v):,}")
        else:
            out[col] = frame[col].map(lambda v: "–" if pd.isna(v) else f"{v:.1f}")
    out.index.name = "images scored"
    return out


def graded_table(graded: pd.DataFrame) -> pd.DataFrame:
    """:func:`graded_measures` formatted: "mean (low to high)" with the bootstrap 95 % interval."""
    g = graded.reindex(columns=["mean p(water)", "p low", "p high", "blue − red tint", "tint low", "tint high"])
    out = pd.DataFrame(index=g.index)
    out["mean p(water) (95 % CI)"] = [_interval(m, lo, hi, "{:.3f}", " to ")
                                      for m, lo, hi in zip(g["mean p(water)"], g["p low"], g["p high"])]
    out["blue − red tint (95 % CI)"] = [_interval(m, lo, hi, "{:.3f}", " to ")
                                        for m, lo, hi in zip(g["blue − red tint"], g["tint low"], g["tint high"])]
    out.index.name = "images scored"
    return out


# ---- this run's probes over their seeds (the chapter's headline) --------------------------

#: the three judges of a probe's background, as the over-seeds table names them
JUDGES = ("background classifier: on water (%)", "colour judge: water-coloured (%)",
          "window judge: showing water (%)")


def water_calls(bg_net, colour_threshold: float, patch_net, window_threshold: float
                ) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    """The three judges as ``{name: images -> one bool per image}`` (the rules of the chapter's
    image-level tables): the background classifier says water; more than ``colour_threshold`` of
    the pixels are water-coloured; more than ``window_threshold`` of the 8×8 windows are water."""
    water = datamod.waterbirds.PLACES.index("water")
    return {JUDGES[0]: lambda x: models.predict(bg_net.model, x).argmax(1) == water,
            JUDGES[1]: lambda x: measure.water_colour(x) > colour_threshold,
            JUDGES[2]: lambda x: measure.water_share(patch_net, x) > window_threshold}


def seed_rates(by_seed: dict[tuple[str, int], torch.Tensor],
               calls: dict[str, Callable[[torch.Tensor], torch.Tensor]]) -> pd.DataFrame:
    """Per probe and seed (``by_seed`` keyed ``(probe, seed)``; rows in that order): the % of its
    images each judge of ``calls`` (:func:`water_calls`) calls water."""
    rows = {key: {name: 100 * float(call(x).float().mean()) for name, call in calls.items()}
            for key, x in by_seed.items()}
    out = pd.DataFrame(rows).T
    out.index.names = ["probe", "seed"]
    return out


def over_seeds(per_seed: pd.DataFrame) -> dict[str, dict[str, tuple[float, float, float, int]]]:
    """``{probe: {judge: (mean, low, high, seeds)}}``: each judge's rate (:func:`seed_rates`) as
    the mean over the probe's seeds with its Student-t 95 % interval **over seeds**, cut to 0–100 %."""
    return {probe: {j: interval(per_seed.xs(probe, level="probe")[j].tolist(), (0.0, 100.0))
                    for j in per_seed.columns}
            for probe in dict.fromkeys(per_seed.index.get_level_values("probe"))}


def apart(summary: dict, judge: str) -> bool:
    """ERM's probe called water more often than DRO's by ``judge`` with the intervals over seeds apart."""
    return summary["ERM"][judge][1] > summary["DRO"][judge][2]


def over_seeds_table(summary: dict) -> pd.DataFrame:
    """:func:`over_seeds` formatted: one row per probe, the seeds and each judge's
    ``"mean (low–high)"``."""
    out = pd.DataFrame({f"probe of {p}": {"seeds": str(next(iter(j.values()))[3]),
                                          **{f"{name[:-4]} (%, mean over seeds, 95 % CI)": fmt_ci(*v)
                                             for name, v in j.items()}}
                        for p, j in summary.items()}).T
    out.index.name = "images of"
    return out


def headline(summary: dict, judge: str) -> str:
    """One judge's over-seeds verdict: ``"ERM 44.8 (30.1–59.5) % vs DRO 1.2 (0.0–3.0) %, apart"``."""
    e, d = summary["ERM"][judge], summary["DRO"][judge]
    return (f"{judge.split(': ')[1][:-4]} ERM {fmt_ci(*e)} % vs DRO {fmt_ci(*d)} % "
            f"({'intervals over seeds apart' if apart(summary, judge) else 'intervals over seeds overlap'})")


def over_seeds_sentence(summary: dict, target_class: str) -> str:
    """The headline read from :func:`over_seeds`: for each judge, apart or not."""
    n = next(iter(summary["ERM"].values()))[3]
    parts = [f"{j.split(':')[0]}: ERM {fmt_ci(*summary['ERM'][j])} % vs DRO {fmt_ci(*summary['DRO'][j])} % "
             f"({'apart' if apart(summary, j) else 'overlapping'})" for j in JUDGES]
    return (f"Over {n} probe seeds of each classifier, the share of generated {target_class}s called water, "
            f"with 95 % intervals over seeds — " + "; ".join(parts) + ".")


# ---- the stored seeds ---------------------------------------------------------------------

#: stored column -> the chapter's name for it
_JUDGES = {"average (%)": "average (%)", "worst group (%)": "worst group (%)", "tint": "blue − red tint",
           "water colour (%)": "water-coloured (%)", "water windows (%)": "water windows (%)",
           "on water (%)": "on water (%)"}


def load_stored_seeds(files: list[Path]) -> pd.DataFrame | None:
    """The stored seed sweep (JSON lines) averaged per ``(seed, classifier)``, classifiers named
    ``ERM`` or ``DRO η = …``; None if a file is missing."""
    if not all(Path(f).is_file() for f in files):
        return None
    runs = pd.DataFrame([json.loads(line) for f in files for line in Path(f).read_text().splitlines()
                         if line.strip()])
    runs["classifier"] = [p if p == "ERM" else f"DRO η = {e:g}" for p, e in zip(runs["probe"], runs["dro_eta"])]
    return runs.groupby(["seed", "classifier"])[list(_JUDGES)].mean().rename(columns=_JUDGES)


def _classifiers(per_seed: pd.DataFrame) -> list[str]:
    return sorted(set(per_seed.index.get_level_values("classifier")), key=lambda n: (n != "ERM", n))


def seed_tables(per_seed: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-seed table (formatted, "–" where a judge was not run) and the mean over seeds with
    Student-t 95 % intervals (:func:`probelib.measure.mean_ci`; rates cut to 0–100 %)."""
    order = {c: i for i, c in enumerate(_classifiers(per_seed))}  # ERM first within each seed
    each = per_seed.sort_index(key=lambda ix: ix.map(order) if ix.name == "classifier" else ix)
    for col in each.columns:
        fmt = "{:.3f}" if col == "blue − red tint" else "{:.1f}"
        each[col] = each[col].map(lambda v: "–" if pd.isna(v) else fmt.format(v))
    rows = {}
    for name in _classifiers(per_seed):
        g = per_seed.xs(name, level="classifier")
        row = {"seeds": str(len(g))}
        for col in ("average (%)", "worst group (%)"):
            m, lo, hi = measure.mean_ci(g[col])
            row[f"{col[:-4]} (%, 95 % CI)"] = _interval(m, max(lo, 0), min(hi, 100))
        m, lo, hi = measure.mean_ci(g["blue − red tint"])
        row["blue − red tint (95 % CI)"] = _interval(m, lo, hi, "{:.3f}", " to ")
        rows[name] = row
    mean = pd.DataFrame(rows).T
    mean.index.name = "classifier"
    return each, mean


def seed_comparisons(per_seed: pd.DataFrame, n_images: int = N_SWEEP_IMAGES) -> list[dict]:
    """ERM against each DRO: in how many seeds ERM's probe is water-coloured more often with the
    two Wilson intervals apart (``apart`` of ``n``), and bluer (``bluer`` of ``n_tint``)."""
    wide = per_seed.unstack("classifier")
    out = []
    for other in _classifiers(per_seed)[1:]:
        both = wide["water-coloured (%)"][["ERM", other]].dropna()
        ci = {c: [measure.proportion_ci(round(r / 100 * n_images), n_images) for r in both[c]]
              for c in ("ERM", other)}
        apart = sum(e[1] > d[2] for e, d in zip(ci["ERM"], ci[other]))
        tints = wide["blue − red tint"][["ERM", other]].dropna()
        out.append({"other": other, "apart": int(apart), "n": len(both),
                    "bluer": int((tints["ERM"] > tints[other]).sum()), "n_tint": len(tints)})
    return out


def comparison_sentence(c: dict, eta: float) -> str:
    """One :func:`seed_comparisons` entry as a sentence (marked when it is this chapter's η)."""
    mark = " (this chapter)" if c["other"] == f"DRO η = {eta:g}" else ""
    return (f"ERM vs {c['other']}{mark}: water-coloured more often, Wilson intervals apart, in "
            f"{c['apart']} of {c['n']} seeds (the colour judge fixed in advance); ERM's probe bluer in "
            f"{c['bluer']} of {c['n_tint']} seeds.")


def seeds_summary(c: dict | None, eta: float) -> str:
    """The stored seeds' part of the chapter's finding, from the comparison with this η."""
    if c is None:
        return "no stored seeds of this chapter's classifiers"
    return (f"over the stored seeds (trainer version 1, 2026-11-26): ERM's probe water-coloured more "
            f"often than DRO's (η = {eta:g}) with Wilson intervals apart in {c['apart']} of {c['n']} "
            f"seeds, bluer in {c['bluer']} of {c['n_tint']}")


def stored_eta_table(path: Path) -> pd.DataFrame | None:
    """The stored group-DRO step-size sweep (``benchmarks/measured/dro_eta_cpu.jsonl``): worst-group
    and average test accuracy per η and epochs, mean over data seeds and the range; None if absent."""
    if not Path(path).is_file():
        return None
    runs = pd.DataFrame([json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()])
    rows = []
    for (eta, epochs), g in runs.groupby(["eta", "epochs"]):
        w, a = g["worst group (%)"], g["average (%)"]
        rows.append({"η": f"{eta:g}", "epochs": str(epochs), "data seeds": str(len(g)),
                     "worst group (%, min–max)": f"{w.mean():.1f} ({w.min():.1f}–{w.max():.1f})",
                     "average (%, min–max)": f"{a.mean():.1f} ({a.min():.1f}–{a.max():.1f})"})
    return pd.DataFrame(rows).set_index("η")


# ---- reading the result -------------------------------------------------------------------

def _verdict(row, rate: str) -> str:
    return f"{row[rate]:.1f} % (95 % CI {row['CI low']:.1f}–{row['CI high']:.1f})"


def reading(acc: pd.DataFrame, water: pd.DataFrame, graded: pd.DataFrame, colour: pd.DataFrame,
            windows: pd.DataFrame, target_class: str) -> list[str]:
    """The sentences that read this run's result, each decided by the intervals it quotes."""
    e, d = acc.loc["ERM"], acc.loc["DRO"]
    gap = d["worst group (%)"] - e["worst group (%)"]
    out = [f"Worst-group test accuracy: ERM {e['worst group (%)']:.1f} %, DRO {d['worst group (%)']:.1f} % "
           f"({gap:+.1f} points); average: ERM {e['average (%)']:.1f} %, DRO {d['average (%)']:.1f} %."]
    we, wd = water.loc["probe of ERM"], water.loc["probe of DRO"]
    out.append(f"The probe of ERM puts its {target_class}s on water {_verdict(we, 'on water (%)')}, the probe "
               f"of DRO {_verdict(wd, 'on water (%)')}: "
               + ("the intervals do not overlap — ERM has memorised water as part of the class, as in the "
                  "paper's Fig. 5." if we["CI low"] > wd["CI high"] else
                  "the intervals overlap, so by the hard verdict this run cannot tell the two classifiers "
                  "apart by their probes."))
    pe, pd_ = windows.loc["probe of ERM"], windows.loc["probe of DRO"]
    out.append(f"Water windows: the probe of ERM shows water in {_verdict(pe, 'images showing water (%)')} of "
               f"its images, the probe of DRO in {_verdict(pd_, 'images showing water (%)')}: "
               + ("the intervals do not overlap — ERM's probe paints water into the scene far more often "
                  "than DRO's." if pe["CI low"] > pd_["CI high"] else "the intervals overlap."))
    ge, gd = graded.loc["probe of ERM"], graded.loc["probe of DRO"]
    land, sea = graded.loc["real test images on land"], graded.loc["real test images on water"]
    out.append(f"Graded: mean p(water) {ge['mean p(water)']:.3f} (ERM) vs {gd['mean p(water)']:.3f} (DRO); "
               f"blue − red tint {ge['blue − red tint']:.3f} vs {gd['blue − red tint']:.3f} (real land "
               f"{land['blue − red tint']:.3f}, real water {sea['blue − red tint']:.3f}).")
    ce, cd = colour.loc["probe of ERM"], colour.loc["probe of DRO"]
    out.append(f"Water colour: the probe of ERM paints water-coloured pixels into "
               f"{_verdict(ce, 'images water-coloured (%)')} of its images, the probe of DRO into "
               f"{_verdict(cd, 'images water-coloured (%)')}: "
               + (f"the intervals do not overlap — asked for a {target_class}, the ERM classifier accepts "
                  "water-coloured strokes, which the GAN never saw; the DRO classifier gets a light bird on "
                  "grass." if ce["CI low"] > cd["CI high"] else "the intervals overlap."))
    return out
