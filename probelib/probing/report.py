"""The probe report: a self-contained ``report.html`` (figures embedded) with ``samples.npz``,
the EMA generator as safetensors and ``config.json`` beside it, written into ``<out>`` all at
once — built in a temporary sibling folder and renamed into place, so ``<out>`` never holds half
a report.

The report reads the GAN before the probe: its first line (:meth:`ProbeReport.headline`, the
same in the page, ``summary()``, ``str(report)``, ``config.json`` and the command line's last
line) says whether the GAN draws the seen classes (:mod:`probelib.probing.seen`). When it does
not, the probe is **not evidence** and the classifier's confidence on it comes after that, for
the record, never as the headline.
"""
from __future__ import annotations

import dataclasses
import html
import json
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

from ..core.stamp import machine
from ..train.gans import ProbeGANResult
from .evaluate import COLLAPSED
from . import render
from .render import OutputError
from .seen import SeenRule

__all__ = ["ProbeReport", "SeveralProbeReport", "OutputError"]


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
    notes: list[str] = field(default_factory=list)  # how the classifier was called (e.g. in chunks of its batch)
    seen_checks: list[dict] = field(default_factory=list)  # per seed: does the GAN draw the seen classes (seen.py)
    seen_rule: SeenRule = SeenRule()  # the verdict's thresholds
    stopping: list[dict] | None = None  # per seed: the stopping rule's record (stopping.py); None: fixed steps
    steps_trained: list[int] = field(default_factory=list)  # per seed

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

    # ---------------------------------------------------------------- the verdict, before anything else
    @property
    def drawn(self) -> list[int]:
        """The seeds whose GAN draws the seen classes (:mod:`~probelib.probing.seen`)."""
        return [s for s, c in zip(self.seeds, self.seen_checks) if c["draws"]]

    @property
    def evidence(self) -> bool:
        """Whether the probe is evidence of what the classifier memorised: every seed's GAN draws
        the seen classes."""
        return bool(self.seen_checks) and len(self.drawn) == len(self.seeds)

    @property
    def budget_hit(self) -> list[int]:
        """The seeds whose training reached its budget before the GAN drew the seen classes."""
        return [s for s, st in zip(self.seeds, self.stopping or []) if st is not None and not st["reached"]]

    def _seen_numbers(self, seeds: list[int]) -> str:
        trained = self.steps_trained or [self.steps] * len(self.seeds)
        return "; ".join(f"seed {s}: the classifier's median top-1 on them {c['median top-1 (%)']:.1f} %, median KID "
                         f"ratio {c['median KID ratio']:.2f}, after {n} steps"
                         for s, c, n in zip(self.seeds, self.seen_checks, trained) if s in seeds)

    def _confidence(self) -> str:
        top1 = float(np.mean([o["top-1 target (%)"] for o in self.own_verdict]))
        p = float(np.mean([o["mean p(target)"] for o in self.own_verdict]))
        return f"the classifier calls {top1:.1f} % of its probe {self.target!r} (mean p = {p:.2f})"

    def _judge(self) -> str | None:
        if self.reference is None:
            return None
        return f"the independent judge recognises {self.reference['mean']['recognition (%)'][0]:.1f} % of them"

    def headline(self) -> list[str]:
        """The report's reading, in order: first whether the GAN draws the seen classes; when it
        does not, that the probe is not evidence (and why), and only then, for the record, the
        classifier's confidence on it; when it does, the confidence, any collapse and the judge."""
        if not self.seen_checks:  # a report made without the check (by hand)
            return [line[0].upper() + line[1:] + "." for line in (self._confidence(), self._judge()) if line]
        r = self.seen_rule
        rule = f"the verdict asks for >= {r.min_top1:g} % and <= {r.max_kid_ratio:g}"
        judge = self._judge()
        if not self.evidence:
            failed = [s for s in self.seeds if s not in self.drawn]
            lines = [f"NOT EVIDENCE: the GAN does not draw the seen classes ({self._seen_numbers(failed)}; {rule}), "
                     f"so what it draws of {self.target!r} says nothing about what the classifier memorised"
                     + (f" (the GAN of seed(s) {', '.join(map(str, self.drawn))} does draw them)" if self.drawn else "")
                     + "."]
            if self.budget_hit:
                lines.append(f"Training reached its budget of {self.steps} steps without the GAN drawing the seen "
                             f"classes (seed(s) {', '.join(map(str, self.budget_hit))}); train longer (max_steps=, "
                             "--max-steps), at the images' own resolution, or with another seed.")
            lines.append(f"For the record only, not evidence: {self._confidence()}.")
            if judge:
                lines.append(f"For the record only: {judge}.")
            return lines
        lines = [f"The GAN draws the seen classes ({self._seen_numbers(self.seeds)}; {rule}).",
                 self._confidence()[0].upper() + self._confidence()[1:] + "."]
        if self.collapsed:
            lines.append(f"Warning: the probe of seed(s) {', '.join(map(str, self.collapsed))} has collapsed onto a "
                         f"few images (spread below {COLLAPSED:g}): the confidence says the classifier accepts them, "
                         "not what it memorised about the class.")
        if judge:
            lines.append(judge[0].upper() + judge[1:] + ".")
        return lines

    @property
    def verdict(self) -> str:
        """The headline in one line (the command line's last)."""
        if self.seen_checks and not self.evidence:
            return (f"NOT EVIDENCE: the GAN does not draw the seen classes, so its probe of {self.target!r} says "
                    "nothing about what the classifier memorised")
        judge = self._judge()
        return (("the GAN draws the seen classes; " if self.seen_checks else "") + self._confidence()
                + (f"; {judge}" if judge else ""))

    def __str__(self) -> str:
        return "\n".join(self.headline())

    def summary(self) -> dict:
        """The report's numbers as a JSON-able dict."""
        out = {"verdict": self.verdict, "evidence": self.evidence, "headline": self.headline(),
               "target": self.target, "classes": list(self.classes), "resolution": self.resolution,
               "profile": self.profile, "images": self.n_images, "per class": self.per_class,
               "target images held out": self.held_out, "absent from the GAN": self.absent, "files skipped": len(self.skipped), "seeds": self.seeds,
               "steps": self.steps, "steps trained": self.steps_trained, "stopping": self.stopping,
               "seen classes": {"rule": dataclasses.asdict(self.seen_rule),
                                "per seed": [{"seed": s, **c} for s, c in zip(self.seeds, self.seen_checks)]},
               "seconds per step": self.seconds_per_step, "seconds": self.seconds,
               "classifier on its probe": self.own_verdict,
               "nearest seen class share": self.neighbours["nearest class share"], "spread": self.spread,
               "collapsed": self.collapsed, "provenance": self.provenance}
        if self.notes:
            out["notes"] = self.notes
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
        fakes_png = render.grid(fake_rows + [v for v in self.seen_fakes.values()],
                                [f"{self.target} (seed {s})" for s in self.seeds] + [f"seen: {c}" for c in self.seen_fakes],
                                f"generated {self.target!r} (the GAN never saw one) and a few seen classes")
        nn_rows, nn_labels = [], []
        for i in range(min(6, len(self.neighbours["images"]))):
            nn_rows.append(torch.cat([self.fakes[0][i:i + 1], self.neighbours["images"][i]]))
            nn_labels.append("generated → nearest real: " + ", ".join(
                self.classes[int(c)] for c in self.neighbours["labels"][i]))
        nn_grid = render.grid(nn_rows, nn_labels, "each generated image and its nearest real seen-class images "
                                                   "(the classifier's features)")
        others = [c for c in self.absent if c != self.target]
        also = (f" (with {', '.join(map(html.escape, others))}: {len(self.absent)} classes absent from one GAN, "
                f"{', '.join(str(n) for n in self.absent.values())} images held out)") if others else ""
        parts = [f"<h1>What has the classifier memorised about {t}?</h1>", self._verdict_html(),
                 f"<p>ProbeGAN trained on {self.n_images} images of {len(self.classes) - len(self.absent)} other "
                 f"classes at {self.resolution}×{self.resolution} px ({self.channels} channel(s)); {self.held_out} "
                 f"images of {t} were held out of its data{also}; {len(self.skipped)} unreadable file(s) skipped. Profile "
                 f"<code>{self.profile}</code>, {html.escape(self._steps_text())}, seeds {self.seeds}, "
                 f"{np.mean(self.seconds_per_step):.2f} s per step, {self.seconds['total'] / 60:.1f} min in all.</p>",
                 *(f"<p>{html.escape(note)}</p>" for note in self.notes),
                 "<h2>Images per class in the GAN's data</h2>",
                 render.table([{c: (f"{n}" if c not in self.absent else f"{self.absent[c]} held out") for c, n in
                          self.per_class.items()}]),
                 *self._seen_html(),
                 "<h2>What the probe draws</h2>", f'<img src="{fakes_png}">',
                 "<p>Spread (the mean pixel distance between two generated images over that between two real "
                 "images of one seen class; about 1 when the probe varies as a real class does, near 0 when it "
                 "draws one image again and again): "
                 + ", ".join(f"seed {s} {v:.2f}" for s, v in zip(self.seeds, self.spread)) + ".</p>",
                 *([f"<p><b>Warning: the probe of seed(s) {', '.join(map(str, self.collapsed))} has collapsed onto a "
                    f"few images (spread below {COLLAPSED:g}).</b> The classifier's confidence below then says "
                    "that it accepts these few images, not what it has memorised about the class; train longer, at "
                    "the images' own resolution, or with another seed.</p>"] if self.collapsed else []),
                 "<h2>The classifier on its own probe" + ("" if self.evidence or not self.seen_checks else
                                                          " (not evidence: the GAN does not draw the seen classes)")
                 + "</h2>", render.table(self.own_verdict),
                 "<h2>Copying a seen class, or drawing something new?</h2>",
                 "<p>Share of generated images whose nearest real image is of each seen class:</p>",
                 render.table([self.neighbours["nearest class share"]]), f'<img src="{nn_grid}">',
                 "<h2>Training</h2>", f'<img src="{render.curves(self.results[0].history)}">']
        if self.reference is not None:
            mean = self.reference["mean"]
            parts += ["<h2>An independent judge, with real target images as a reference</h2>",
                      f"<p>{self.n_reference} real {t} images, used for evaluation only. The judge: "
                      f"{html.escape(json.dumps(self.reference['judge']))}. Mean over seeds with a 95 % interval "
                      "over seeds:</p>",
                      render.table([{k: f"{v[0]:.3g} ({v[1]:.3g}–{v[2]:.3g})" for k, v in mean.items()}]),
                      render.table(self.reference["per seed"])]
        parts += ["<h2>Provenance</h2>", f"<pre>{html.escape(json.dumps(self.provenance, indent=2))}</pre>"]
        if self.skipped:
            parts += ["<h2>Skipped files</h2>", "<pre>" + html.escape("\n".join(self.skipped[:50])) + "</pre>"]
        if fragment:
            return "".join(parts).replace("<h1>", "<h3>").replace("</h1>", "</h3>")
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>probe: {t}</title><style>{render.STYLE}</style>"
                f"</head><body>{''.join(parts)}</body></html>")

    def _steps_text(self) -> str:
        trained = ", ".join(map(str, self.steps_trained)) if self.steps_trained else str(self.steps)
        if self.stopping is None:
            return f"{trained} generator steps (a fixed count)"
        every = self.stopping[0].get("check every", "?")
        return (f"{trained} generator steps (trained until the GAN drew the seen classes, a check every {every} "
                f"steps, at most {self.steps})")

    def _verdict_html(self) -> str:
        lines = self.headline()
        colour = "#2a7" if self.evidence else "#c22"
        body = "".join(f"<p>{'<b>' if i == 0 else ''}{html.escape(line)}{'</b>' if i == 0 else ''}</p>"
                       for i, line in enumerate(lines))
        return f"<div style='border:3px solid {colour};padding:.2em 1em;margin:1em 0'>{body}</div>"

    def _seen_html(self) -> list[str]:
        """The section on the seen classes: the check per seed and class, and the stopping record."""
        if not self.seen_checks:
            return []
        out = ["<h2>Does the GAN draw the seen classes?</h2>",
               f"<p>Before the probe is read: the GAN's images of each seen class, read by the classifier (top-1) "
               f"and compared with that class's real images (KID in the classifier's features, and its ratio to "
               f"the KID between the class and its nearest other real class). The GAN draws the seen classes "
               f"when the {html.escape(self.seen_rule.describe())}.</p>"]
        for seed, check in zip(self.seeds, self.seen_checks):
            out += [f"<p>Seed {seed}: median top-1 {check['median top-1 (%)']:.1f} %, median KID ratio "
                    f"{check['median KID ratio']:.2f} — {'draws' if check['draws'] else 'does not draw'} the seen "
                    "classes.</p>", render.table(check["per class"])]
        for seed, stop in zip(self.seeds, self.stopping or []):
            rows = [{"step": c["step"], "median top-1 (%)": c["median top-1 (%)"],
                     "median KID ratio": c["median KID ratio"], "draws": c["draws"]} for c in stop["checks"]]
            how = "stopped at the first check that passed" if stop["reached"] else \
                "reached its budget without a check passing"
            out += [f"<p>Seed {seed}: training {how} ({stop['steps']} of at most {stop['budget']} steps). Its "
                    "checks:</p>", render.table(rows)]
        return out

    def save(self, out: str | Path) -> Path:
        """Write report.html, samples.npz, generator.safetensors and config.json into ``out`` at once."""
        return render.write(out, self.html(), {self.target: self}, self.generator, self.results[0].config,
                            self.summary())


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

    def headline(self) -> list[str]:
        """The GAN's verdict (one GAN per seed, shared by every target), then each target's reading."""
        first = self.first.headline()
        rest = [line for r in self.reports.values() for line in r.headline()[1:]]
        return first[:1] + rest

    @property
    def verdict(self) -> str:
        """One line: the GAN's verdict, then each target's confidence when it is evidence."""
        if self.first.seen_checks and not self.first.evidence:
            return ("NOT EVIDENCE: the GAN does not draw the seen classes, so its probes of "
                    f"{', '.join(map(repr, self.targets))} say nothing about what the classifier memorised")
        return "; ".join([self.first.verdict] + [r._confidence() for r in list(self.reports.values())[1:]])

    def __str__(self) -> str:
        return "\n".join(self.headline())

    def summary(self) -> dict:
        """``{"verdict": ..., "targets": [...], "per target": {target: ProbeReport.summary()}}``."""
        return {"verdict": self.verdict, "evidence": self.first.evidence, "headline": self.headline(),
                "targets": self.targets, "per target": {t: r.summary() for t, r in self.reports.items()}}

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
        lines = self.headline()
        colour = "#2a7" if self.first.evidence else "#c22"
        box = "".join(f"<p>{'<b>' if i == 0 else ''}{html.escape(line)}{'</b>' if i == 0 else ''}</p>"
                      for i, line in enumerate(lines))
        head = [f"<h1>What has the classifier memorised about {names}?</h1>",
                f"<div style='border:3px solid {colour};padding:.2em 1em;margin:1em 0'>{box}</div>",
                f"<p>{len(self.reports)} classes absent at once from one ProbeGAN per seed (seeds {self.first.seeds});"
                " each section below is one of them. Means over seeds:</p>", render.table(rows)]
        sections = [r.html(fragment=True).replace("<h2>", "<h4>").replace("</h2>", "</h4>")
                    .replace("<h3>", "<h2>").replace("</h3>", "</h2>") for r in self.reports.values()]
        body = "".join(head + sections)
        if fragment:
            return body.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>probe: {names}</title><style>{render.STYLE}"
                f"</style></head><body>{body}</body></html>")

    def save(self, out: str | Path) -> Path:
        """Write report.html (every target), samples.npz (``labels`` say which), the first seed's
        generator and config.json into ``out`` at once."""
        return render.write(out, self.html(), self.reports, self.first.generator, self.first.results[0].config,
                      self.summary())
