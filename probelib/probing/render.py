"""The probe report's page kit: embedded figures (PNG data URLs), HTML tables, and the writing
of a report's four files into a folder at once (built in a temporary sibling, renamed into place)."""
from __future__ import annotations

import base64
import html
import io
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from ..core.errors import UserError

__all__ = ["STYLE", "OutputError", "png", "grid", "curves", "table", "write"]

STYLE = ("body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
         "font-size:13px}img{max-width:100%}")


class OutputError(UserError, OSError):
    """The report's folder cannot be written (one line)."""


def png(fig) -> str:
    """A matplotlib figure as an embeddable PNG data URL (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def grid(rows: list[torch.Tensor], labels: list[str], title: str) -> str:
    """Rows of images in [-1, 1], each labelled, as a PNG data URL."""
    import matplotlib.pyplot as plt

    n = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), n, figsize=(0.9 * n + 1.6, 0.9 * len(rows) + 0.4), squeeze=False)
    for i, (imgs, label) in enumerate(zip(rows, labels)):
        x = ((imgs.detach().cpu().float() + 1) / 2).clamp(0, 1).permute(0, 2, 3, 1).numpy()
        for j in range(n):
            ax = axes[i, j]
            ax.axis("off")
            if j < len(x):
                ax.imshow(x[j][..., 0] if x.shape[-1] == 1 else x[j], cmap="gray", vmin=0, vmax=1)
        axes[i, 0].text(-0.1, 0.5, label, transform=axes[i, 0].transAxes, ha="right", va="center", fontsize=8)
    fig.suptitle(title, fontsize=9)
    return png(fig)


def curves(history: list[dict]) -> str:
    """The training losses of a history as a PNG data URL."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 2.6))
    steps = [h["step"] for h in history]
    for key in ("d_hinge", "d_wgan", "g_hinge", "g_wgan", "g_cls"):
        if any(key in h for h in history):
            ax.plot(steps, [h.get(key, np.nan) for h in history], label=key, linewidth=1)
    ax.set(xlabel="generator step", title="training losses (first seed)")
    if ax.lines:  # a run shorter than one logging interval has no curve
        ax.legend(fontsize=7, ncol=5)
    return png(fig)


def table(rows: list[dict]) -> str:
    """Rows of dicts as an HTML table (floats to three figures)."""
    if not rows:
        return "<p>—</p>"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    fmt = lambda v: f"{v:.3g}" if isinstance(v, float) else html.escape(str(v))  # noqa: E731
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{fmt(r.get(c, ''))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def write(out: str | Path, page: str, reports: dict, generator, trainer, summary: dict) -> Path:
    """``reports``: ``{target: ProbeReport}``. The report's four files, built in a temporary sibling folder and renamed to ``out``."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"{out} exists and is not an empty folder; choose another --out or remove it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as err:
        raise OutputError(f"cannot write into {out.parent}: {err.strerror}") from None
    try:
        (tmp / "report.html").write_text(page)
        fakes = [(r.classes.index(name), seed, f) for name, r in reports.items() for seed, f in zip(r.seeds, r.fakes)]
        np.savez_compressed(tmp / "samples.npz", images=torch.cat([f for _, _, f in fakes]).numpy(),
                            seed=np.concatenate([np.full(len(f), s) for _, s, f in fakes]),
                            labels=np.concatenate([np.full(len(f), c) for c, _, f in fakes]))
        save_file({k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()},
                  str(tmp / "generator.safetensors"))
        config = {"summary": summary, "trainer": json.loads(json.dumps(
            trainer.__dict__, default=lambda o: getattr(o, "__dict__", str(o))))}
        (tmp / "config.json").write_text(json.dumps(config, indent=2, default=str))
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out
