"""The book's "Results and benchmarks" page, and the README's computed parts.

Generated at build time, never written by hand:

- from the ledger (the chapters' last executions): each chapter's headline finding, the
  numbers it glued, profile, device, wall time and date;
- from ``benchmarks/measured/*.jsonl`` and their ``manifest.json`` (date, machine, command of
  each file): every stored measurement, so a figure always carries where it came from;
- the README's chapter table (one computed finding each) and its picture, refreshed from a
  build of a non-``smoke`` profile only.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

from ..book.profiles import CHECKS
from .course import load_costs

__all__ = ["results_page", "measured_files", "readme_table", "update_readme", "README_BEGIN", "README_END"]

README_BEGIN = "<!-- chapters:begin (written by python -m probelib.run) -->"
README_END = "<!-- chapters:end -->"


def _fmt(v) -> str:
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "—"
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    return str(v).replace("|", "\\|").replace("\n", " ")


def _table(rows: list[dict]) -> list[str]:
    """A Markdown table of ``rows`` (the union of their keys, in first-seen order)."""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return lines


def measured_files(root: Path) -> list[dict]:
    """Each stored measurement under ``benchmarks/measured/`` with its manifest entry and rows."""
    folder = root / "benchmarks" / "measured"
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    out = []
    for path in sorted(folder.glob("*.jsonl")) + sorted(folder.glob("*.txt")):
        meta = manifest.get(path.name, {})
        if path.suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        else:
            rows = [{"text": line} for line in path.read_text().splitlines() if line.strip()]
        stamped = {k: sorted({str(r[k]) for r in rows if k in r}) for k in ("date", "machine", "command")}
        for k, values in stamped.items():  # rows stamped by probelib.core.stamp speak for themselves
            if k not in meta and values:
                meta[k] = values[0][:10] + (f" to {values[-1][:10]}" if values[-1][:10] != values[0][:10] else "") \
                    if k == "date" else "; ".join(values)
        out.append({"file": path.name, "rows": rows, **meta})
    return out


def _chapter_section(ledger: dict) -> list[str]:
    lines = ["## The chapters", "",
             "Each chapter's last execution, read from the run ledger (`runs/ledger.json`); the numbers are the ones",
             "the chapter glued into its own prose.", ""]
    chapters = ledger.get("chapters", {})
    if not chapters:
        return lines + ["No chapter has been executed yet.", ""]
    lines += _table([{"chapter": name, "finding": e.get("glued", {}).get("finding", "—"), "profile": e["profile"],
                      "device": e["device"], "wall time (min)": round(e["seconds"] / 60, 1),
                      "date": e.get("finished", "?")[:10], "commit": e.get("git_commit", "?")}
                     for name, e in sorted(chapters.items())])
    for name, e in sorted(chapters.items()):
        glued = {k: v for k, v in e.get("glued", {}).items() if k != "finding"}
        if glued:
            lines += ["", f"### {name}", "",
                      f"Profile `{e['profile']}`, {e['device']}, {e['seconds'] / 60:.1f} min, "
                      f"finished {e.get('finished', '?')}, commit `{e.get('git_commit', '?')}`; parameters "
                      + ", ".join(f"`{k}={v!r}`" for k, v in e["parameters"].items()) + ".", ""]
            lines += _table([{"glued value": k, "value": v} for k, v in glued.items()])
    return lines + [""]


def _measured_section(root: Path) -> list[str]:
    lines = ["## Stored measurements", "",
             "Sweeps and benchmarks run by hand (`benchmarks/`), some on a lent GPU, stored under",
             "`benchmarks/measured/`. They are **not recomputed by the build**: each is shown with the date, machine",
             "and command that produced it (`benchmarks/measured/manifest.json`).", ""]
    for m in measured_files(root):
        lines += [f"### `{m['file']}`", "", m.get("what", "(no description in the manifest)"), "",
                  f"- date: {m.get('date', 'unknown')}", f"- machine: {m.get('machine', 'unknown')}",
                  f"- command: `{m.get('command', 'unknown')}`", f"- rows: {len(m['rows'])}", "",
                  "<details><summary>the stored rows</summary>", ""]
        lines += _table(m["rows"]) + ["", "</details>", ""]
    return lines


def _book_section(root: Path) -> list[str]:
    """The whole book's measured runs (``book/costs.json``'s ``book``, written by a run of every
    chapter in one command), or a line saying it was never timed end to end."""
    runs = load_costs(root).get("book", {})
    lines = ["## The whole book", "",
             "`python -m probelib.run` of every chapter in one command, timed end to end (`cold`: from an empty run",
             "cache, the budget's measure; `warm`: nothing trained; `partial`: some models cached).", ""]
    if not runs:
        return lines + ["Never timed end to end yet: each chapter's own time is in the table above and in its cost "
                        "header.", ""]
    return lines + _table([{"profile / device / cache": k, "wall time (h)": round(v["seconds"] / 3600, 2),
                            "pages": v.get("pages"), "models trained": v.get("trained"), "device": v.get("device"),
                            "date": v.get("date"), "commit": v.get("commit")} for k, v in sorted(runs.items())]) + [""]


def results_page(ledger: dict, root: Path) -> str:
    """The Markdown of the "Results and benchmarks" page."""
    lines = ["# Results and benchmarks", "",
             "Generated by `python -m probelib.run` at build time from the run ledger and the stored",
             "measurements; nothing on this page is typed by hand.", ""]
    lines += _chapter_section(ledger) + _book_section(root) + _measured_section(root)
    lines += ["## Environment of the last build", "",
              f"- git commit: `{ledger.get('git_commit', 'unknown')}`",
              f"- python: {ledger.get('python', '?')} on {ledger.get('platform', '?')}",
              f"- built: {ledger.get('built', '?')}", ""]
    lines += _table([{"package": k, "version": v} for k, v in ledger.get("versions", {}).items()])
    return "\n".join(lines) + "\n"


def readme_table(ledger: dict, titles: dict[str, str],
                 kept: dict[str, str] | None = None) -> list[str]:
    """The README's chapter table: each chapter's title and its glued finding (non-smoke runs).

    A chapter this ledger has no real (non-check) run of keeps its finding from ``kept``
    (stem → the finding cell of the README's current row), so a partial build (``--only``, a
    fresh clone's ledger) does not wipe the findings of chapters it did not run."""
    kept = kept or {}
    lines = ["| chapter | finding of the last build |", "|---|---|"]
    for stem, title in titles.items():
        e = ledger.get("chapters", {}).get(stem)
        if e is None or e.get("profile") in CHECKS:
            found = kept.get(stem, "— (not built on `cpu` yet)")
        else:
            found = (f"{_fmt(e.get('glued', {}).get('finding', '—'))} "
                     f"*({e['profile']}, {e.get('finished', '?')[:10]}, {e['seconds'] / 60:.0f} min)*")
        lines.append(f"| [{title}](notebooks/{stem}.py) | {found} |")
    return lines


def update_readme(readme: Path, ledger: dict, titles: dict[str, str]) -> bool:
    """Replace the block between :data:`README_BEGIN` and :data:`README_END` with
    :func:`readme_table`; False (and nothing written) when the README has no such block."""
    text = readme.read_text()
    pattern = re.compile(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        return False
    old = pattern.search(text).group(0)
    kept = {m.group(1): m.group(2).strip() for m in
            re.finditer(r"^\|\s*\[[^\]]*\]\(notebooks/([^)]+)\.py\)\s*\|(.*)\|\s*$", old, re.M)}
    block = "\n".join([README_BEGIN, *readme_table(ledger, titles, kept), README_END])
    readme.write_text(pattern.sub(lambda _: block, text))
    return True
