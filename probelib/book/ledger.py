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

__all__ = ["GLUE_PREFIX", "FIGURE_TAG", "glue", "figure", "table", "markdown_table", "finding", "load_ledger",
           "save_ledger", "glued_values", "tagged_png"]

GLUE_PREFIX = "application/papermill.record/"  # myst-nb's prefix of values glued with display=False
FIGURE_TAG = "readme-figure"


def glue(name: str, value, display: bool = False) -> None:
    """Glue ``value`` under ``name`` for the prose of the page and for the ledger (not shown)."""
    from myst_nb import glue as _glue

    _glue(name, value, display=display)


def _check_label(name: str, kind: str) -> None:
    import re

    if not re.fullmatch(rf"{kind}-[0-9]{{2}}[a-z0-9-]*", name):
        raise ValueError(f"{kind} label {name!r}: use '{kind}-NN-topic' (NN the chapter's number)")


def figure(name: str, fig, caption: str) -> None:
    """Show a matplotlib figure as a numbered, captioned figure of the page.

    ``name`` (``fig-NN-topic``) is its label: the prose refers to it with ``{numref}`name```.
    The HTML book renders the output's MyST block (```{glue:figure}``` of the glued image, with the
    caption, which may use MyST roles and this run's values); JupyterLab shows the image and the
    caption as HTML. The figure is closed so the cell does not show it twice."""
    import base64
    import html
    import io

    import matplotlib.pyplot as plt
    from IPython.display import display

    _check_label(name, "fig")
    caption = " ".join(caption.split())
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=fig.dpi)
    png = base64.b64encode(buf.getvalue()).decode()
    glue(name, fig)
    plt.close(fig)
    myst = f"```{{glue:figure}} {name}\n:name: {name}\n\n{caption}\n```"
    page = (f'<figure><img src="data:image/png;base64,{png}"/>'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    display({"text/markdown": myst, "text/html": page, "text/plain": f"[{name}] {caption}"}, raw=True)


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame) -> str:
    """A DataFrame as a Markdown pipe table (its index as the first column unless it is 0..n-1)."""
    import pandas as pd

    frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        frame.columns = [" · ".join(str(p) for p in col if str(p)) for col in frame.columns]
    plain_index = isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    if not plain_index:
        names = [n for n in (frame.index.names or []) if n]
        frame = frame.reset_index()
        if not names:
            frame = frame.rename(columns={frame.columns[0]: ""})
    head = "| " + " | ".join(_cell(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def table(name: str, frame, caption: str) -> None:
    """Show a formatted DataFrame (strings with units, rounding and intervals already in them) as
    a numbered, captioned table; ``name`` (``tbl-NN-topic``) is its label for ``{numref}`name```."""
    import html

    from IPython.display import display

    _check_label(name, "tbl")
    caption = " ".join(caption.split())
    myst = f"```{{table}} {caption}\n:name: {name}\n\n{markdown_table(frame)}\n```"
    page = f"<p><b>{html.escape(caption)}</b></p>" + frame.to_html()
    display({"text/markdown": myst, "text/html": page, "text/plain": f"[{name}] {caption}\n{frame}"}, raw=True)


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
            if any(k.startswith(GLUE_PREFIX + m) for k in data for m in ("image/", "text/html")):
                continue  # a glued figure or table, not a number
            text = data.get(meta.get("mime_prefix", "") + "text/plain", data.get(GLUE_PREFIX + "text/plain"))
            if text is not None:
                out[meta["name"]] = _plain("".join(text) if isinstance(text, list) else text)
    return out


def tagged_png(notebook, tag: str = FIGURE_TAG) -> bytes | None:
    """The first PNG output of the first cell tagged ``tag``, or None."""
    for cell in notebook.cells:
        if tag in cell.get("metadata", {}).get("tags", []):
            for o in cell.get("outputs", []):
                data = o.get("data", {})
                png = data.get("image/png") or data.get(GLUE_PREFIX + "image/png")  # shown or glued
                if png:
                    return base64.b64decode("".join(png) if isinstance(png, list) else png)
    return None
