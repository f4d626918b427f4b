"""Chapter 10: several classes absent from one ProbeGAN at once (its memory map is
:mod:`probelib.book.chapters.several_targets_memory_map`).

The paper trains one GAN per probed class. Here ``k`` classes are absent from one GAN's data
(the chapter's target always among them, the others drawn with the chapter's seed, nested:
k = 2's other class is the first of k = 3's), every one at 1/C of the unconditional head's
fakes (class dilution as for one target), Dc sees none of them; each absent class is then read
as the single-target probe is. The **choice** of the memory map's k (the cheapest whose
recognition stays within ``within`` points of k = 1's) looks at the development judge only;
the chapter reports every number with the panel. :func:`plan` names every GAN the chapter
trains (classes as indices: ``target`` the group's first, ``absent`` the others, sorted) for
:func:`probelib.book.runs.train`; the functions at the end format the chapters' tables and
state the sentences that branch on the run's numbers.
"""
from __future__ import annotations

import dataclasses
import math

import pandas as pd
import torch
from torch import nn

from ... import data as datamod
from ...measure.panel import RANGE, judge_metrics, real_features
from ...measure.recognition import recognition_rate
from ...train.gans import ProbeGANResult, sample
from ...train.jobs import gan_cached
from ..chapter import Chapter
from ..compare import fmt_ci, interval
from ..runs import Planned, job, planned

__all__ = ["absent_classes", "group_plan", "absent_names", "sweep_plan", "alone_plan", "plan", "to_train", "keyed",
           "draw", "score", "choose_k", "cost", "per_class_table", "by_k", "alone_vs_several", "judge_slug", "cost_table", "choice_table", "survival", "sweep_finding"]


def absent_classes(ch: Chapter, k: int) -> tuple[str, ...]:
    """The ``k`` classes absent from one GAN: the chapter's target first, then ``k - 1`` others
    drawn with the chapter's seed (a fixed order, so k = 2's are among k = 3's)."""
    others = [c for c in ch.classes if c != ch.target_class]
    if not 1 <= k < len(ch.classes) - 1:
        raise ValueError(f"k = {k} absent classes: choose 1 to {len(ch.classes) - 2} (two classes must stay seen)")
    order = torch.randperm(len(others), generator=torch.Generator().manual_seed(10_000 + ch.seed)).tolist()
    return (ch.target_class, *(others[i] for i in order[: k - 1]))


def group_plan(ch: Chapter, row: str, group: tuple[str, ...], kind: str, seed: int) -> Planned:
    """The book's ProbeGAN (chapter 3's trainer) probing the ``kind`` classifier with every class
    of ``group`` absent: its first class the GAN's target, the others ``absent`` (indices,
    sorted). A group of the chapter's target alone *is* chapter 3's ProbeGAN row (the same key)."""
    index = [ch.classes.index(c) for c in group]  # names end here: a GAN knows classes by index
    p = planned(ch, row, "probegan", kind, seed, absent=tuple(sorted(index[1:])), target=index[0])
    return dataclasses.replace(p, label=f"absent-{'+'.join(group)}-{kind}-s{seed}") if len(group) > 1 else p


def absent_names(ch: Chapter, p: Planned) -> tuple[str, ...]:
    """The classes absent from a planned GAN, its target first."""
    return tuple(ch.classes[i] for i in (p.target, *p.absent))


def sweep_plan(ch: Chapter) -> list[Planned]:
    """Every k of the profile × ``seeds`` seeds: one GAN each, row ``k=<k>``."""
    S = ch.profile.several
    return [group_plan(ch, f"k={k}", absent_classes(ch, k), S.kind, ch.seed + i)
            for k in S.ks for i in range(S.seeds)]


def alone_plan(ch: Chapter) -> list[Planned]:
    """k = 2's other absent class(es) absent alone (k = 1), with the sweep's seeds and classifier,
    row ``alone``: the baseline against which a class's loss beside the target is read."""
    S = ch.profile.several
    pair = absent_classes(ch, min(2, max(S.ks)))
    return [group_plan(ch, "alone", (c,), S.kind, ch.seed + i) for c in pair[1:] for i in range(S.seeds)]


def plan(ch: Chapter) -> list[Planned]:
    """Every GAN chapter 10 trains: the sweep over k (:func:`sweep_plan`), then the 'alone' runs
    (:func:`alone_plan`)."""
    return sweep_plan(ch) + alone_plan(ch)


def to_train(ch: Chapter, train: datamod.ImageSet, nets: dict, plan_: list[Planned]) -> int:
    """How many of the planned GANs the run cache lacks (what :func:`probelib.book.runs.train`
    will train now)."""
    return sum(not gan_cached(job(ch, train, nets, p), ch.run_dir) for p in plan_)


def keyed(gans: dict[Planned, ProbeGANResult], rows: str = "sweep") -> dict[tuple, ProbeGANResult]:
    """The trained GANs keyed as the page reads them: the sweep's as ``(k, seed)`` (``rows =
    "sweep"``), the 'alone' runs as ``(1, seed, class)`` (``rows = "alone"``)."""
    if rows == "alone":
        return {(1, p.seed, r.classes[p.target]): r for p, r in gans.items() if p.row == "alone"}
    return {(1 + len(p.absent), p.seed): r for p, r in gans.items() if p.row != "alone"}


def draw(result: ProbeGANResult, n: int, seed: int) -> dict[str, torch.Tensor]:
    """``n`` generated images of each class absent from ``result``'s GAN: ``{class: images}``."""
    return {result.classes[t]: sample(result.generator, t, n, seed=seed) for t in result.targets}


def score(ch: Chapter, results: dict[tuple, ProbeGANResult], judges: dict[str, nn.Module],
          everything: datamod.ImageSet, export: str | None = "several") -> pd.DataFrame:
    """The long table (``results`` keyed ``(k, seed, ...)``): one line per (k, seed, absent
    class, judge) with every metric of
    :func:`~probelib.measure.panel.judge_metrics` against that class's real images (evaluation
    only), the GAN's training minutes and the minutes per probed class. ``export``: write each
    class's samples to ``<run_dir>/samples/<export>/k<k>-s<seed>-<class>.npz``."""
    lines, f_real = [], {}  # each judge's features of each class's real images, read once
    for key, res in results.items():
        k, seed = key[:2]
        minutes = res.seconds_per_step * res.config.steps / 60
        for name, fake in draw(res, ch.profile.n_samples, seed).items():
            c = everything.classes.index(name)
            if export:
                datamod.save_samples(ch.samples_dir(export) / f"k{k}-s{seed}-{name}.npz", fake, c)
            real = everything.images[everything.labels == c]
            for judge_name, judge in judges.items():
                if (judge_name, c) not in f_real:
                    f_real[judge_name, c] = real_features(judge, real)
                lines.append({"k": k, "seed": seed, "class": name, "judge": judge_name,
                              **judge_metrics(judge, fake, real, c, real_features=f_real[judge_name, c]),
                              "GAN min": minutes, "min per class": minutes / k})
    return pd.DataFrame(lines)


def choose_k(results: dict[tuple[int, int], ProbeGANResult], judge: nn.Module, within: float, n: int = 500
             ) -> tuple[int, pd.DataFrame]:
    """The largest k whose recognition by ``judge`` (the development judge: this is a choice)
    stays within ``within`` points of k = 1's, for the target (present at every k) and for the
    mean over that k's absent classes, each a mean over seeds. Returns k and the table behind it."""
    rows = []
    for (k, seed), res in results.items():
        rec = {name: 100 * recognition_rate(judge, x, res.classes.index(name)) for name, x in
               draw(res, n, seed).items()}
        rows.append({"k": k, "seed": seed, "target": rec[res.classes[res.target]],
                     "mean over absent classes": sum(rec.values()) / len(rec)})
    table = pd.DataFrame(rows).groupby("k")[["target", "mean over absent classes"]].mean()
    base = table.loc[min(table.index), "target"]
    table["worst of the two − k=1"] = table.min(axis=1) - base
    table["keeps it"] = table["worst of the two − k=1"] >= -within
    return int(max(table.index[table["keeps it"]])), table


def cost(long: pd.DataFrame, n_classes: int) -> pd.DataFrame:
    """Per k: GAN minutes (mean over seeds), minutes per probed class, and what probing all
    ``n_classes`` classes costs (``ceil(n / k)`` GANs) against one GAN per class."""
    per = long.drop_duplicates(["k", "seed"]).groupby("k")["GAN min"].mean()
    out = pd.DataFrame({"GAN min": per, "min per probed class": per / per.index})
    out["GANs for every class"] = [math.ceil(n_classes / k) for k in out.index]
    out["min for every class"] = out["GAN min"] * out["GANs for every class"]
    out["× one GAN per class"] = out["min for every class"] / (per.loc[min(per.index)] * n_classes)
    return out


def per_class_table(long: pd.DataFrame, judge: str, metrics=("recognition (%)", "intra-FID", "KID", "coverage"),
                    digits: int = 1) -> pd.DataFrame:
    """Rows: (k, absent class); columns: ``metrics`` by ``judge``, each ``mean (low–high)`` over
    seeds (Student-t 95 %, cut to the metric's range)."""
    part = long[long["judge"] == judge]
    out = {}
    for (k, name), g in part.groupby(["k", "class"], sort=False):
        out[(k, name)] = {m: fmt_ci(*interval(g[m], RANGE.get(m)), digits=2 if m in ("KID", "coverage") else digits)
                          for m in metrics}
    table = pd.DataFrame.from_dict(out, orient="index")
    table.index = pd.MultiIndex.from_tuples(table.index, names=["k", "absent class"])
    return table


def by_k(long: pd.DataFrame, metric: str, target: str) -> dict[str, pd.DataFrame]:
    """``{judge: frame}``, rows k, columns ``target`` and ``other absent classes``: ``(mean, low,
    high, n)`` over seeds (the other classes first averaged within each seed)."""
    out = {}
    for judge, part in long.groupby("judge", sort=False):
        rows = {}
        for k, g in part.groupby("k"):
            own = g[g["class"] == target][metric]
            rest = g[g["class"] != target].groupby("seed")[metric].mean()
            rows[k] = {target: interval(own, RANGE.get(metric)), "other absent classes": interval(rest, RANGE.get(metric))}
        out[judge] = pd.DataFrame.from_dict(rows, orient="index")
    return out


def alone_vs_several(long: pd.DataFrame, alone: pd.DataFrame, k: int, judges: list[str]) -> pd.DataFrame:
    """Rows: k's absent classes that have an ``alone`` run; columns: (judge, "alone (k = 1)" /
    f"k = {k}") recognition, ``mean (low–high)`` over seeds."""
    out = {}
    at_k = long[long["k"] == k]
    for name in dict.fromkeys(alone["class"]):
        row = {}
        for j in judges:
            for label, part in (("alone (k = 1)", alone), (f"k = {k}", at_k)):
                vals = part[(part["class"] == name) & (part["judge"] == j)]["recognition (%)"]
                row[(j, label)] = fmt_ci(*interval(vals, RANGE["recognition (%)"]))
        out[name] = row
    table = pd.DataFrame.from_dict(out, orient="index")
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table


# ---------------------------------------------------------------- the chapters' plumbing
def judge_slug(judge: str) -> str:
    """A judge's column name as a label part: ``"panel: ViT"`` -> ``"vit"``."""
    import re

    return re.sub(r"[^a-z0-9]+", "-", judge.split(": ")[-1].lower()).strip("-")


def cost_table(costs: pd.DataFrame) -> pd.DataFrame:
    """:func:`cost` formatted for the page: minutes to one decimal, counts as integers, the
    ratio to one GAN per class as a multiple."""
    out = pd.DataFrame({
        "GAN (min)": costs["GAN min"].map(lambda v: f"{v:.1f}"),
        "per probed class (min)": costs["min per probed class"].map(lambda v: f"{v:.1f}"),
        "GANs for every class": costs["GANs for every class"].map(lambda v: f"{int(v)}"),
        "every class (min)": costs["min for every class"].map(lambda v: f"{v:.1f}"),
        "× one GAN per class": costs["× one GAN per class"].map(lambda v: f"{v:.2f}×")})
    out.index.name = "k"
    return out


def choice_table(choice: pd.DataFrame) -> pd.DataFrame:
    """:func:`choose_k`'s table formatted: recognition in % to one decimal, the difference
    signed, the verdict as yes / no."""
    out = pd.DataFrame({
        "target (%)": choice["target"].map(lambda v: f"{v:.1f}"),
        "mean over absent classes (%)": choice["mean over absent classes"].map(lambda v: f"{v:.1f}"),
        "worst of the two − k = 1 (points)": choice["worst of the two − k=1"].map(lambda v: f"{v:+.1f}"),
        "within the bar": choice["keeps it"].map(lambda v: "yes" if v else "no")})
    out.index.name = "k"
    return out


def survival(long: pd.DataFrame, alone: pd.DataFrame, pair: tuple[str, ...], target: str,
             judges) -> list[str]:
    """Per judge, a sentence: is every class absent at k = ``len(pair)`` recognised at least 50 %
    on average (over seeds), and for a class that is not, whether it is weak alone too (its k = 1
    run; the target's is the sweep's k = 1) or loses points beside another absent class."""
    k, lines = len(pair), []
    for j in judges:
        at_k = long[(long["k"] == k) & (long["judge"] == j)].groupby("class")["recognition (%)"].mean()
        solo = alone[alone["judge"] == j].groupby("class")["recognition (%)"].mean()
        solo[target] = long[(long["k"] == 1) & (long["judge"] == j)]["recognition (%)"].mean()
        low = [(c, v, solo[c]) for c, v in at_k.items() if v < 50]
        lines.append(f"{j}: " + ("every absent class at least 50 % on average" if not low else "; ".join(
            f"{c} {v:.1f} % at k = {k}, {a:.1f} % alone: " + (
                "weak whether or not another class is absent with it" if a < 50 else
                f"absent beside another class it loses {a - v:.1f} points") for c, v, a in low)))
    return lines


def sweep_finding(target: str, curves: pd.DataFrame, costs: pd.DataFrame, seeds: int,
                  judge: str = "panel's ViT") -> str:
    """Chapter 10's headline from ``curves`` (one judge's :func:`by_k` frame) and :func:`cost`:
    the target's recognition at every k, the other absent classes', and the minutes per class."""
    rest = curves["other absent classes"]
    return (f"{target} absent with k − 1 others: the {judge} recognises it "
            + ", ".join(f"{fmt_ci(*curves[target][k])} % at k = {k}" for k in curves.index)
            + f" (95 % intervals over {seeds} seeds); the other absent classes "
            + ", ".join(f"{fmt_ci(*rest[k])} %" for k in curves.index if rest[k][3])
            + f"; a GAN costs the same for any k, so k = {max(costs.index)} probes a class for "
            f"{costs['min per probed class'].iloc[-1]:.1f} GAN-minutes instead of "
            f"{costs['min per probed class'].iloc[0]:.1f}")
