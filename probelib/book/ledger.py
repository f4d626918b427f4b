"""The run ledger: what each chapter's last execution was (parameters, profile, device, wall
time, date) and what it found, harvested from the executed notebook itself.

A chapter states its numbers with :func:`glue` (myst-nb's glue, not displayed), so prose can
cite them (``{glue:text}`name:.1f```) and the runner can read them back from the notebook's
outputs; the glued ``finding`` is the chapter's one-sentence headline. A cell tagged
``readme-figure`` holds the figure the README shows.
"""
from __future__ import annotations

import ast
import base64
import json
import os
from pathlib import Path

__all__ = ["GLUE_PREFIX", "FIGURE_TAG", "glue", "finding", "load_ledger", "save_ledger", "glued_values",
           "tagged_png"]

GLUE_PREFIX = "application/papermill.record/"  # myst-nb's prefix of values glued with display=False
FIGURE_TAG = "readme-figure"


def glue(name: str, value, display: bool = False) -> None:
    """Glue ``value`` under ``name`` for the prose of the page and for the ledger (not shown)."""
    from myst_nb import glue as _glue

    _glue(name, value, display=display)


def finding(text: str) -> None:
    """Glue the chapter's headline finding: one sentence computed from this run's numbers."""
    glue("finding", text)


def _ledger_path(run_dir: Path) -> Path:
    return Path(run_dir) / "ledger.json"


def load_ledger(run_dir: Path) -> dict:
    """The ledger of ``run_dir`` (an empty one if there is none yet)."""
    path = _ledger_path(run_dir)
    return json.loads(path.read_text()) if path.exists() else {"chapters": {}}


def save_ledger(run_dir: Path, ledger: dict) -> None:
    """Write the ledger atomically (parallel chapter runs re-read and merge before saving)."""
    path = _ledger_path(run_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(ledger, indent=2))
    os.replace(tmp, path)


def _plain(text: str):
    try:
        return ast.literal_eval(text)  # numbers and strings come back as themselves
    except (ValueError, SyntaxError):
        return text


def glued_values(notebook) -> dict:
    """Every value glued in an executed notebook, ``{name: value}`` (from its text/plain repr)."""
    out = {}
    for cell in notebook.cells:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            data = o.get("data", {})
            text = data.get(meta.get("mime_prefix", "") + "text/plain", data.get(GLUE_PREFIX + "text/plain"))
            if text is not None:
                out[meta["name"]] = _plain("".join(text) if isinstance(text, list) else text)
    return out


def tagged_png(notebook, tag: str = FIGURE_TAG) -> bytes | None:
    """The first PNG output of the first cell tagged ``tag``, or None."""
    for cell in notebook.cells:
        if tag in cell.get("metadata", {}).get("tags", []):
            for o in cell.get("outputs", []):
                png = o.get("data", {}).get("image/png")
                if png:
                    return base64.b64decode("".join(png) if isinstance(png, list) else png)
    return None
