"""Chapter 10.1, the memory map: every class probed at the k that chapter 10's sweep chose,
regular against robust, with each judge's confusions.

The choice of k is :func:`probelib.book.chapters.several_targets.choose_k` (the development
judge only); this page reports with the panel.
"""
from __future__ import annotations

import math

import pandas as pd
import torch
from torch import nn

from ... import data as datamod
from ...core.stats import proportion_ci
from ...measure.recognition import recognition_rate
from ...train.gans import ProbeGANResult
from ..chapter import Chapter
from ..runs import Planned
from .several_targets import absent_classes, draw, group_plan

__all__ = ["partition", "plan", "confusion", "rates", "map_table", "map_figure", "worst_confusions", "robust_vs_regular", "draw_maps", "export_maps", "map_finding"]


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


def plan(ch: Chapter, k: int | None = None, kinds: tuple[str, ...] = ("regular", "robust")) -> list[Planned]:
    """Every GAN of the memory map at ``k`` (default the largest k chapter 10 sweeps): every class
    absent from one of ``ceil``-many GANs of at most k classes (:func:`partition`), per classifier
    kind, seed = the chapter's; the first group is the sweep's k group, so for the sweep's kind it
    is chapter 10's own GAN (the same key, from the cache). Rows ``<kind>: <classes>``."""
    k = max(ch.profile.several.ks) if k is None else k
    groups = partition(tuple(ch.classes), absent_classes(ch, k), k)
    return [group_plan(ch, f"{kind}: {', '.join(g)}", g, kind, ch.seed) for kind in kinds for g in groups]


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
    from ...viz.plots import image_grid

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


def draw_maps(maps: dict[Planned, ProbeGANResult], n: int, seed: int) -> dict[str, dict[str, torch.Tensor]]:
    """``{kind: {class: images}}``: ``n`` images of every class absent from the memory map's GANs
    (``maps``: :func:`probelib.book.runs.train`'s answer to :func:`plan`)."""
    fakes: dict[str, dict[str, torch.Tensor]] = {}
    for p, res in maps.items():
        fakes.setdefault(p.kind, {}).update(draw(res, n, seed))
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
