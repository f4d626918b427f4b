"""Chapter 10: several classes absent from one ProbeGAN at once, and a memory map of every class.

The paper trains one GAN per probed class. Here ``k`` classes are absent from one GAN's data
(the chapter's target always among them, the others drawn with the chapter's seed, nested:
k = 2's other class is the first of k = 3's), every one at 1/C of the unconditional head's
fakes (class dilution as for one target), Dc sees none of them; each absent class is then read
as the single-target probe is. The **choice** of the memory map's k (the cheapest whose
recognition stays within ``within`` points of k = 1's) looks at the development judge only;
the chapter reports every number with the panel. The functions at the end format the
chapters' tables and state their sentences.
"""
from __future__ import annotations

import dataclasses
import math

import pandas as pd
import torch
from torch import nn

from .. import data as datamod
from ..measure.panel import RANGE, judge_metrics
from ..core.stats import proportion_ci
from ..measure.recognition import recognition_rate
from ..train.gans import ProbeGANResult, sample
from ..train.jobs import GanJob
from .chapter import Chapter
from .compare import fmt_ci, interval
from .experiments import gan_job, prefetch, train_gan_job

__all__ = ["absent_classes", "group_job", "sweep_jobs", "alone_jobs", "train_all", "draw", "score", "choose_k", "partition",
           "memory_map_jobs", "confusion", "cost", "per_class_table", "by_k", "rates", "map_table",
           "map_figure", "worst_confusions", "robust_vs_regular", "alone_vs_several", "judge_slug", "cost_table",
           "choice_table", "survival", "sweep_finding", "draw_maps", "export_maps", "map_finding"]


def absent_classes(ch: Chapter, k: int) -> tuple[str, ...]:
    """The ``k`` classes absent from one GAN: the chapter's target first, then ``k - 1`` others
    drawn with the chapter's seed (a fixed order, so k = 2's are among k = 3's)."""
    others = [c for c in ch.classes if c != ch.target_class]
    if not 1 <= k < len(ch.classes) - 1:
        raise ValueError(f"k = {k} absent classes: choose 1 to {len(ch.classes) - 2} (two classes must stay seen)")
    order = torch.randperm(len(others), generator=torch.Generator().manual_seed(10_000 + ch.seed)).tolist()
    return (ch.target_class, *(others[i] for i in order[: k - 1]))


def group_job(ch: Chapter, train: datamod.ImageSet, nets: dict, group: tuple[str, ...], kind: str, seed: int
              ) -> GanJob:
    """The book's ProbeGAN (chapter 3's trainer) probing the ``kind`` classifier with every class
    of ``group`` absent; a group of the chapter's target alone *is* chapter 3's ProbeGAN row."""
    job = gan_job(ch, train, nets, "probegan", kind, seed)
    cfg = dataclasses.replace(job.cfg, targets=tuple(group[1:]))
    name = f"absent-{'+'.join(group)}-{kind}-s{seed}" if len(group) > 1 else job.name
    return GanJob(cfg, train, job.classifier, group[0], name)


def sweep_jobs(ch: Chapter, train: datamod.ImageSet, nets: dict) -> dict[tuple[int, int], GanJob]:
    """``{(k, seed): job}`` for every k of the profile and ``seeds`` seeds."""
    S = ch.profile.several
    return {(k, ch.seed + i): group_job(ch, train, nets, absent_classes(ch, k), S.kind, ch.seed + i)
            for k in S.ks for i in range(S.seeds)}


def alone_jobs(ch: Chapter, train: datamod.ImageSet, nets: dict, classes: tuple[str, ...]
               ) -> dict[tuple[int, int, str], GanJob]:
    """``{(1, seed, class): job}``: each of ``classes`` absent alone (k = 1), with the sweep's
    seeds and classifier — the baseline against which a class's loss at k > 1 is read."""
    S = ch.profile.several
    return {(1, ch.seed + i, c): group_job(ch, train, nets, (c,), S.kind, ch.seed + i) for c in classes
            for i in range(S.seeds)}


def train_all(ch: Chapter, jobs: dict) -> tuple[dict, int]:
    """Every job's GAN under the same keys (the cache misses trained side by side first), and
    how many were trained now."""
    trained = prefetch(ch, list(jobs.values()))
    return {key: train_gan_job(job, ch.run_dir, str(ch.device)) for key, job in jobs.items()}, trained


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
    lines = []
    for key, res in results.items():
        k, seed = key[:2]
        minutes = res.seconds_per_step * res.config.steps / 60
        for name, fake in draw(res, ch.profile.n_samples, seed).items():
            c = everything.classes.index(name)
            if export:
                datamod.save_samples(ch.samples_dir(export) / f"k{k}-s{seed}-{name}.npz", fake, c)
            real = everything.images[everything.labels == c]
            for judge_name, judge in judges.items():
                lines.append({"k": k, "seed": seed, "class": name, "judge": judge_name,
                              **judge_metrics(judge, fake, real, c), "GAN min": minutes, "min per class": minutes / k})
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


def partition(classes: tuple[str, ...], first: tuple[str, ...], k: int) -> list[tuple[str, ...]]:
    """Every class of ``classes`` in a group of at most ``k``: ``first`` (a sweep GAN's group,
    reused) and the rest in as few groups as possible, of sizes as even as possible."""
    rest = [c for c in classes if c not in first]
    n = math.ceil(len(rest) / k) if rest else 0
    sizes = [len(rest) // n + (i < len(rest) % n) for i in range(n)] if n else []
    groups, at = [tuple(first)], 0
    for size in sizes:
        groups.append(tuple(rest[at:at + size]))
        at += size
    return groups


def memory_map_jobs(ch: Chapter, train: datamod.ImageSet, nets: dict, k: int, kinds: tuple[str, ...] = (
        "regular", "robust")) -> dict[tuple[str, tuple[str, ...]], GanJob]:
    """``{(kind, group): job}``: every class absent from one of ``ceil``-many GANs of at most k
    classes, per classifier kind, seed = the chapter's; the first group is the sweep's k group
    (for the sweep's kind it is the sweep's own GAN, from the cache)."""
    groups = partition(tuple(ch.classes), absent_classes(ch, k), k)
    return {(kind, g): group_job(ch, train, nets, g, kind, ch.seed) for kind in kinds for g in groups}


def confusion(judge: nn.Module, fakes: dict[str, torch.Tensor], classes: tuple[str, ...]) -> pd.DataFrame:
    """Rows: the probed (absent) class; columns: the class the judge calls its generated images,
    in % of the row's images."""
    device = next(judge.parameters()).device
    rows = {}
    for name, x in sorted(fakes.items(), key=lambda kv: classes.index(kv[0])):  # rows in the columns' order
        with torch.no_grad():
            pred = torch.cat([judge(x[i:i + 500].to(device)).argmax(1).cpu() for i in range(0, len(x), 500)])
        rows[name] = (100 * torch.bincount(pred, minlength=len(classes)).float() / len(pred)).tolist()
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(classes))


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


def rates(fakes: dict[str, torch.Tensor], judge: nn.Module, classes: tuple[str, ...]) -> dict[str, float]:
    """``{class: recognition (%)}``: the judge's top-1 on each class's generated images."""
    return {name: 100 * recognition_rate(judge, x, classes.index(name)) for name, x in fakes.items()}


def map_table(fakes: dict[str, dict[str, torch.Tensor]], judges: dict[str, nn.Module], classes: tuple[str, ...]
              ) -> pd.DataFrame:
    """Rows: every class; columns: (judge, classifier kind) recognition in %, with the Wilson
    95 % interval over the images of the one GAN (secondary: not an interval over seeds)."""
    cols = {}
    for j, judge in judges.items():
        for kind, per_class in fakes.items():
            r = rates(per_class, judge, classes)
            cell = {}
            for c in (c for c in classes if c in r):
                p, low, high = proportion_ci(round(r[c] * len(per_class[c]) / 100), len(per_class[c]))
                cell[c] = f"{100 * p:.1f} ({100 * low:.1f}–{100 * high:.1f})"
            cols[(j, kind)] = cell
    out = pd.DataFrame(cols)
    out.columns = pd.MultiIndex.from_tuples(out.columns, names=["judge", "classifier"])
    return out


def map_figure(fakes: dict[str, dict[str, torch.Tensor]], everything: datamod.ImageSet, judge: nn.Module, n: int,
               seed: int = 0):
    """The memory map: per class a row of 4 real images, then ``n`` of each kind's probe; the row
    label carries ``judge``'s recognition of each probe."""
    from ..viz.plots import image_grid

    g = torch.Generator().manual_seed(seed)
    classes = everything.classes
    r = {kind: rates(per_class, judge, classes) for kind, per_class in fakes.items()}
    rows, labels = [], []
    for c, name in enumerate(classes):
        real = everything.images[everything.labels == c]
        real = real[torch.randperm(len(real), generator=g)[:4]]
        rows.append(torch.cat([real, *(fakes[kind][name][:n] for kind in fakes)]))
        labels.append(f"{name}\n" + " · ".join(f"{kind} {r[kind][name]:.0f} %" for kind in fakes))
    cols = ["real"] + [""] * 3 + [f"{kind}" if i == 0 else "" for kind in fakes for i in range(n)]
    return image_grid(rows, labels, title="What the classifier remembers of each class (recognition: panel ViT)",
                      col_labels=cols, cell=0.6)


def worst_confusions(matrix: pd.DataFrame, top: int = 3, row: str | None = None) -> str:
    """A sentence naming the ``top`` largest off-diagonal cells of a confusion matrix in % (of
    ``row`` only, when given)."""
    rows = [row] if row is not None else list(matrix.index)
    cells = [(matrix.loc[r, c], r, c) for r in rows for c in matrix.columns if r != c]
    cells = sorted(cells, reverse=True)[:top]
    return ("largest confusions: " if row is None else f"{row} read as another class: ") + "; ".join(
        (f"{r} read as {c} {v:.0f} %" if row is None else f"{c} {v:.0f} %") for v, r, c in cells)


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


def robust_vs_regular(fakes: dict[str, dict[str, torch.Tensor]], judge: nn.Module, classes: tuple[str, ...]) -> str:
    """How many classes the robust classifier's probe is recognised more often than the regular
    one's, and for how many the Wilson intervals over images are apart (one GAN each)."""
    counts = {}
    for kind, per_class in fakes.items():
        counts[kind] = {c: (round(v * len(per_class[c]) / 100), len(per_class[c]))
                        for c, v in rates(per_class, judge, classes).items()}
    names = [c for c in classes if c in counts["robust"] and c in counts["regular"]]
    ahead = [c for c in names if counts["robust"][c][0] / counts["robust"][c][1]
             > counts["regular"][c][0] / counts["regular"][c][1]]
    apart = [c for c in names if proportion_ci(*counts["robust"][c])[1] > proportion_ci(*counts["regular"][c])[2]]
    behind = [c for c in names if proportion_ci(*counts["robust"][c])[2] < proportion_ci(*counts["regular"][c])[1]]
    return (f"robust above regular for {len(ahead)} of {len(names)} classes ({len(apart)} with intervals over images "
            f"apart), below with intervals apart for {len(behind)}" + (f" ({', '.join(behind)})" if behind else ""))


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


def draw_maps(maps: dict, n: int, seed: int) -> dict[str, dict[str, torch.Tensor]]:
    """``{kind: {class: images}}``: ``n`` images of every class absent from the memory map's GANs
    (``maps`` keyed ``(kind, group)``)."""
    fakes: dict[str, dict[str, torch.Tensor]] = {}
    for (kind, _group), res in maps.items():
        fakes.setdefault(kind, {}).update(draw(res, n, seed))
    return fakes


def export_maps(ch: Chapter, fakes: dict[str, dict[str, torch.Tensor]], folder: str = "memory-map") -> int:
    """Write every class's images per kind to ``<run_dir>/samples/<folder>/<kind>-<class>.npz``;
    returns how many files."""
    n = 0
    for kind, per_class in fakes.items():
        for name, x in per_class.items():
            datamod.save_samples(ch.samples_dir(folder) / f"{kind}-{name}.npz", x, ch.classes.index(name))
            n += 1
    return n


def map_finding(k: int, n_gans: int, vit: dict[str, dict[str, float]], sentence: str) -> str:
    """The memory map's headline: the panel ViT's mean recognition per kind (``vit``:
    ``{kind: {class: %}}``) and the robust-vs-regular sentence."""
    mean = {kind: sum(r.values()) / len(r) for kind, r in vit.items()}
    return (f"every class probed with k = {k} absent per GAN ({n_gans} GANs for two classifiers): the "
            f"panel's ViT recognises the robust classifier's probes {mean['robust']:.1f} % of the time on "
            f"average over the {len(vit['robust'])} classes, the regular one's {mean['regular']:.1f} % (one "
            f"seed each); " + sentence)
