"""Chapter 7 (ProbeGAN on mel-spectrograms) as functions: the corpus, the stored sweep the λ_cls
choice was made with, every judge on real clips, the recognition of the generated clips before
and after the round trip to sound (per seed, then over seeds), what the probe draws (nearest real
clips, spectrogram statistics), the exports, the figures, the tables and the sentences that read
the result.

The chapter calls these so that its visible cells hold the experiment. Numbers stay numeric in
the ``*_rates`` / ``*_summary`` frames (the prose reads them); the ``*_table`` functions turn them
into the book's formatted tables. Nothing here displays: the player functions return IPython
display objects for the chapter to show.

This module is longer than 400 lines because chapter 7 is a whole audio pipeline on one page
(corpus, judges on real clips, round trips, probes over seeds, the nonhuman analysis, the stored
sweep read from its files); splitting it by stage is left for when the page itself is split.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ... import data as datamod
from ... import measure, models, viz
from .. import paper
from ..chapter import Chapter
from ..compare import fmt_ci, interval
from ..compare import real_accuracy as real_accuracy_of
from ..profiles import PROFILES
from ..runs import Planned, planned_probe
from ..stored import stored_rows

__all__ = ["plan", "Generated", "load_corpus", "corpus_table", "example_players", "spectrogram_figure",
           "classifier_table", "SWEEP_FILES", "SWEEP_COLUMNS", "SWEEP_KEY", "stored_sweep", "real_accuracy",
           "real_accuracy_table", "AFTER", "BEFORE", "recognition_rates", "recognition_summary", "recognition_table",
           "seed_table", "export", "generated_figure", "generated_players", "round_trip_rates", "round_trip_table",
           "SPACES", "most_disputed", "band_profile", "spectrogram_stats", "nearest_real", "draw_rates", "draw_table",
           "stats_by_group", "stats_table", "band_figure", "nearest_figure", "readings", "VERDICTS", "class_reading",
           "finding_text", "votes", "disputed"]


@dataclass
class Generated:
    """One probe's generated spectrograms ``images``, the first of them inverted to sound
    (``waves``) and analysed again (``again``)."""

    images: torch.Tensor
    again: torch.Tensor
    waves: np.ndarray


def plan(ch: Chapter) -> list[Planned]:
    """``seeds`` probes per class (seeds ``ch.seed``, ``ch.seed + 1``, …), that class absent:
    ProbeGAN on the spectrograms probing the robust classifier with the profile's audio
    ``probe_steps`` and ``lambda_cls`` (data ``audio-<class>``)."""
    A = ch.profile.audio
    return [planned_probe(ch, name, f"audio-{name}", t, ch.seed + s, steps=A.probe_steps,
                          resolution=A.corpus.n_mels, lambda_cls=A.lambda_cls)
            for s in range(A.seeds) for t, name in enumerate(ch.classes)]


def load_corpus(ch: Chapter):
    """The chapter's corpus (``data_dir``'s clips, or the offline one, built at first use), its
    train and test spectrograms and the seconds loading took: ``(corpus, train, test, seconds)``."""
    cfg = ch.profile.audio.corpus
    t0 = time.perf_counter()
    corpus = (datamod.speech.load_folder(ch.data_dir, cfg) if ch.data_dir
              else datamod.speech.load_corpus(cfg, ch.run_dir))
    train, test = (datamod.speech.to_image_set(corpus, split, cfg) for split in ("train", "test"))
    return corpus, train, test, time.perf_counter() - t0


def corpus_table(train, test) -> pd.DataFrame:
    """Spectrograms per class in each split, as formatted strings."""
    frame = pd.DataFrame({"train (clips)": train.counts(), "test (clips)": test.counts()})
    frame.index.name = "class"
    return frame.map(lambda v: f"{int(v):,}")


def example_players(corpus, classes, sr: int) -> list:
    """A caption and a player for the first clip of each class (IPython display objects)."""
    from IPython.display import HTML, Audio

    out = []
    for c, name in enumerate(classes):
        i = int(np.flatnonzero(corpus.labels == c)[0])
        out += [HTML(f"<b>{name}</b>: {corpus.info[i]}"), Audio(corpus.waves[i], rate=sr)]
    return out


def spectrogram_figure(train, n: int = 8):
    """``n`` training spectrograms per class, one row each."""
    rows = [train.images[train.labels == c][:n] for c in range(len(train.classes))]
    return viz.image_grid(rows, list(train.classes), title="Log-mel spectrograms", cell=0.8)


def classifier_table(nets: dict) -> pd.DataFrame:
    """Test accuracy and training time of each trained classifier, formatted."""
    return pd.DataFrame({"test accuracy (%)": {k: f"{100 * n.record['test_acc']:.1f}" for k, n in nets.items()},
                         "training (min)": {k: f"{n.record['seconds'] / 60:.1f}" for k, n in nets.items()}})


# ---- the stored sweep the chapter's settings were chosen with ---------------------------------

#: the stored sweeps with chapter 7's jobs (development judges only), under benchmarks/measured
SWEEP_FILES = ("shortcut_sweep_cpu.jsonl", "shortcut_sweep_h200.jsonl", "shortcut_sweep_h200_run1.jsonl")
#: a stored column -> the table's name for it
SWEEP_COLUMNS = {"probed clf test acc (%)": "probed classifier's test accuracy (%)",
                 "recognition (%)": "development judge: generated (%)",
                 "after inversion (%)": "development judge: after inversion (%)",
                 "probed clf says target (%)": "probed classifier says the absent class (%)"}
#: the columns that name a stored job's row
SWEEP_KEY = ["file", "probed classifier ε", "λ_cls", "other changes", "absent class"]


def stored_sweep(measured, classes, step: int = 600, files=SWEEP_FILES, lambda_cls: float | None = None
                 ) -> tuple[pd.DataFrame | None, str]:
    """Chapter 7's jobs in the stored shortcut sweeps under ``measured``, read from the files (never
    typed): one row per job scored at ``step`` generator steps, named by :data:`SWEEP_KEY` (where
    a job changed no λ_cls, ``lambda_cls``: default the `cpu` profile's trainer's, the scale the
    sweep ran at; the records do not store it), its :data:`SWEEP_COLUMNS` to
    0.1 ("–" where the job did not measure one). With it, the caption's source: each file with
    its machine and date from ``manifest.json``. ``(None, reason)`` when no file is there."""
    measured = Path(measured)
    lambda_cls = PROFILES["cpu"].probegan.lambda_cls if lambda_cls is None else lambda_cls
    rows, sources, order = [], [], {c: i for i, c in enumerate(classes)}
    for f, name in enumerate(files):
        stored, source = stored_rows(measured, name)
        if stored is None:
            continue
        sources.append(source)
        for r in stored:
            if r.get("chapter") != "audio" or r.get("step") != step:
                continue
            changes = dict(r.get("changes", {}))
            lam = float(changes.pop("lambda_cls", lambda_cls))
            other = ", ".join(f"{k} = {v}" for k, v in sorted(changes.items())) or "none"
            rows.append(((f, r["adv_eps"], lam, other, order.get(r["absent"], len(order))), {
                "file": name, "probed classifier ε": f"{r['adv_eps']:g}", "λ_cls": f"{lam:g}",
                "other changes": other, "absent class": r["absent"],
                **{out: "–" if r.get(col) is None else f"{r[col]:.1f}" for col, out in SWEEP_COLUMNS.items()}}))
    if not rows:
        return None, f"no stored sweep under {measured}"
    frame = pd.DataFrame([row for _, row in sorted(rows, key=lambda kr: kr[0])])
    return frame.set_index(SWEEP_KEY), "benchmarks/measured/" + "; ".join(sources)


# ---- the judges on real clips -------------------------------------------------------------------

def real_accuracy(judges: dict, test) -> pd.DataFrame:
    """Every judge on every real test clip: per (judge, class) the clips, the share recognised (%,
    with its Wilson 95 % interval over the clips) and the share heard as each class (%, numbers):
    :func:`probelib.book.compare.real_accuracy` in the chapter's words."""
    return real_accuracy_of(judges, test.images, test.labels, list(test.classes), unit="clips", taken="heard as")


def real_accuracy_table(rates: pd.DataFrame) -> pd.DataFrame:
    """:func:`real_accuracy` formatted (clips as integers, rates to 0.1 %)."""
    out = pd.DataFrame(index=rates.index)
    out["clips"] = rates["clips"].map("{:.0f}".format)
    out["recognised (%) (95 % CI over clips)"] = [f"{a:.1f} ({lo:.1f}–{hi:.1f})" for a, lo, hi in
                                                  zip(rates["recognised (%)"], rates["lo (%)"], rates["hi (%)"])]
    for col in [c for c in rates.columns if c.startswith("heard as")]:
        out[col] = rates[col].map("{:.1f}".format)
    return out


# ---- recognition of the generated clips ---------------------------------------------------------

AFTER, BEFORE = "after inversion to audio (%)", "generated spectrograms (%)"


def recognition_rates(judges: dict, name: str, target: int, g: Generated, real: torch.Tensor, seed: int = 0
                      ) -> list[dict]:
    """One probe (absent class ``name``, ``seed``), per judge: the share of its generated
    spectrograms recognised as ``target`` before and after the round trip to sound (%, with the
    Wilson interval over the inverted clips: image-level), the coverage of the ``real`` clips of
    the class and the paper's human rate (numbers, one dict per judge)."""
    rows = []
    for jname, j in judges.items():
        heard = measure.recognition_rate(j, g.again, target)
        _, lo, hi = measure.proportion_ci(round(heard * len(g.again)), len(g.again))
        rows.append({"absent class": name, "seed": seed, "judge": jname,
                     BEFORE: 100 * measure.recognition_rate(j, g.images, target),
                     AFTER: 100 * heard, "lo (%)": 100 * lo, "hi (%)": 100 * hi,
                     "coverage": measure.judge_metrics(j, g.images, real, target)["coverage"],
                     "paper: people (%)": 100 * paper.AUDIO_HUMAN_RECOGNITION.get(name, float("nan"))})
    return rows


def recognition_summary(rates: pd.DataFrame) -> pd.DataFrame:
    """Per (absent class, judge) over the seeds of :func:`recognition_rates`: each rate's mean and
    Student-t 95 % interval (cut to 0–100 %; :func:`~probelib.book.compare.interval`), the seeds,
    the mean coverage and the paper's people (numbers)."""
    out = {}
    for (name, j), g in rates.groupby(["absent class", "judge"], sort=False):
        row = {}
        for col in (AFTER, BEFORE):
            m, lo, hi, n = interval(g[col], (0.0, 100.0))
            row.update({col: m, f"{col} lo": lo, f"{col} hi": hi})
        out[(name, j)] = {**row, "seeds": n, "coverage": float(g["coverage"].mean()),
                          "paper: people (%)": float(g["paper: people (%)"].iloc[0])}
    frame = pd.DataFrame(out).T.astype(float)
    frame.index.names = ["absent class", "judge"]
    return frame


def recognition_table(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`recognition_summary` as the book's table: ``mean (low–high)`` over seeds."""
    out = pd.DataFrame(index=summary.index)
    for col in (AFTER, BEFORE):
        out[f"{col[:-4]} (%), mean over seeds (95 % CI)"] = [
            fmt_ci(m, lo, hi, int(n)) for m, lo, hi, n in
            zip(summary[col], summary[f"{col} lo"], summary[f"{col} hi"], summary["seeds"])]
    out["seeds"] = summary["seeds"].map("{:.0f}".format)
    out["coverage (mean over seeds)"] = summary["coverage"].map(lambda v: "—" if np.isnan(v) else f"{v:.2f}")
    out["paper: people (%)"] = summary["paper: people (%)"].map(lambda v: "—" if np.isnan(v) else f"{v:.0f}")
    return out


def seed_table(rates: pd.DataFrame) -> pd.DataFrame:
    """Each probe's recognition after inversion, per judge, with the Wilson 95 % interval over
    its inverted clips (image-level: how well one GAN's rate is measured, not how much another
    seed's GAN would differ); rows (absent class, seed)."""
    cells = [f"{a:.1f} ({lo:.1f}–{hi:.1f})" for a, lo, hi in zip(rates[AFTER], rates["lo (%)"], rates["hi (%)"])]
    out = rates.assign(cell=cells).pivot(index=["absent class", "seed"], columns="judge", values="cell")
    rows = list(dict.fromkeys(zip(rates["absent class"], rates["seed"])))
    out = out.loc[rows, list(dict.fromkeys(rates["judge"]))]
    out.columns = [f"{j}: after inversion (%) (image-level 95 % CI)" for j in out.columns]
    return out


# ---- exports, figures and players of the generated clips ------------------------------------------

def export(ch: Chapter, name: str, target: int, g: Generated, n_wavs: int, sr: int) -> None:
    """Write the first ``n_wavs`` inverted clips as WAVs and all generated spectrograms as .npz."""
    out = ch.samples_dir("audio", name)
    for i in range(min(n_wavs, len(g.waves))):
        datamod.mel.write_wav(out / f"{name}-{i:02d}.wav", g.waves[i], sr)
    datamod.save_samples(ch.samples_dir("audio") / f"{name}.npz", g.images, target)


def generated_figure(test, generated: dict, n: int = 8):
    """Per class: ``n`` real test spectrograms, then ``n`` generated with the class absent."""
    rows, labels = [], []
    for t, name in enumerate(test.classes):
        rows += [test.images[test.labels == t][:n], generated[name].images[:n]]
        labels += [f"real {name}", f"generated {name}"]
    return viz.image_grid(rows, labels, cell=0.8)


def generated_players(generated: dict, sr: int, n: int = 3) -> list:
    """A heading and ``n`` players of inverted clips per absent class (IPython display objects)."""
    from IPython.display import HTML, Audio

    out = []
    for name, g in generated.items():
        out += [HTML(f"<b>generated {name}</b>"), *(Audio(w, rate=sr) for w in g.waves[:n])]
    return out


# ---- the round trip to sound ----------------------------------------------------------------------

def round_trip_rates(judges: dict, test, generated: dict, cfg, n: int = 40) -> pd.DataFrame:
    """What the round trip to sound does, per class, to ``n`` real test clips and to the first ``n``
    (already inverted) clips of each of the class's probes (``generated``: ``{(class, seed):
    Generated}``): the mean absolute change per image in [−1, 1] units and every judge's
    recognition before and after (%, numbers)."""
    out = {}
    for t, name in enumerate(test.classes):
        real = test.images[test.labels == t][:n]
        gens = [g for (c, _), g in generated.items() if c == name]
        pairs = {"real": (real, datamod.mel.round_trip(real, cfg)[0]),
                 "generated": (torch.cat([g.images[: min(n, len(g.again))] for g in gens]),
                               torch.cat([g.again[:n] for g in gens]))}
        for kind, (x, again) in pairs.items():
            row = {"clips": len(x), "mean change": float((again - x).abs().mean())}
            for j, m in judges.items():
                row[f"{j}: before (%)"] = 100 * measure.recognition_rate(m, x, t)
                row[f"{j}: after (%)"] = 100 * measure.recognition_rate(m, again, t)
            out[(name, kind)] = row
    frame = pd.DataFrame(out).T
    frame.index.names = ["class", "clips of"]
    return frame


def round_trip_table(rates: pd.DataFrame) -> pd.DataFrame:
    """:func:`round_trip_rates` formatted: clips, the change to 0.01 and, per judge, ``before →
    after`` to 0.1 %."""
    out = pd.DataFrame({"clips": rates["clips"].map("{:.0f}".format),
                        "mean change": rates["mean change"].map("{:.2f}".format)}, index=rates.index)
    for col in [c for c in rates.columns if c.endswith(": before (%)")]:
        j = col[: -len(": before (%)")]
        after = rates[f"{j}: after (%)"]
        out[f"{j}: before → after (%)"] = [f"{b:.1f} → {a:.1f}" for b, a in zip(rates[col], after)]
    return out


# ---- what the probe draws -------------------------------------------------------------------------

#: where the nearest real clip is looked for: the spectrogram's pixels, or the judge's features (True)
SPACES = {"on the spectrogram": False, "in the development judge's features": True}


def _db(images: torch.Tensor, cfg) -> np.ndarray:
    return (images.detach().cpu()[:, 0].double().numpy() - 1) / 2 * cfg.top_db  # (N, mels, frames) dB re full scale


def most_disputed(summary: pd.DataFrame, panel) -> str:
    """The absent class whose recognition after inversion (means over seeds, ``summary``:
    :func:`recognition_summary`) by the development judge exceeds the lowest panel judge's by most."""
    after = summary[AFTER].unstack("judge")
    dev = [j for j in after.columns if j not in panel]
    return str((after[dev].max(axis=1) - after[list(panel)].min(axis=1)).idxmax())


def band_profile(images: torch.Tensor, cfg) -> np.ndarray:
    """Mean level per mel band (dB re full scale) over the clips and frames of mel ``images``."""
    return _db(images, cfg).mean((0, 2))


def spectrogram_stats(images: torch.Tensor, cfg) -> pd.DataFrame:
    """Per clip of mel images ``(N, 1, mels, frames)`` in [−1, 1]: the mean level (dB re full
    scale), the spectral centroid (Hz: the power-weighted mean of the bands' centre
    frequencies), the spectral flatness (geometric over arithmetic mean power across the bands,
    per frame, averaged: near 0 tonal, near 1 noise) and the mean change of the frame's level from
    one frame to the next (dB: speech comes in bursts, a drone does not)."""
    import librosa

    db = _db(images, cfg)
    power = 10 ** (db / 10)  # (N, mels, frames)
    centres = librosa.mel_frequencies(cfg.n_mels + 2, fmin=cfg.fmin, fmax=cfg.fmax)[1:-1]
    band = power.sum(2)  # (N, mels)
    frame_db = 10 * np.log10(power.mean(1))  # (N, frames)
    flat = np.exp(np.log(power).mean(1)) / power.mean(1)  # (N, frames)
    return pd.DataFrame({"level (dB)": db.mean((1, 2)), "centroid (Hz)": (band * centres).sum(1) / band.sum(1),
                         "flatness": flat.mean(1),
                         "frame-to-frame change (dB)": np.abs(np.diff(frame_db, axis=1)).mean(1)})


def nearest_real(x: torch.Tensor, test, judge=None, k: int = 1) -> torch.Tensor:
    """The indices into ``test`` of each image's ``k`` nearest real test clips ``(N, k)``, nearest
    first: Euclidean distance between the spectrograms (``judge`` None) or between the judge's
    penultimate features."""
    if judge is None:
        a, b = x.flatten(1), test.images.flatten(1)
    else:
        ext = measure.JudgeFeatures(judge)
        a, b = measure.features(ext, x), measure.features(ext, test.images)
    return torch.cdist(a.double(), b.double()).topk(k, dim=1, largest=False).indices


def draw_rates(judge, generated: dict, test, cfg) -> pd.DataFrame:
    """What each probe draws, per (absent class, seed) of ``generated``: the share of its generated
    spectrograms whose nearest real test clip (:func:`nearest_real`, in each of :data:`SPACES`)
    is of each class (%), the root-mean-square difference of its :func:`band_profile` from each
    real class's (dB) and the class it is nearest to (numbers)."""
    classes = list(test.classes)
    profiles = {c: band_profile(test.images[test.labels == t], cfg) for t, c in enumerate(classes)}
    rows = []
    for (name, seed), g in generated.items():
        row = {"absent class": name, "seed": seed}
        for space, features in SPACES.items():
            heard = test.labels[nearest_real(g.images, test, judge if features else None)[:, 0]]
            row.update({f"nearest real clip {space}: {c} (%)": 100 * float((heard == i).float().mean())
                        for i, c in enumerate(classes)})
        p = band_profile(g.images, cfg)
        dist = {c: float(np.sqrt(((p - q) ** 2).mean())) for c, q in profiles.items()}
        rows.append({**row, **{f"band distance to {c} (dB)": d for c, d in dist.items()},
                     "band nearest": min(dist, key=dist.get)})
    return pd.DataFrame(rows)


def draw_table(draws: pd.DataFrame) -> pd.DataFrame:
    """:func:`draw_rates` per absent class: the share of generated clips whose nearest real clip
    is of the absent class, in each space (mean over seeds, 95 % CI), and the real class nearest in
    energy per mel band, counted over the seeds."""
    out = {}
    for name, d in draws.groupby("absent class", sort=False):
        row = {f"nearest real clip {space} is the absent class (%)": fmt_ci(
            *interval(d[f"nearest real clip {space}: {name} (%)"], (0.0, 100.0))) for space in SPACES}
        counts = d["band nearest"].value_counts()
        row["energy per mel band nearest to (seeds)"] = ", ".join(f"{c} {k}" for c, k in counts.items()) \
            + f" of {len(d)}"
        out[name] = row
    frame = pd.DataFrame(out).T
    frame.index.name = "absent class"
    return frame


def stats_by_group(test, generated: dict, name: str, cfg) -> pd.DataFrame:
    """:func:`spectrogram_stats` of every clip of each group: the generated spectrograms of each
    probe of ``name`` (``generated {name}, seed s``) and the real test clips of each class
    (``real <class>``); one row per clip, with its ``group``."""
    parts = [spectrogram_stats(g.images, cfg).assign(group=f"generated {name}, seed {s}")
             for (c, s), g in generated.items() if c == name]
    parts += [spectrogram_stats(test.images[test.labels == t], cfg).assign(group=f"real {c}")
              for t, c in enumerate(test.classes)]
    return pd.concat(parts, ignore_index=True)


def stats_table(stats: pd.DataFrame) -> pd.DataFrame:
    """:func:`stats_by_group` per group: clips and ``mean (sd over clips)`` of each statistic."""
    groups = stats.groupby("group", sort=False)
    out = pd.DataFrame({"clips": groups.size().map("{:.0f}".format)})
    for col, fmt in (("level (dB)", "{:.1f}"), ("centroid (Hz)", "{:.0f}"), ("flatness", "{:.3f}"),
                     ("frame-to-frame change (dB)", "{:.2f}")):
        m, s = groups[col].mean(), groups[col].std()
        out[f"{col}, mean (sd)"] = [f"{fmt.format(a)} ({fmt.format(b)})" for a, b in zip(m, s)]
    return out


def band_figure(test, generated: dict, name: str, cfg):
    """Mean level per mel band (:func:`band_profile`) of the real test clips of each class (solid)
    and of each probe of ``name`` (dashed), against the band's centre frequency."""
    import librosa
    import matplotlib.pyplot as plt

    hz = librosa.mel_frequencies(cfg.n_mels + 2, fmin=cfg.fmin, fmax=cfg.fmax)[1:-1]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    for t, c in enumerate(test.classes):
        ax.plot(hz, band_profile(test.images[test.labels == t], cfg), lw=2, color=f"C{t}", label=f"real {c}")
    for (c, s), g in generated.items():
        if c == name:
            ax.plot(hz, band_profile(g.images, cfg), "--", color="k", alpha=0.7, label=f"generated {c}, seed {s}")
    ax.set(xscale="log", xlabel="mel band centre (Hz)", ylabel="mean level (dB re full scale)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def nearest_figure(judge, test, images: torch.Tensor, name: str, n: int = 6, k: int = 4):
    """For the first ``n`` generated spectrograms of ``name``: the clip, its ``k`` nearest real test
    clips in the judge's features, then its ``k`` nearest on the spectrogram, each titled with its class."""
    import matplotlib.pyplot as plt

    x = images[:n]
    near = {space: nearest_real(x, test, judge if features else None, k) for space, features in SPACES.items()}
    fig, axes = plt.subplots(len(x), 1 + 2 * k, figsize=(0.95 * (1 + 2 * k) + 0.4, 1.05 * len(x) + 0.5), squeeze=False)
    for i in range(len(x)):
        cells = [(x[i], f"generated {name}")] + [(test.images[j], f"{test.classes[int(test.labels[j])]}")
                                                  for space in reversed(SPACES) for j in near[space][i]]
        for ax, (img, title) in zip(axes[i], cells):
            ax.imshow(viz.to_display(img[None])[0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(title, fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(f"each generated {name} clip | its {k} nearest real clips in the development judge's features | "
                 f"its {k} nearest on the spectrogram", fontsize=8)
    fig.tight_layout()
    return fig


# ---- reading the result ---------------------------------------------------------------------------

def _after_ci(row: pd.Series) -> str:
    """One :func:`recognition_summary` row's recognition after inversion as ``mean (low–high)``."""
    return fmt_ci(row[AFTER], row[AFTER + " lo"], row[AFTER + " hi"], int(row["seeds"]))


def readings(summary: pd.DataFrame, judges, panel) -> list[str]:
    """One sentence per absent class: each judge's recognition after inversion, mean over seeds with
    its 95 % interval (``summary``: :func:`recognition_summary`), the paper's people and whether
    every panel judge's mean meets the book's 50 % bar."""
    out = []
    for name in dict.fromkeys(summary.index.get_level_values("absent class")):
        s = summary.loc[name]
        verdicts = ", ".join(f"{j} {_after_ci(s.loc[j])} %" for j in judges)
        human = 100 * paper.AUDIO_HUMAN_RECOGNITION.get(name, float("nan"))
        out.append(f"absent {name!r}, recognised after inversion (mean over {int(s['seeds'].iloc[0])} seeds): "
                   f"{verdicts}; people in the paper: {human:.0f} % — "
                   + ("every panel judge meets" if min(s.loc[j, AFTER] for j in panel) >= 50
                      else "a panel judge misses")
                   + " the book's 50 % bar.")
    return out


#: the verdicts of :func:`class_reading`
VERDICTS = ("drawn", "the panel cannot hear the class", "not drawn", "drawn, not accepted by the panel",
            "a development-judge shortcut", "undecided")


def class_reading(name: str, summary: pd.DataFrame, real: pd.DataFrame, trip: pd.DataFrame, draws: pd.DataFrame,
                  panel, bar: float = 50.0) -> tuple[str, str]:
    """Whether the probes of ``name`` draw the class or a shortcut of the development judge, read
    from this run's numbers: ``(verdict, sentence)``, the verdict one of :data:`VERDICTS`.

    Only panel judges that recognise at least ``bar`` % of real clips of the class, before
    (``real``: :func:`real_accuracy`) and after the round trip (``trip``:
    :func:`round_trip_rates`), may vouch; none: the panel cannot hear the class. Every one of them
    hearing the probes' clips (means over seeds in ``summary`` ≥ ``bar``): drawn. None of them,
    nor the development judge: not drawn. None of them but the development judge: the spectrograms
    decide (``draws``: :func:`draw_rates`) — nearest real clip on the spectrogram of the class for
    ≥ ``bar`` % of the clips *and* energy per mel band nearest to the class in most seeds: the
    class, in a form the panel does not accept; neither: a shortcut the development judge shares
    with the probed classifier; one of the two, or a split panel: undecided."""
    after = {j: summary.loc[(name, j), AFTER] for j in summary.loc[name].index}
    dev = next(j for j in after if j not in panel)
    n = int(summary.loc[(name, dev), "seeds"])
    real_acc = {j: real.loc[(j, name), "recognised (%)"] for j in panel}
    real_trip = {j: trip.loc[(name, "real"), f"{j}: after (%)"] for j in panel}
    able = [j for j in panel if min(real_acc[j], real_trip[j]) >= bar]
    rates = ", ".join(f"{j} {after[j]:.1f} %" for j in after)
    head = f"absent {name!r}, recognised after inversion (means over {n} seeds): {rates}. "
    if not able:
        return VERDICTS[1], head + (
            "No panel judge recognises real " + name + " clips: "
            + ", ".join(f"{j} {real_acc[j]:.1f} % ({real_trip[j]:.1f} % after the round trip)" for j in panel)
            + "; the panel cannot hear the class in real clips, so its verdict says nothing about the probes.")
    unable = [j for j in panel if j not in able]
    aside = (f" ({', '.join(unable)} set aside: it recognises under {bar:.0f} % of real {name} clips)"
             if unable else "")
    hear = [j for j in able if after[j] >= bar]
    if len(hear) == len(able):
        return VERDICTS[0], head + f"The panel hears the class{aside}: the probes draw it."
    d = draws[draws["absent class"] == name]
    pix = float(d[f"nearest real clip on the spectrogram: {name} (%)"].mean())
    feat = float(d[f"nearest real clip in the development judge's features: {name} (%)"].mean())
    band = int((d["band nearest"] == name).sum())
    others = d["band nearest"][d["band nearest"] != name].value_counts()
    spectrograms = (f"The nearest real test clip of a generated spectrogram is a {name} clip for {pix:.0f} % of them "
                    f"on the spectrogram and for {feat:.0f} % in the development judge's features; their energy per "
                    f"mel band is nearest to real {name} clips in {band} of {n} seeds"
                    + (f" (else {', '.join(f'{c} in {k}' for c, k in others.items())})" if len(others) else "") + ". ")
    if hear:
        deaf = [j for j in able if j not in hear]
        return VERDICTS[5], head + (
            f"The panel is split{aside}: {', '.join(hear)} hear(s) the class, {', '.join(deaf)} not, so this run "
            f"cannot say whether the probes draw it. For the record (the rule does not read them when the panel is "
            f"split): " + spectrograms)
    if after[dev] < bar:
        return VERDICTS[2], head + f"Neither the panel{aside} nor the development judge hears it: not drawn."
    j = min(able, key=after.get)
    evidence = (head + f"Only the development judge hears the class, although {j} recognises {real_acc[j]:.1f} % "
                f"of real {name} clips ({real_trip[j]:.1f} % after the round trip){aside}. " + spectrograms)
    if pix >= bar and band > n / 2:
        return VERDICTS[3], evidence + (f"The spectrograms resemble real {name} clips: the probes draw the class, "
                                        f"in a form {j} does not accept; not a development-judge shortcut.")
    if pix < bar and band <= n / 2:
        return VERDICTS[4], evidence + (
            f"The spectrograms do not resemble real {name} clips: the probes draw what the probed classifier "
            f"and the development judge accept as {name}, a shortcut the two networks share, not the class.")
    return VERDICTS[5], evidence + ("The two spectrogram measures disagree: this run cannot tell whether the "
                                    "probes draw the class or a development-judge shortcut.")


def finding_text(summary: pd.DataFrame, classes, panel_judge: str = "panel: ViT", verdicts: dict | None = None
                 ) -> str:
    """The chapter's headline: ``panel_judge``'s recognition after inversion, mean over seeds with its
    95 % interval, beside the paper's people, and each class's :func:`class_reading` verdict
    where it is not "drawn"."""
    n = int(summary["seeds"].max())
    people = ", ".join(f"{name} {100 * paper.AUDIO_HUMAN_RECOGNITION[name]:.0f} %" for name in classes
                       if name in paper.AUDIO_HUMAN_RECOGNITION)
    odd = {c: v for c, v in (verdicts or {}).items() if v != VERDICTS[0]}
    return (f"recognised after inversion to sound by the panel's ViT, mean over {n} seeds (95 % CI): "
            + ", ".join(f"{name} {_after_ci(summary.loc[(name, panel_judge)])} %" for name in classes)
            + (f"; {'; '.join(f'{c}: {v}' for c, v in odd.items())}" if odd else "")
            + f" (the paper's people: {people})")


def votes(judges: dict, images: torch.Tensor, classes) -> pd.DataFrame:
    """The class each judge hears in each clip (rows: clips; columns: judges; class names)."""
    names = np.asarray(list(classes))
    return pd.DataFrame({j: names[models.predict(m, images).argmax(1).numpy()] for j, m in judges.items()})


def disputed(table: pd.DataFrame, target: str) -> pd.DataFrame:
    """The clips of :func:`votes` on which the judges disagree, the most disputed first (fewest
    judges hearing ``target``, then the clip's order)."""
    split = table.nunique(axis=1) > 1
    hits = (table == target).sum(axis=1)
    return table[split].assign(_hits=hits[split]).sort_values("_hits", kind="stable").drop(columns="_hits")
