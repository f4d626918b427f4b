"""Stored tables are read from their files by code, never typed: every row a chapter shows from
``benchmarks/measured/`` is in its file.

For each chapter-module function that reads a stored file (found by scanning the modules, so a new
one must be added here), the test rebuilds the table the page shows from the files as committed
and looks each shown row up in the records: the records whose key cells match the row's must
exist, and every number the row shows must be, at the precision it is shown with, the column's
value in one of them or their mean, minimum or maximum (the aggregates the chapters show; "–"
where nothing was measured). A page may not type such a table into its Markdown either. The old
typed table of chapter 7 shows that the check can fail: its first row is in no file.
"""
from __future__ import annotations

import ast
import json
import re
import statistics
from pathlib import Path
from typing import Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
MEASURED = ROOT / "benchmarks" / "measured"
CHAPTERS = ROOT / "probelib" / "book" / "chapters"
NUMBER = re.compile(r"[−-]?\d+(?:\.(\d+))?")
DASHES = {"–", "—", "-", ""}


# ---- the checker -----------------------------------------------------------------------------------

def numbers(cell: str) -> list[tuple[float, int]]:
    """The numbers a formatted cell shows, each with its decimals: ``"88.3 (85.0–91.2)"`` ->
    ``[(88.3, 1), (85.0, 1), (91.2, 1)]``; ``"72 %"`` -> ``[(72.0, 0)]``."""
    return [(float(m.group(0).replace("−", "-")), len(m.group(1) or "")) for m in NUMBER.finditer(str(cell))]


def _shows(number: float, decimals: int, value: float) -> bool:
    return abs(value - number) <= 0.5 * 10 ** -decimals + 1e-9


def cell_held(cell: str, values: list[float]) -> bool:
    """Whether ``cell`` shows only values of ``values`` or their mean, minimum or maximum, at its
    precision ("–" only where there is no value)."""
    shown = numbers(cell)
    if not shown:
        return str(cell).strip() in DASHES and not values
    candidates = values + ([statistics.fmean(values), min(values), max(values)] if values else [])
    return all(any(_shows(n, d, c) for c in candidates) for n, d in shown)


def rows_not_held(rows: list[dict[str, str]], records: list[dict], key: dict[str, Callable[[dict], str]],
                  values: dict[str, Callable[[dict], float | None]]) -> list[dict[str, str]]:
    """The shown ``rows`` (column -> cell) that the file's ``records`` do not hold: no record's
    ``key`` cells match the row's, or a ``values`` cell shows a number none of the matching records
    gives (:func:`cell_held`)."""
    missing = []
    for row in rows:
        group = [r for r in records if all(str(f(r)) == str(row[col]) for col, f in key.items())]
        cells = {col: [v for r in group if (v := f(r)) is not None and v == v] for col, f in values.items()}
        if not group or not all(cell_held(row[col], xs) for col, xs in cells.items()):
            missing.append(row)
    return missing


def records(*names: str, **tags) -> list[dict]:
    """Every JSON line of the stored files ``names``, each with its ``file``."""
    return [{**json.loads(line), "file": name, **tags} for name in names
            for line in (MEASURED / name).read_text().splitlines() if line.strip()]


def shown_rows(frame) -> list[dict[str, str]]:
    """A shown table's rows, index levels included, as column -> cell strings."""
    return [{k: str(v) for k, v in row.items()} for row in frame.reset_index().to_dict("records")]


# ---- every chapter function that reads a stored file is checked --------------------------------------

CHECKED = {"audio.stored_sweep", "spurious.load_stored_seeds", "spurious.stored_eta_table", "table1.stored_sweeps",
           "table1.stored_budget_choice",
           "probe_your_model.stored_sweep"}


def _readers() -> set[str]:
    """``module.function`` of each chapter-module function that parses JSON lines (a stored file)."""
    out = set()
    for path in CHAPTERS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(  # parses JSON itself, or through book.stored
                    isinstance(n, ast.Attribute) and n.attr == "loads" or isinstance(n, ast.Name) and n.id ==
                    "stored_rows" for n in ast.walk(node)):
                out.add(f"{path.stem}.{node.name}")
    return out


def test_every_chapter_function_that_reads_a_stored_file_is_checked_here():
    assert _readers() == CHECKED


# ---- chapter 7 -------------------------------------------------------------------------------------

def _audio_key(lambda_cls: float) -> dict[str, Callable[[dict], str]]:
    def other(r):
        return ", ".join(f"{k} = {v}" for k, v in sorted(r["changes"].items()) if k != "lambda_cls") or "none"

    return {"file": lambda r: r["file"], "probed classifier ε": lambda r: f"{r['adv_eps']:g}",
            "λ_cls": lambda r: f"{r['changes'].get('lambda_cls', lambda_cls):g}", "other changes": other,
            "absent class": lambda r: r["absent"]}


def test_chapter_7s_sweep_table_holds_only_rows_of_its_files_at_600_steps():
    from probelib.book.chapters import audio
    from probelib.book.profiles import PROFILES

    frame, source = audio.stored_sweep(MEASURED, ("men", "women", "nonhuman"))
    stored = [r for r in records(*audio.SWEEP_FILES) if r.get("chapter") == "audio" and r["step"] == 600]
    values = {shown: (lambda r, c=col: r.get(c)) for col, shown in audio.SWEEP_COLUMNS.items()}
    rows = shown_rows(frame)
    assert rows_not_held(rows, stored, _audio_key(PROFILES["cpu"].probegan.lambda_cls), values) == []
    assert len(rows) == len(stored)  # every stored job at 600 steps is shown, once
    manifest = json.loads((MEASURED / "manifest.json").read_text())
    for name in audio.SWEEP_FILES:
        assert f"{name} (" in source and manifest[name]["date"] in source  # file and date in the caption


def test_the_checker_flags_a_row_the_files_do_not_hold():
    from probelib.book.chapters import audio
    from probelib.book.profiles import PROFILES

    frame, _ = audio.stored_sweep(MEASURED, ("men", "women", "nonhuman"))
    stored = [r for r in records(*audio.SWEEP_FILES) if r.get("chapter") == "audio" and r["step"] == 600]
    values = {shown: (lambda r, c=col: r.get(c)) for col, shown in audio.SWEEP_COLUMNS.items()}
    key = _audio_key(PROFILES["cpu"].probegan.lambda_cls)
    row = shown_rows(frame)[0]
    typo = {**row, "development judge: generated (%)": "72.0"}
    nowhere = {**row, "probed classifier ε": "3"}
    assert rows_not_held([row, typo, nowhere], stored, key, values) == [typo, nowhere]


# ---- the old typed table of chapter 7 ------------------------------------------------------------------

OLD_CELL = """# %% [markdown]
# ## ProbeGAN, each class absent in turn
#
# measurement with the **development judge** (`benchmarks/shortcut_sweep.py` on this corpus,
# at this profile's scale, 2026-11-26; stored in `benchmarks/measured/shortcut_sweep_cpu.jsonl`
# and `shortcut_sweep_h200.jsonl` — the table below is typed from those files; the development
# judge's recognition of the generated spectrograms, 600 generator steps):
#
# | probed classifier | λ_cls | its test accuracy | men | women | nonhuman |
# |---|---|---|---|---|---|
# | ε = 2 (the image chapters' setting) | 2 | 72 % | 6 % | 18 % | 67 % |
# | ε = 2 | 10 | 75 % | 5 % | 82 % | 66 % |
# | ε = 1 | 2 (H200) | 88 % | 52–67 % | 81–100 % | 1 % |
# | ε = 1 | 10 | 88 % | 99 % | 100 % | 97 % |

# %%
x = 1
"""
STORED_HINT = re.compile(r"benchmarks/measured|\.jsonl|typed from")


def typed_stored_tables(source: str) -> list[list[str]]:
    """The Markdown pipe tables of a py:percent page whose cell says they come from a stored file
    (``benchmarks/measured``, a ``.jsonl`` name, "typed from"): each as its lines."""
    out = []
    for cell in re.split(r"^# %%", source, flags=re.M):
        if not cell.startswith(" [markdown]"):
            continue
        text = "\n".join(line[2:] for line in cell.splitlines()[1:])
        table = [line for line in text.splitlines() if line.startswith("|")]
        if table and STORED_HINT.search(text):
            out.append(table)
    return out


def parse_pipe_table(lines: list[str]) -> list[dict[str, str]]:
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    return [dict(zip(cells[0], row)) for row in cells[2:]]


@pytest.mark.parametrize("page", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")), ids=lambda p: p.stem)
def test_no_page_types_a_table_it_says_comes_from_a_stored_file(page):
    assert typed_stored_tables(page.read_text()) == []


def test_a_typed_stored_table_is_found_and_its_rows_looked_up_in_the_files():
    (table,) = typed_stored_tables(OLD_CELL)
    rows = [{**r, "probed classifier": r["probed classifier"].split(" (")[0], "λ_cls": r["λ_cls"].split(" (")[0]}
            for r in parse_pipe_table(table)]
    key = {"probed classifier": lambda r: f"ε = {r['adv_eps']:g}",
           "λ_cls": lambda r: f"{r['changes'].get('lambda_cls', 2.0):g}",
           "other": lambda r: "none" if set(r["changes"]) <= {"lambda_cls"} else "some"}
    values = {"its test accuracy": lambda r: r["probed clf test acc (%)"],
              **{c: (lambda r, c=c: r["recognition (%)"] if r["absent"] == c else None)
                 for c in ("men", "women", "nonhuman")}}
    rows = [{**r, "other": "none"} for r in rows]
    audio_600 = [r for r in records("shortcut_sweep_cpu.jsonl", "shortcut_sweep_h200.jsonl",
                                    "shortcut_sweep_h200_run1.jsonl") if r.get("chapter") == "audio" and r["step"] == 600]
    cited = [r for r in audio_600 if r["file"] != "shortcut_sweep_h200_run1.jsonl"]  # the two files it named
    assert [r["probed classifier"] + " | " + r["λ_cls"] for r in rows_not_held(rows, audio_600, key, values)] == [
        "ε = 2 | 2"]  # in no file at all
    assert [r["probed classifier"] + " | " + r["λ_cls"] for r in rows_not_held(rows, cited, key, values)] == [
        "ε = 2 | 2", "ε = 1 | 2"]  # its 52 % and 100 % are only in shortcut_sweep_h200_run1.jsonl


# ---- chapters 3, 5 and 9 -------------------------------------------------------------------------------

def test_chapter_5s_stored_seed_table_holds_only_rows_of_its_files():
    from probelib.book.chapters import spurious

    names = ("shortcut_sweep_h100_seeds.jsonl", "shortcut_sweep_cpu_seeds.jsonl")
    per_seed = spurious.load_stored_seeds([MEASURED / n for n in names])
    each, _ = spurious.seed_tables(per_seed)  # the mean table is a statistic of this one, not a file row
    key = {"seed": lambda r: str(r["seed"]),
           "classifier": lambda r: "ERM" if r["probe"] == "ERM" else f"DRO η = {r['dro_eta']:g}"}
    values = {shown: (lambda r, c=col: r.get(c)) for col, shown in spurious._JUDGES.items()}
    rows = shown_rows(each)
    assert rows and rows_not_held(rows, records(*names), key, values) == []


def test_chapter_5s_stored_eta_table_holds_only_rows_of_its_file():
    from probelib.book.chapters import spurious

    table = spurious.stored_eta_table(MEASURED / "dro_eta_cpu.jsonl")
    key = {"η": lambda r: f"{r['eta']:g}", "epochs": lambda r: str(r["epochs"])}
    values = {"worst group (%, min–max)": lambda r: r["worst group (%)"],
              "average (%, min–max)": lambda r: r["average (%)"]}
    rows = shown_rows(table)
    assert rows and rows_not_held(rows, records("dro_eta_cpu.jsonl"), key, values) == []


def test_chapter_3s_stored_sweeps_are_rows_of_their_files():
    from probelib.book.chapters import table1

    for label, frame in table1.stored_sweeps(MEASURED).items():
        name = table1.SWEEPS[label][0]
        stored = [{k: v for k, v in r.items() if k != "file"} for r in records(name)]
        shown = [{k: v for k, v in row.items() if v == v} for row in frame.to_dict("records")]  # NaN: absent key
        assert shown and all(row in stored for row in shown), name


def test_chapter_3s_stored_budget_choice_shows_each_row_of_its_file():
    from probelib.book.chapters import table1

    frame, source = table1.stored_budget_choice(MEASURED)
    stored = records(table1.BUDGET_CHOICE)
    assert source.startswith("benchmarks/measured/" + table1.BUDGET_CHOICE) and len(frame) == len(stored) > 0
    for (candidate, row), r in zip(frame.iterrows(), stored):
        assert row["score per seed"] == ", ".join(f"{v:.3f}" for v in r["scores (per seed)"])
        assert (row["mean"], row["lowest seed"]) == (f"{r['mean score']:.3f}", f"{r['lowest seed']:.3f}")
        assert (row["chosen"] == "yes") == bool(r["chosen"]), candidate


def test_chapter_9s_stored_sweep_holds_only_rows_of_its_file():
    from probelib.book.chapters import probe_your_model

    table, measured = probe_your_model.stored_sweep(MEASURED / "own_probe_sweep_cpu.jsonl")
    key = {"stand-in": lambda r: "robust (ε = 2)" if r["model changes"] else "regular",
           "seed": lambda r: str(r["seed"]), "steps": lambda r: str(r["step"])}
    values = {"model test accuracy (%)": lambda r: r["model test accuracy (%)"],
              "model's own top-1 (%)": lambda r: r["own top-1 (%)"], "spread": lambda r: r["spread"],
              "dev judge recognition (%)": lambda r: r["recognition (%)"],
              "dev judge coverage": lambda r: r["coverage"]}
    rows = shown_rows(table)
    assert rows and rows_not_held(rows, records("own_probe_sweep_cpu.jsonl"), key, values) == []
    assert measured.startswith("measured 2026-")
