"""Know the bill before paying it: every chapter's GAN training for a profile, and its predicted
GPU-hours from the measured step time, before anything trains.

    python -m probelib.run --profile gpu --estimate

The bill is the sum of the chapters' own plans: each page's module
(:mod:`probelib.book.chapters`) lists what it trains with ``plan(ch)``, the same list the page
trains from, for the page's default parameters (and each variant page's). Every planned GAN has a
key (:attr:`probelib.book.runs.Planned.key`), so a GAN two chapters share (chapter 2's 1/C run
*is* Table 1's row) is counted once, by the first chapter that plans it. Seconds per step come
from the stored benchmark (``benchmarks/measured/probegan_step_*.txt``: the paper-scale step); a
GAN at another resolution is scaled by its pixel count (stated as such). Classifier training,
sampling and scoring are not in the bill (minutes on a GPU, but not measured there yet): the
estimate says so.
"""
from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

from ..book.chapter import describe, project_root
from ..book.profiles import Profile
from ..book.runs import Planned
from .pages import chapter_module, page_parameters

__all__ = ["book_gans", "step_rate", "estimate", "format_estimate"]


def book_gans(P: Profile, seed: int = 0, k_map: int | None = None, root: Path | None = None
              ) -> list[tuple[str, Planned]]:
    """``(page, planned GAN)`` of every page of the book on profile ``P`` in book order, duplicates
    included (see :func:`estimate`): each page's ``plan(ch)`` for its default parameters with
    ``seed``. ``k_map``: the memory map's k (chapter 10 chooses it after its sweep; default: the
    chapter's own default, the largest swept k)."""
    out = []
    for page, _, params in page_parameters(root or project_root()):
        ch = describe(profile="smoke", dataset=params["dataset"], target_class=params["target_class"], seed=seed,
                      data_dir=params.get("data_dir"))
        ch = dataclasses.replace(ch, profile=P)
        plan = chapter_module(page).plan
        extra = {"k": k_map} if k_map is not None and "k" in inspect.signature(plan).parameters else {}
        out += [(page, p) for p in plan(ch, **extra)]
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
    plans it, at the stored step time under ``root`` (scaled by pixel count off 32×32)."""
    paper = P.probegan.gan.ch >= 64
    rate, source = step_rate(root, paper)
    seen, chapters = set(), {}
    for page, g in book_gans(P, seed, k_map):
        row = chapters.setdefault(page, {"GANs": 0, "shared": 0, "steps": 0, "hours": 0.0})
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
