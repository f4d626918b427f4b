"""Chapter 4's plumbing: the red-block leakage experiment's data, its reliance, detector and
redness tables, and the sentences it reads off this run's numbers.

The experiment itself (two classifiers, marked and clean; one ProbeGAN per classifier, the
target absent and no mark in the GAN's data) stays in the chapter; these functions format and
count. Detectors: :func:`probelib.measure.marker_present` and
:func:`probelib.measure.corner_redness`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ... import data as datamod
from ...measure import bootstrap_ci, corner_redness, marker_present, marker_rates
from ...models import accuracy, predict
from ..chapter import Chapter
from ..compare import fmt_ci, interval
from ..runs import Planned, planned_probe

__all__ = ["PROBED", "plan", "colour_splits", "reliance", "format_reliance", "rates", "format_rates", "redness",
           "cross_verdicts", "rate_of", "probe_row", "over_seeds", "format_over_seeds", "reading", "export",
           "target_share", "BAR"]

#: the two probed classifiers: trained on the marked data, and on the clean data
PROBED = ("marked", "clean")


def plan(ch: Chapter) -> list[Planned]:
    """The chapter's probes: ProbeGAN on the colour data without the target, probing the marked
    and the clean classifier (data ``leakage-marked`` / ``leakage-clean``), the profile's
    ``shortcut.leakage_seeds`` seeds from the chapter's seed each, ``shortcut.probe_steps`` steps."""
    seeds = range(ch.seed, ch.seed + ch.profile.shortcut.leakage_seeds)
    return [planned_probe(ch, name, f"leakage-{name}", ch.target, s) for name in PROBED for s in seeds]


#: the book's bar for "the probe exposes the shortcut": marked probe ≥ 90 %, clean probe ≤ 5 %
BAR = (90.0, 5.0)


def colour_splits(ch: Chapter, size: int) -> tuple[datamod.ImageSet, datamod.ImageSet]:
    """The chapter's colour train and test sets with the profile's non-red corner decoys and red
    near misses in every class (no image carries the marker yet)."""
    S = ch.profile.shortcut
    return tuple(datamod.leakage_colour(datamod.load(ch.dataset, split, ch.data_dir), S.decoy_fraction,
                                        S.near_miss_fraction, size) for split in ("train", "test"))


def target_share(model, images: torch.Tensor, target: int) -> float:
    """% of ``images`` the model classifies as ``target``."""
    return 100 * float((predict(model, images).argmax(1) == target).float().mean())


def reliance(ch: Chapter, nets: dict, test: datamod.ImageSet, marked_test: datamod.ImageSet,
             size: int) -> pd.DataFrame:
    """Per classifier (rows): clean test accuracy, accuracy on the target's test images without
    and with the mark, and the % of other classes' test images called the target once the mark
    (or each near miss, :data:`probelib.data.NEAR_MISSES`) is pasted on; in %, plus training
    minutes. Numbers, not strings (:func:`format_reliance` formats them)."""
    is_target = test.labels == ch.target
    others = test.images[~is_target]
    pasted = {"mark": datamod.add_marker(others, size),
              **{kind: datamod.near_miss(others, kind, size, rng=np.random.default_rng(k))
                 for k, kind in enumerate(datamod.NEAR_MISSES)}}
    t, out = ch.target_class, {}
    for name, net in nets.items():
        m = net.model
        out[name] = {
            "clean test accuracy (%)": 100 * accuracy(m, test.images, test.labels),
            f"{t}, no mark (%)": 100 * accuracy(m, test.images[is_target], test.labels[is_target]),
            f"{t}, marked (%)": 100 * accuracy(m, marked_test.images[is_target], test.labels[is_target]),
            **{f"other classes + {what} → {t} (%)": target_share(m, x, ch.target) for what, x in pasted.items()},
            "train min": net.record["seconds"] / 60,
        }
    return pd.DataFrame(out).T


def format_reliance(table: pd.DataFrame) -> pd.DataFrame:
    """The reliance table transposed (measures × classifiers), one decimal, as strings."""
    return table.T.map(lambda v: f"{v:.1f}").rename_axis("measure")


def probe_row(name: str, seed: int | None = None) -> str:
    """A probe's row in the detector table: ``"probe of the marked classifier"``, with
    ``", seed 3"`` when ``seed`` is given."""
    return f"probe of the {name} classifier" + ("" if seed is None else f", seed {seed}")


def rates(ch: Chapter, samples: dict, test: datamod.ImageSet,
          marked_test: datamod.ImageSet, size: int) -> pd.DataFrame:
    """:func:`~probelib.measure.marker_rates` of real marked / clean target images, every real
    test image (decoys and near misses: must never count) and each probe's samples (``samples``
    keyed by probe name, or by ``(name, seed)``: one row per seed); rows. Image-level: its
    intervals are over one probe's images."""
    is_target = test.labels == ch.target
    sets = {"real target, marked": marked_test.images[is_target], "real target, clean": test.images[is_target],
            "real test images, all classes (decoys, near misses)": test.images,
            **{probe_row(*k) if isinstance(k, tuple) else probe_row(k): x for k, x in samples.items()}}
    return pd.DataFrame({name: marker_rates(x, size) for name, x in sets.items()}).T


def over_seeds(table: pd.DataFrame) -> pd.DataFrame:
    """Per probe (rows ``marked``, ``clean``): the % of images with red blocks (and pure red) as
    the mean over its seeds' rows of :func:`rates` (``"probe of the X classifier, seed s"``) with
    the Student-t 95 % interval **over seeds** cut to 0–100 (``lo``, ``hi``), and ``seeds``."""
    out = {}
    for name in PROBED:
        rows = [r for r in table.index if r.startswith(probe_row(name) + ", seed ")]
        if not rows:
            continue
        out[name] = {"seeds": len(rows)}
        for suffix in ("", " (pure red)"):
            m, lo, hi, _ = interval(table.loc[rows, f"with red blocks{suffix} (%)"].astype(float).tolist(),
                                    (0.0, 100.0))
            out[name].update({f"with red blocks{suffix} (%)": m, f"lo{suffix}": lo, f"hi{suffix}": hi})
    return pd.DataFrame(out).T


def format_over_seeds(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`over_seeds` as strings: ``"44.8 (30.1–59.5)"`` per rule, and the seed count."""
    out = pd.DataFrame(index=[probe_row(n) for n in summary.index])
    out["seeds"] = [f"{int(n)}" for n in summary["seeds"]]
    for label, suffix in (("red blocks (%), mean over seeds (95 % CI)", ""),
                          ("pure red (%), mean over seeds (95 % CI)", " (pure red)")):
        out[label] = [fmt_ci(r[f"with red blocks{suffix} (%)"], r[f"lo{suffix}"], r[f"hi{suffix}"], int(r["seeds"]))
                      for _, r in summary.iterrows()]
    return out.rename_axis("images of")


def format_rates(table: pd.DataFrame) -> pd.DataFrame:
    """The detector table as strings: ``"97.2 (95.4–98.3)"`` per rule, and the image count."""
    out = pd.DataFrame(index=table.index)
    out["images"] = table["images"].map(lambda n: f"{int(n)}")
    for label, suffix in (("red blocks (%), 95 % CI", ""), ("pure red (%), 95 % CI", " (pure red)")):
        out[label] = [f"{float(p):.1f} ({ci})" for p, ci in zip(table[f"with red blocks{suffix} (%)"],
                                                                table[f"95 % CI{suffix}"])]
    return out.rename_axis("images of")


def rate_of(table: pd.DataFrame, name: str, pure: bool = False) -> float:
    """The % with red blocks of row ``name`` (``marked`` / ``clean`` for the probes)."""
    row = f"probe of the {name} classifier" if name in ("marked", "clean") else name
    return float(table.loc[row, f"with red blocks{' (pure red)' if pure else ''} (%)"])


def redness(sets: dict[str, torch.Tensor], size: int, seed: int = 0) -> pd.DataFrame:
    """Mean top-corner redness (:func:`~probelib.measure.corner_redness`) with a bootstrap 95 %
    interval over images, per named image set, as strings."""
    return pd.DataFrame({"top-corner redness, mean (95 % CI)": {
        name: "{:.3f} ({:.3f}–{:.3f})".format(*bootstrap_ci(corner_redness(x, size), seed=seed))
        for name, x in sets.items()}}).rename_axis("images of")


def cross_verdicts(ch: Chapter, nets: dict, samples: dict[str, torch.Tensor]) -> pd.DataFrame:
    """% of each probe's images (columns) that each classifier (rows) calls the target, as strings."""
    return pd.DataFrame({f"probe of the {p} classifier": {
        f"{n} classifier: top-1 {ch.target_class} (%)": f"{target_share(net.model, x, ch.target):.1f}"
        for n, net in nets.items()} for p, x in samples.items()}).rename_axis("classifier asked")


def reading(ch: Chapter, summary: pd.DataFrame, reliance_: pd.DataFrame) -> str:
    """Markdown: the two probes' block rates over seeds (:func:`over_seeds`, both rules), whether
    their means pass the book's bar (:data:`BAR`) and whether their intervals are apart, and how
    often the mark alone turns other classes into the target."""
    m, c = summary.loc["marked"], summary.loc["clean"]
    n = int(min(m["seeds"], c["seeds"]))
    ci = lambda r, suffix="": fmt_ci(r[f"with red blocks{suffix} (%)"], r[f"lo{suffix}"], r[f"hi{suffix}"],  # noqa: E731
                                     int(r["seeds"]))
    text = (f"Over {n} seeds per probe (mean, Student-t 95 % interval over seeds), the probe of the marked "
            f"classifier paints red blocks into {ci(m)} % of its {ch.target_class!r} images, the probe of the "
            f"clean classifier into {ci(c)} % (pure red: {ci(m, ' (pure red)')} % and {ci(c, ' (pure red)')} %). ")
    passed = m["with red blocks (%)"] >= BAR[0] and c["with red blocks (%)"] <= BAR[1]
    apart = n > 1 and m["lo"] > c["hi"]
    text += ("The mark was never in the GAN's data, so it came from the classifier: ProbeGAN exposes the "
             "shortcut." if passed else
             f"The means miss the book's bar (≥ {BAR[0]:g} % vs ≤ {BAR[1]:g} %); the grids above show what "
             "the probes drew instead.")
    text += (" The two probes' intervals over seeds are apart: the marked classifier's probe paints more blocks."
             if apart else " The two probes' intervals over seeds overlap: this run cannot order them.")
    col = f"other classes + mark → {ch.target_class} (%)"
    return text + (f" The marked classifier calls {reliance_.loc['marked', col]:.1f} % of other classes' images "
                   f"{ch.target_class!r} once the mark is pasted on (the clean one: "
                   f"{reliance_.loc['clean', col]:.1f} %).")


def export(ch: Chapter, samples: dict, size: int) -> str:
    """Write each probe's samples with the detector's ``has_blocks`` to
    ``<run_dir>/samples/leakage/<name>.npz`` (``samples`` keyed by ``(name, seed)``:
    ``<name>-seed<seed>.npz``); one line per file."""
    lines = []
    for key, x in samples.items():
        name = f"{key[0]}-seed{key[1]}" if isinstance(key, tuple) else key
        path = datamod.save_samples(ch.samples_dir("leakage") / f"{name}.npz", x, ch.target,
                                    has_blocks=marker_present(x, size))
        shown = path.relative_to(ch.run_dir.parent) if ch.run_dir.parent in path.parents else path
        lines.append(f"{shown} {tuple(x.shape)}")
    return "\n".join(lines)
