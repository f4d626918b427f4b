"""The probe report: a self-contained ``report.html`` (figures embedded) with ``samples.npz``,
the EMA generator as safetensors and ``config.json`` beside it, written into ``<out>`` all at
once — built in a temporary sibling folder and renamed into place, so ``<out>`` never holds half
a report.
"""
from __future__ import annotations

import base64
import html
import io
import json
import platform
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from ..core.errors import UserError
from ..core.stamp import machine
from ..train.gans import ProbeGANResult
from .evaluate import COLLAPSED

__all__ = ["ProbeReport", "SeveralProbeReport", "OutputError"]

_STYLE = ("body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
          "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
          "font-size:13px}img{max-width:100%}")


class OutputError(UserError, OSError):
    """The report's folder cannot be written (one line)."""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _grid(rows: list[torch.Tensor], labels: list[str], title: str) -> str:
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
    return _png(fig)


def _curves(history: list[dict]) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 2.6))
    steps = [h["step"] for h in history]
    for key in ("d_hinge", "d_wgan", "g_hinge", "g_wgan", "g_cls"):
        if any(key in h for h in history):
            ax.plot(steps, [h.get(key, np.nan) for h in history], label=key, linewidth=1)
    ax.set(xlabel="generator step", title="training losses (first seed)")
    ax.legend(fontsize=7, ncol=5)
    return _png(fig)


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>—</p>"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    fmt = lambda v: f"{v:.3g}" if isinstance(v, float) else html.escape(str(v))  # noqa: E731
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{fmt(r.get(c, ''))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


@dataclass
class ProbeReport:
    """Everything a probe found; :meth:`save` writes it, :meth:`html` renders it."""

    target: str
    classes: tuple[str, ...]
    resolution: int
    channels: int
    profile: str
    n_images: int
    per_class: dict[str, int]
    held_out: int
    skipped: list[str]
    seeds: list[int]
    results: list[ProbeGANResult]
    fakes: list[torch.Tensor]
    seen_fakes: dict[str, torch.Tensor]
    own_verdict: list[dict]
    neighbours: dict
    reference: dict | None
    n_reference: int
    seconds: dict
    steps: int
    seconds_per_step: list[float]
    spread: list[float] = field(default_factory=list)  # per seed: variety against a real class (~1), 0 = one image
    absent: dict[str, int] = field(default_factory=dict)  # every class absent from the GAN: images held out
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        self.absent = self.absent or {self.target: self.held_out}
        if not self.provenance:
            versions = {}
            for name in ("probelib", "torch", "torchvision", "numpy"):
                try:
                    versions[name] = metadata.version(name)
                except metadata.PackageNotFoundError:
                    versions[name] = "not installed"
            device = str(next(self.generator.parameters()).device) if self.results else "?"
            self.provenance = {"versions": versions, "python": platform.python_version(), "machine": machine(),
                               "device": device,
                               "commit": _commit(), "seeds": self.seeds,
                               "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}

    @property
    def generator(self):
        """The first seed's EMA generator."""
        return self.results[0].generator

    def summary(self) -> dict:
        """The report's numbers as a JSON-able dict."""
        out = {"target": self.target, "classes": list(self.classes), "resolution": self.resolution,
               "profile": self.profile, "images": self.n_images, "per class": self.per_class,
               "target images held out": self.held_out, "absent from the GAN": self.absent, "files skipped": len(self.skipped), "seeds": self.seeds,
               "steps": self.steps, "seconds per step": self.seconds_per_step, "seconds": self.seconds,
               "classifier on its probe": self.own_verdict,
               "nearest seen class share": self.neighbours["nearest class share"], "spread": self.spread,
               "collapsed": self.collapsed, "provenance": self.provenance}
        if self.reference is not None:
            out["independent judge"] = {k: v for k, v in self.reference.items()}
        return out

    @property
    def collapsed(self) -> list[int]:
        """The seeds whose probe has collapsed (:func:`~probelib.probing.evaluate.spread` below
        :data:`~probelib.probing.evaluate.COLLAPSED`)."""
        return [s for s, v in zip(self.seeds, self.spread) if v < COLLAPSED]

    def html(self, fragment: bool = False) -> str:
        """The self-contained report page (``fragment``: its body only, for a notebook cell)."""
        t = html.escape(self.target)
        fake_rows = [f[:10] for f in self.fakes]
        grid = _grid(fake_rows + [v for v in self.seen_fakes.values()],
                     [f"{self.target} (seed {s})" for s in self.seeds] + [f"seen: {c}" for c in self.seen_fakes],
                     f"generated {self.target!r} (the GAN never saw one) and a few seen classes")
        nn_rows, nn_labels = [], []
        for i in range(min(6, len(self.neighbours["images"]))):
            nn_rows.append(torch.cat([self.fakes[0][i:i + 1], self.neighbours["images"][i]]))
            nn_labels.append("generated → nearest real: " + ", ".join(
                self.classes[int(c)] for c in self.neighbours["labels"][i]))
        nn_grid = _grid(nn_rows, nn_labels, "each generated image and its nearest real seen-class images "
                                            "(the classifier's features)")
        others = [c for c in self.absent if c != self.target]
        also = (f" (with {', '.join(map(html.escape, others))}: {len(self.absent)} classes absent from one GAN, "
                f"{', '.join(str(n) for n in self.absent.values())} images held out)") if others else ""
        parts = [f"<h1>What has the classifier memorised about {t}?</h1>",
                 f"<p>ProbeGAN trained on {self.n_images} images of {len(self.classes) - len(self.absent)} other "
                 f"classes at {self.resolution}×{self.resolution} px ({self.channels} channel(s)); {self.held_out} "
                 f"images of {t} were held out of its data{also}; {len(self.skipped)} unreadable file(s) skipped. Profile "
                 f"<code>{self.profile}</code>, {self.steps} generator steps, seeds {self.seeds}, "
                 f"{np.mean(self.seconds_per_step):.2f} s per step, {self.seconds['total'] / 60:.1f} min in all.</p>",
                 "<h2>Images per class in the GAN's data</h2>",
                 _table([{c: (f"{n}" if c not in self.absent else f"{self.absent[c]} held out") for c, n in
                          self.per_class.items()}]),
                 "<h2>What the probe draws</h2>", f'<img src="{grid}">',
                 "<p>Spread (the mean pixel distance between two generated images over that between two real "
                 "images of one seen class; about 1 when the probe varies as a real class does, near 0 when it "
                 "draws one image again and again): "
                 + ", ".join(f"seed {s} {v:.2f}" for s, v in zip(self.seeds, self.spread)) + ".</p>",
                 *([f"<p><b>Warning: the probe of seed(s) {', '.join(map(str, self.collapsed))} has collapsed onto a "
                    f"few images (spread below {COLLAPSED:g}).</b> The classifier's confidence below then says "
                    "that it accepts these few images, not what it has memorised about the class; train longer, at "
                    "the images' own resolution, or with another seed.</p>"] if self.collapsed else []),
                 "<h2>The classifier on its own probe</h2>", _table(self.own_verdict),
                 "<h2>Copying a seen class, or drawing something new?</h2>",
                 "<p>Share of generated images whose nearest real image is of each seen class:</p>",
                 _table([self.neighbours["nearest class share"]]), f'<img src="{nn_grid}">',
                 "<h2>Training</h2>", f'<img src="{_curves(self.results[0].history)}">']
        if self.reference is not None:
            mean = self.reference["mean"]
            parts += ["<h2>An independent judge, with real target images as a reference</h2>",
                      f"<p>{self.n_reference} real {t} images, used for evaluation only. The judge: "
                      f"{html.escape(json.dumps(self.reference['judge']))}. Mean over seeds with a 95 % interval "
                      "over seeds:</p>",
                      _table([{k: f"{v[0]:.3g} ({v[1]:.3g}–{v[2]:.3g})" for k, v in mean.items()}]),
                      _table(self.reference["per seed"])]
        parts += ["<h2>Provenance</h2>", f"<pre>{html.escape(json.dumps(self.provenance, indent=2))}</pre>"]
        if self.skipped:
            parts += ["<h2>Skipped files</h2>", "<pre>" + html.escape("\n".join(self.skipped[:50])) + "</pre>"]
        if fragment:
            return "".join(parts).replace("<h1>", "<h3>").replace("</h1>", "</h3>")
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>probe: {t}</title><style>{_STYLE}</style>"
                f"</head><body>{''.join(parts)}</body></html>")

    def save(self, out: str | Path) -> Path:
        """Write report.html, samples.npz, generator.safetensors and config.json into ``out`` at once."""
        return _write(out, self.html(), {self.target: self}, self.generator, self.results[0].config, self.summary())


def _write(out: str | Path, page: str, reports: dict[str, ProbeReport], generator, trainer, summary: dict) -> Path:
    """The report's four files, built in a temporary sibling folder and renamed to ``out``."""
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


@dataclass
class SeveralProbeReport:
    """A probe of several absent classes at once (one GAN per seed): a :class:`ProbeReport` per
    target, sharing the GANs; :meth:`save` writes one page with a section per target."""

    reports: dict[str, ProbeReport]

    @property
    def targets(self) -> list[str]:
        return list(self.reports)

    def __getitem__(self, target: str) -> ProbeReport:
        if target not in self.reports:
            raise KeyError(f"{target!r} was not probed; the targets: {', '.join(self.reports)}")
        return self.reports[target]

    @property
    def first(self) -> ProbeReport:
        return next(iter(self.reports.values()))

    def summary(self) -> dict:
        """``{"targets": [...], "per target": {target: ProbeReport.summary()}}``."""
        return {"targets": self.targets, "per target": {t: r.summary() for t, r in self.reports.items()}}

    def html(self, fragment: bool = False) -> str:
        """One page: a short list of the targets, then each target's report as a section."""
        names = ", ".join(html.escape(t) for t in self.targets)
        rows = []
        for t, r in self.reports.items():
            row = {"target": t, "held out": r.held_out, "top-1 by the classifier (%)": float(
                np.mean([o["top-1 target (%)"] for o in r.own_verdict])), "spread": float(np.mean(r.spread))}
            if r.reference is not None:
                row["independent judge (%)"] = r.reference["mean"]["recognition (%)"][0]
            rows.append(row)
        head = [f"<h1>What has the classifier memorised about {names}?</h1>",
                f"<p>{len(self.reports)} classes absent at once from one ProbeGAN per seed (seeds {self.first.seeds});"
                " each section below is one of them. Means over seeds:</p>", _table(rows)]
        sections = [r.html(fragment=True).replace("<h2>", "<h4>").replace("</h2>", "</h4>")
                    .replace("<h3>", "<h2>").replace("</h3>", "</h2>") for r in self.reports.values()]
        body = "".join(head + sections)
        if fragment:
            return body.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>probe: {names}</title><style>{_STYLE}"
                f"</style></head><body>{body}</body></html>")

    def save(self, out: str | Path) -> Path:
        """Write report.html (every target), samples.npz (``labels`` say which), the first seed's
        generator and config.json into ``out`` at once."""
        return _write(out, self.html(), self.reports, self.first.generator, self.first.results[0].config,
                      self.summary())
