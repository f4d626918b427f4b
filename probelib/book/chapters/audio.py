"""Chapter 7 (ProbeGAN on mel-spectrograms) as functions: the corpus, the recognition of the
generated clips before and after the round trip to sound, the exports, the figures, the tables
and the sentences that read the result.

The chapter calls these so that its visible cells hold the experiment. Numbers stay numeric in
the ``*_rates`` frames (the prose reads them); :func:`recognition_table` and
:func:`round_trip_table` turn them into the book's formatted tables. Nothing here displays:
the player functions return IPython display objects for the chapter to show.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ... import data as datamod
from ... import measure, models, viz
from .. import paper
from ..chapter import Chapter
from ..runs import Planned, planned_probe

__all__ = ["plan", "Generated", "load_corpus", "corpus_table", "example_players", "spectrogram_figure",
           "classifier_table", "recognition_rates", "recognition_table", "export", "generated_figure",
           "generated_players", "round_trip_rates", "round_trip_table", "readings", "finding_text", "votes",
           "disputed"]


@dataclass
class Generated:
    """One absent class's generated spectrograms ``images``, the first of them inverted to sound
    (``waves``) and analysed again (``again``)."""

    images: torch.Tensor
    again: torch.Tensor
    waves: np.ndarray


def plan(ch: Chapter) -> list[Planned]:
    """One probe per class, that class absent: ProbeGAN on the spectrograms probing the robust
    classifier with the profile's audio ``probe_steps`` and ``lambda_cls`` (data ``audio-<class>``)."""
    A = ch.profile.audio
    return [planned_probe(ch, name, f"audio-{name}", t, ch.seed, steps=A.probe_steps,
                          resolution=A.corpus.n_mels, lambda_cls=A.lambda_cls)
            for t, name in enumerate(ch.classes)]


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


def recognition_rates(judges: dict, name: str, target: int, g: Generated, real: torch.Tensor) -> list[dict]:
    """Per judge: the share of generated spectrograms recognised as ``target`` before and after
    the round trip to sound (%, with the Wilson interval over the inverted clips), the coverage
    of the ``real`` clips of the class, and the paper's human rate (numbers, one dict per judge)."""
    rows = []
    for jname, j in judges.items():
        heard = measure.recognition_rate(j, g.again, target)
        _, lo, hi = measure.proportion_ci(round(heard * len(g.again)), len(g.again))
        rows.append({"absent class": name, "judge": jname,
                     "generated spectrograms (%)": 100 * measure.recognition_rate(j, g.images, target),
                     "after inversion to audio (%)": 100 * heard, "lo (%)": 100 * lo, "hi (%)": 100 * hi,
                     "coverage": measure.judge_metrics(j, g.images, real, target)["coverage"],
                     "paper: people (%)": 100 * paper.AUDIO_HUMAN_RECOGNITION.get(name, float("nan"))})
    return rows


def recognition_table(rates: pd.DataFrame) -> pd.DataFrame:
    """:func:`recognition_rates` of every class as the book's table (absent class × judge)."""
    out = pd.DataFrame({
        "absent class": rates["absent class"], "judge": rates["judge"],
        "generated spectrograms (%)": rates["generated spectrograms (%)"].map("{:.1f}".format),
        "after inversion to audio (%) (95 % CI)": [f"{a:.1f} ({lo:.1f}–{hi:.1f})" for a, lo, hi in
                                                   zip(rates["after inversion to audio (%)"], rates["lo (%)"],
                                                       rates["hi (%)"])],
        "coverage": rates["coverage"].map(lambda v: "—" if np.isnan(v) else f"{v:.2f}"),
        "paper: people (%)": rates["paper: people (%)"].map(lambda v: "—" if np.isnan(v) else f"{v:.0f}")})
    return out.set_index(["absent class", "judge"])


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


def round_trip_rates(judge, test, generated: dict, cfg, n: int = 40) -> pd.DataFrame:
    """What the round trip to sound does, per class, to ``n`` real test clips and to the (already
    inverted) generated ones: the judge's recognition before and after, the mean absolute change
    per image in [−1, 1] units and which class the judge hears after (%, numbers)."""
    classes = list(test.classes)
    out = {}
    for t, name in enumerate(classes):
        real = test.images[test.labels == t][:n]
        g = generated[name]
        k = min(n, len(g.again))
        for kind, x, again in (("real", real, datamod.mel.round_trip(real, cfg)[0]),
                               ("generated", g.images[:k], g.again[:k])):
            heard = torch.bincount(models.predict(judge, again).argmax(1), minlength=len(classes))
            out[(name, kind)] = {"clips": len(x), "judge before (%)": 100 * measure.recognition_rate(judge, x, t),
                                 "judge after (%)": 100 * measure.recognition_rate(judge, again, t),
                                 "mean change": float((again - x).abs().mean()),
                                 **{f"heard as {c} (%)": 100 * float(heard[i]) / len(x)
                                    for i, c in enumerate(classes)}}
    frame = pd.DataFrame(out).T
    frame.index.names = ["class", "clips of"]
    return frame


def round_trip_table(rates: pd.DataFrame) -> pd.DataFrame:
    """:func:`round_trip_rates` formatted (counts as integers, rates to 0.1 %, change to 0.01)."""
    out = rates.copy().astype(object)
    for col in rates.columns:
        fmt = "{:.0f}" if col == "clips" else "{:.2f}" if col == "mean change" else "{:.1f}"
        out[col] = rates[col].map(fmt.format)
    return out


def readings(after: pd.DataFrame, judges, panel) -> list[str]:
    """One sentence per absent class: each judge's recognition after inversion (``after``: class ×
    judge, %), the paper's people and whether every panel judge meets the book's 50 % bar."""
    out = []
    for name in after.index:
        verdicts = ", ".join(f"{j} {after.loc[name, j]:.1f} %" for j in judges)
        panel_min = min(after.loc[name, j] for j in panel)
        human = 100 * paper.AUDIO_HUMAN_RECOGNITION.get(name, float("nan"))
        out.append(f"absent {name!r}, recognised after inversion: {verdicts}; people in the paper: {human:.0f} % — "
                   + ("every panel judge meets" if panel_min >= 50 else "a panel judge misses")
                   + " the book's 50 % bar.")
    return out


def finding_text(after: pd.DataFrame, classes) -> str:
    """The chapter's headline: the panel ViT's recognition after inversion, beside the paper's people."""
    vit = after["panel: ViT"]
    people = ", ".join(f"{name} {100 * paper.AUDIO_HUMAN_RECOGNITION[name]:.0f} %" for name in classes
                       if name in paper.AUDIO_HUMAN_RECOGNITION)
    return ("recognised after inversion to sound by the panel's ViT: "
            + ", ".join(f"{name} {vit[name]:.1f} %" for name in classes)
            + f" (one seed each, image-level intervals; the paper's people: {people})")


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
