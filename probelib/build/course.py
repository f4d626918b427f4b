"""The course edition: exercises and solutions in the chapters, the student copy without the
solutions, each chapter's cost header, and the check that the student build leaks nothing.

A chapter ends with ``## Exercises``: each exercise is a MyST ``{exercise}`` block (label
``ex-NN-topic``, a **Level** and **Time** line), followed by its solution between a
``{solution-start}`` and a ``{solution-end}`` cell (sphinx-exercise's gated directives, so a
solution holds executed code cells). The rules are in ``book/CONVENTIONS.md``.

- :func:`exercises` reads them from a notebook and checks their markup;
- :func:`strip_solutions` is the student copy: the solution cells removed, not hidden;
- :func:`strip_exercises` drops the whole section (a variant page runs the chapter again);
- :func:`relabel` renames a page's figure, table and exercise labels (a variant page's copies);
- :func:`cost_header` is the Markdown the runner puts under each chapter's title, from the
  measured costs (:func:`record_cost`, ``book/costs.json``);
- :func:`solution_markers` and :func:`find_leaks` check a built student edition.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import UserError

__all__ = ["Exercise", "CourseError", "exercises", "solution_ranges", "strip_solutions", "strip_exercises",
           "relabel", "retitle", "record_cost", "record_book", "load_costs", "cost_header", "solution_markers", "find_leaks", "HEADER_TAG",
           "LEVELS", "EXERCISES_HEADING"]

EXERCISES_HEADING = "## Exercises"
LEVELS = ("★☆☆ easy", "★★☆ medium", "★★★ hard")
HEADER_TAG = "cost-header"
_EXERCISE = re.compile(r"```\{exercise\}\s*(?P<title>[^\n]*)\n(?P<body>.*?)\n```", re.S)
_LABEL = re.compile(r"^:label:\s*(\S+)", re.M)
_LEVEL = re.compile(r"\*\*Level\*\*\s+(?P<level>★[★☆]{2} \w+)\s+·\s+\*\*Time\*\*\s+(?P<minutes>\d+) min")
_START = re.compile(r"```\{solution-start\}\s*(\S+)")
_END = "```{solution-end}"


class CourseError(UserError, ValueError):
    """A chapter's exercises break the course conventions; the message names the cell."""


@dataclass(frozen=True)
class Exercise:
    label: str
    title: str
    level: str
    minutes: int
    cell: int  # index of the exercise's cell
    solution: tuple[int, int]  # first and last cell of its solution (inclusive)


def _md(cell) -> str:
    return cell.source if cell.cell_type == "markdown" else ""


def solution_ranges(nb) -> list[tuple[str, int, int]]:
    """``(label, first, last)`` cell indices of every solution; unbalanced markers are an error."""
    out, open_ = [], None
    for i, cell in enumerate(nb.cells):
        text = _md(cell)
        start = _START.search(text)
        if start:
            if open_ is not None:
                raise CourseError(f"cell {i}: solution of {start.group(1)!r} starts inside the solution of "
                                  f"{open_[0]!r} (cell {open_[1]}); close it with ```{{solution-end}}```")
            open_ = (start.group(1), i)
        if _END in text:
            if open_ is None:
                raise CourseError(f"cell {i}: ```{{solution-end}}``` without a solution-start")
            out.append((open_[0], open_[1], i))
            open_ = None
    if open_ is not None:
        raise CourseError(f"cell {open_[1]}: the solution of {open_[0]!r} has no ```{{solution-end}}```")
    return out


def exercises(nb) -> list[Exercise]:
    """Every exercise of a notebook with its solution's cells; each must have a label, a level,
    a time and exactly one solution, and sit in the ``## Exercises`` section."""
    solutions = {}
    for label, first, last in solution_ranges(nb):
        if label in solutions:
            raise CourseError(f"cell {first}: a second solution of {label!r}")
        solutions[label] = (first, last)
    heading = next((i for i, c in enumerate(nb.cells) if _md(c).lstrip().startswith(EXERCISES_HEADING)), None)
    found = []
    for i, cell in enumerate(nb.cells):
        for m in _EXERCISE.finditer(_md(cell)):
            label = _LABEL.search(m.group("body"))
            if not label:
                raise CourseError(f"cell {i}: exercise {m.group('title')!r} has no :label:")
            level = _LEVEL.search(m.group("body"))
            if not level or level.group("level") not in LEVELS:
                raise CourseError(f"cell {i}: exercise {label.group(1)!r} needs a line like "
                                  f"'**Level** {LEVELS[1]} · **Time** 10 min' (levels: {', '.join(LEVELS)})")
            if label.group(1) not in solutions:
                raise CourseError(f"cell {i}: exercise {label.group(1)!r} has no solution")
            if heading is None or i < heading:
                raise CourseError(f"cell {i}: exercise {label.group(1)!r} is not in the {EXERCISES_HEADING!r} section")
            found.append(Exercise(label.group(1), m.group("title").strip(), level.group("level"),
                                  int(level.group("minutes")), i, solutions[label.group(1)]))
    orphans = set(solutions) - {e.label for e in found}
    if orphans:
        raise CourseError(f"solution(s) of {', '.join(sorted(orphans))} without an exercise")
    return found


def _without(nb, drop: set[int]):
    out = copy.deepcopy(nb)
    out.cells = [c for i, c in enumerate(nb.cells) if i not in drop]
    return out


def strip_solutions(nb):
    """The student copy of an (executed) notebook: every solution's cells removed, outputs and all."""
    drop = {i for _, first, last in solution_ranges(nb) for i in range(first, last + 1)}
    out = _without(nb, drop)
    paper = out.metadata.get("papermill", {})
    if not isinstance(paper.get("input_path"), str):  # papermill's copy of the whole input notebook
        paper["input_path"] = "(removed: the student edition)"
    out.metadata.setdefault("probelib", {})["edition"] = "student"
    return out


def strip_exercises(nb):
    """The notebook without its ``## Exercises`` section (up to the next ``## `` heading)."""
    start = next((i for i, c in enumerate(nb.cells) if _md(c).lstrip().startswith(EXERCISES_HEADING)), None)
    if start is None:
        return copy.deepcopy(nb)
    end = next((i for i in range(start + 1, len(nb.cells)) if re.match(r"##\s", _md(nb.cells[i]).lstrip())),
               len(nb.cells))
    return _without(nb, set(range(start, end)))


_LABELS = re.compile(r"\b((?:fig|tbl|ex)-\d{2}[a-z0-9-]*[a-z0-9])\b")


def retitle(nb, number: str, note: str):
    """A copy whose title ``# 3 · Title`` reads ``# 3.1 · Title, note`` (a variant page's own title)."""
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            heading, sep, rest = cell.source.lstrip().partition("\n")
            m = re.match(r"# (\d+(?:\.\d+)*) · (.*)", heading)
            heading = f"# {number} · {m.group(2)}, {note}" if m else f"{heading}, {note}"
            cell.source = heading + sep + rest
            break
    return out


def relabel(nb, suffix: str):
    """A copy whose figure, table and exercise labels (``fig-NN-…``, ``tbl-NN-…``, ``ex-NN-…``) end
    in ``-suffix`` everywhere they occur (sources, outputs, glue names), so a second page made
    from the same chapter defines no label twice."""
    import nbformat

    text = _LABELS.sub(lambda m: f"{m.group(1)}-{suffix}", json.dumps(nb))
    return nbformat.from_dict(json.loads(text))


# ---- what a chapter costs ------------------------------------------------------------------

COSTS = Path("book") / "costs.json"


def load_costs(root: Path) -> dict:
    path = Path(root) / COSTS
    return json.loads(path.read_text()) if path.exists() else {"chapters": {}}


def record_cost(costs: dict, chapter: str, entry: dict, trained: int) -> dict:
    """Keep the chapter's latest time per (profile, device kind, cache state): ``warm`` when the
    run trained nothing (every model came from the cache), else ``cold`` with how many it trained."""
    kind = "gpu" if str(entry.get("device", "")).startswith("cuda") else "cpu"
    state = "warm" if trained == 0 else "cold"
    slot = costs.setdefault("chapters", {}).setdefault(chapter, {})
    slot[f"{entry.get('profile')}/{kind}/{state}"] = {
        "seconds": entry["seconds"], "device": entry.get("device"), "trained": trained,
        "date": str(entry.get("finished", ""))[:10], "commit": entry.get("git_commit")}
    return costs


def record_book(costs: dict, profile: str, device: str, seconds: float, chapters: int, trained: int,
                empty_cache: bool, date: str, commit: str | None) -> dict:
    """Keep the latest whole-book run (every chapter and variant page, one command) per
    (profile, device kind, cache state): ``cold`` when it started from an empty run cache (the
    budget's measure), ``warm`` when it trained nothing, else ``partial``."""
    kind = "gpu" if str(device).startswith("cuda") else "cpu"
    state = "cold" if empty_cache else "warm" if trained == 0 else "partial"
    costs.setdefault("book", {})[f"{profile}/{kind}/{state}"] = {
        "seconds": round(seconds, 1), "device": device, "pages": chapters, "trained": trained, "date": date[:10],
        "commit": commit}
    return costs


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def cost_header(chapter: str, costs: dict, predicted_gpu_hours: float | None = None) -> str:
    """The Markdown under a chapter's title: what it costs on the ``cpu`` profile with the models
    to train and with the cache warm, and on a GPU, from the measured runs (or "not measured")."""
    slot = costs.get("chapters", {}).get(chapter, {})

    def say(key: str, what: str) -> str:
        m = slot.get(key)
        if not m:
            return f"{what}: not measured yet"
        trained = f", training {m['trained']} models" if m.get("trained") else ""
        return f"{what}: **{_minutes(m['seconds'])}** ({m.get('device') or 'device not recorded'}{trained}; {m['date']})"

    cold = "cpu/cpu/unrecorded" if "cpu/cpu/unrecorded" in slot and "cpu/cpu/cold" not in slot else "cpu/cpu/cold"
    parts = [say(cold, "cpu profile, 2 cores" + ("" if cold.endswith("cold") else ", cache state not recorded")),
             say("cpu/cpu/warm", "cpu profile with the cache warm")]
    gpu = next((k for k in ("gpu/gpu/cold", "gpu/gpu/warm", "gpu-smoke/gpu/cold", "cpu/gpu/cold") if k in slot), None)
    if gpu:
        parts.append(say(gpu, f"on a GPU ({gpu.split('/')[0]} profile)"))
    elif predicted_gpu_hours is not None:
        parts.append(f"on a GPU: not measured yet (paper scale predicted at {predicted_gpu_hours:.1f} GPU-hours of "
                     "GAN training by `python -m probelib.run --profile gpu --estimate`)")
    else:
        parts.append("on a GPU: not measured yet")
    return ("```{admonition} What this chapter costs to run\n:class: tip\n\n"
            + "\n".join(f"- {p}" for p in parts)
            + "\n\nMeasured by the runner's last builds (`book/costs.json`); the smoke profile of `make test` "
              "takes seconds.\n```")


# ---- the student build leaks nothing -----------------------------------------------------


def solution_markers(nb, min_length: int = 24) -> list[str]:
    """Distinctive lines of a notebook's solutions (code and prose) to search a student build for:
    lines of at least ``min_length`` characters that appear nowhere else in the notebook."""
    inside = {i for _, first, last in solution_ranges(nb) for i in range(first, last + 1)}
    elsewhere = "\n".join(c.source for i, c in enumerate(nb.cells) if i not in inside)
    out = []
    for i in sorted(inside):
        for line in nb.cells[i].source.splitlines():
            line = line.strip()
            if (len(line) >= min_length and "solution-" not in line and not line.startswith("```")
                    and line not in elsewhere):
                out.append(line)
    return out


def find_leaks(build: Path, markers: list[str], suffixes=(".html", ".ipynb", ".txt", ".md", ".py", ".js")) -> list[str]:
    """``path: marker`` for every built file (pages, downloadable sources, search index) that
    holds a solution's text; a student build must give none."""
    leaks = []
    import html as _html

    for path in sorted(Path(build).rglob("*")):
        if not path.is_file() or path.suffix not in suffixes:
            continue
        text = path.read_text(errors="ignore")
        plain = _html.unescape(re.sub(r"<[^>]+>", "", text)) if path.suffix == ".html" else text
        for marker in markers:
            if marker in text or marker in plain or json.dumps(marker)[1:-1] in text:
                leaks.append(f"{path}: {marker[:60]}")
                break
    if not any(Path(build).rglob("*.html")):
        leaks.append(f"{build}: no HTML pages (was the student edition built?)")
    return leaks
