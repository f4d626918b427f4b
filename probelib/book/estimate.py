"""Know the bill before paying it: every chapter's GAN training for a profile, and its predicted
GPU-hours from the measured step time, before anything trains.

    python -m probelib.run --profile gpu --estimate

The GANs each chapter trains are listed from the same settings and helpers the chapters use
(chapter 2's :func:`~probelib.book.experiments.dilution_settings`, chapter 3's
:func:`~probelib.book.table1.rows`, chapter 10's absent classes), each under the key the run
cache gives it, so a GAN two chapters share (chapter 2's 1/C run *is* Table 1's row) is counted
once, by the first chapter that trains it. Seconds per step come from the stored benchmark
(``benchmarks/measured/probegan_step_*.txt``: the paper-scale step); a GAN at another resolution
is scaled by its pixel count (stated as such). Classifier training, sampling and scoring are not
in the bill (minutes on a GPU, but not measured there yet): the estimate says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

from .profiles import Profile

__all__ = ["GanSpec", "book_gans", "step_rate", "estimate", "format_estimate"]

#: the chapters' target class and the second page of chapter 3 (the book's defaults)
TARGET, SECOND = "horse", "elephant"


@dataclass(frozen=True)
class GanSpec:
    """One GAN a chapter trains: what makes its cache key (``key``) and its cost."""

    chapter: str
    name: str
    key: tuple
    steps: int
    resolution: int = 32


def _probegan(P: Profile, chapter: str, name: str, method: str, kind, seed: int, target: str = TARGET,
              absent: tuple[str, ...] = (), **changes) -> GanSpec:
    key = ("book", method, kind, seed, target, absent, tuple(sorted(changes.items())))
    return GanSpec(chapter, name, key, changes.get("steps", P.probegan.steps))


def book_gans(P: Profile, seed: int = 0, k_map: int | None = None, classes: int = 10) -> list[GanSpec]:
    """Every GAN of the book on profile ``P`` in chapter order (duplicates included; see
    :func:`estimate`). ``k_map``: the memory map's k (chapter 10 chooses it after its sweep;
    default: the largest swept k, the cheapest case)."""
    from .experiments import dilution_settings
    from .table1 import rows

    chapter = SimpleNamespace(profile=P, seed=seed)  # what table1.rows reads of a chapter
    out = []
    for name, changes in dilution_settings(P).items():
        n = P.seeds_main if name == "1/C (paper)" else P.seeds_ablation
        out += [_probegan(P, "02_class_dilution", name, "probegan", "robust", seed + i, **changes) for i in range(n)]
    for page, target in (("03_table1", TARGET), ("03_table1-elephant", SECOND)):
        for row, method, kind, seeds in rows(chapter):
            out += [_probegan(P, page, row, method, kind, s, target) for s in seeds]
        out += [_probegan(P, page, "biggan-am prior", "biggan-seen", None, seed + i, target)
                for i in range(P.seeds_single)]
    S = P.shortcut
    for page, names in (("04_leakage", ("marked", "clean")), ("05_spurious", ("ERM", "DRO"))):
        out += [GanSpec(page, n, (page, n, seed), S.probe_steps) for n in names]
    out.append(_probegan(P, "06_ganalyze", "biggan-all", "biggan-all", None, seed))
    out += [GanSpec("07_audio", f"audio class {c}", ("audio", c, seed), P.audio.probe_steps) for c in range(3)]
    out += [_probegan(P, "08_exemplars", kind, "probegan", kind, seed) for kind in ("regular", "robust")]
    from ..probing.settings import settings

    probe = settings(P.name)
    res = P.own_model.resolution or 64
    out += [GanSpec("09_probe_your_model", f"probe s{seed + i}", ("own", seed + i), probe.trainer.steps, res)
            for i in range(P.own_model.seeds)]
    out += _several(P, seed, k_map, classes)
    return out


def _several(P: Profile, seed: int, k_map: int | None, classes: int) -> list[GanSpec]:
    """Chapter 10: the sweep, k = 2's other class alone, and the memory map's groups. The absent
    classes themselves do not change the cost; they are named ``c1, c2, ...`` after the target."""
    from .several import partition

    S = P.several
    others = tuple(f"c{i}" for i in range(1, classes))
    out = []
    for k in S.ks:
        out += [_probegan(P, "10_several_targets", f"k={k}", "probegan", S.kind, seed + i, TARGET, others[:k - 1])
                for i in range(S.seeds)]
    if 2 in S.ks:  # the other class of k = 2 alone; with the default draw chapter 3's second page has it
        out += [_probegan(P, "10_several_targets", "alone", "probegan", S.kind, seed + i, SECOND if i < P.seeds_main
                          else others[0]) for i in range(S.seeds)]
    k = k_map or max(S.ks)
    groups = partition((TARGET, *others), (TARGET, *others[:k - 1]), k)  # as the chapter groups them
    for kind in ("regular", "robust"):
        for g in groups:
            out.append(_probegan(P, "10_several_targets-memory-map", f"{kind} {'+'.join(g)}", "probegan", kind, seed,
                                 g[0], g[1:]))
    return out


def step_rate(root: Path, paper: bool = True) -> tuple[float, str]:
    """Seconds per ProbeGAN step on a GPU — at paper scale, or (``paper=False``) the `cpu`
    profile's trainer — and where the number comes from: the newest
    ``benchmarks/measured/probegan_step_*.txt`` with a GPU in its device line."""
    found = []
    pattern = r"paper scale[^\n]*?:\s*([0-9.]+) s per step" if paper else r"cpu profile trainer[^\n]*?:\s*([0-9.]+) s"
    for path in sorted((Path(root) / "benchmarks" / "measured").glob("probegan_step_*.txt")):
        text = path.read_text()
        m = re.search(pattern, text)
        device = text.splitlines()[0] if text else ""
        if m and "cuda" in device:
            found.append((path.stat().st_mtime, float(m.group(1)), f"{path.relative_to(root)} ({device.strip()})"))
    if not found:
        raise FileNotFoundError("no stored GPU step time in benchmarks/measured/probegan_step_*.txt; run "
                                "benchmarks/probegan_step.py --device cuda --out ... on a GPU first")
    _, rate, source = max(found)
    return rate, source


def estimate(P: Profile, root: Path, seed: int = 0, k_map: int | None = None) -> dict:
    """``{"chapters": {chapter: {"GANs", "shared", "steps", "hours"}}, "total hours", "source",
    "seconds per step"}`` for profile ``P``: each GAN counted once, by the first chapter that
    trains it, at the stored step time (scaled by pixel count off 32×32)."""
    paper = P.probegan.gan.ch >= 64
    rate, source = step_rate(root, paper)
    seen, chapters = set(), {}
    for g in book_gans(P, seed, k_map):
        row = chapters.setdefault(g.chapter, {"GANs": 0, "shared": 0, "steps": 0, "hours": 0.0})
        if g.key in seen:
            row["shared"] += 1
            continue
        seen.add(g.key)
        row["GANs"] += 1
        row["steps"] += g.steps
        row["hours"] += g.steps * rate * (g.resolution / 32) ** 2 / 3600
    return {"chapters": chapters, "total hours": sum(r["hours"] for r in chapters.values()), "source": source,
            "seconds per step": rate, "scale": "paper-scale" if paper else "cpu-profile"}


def format_estimate(est: dict, profile: str, budget_hours: float = 24.0) -> str:
    """The estimate as the command line prints it."""
    lines = [f"[probelib] predicted GAN training on profile {profile!r} at {est['seconds per step']:.3f} s per "
             f"{est['scale']} step ({est['source']}):",
             f"{'chapter':34s} {'GANs':>5s} {'shared':>7s} {'steps':>12s} {'GPU-hours':>10s}"]
    for name, r in est["chapters"].items():
        lines.append(f"{name:34s} {r['GANs']:5d} {r['shared']:7d} {r['steps']:12,d} {r['hours']:10.1f}")
    total = est["total hours"]
    lines.append(f"{'total':34s} {'':5s} {'':7s} {'':12s} {total:10.1f}")
    lines.append(f"[probelib] {'within' if total <= budget_hours else 'over'} the {budget_hours:g} GPU-hour budget"
                 f"{'' if total <= budget_hours else f' by {total - budget_hours:.1f} h'}; 'shared' GANs come from an "
                 "earlier chapter's cache; classifiers, sampling and scoring are not included (not measured on a GPU "
                 "yet); a 64-px GAN is scaled from the 32-px step by pixel count")
    return "\n".join(lines)
