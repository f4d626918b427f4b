# ---
# jupyter:
#   jupytext:
#     formats: notebooks///py:percent,book/chapters///ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7 · Audio: ProbeGAN on mel-spectrograms of men, women and nonhuman sounds
#
# The paper's last experiment (Fig. 7): an audio classifier tells men's voices, women's voices
# and nonhuman sounds apart; with one class absent from the GAN's data, ProbeGAN generates it
# as a mel-spectrogram, which is turned back into sound. People recognised 49 % (men), 64 %
# (women) and 61 % (nonhuman) of the generated clips.
#
# The paper used AudioSet, which cannot be downloaded here. Offline, the chapter synthesises
# its own corpus at first use: speech from the eSpeak NG voices bundled in the
# `espeakng-loader` wheel (male and female voice variants, varied words, pitch, speed and
# gain) and synthetic nonhuman sounds (tones, chirps, noise bursts, click trains, warbles,
# drones), 1 s at 16 kHz. With `data_dir` holding `<class>/*.wav`, your own recordings are used.
#
# The spectrograms are 32 mel bands × 32 frames in [−1, 1], so `probelib.train.probegan` runs on
# them unchanged: an image of one channel. Recognition is measured by an evaluation network
# trained on all classes, on the generated clips *after* inversion to audio (Griffin-Lim) and
# back to a spectrogram — what a listener would get.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale) | gpu-smoke (gpu at 200 steps)
dataset = "speech"  # the offline corpus, or data_dir/<class>/*.wav
target_class = "men"  # first class shown; every class is made absent in turn
seed = 0  # seed of the corpus split, classifiers and probes
data_dir = None  # a folder of clips per class; None for the offline corpus
run_dir = "runs"  # cache, samples and ledger, relative to the project root

# %%
import dataclasses
import time

import numpy as np
import pandas as pd
import torch
from IPython.display import Audio, HTML, display

import probelib as pl
from probelib import book, data, measure, models, viz
from probelib.book import experiments

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
           data_dir=data_dir, run_dir=run_dir)
A = ch.profile.audio
cfg = A.corpus
t0 = time.perf_counter()
corpus = data.speech.load_folder(ch.data_dir, cfg) if ch.data_dir else data.speech.load_corpus(cfg, ch.run_dir)
train, test = data.speech.to_image_set(corpus, "train", cfg), data.speech.to_image_set(corpus, "test", cfg)
classes = train.classes
print(f"{len(corpus.waves)} clips of {cfg.duration:g} s at {cfg.sr} Hz ({time.perf_counter() - t0:.0f} s to load "
      f"or build); {len(train)} train / {len(test)} test spectrograms of {tuple(train.images.shape[1:])}")
display(pd.DataFrame({"train": train.counts(), "test": test.counts()}))

# %% [markdown]
# ## The data: spectrograms and sounds

# %%
viz.image_grid([train.images[train.labels == c][:8] for c in range(len(classes))], list(classes),
                 title="Log-mel spectrograms (low frequencies at the top row of each image)", cell=0.8);
for c, name in enumerate(classes):
    i = int(np.flatnonzero(corpus.labels == c)[0])
    display(HTML(f"<b>{name}</b>: {corpus.info[i]}"), Audio(corpus.waves[i], rate=cfg.sr))

# %% [markdown]
# ## Classifiers
#
# As for images: a regular and a PGD-robust ResNet (the probed classifiers, ε in the
# [−1, 1] units of the spectrogram image) and an evaluation network of another architecture
# and seed, trained on all classes, that judges the generated clips. No flips or shifts:
# time and frequency have a direction.

# %%
nets = {
    "regular": pl.load_or_train_classifier(A.classifier, train, test, ch.run_dir, ch.device, name="audio-regular"),
    "robust": pl.load_or_train_classifier(dataclasses.replace(A.classifier, adv_eps=A.robust_eps),
                                        train, test, ch.run_dir, ch.device, name="audio-robust"),
    "eval": pl.load_or_train_classifier(A.evalnet, train, test, ch.run_dir, ch.device, name="audio-eval"),
}
display(pd.DataFrame({k: {"test accuracy (%)": 100 * n.record["test_acc"], "train min": n.record["seconds"] / 60}
                      for k, n in nets.items()}).T.round(1))

# %% [markdown]
# ## ProbeGAN, each class absent in turn
#
# The profile's ProbeGAN trainer, probing the robust classifier, with the absent class's clips
# removed from the GAN's data. Two settings differ from the image chapters, both chosen by
# measurement with the **development judge** (`benchmarks/shortcut_sweep.py` on this corpus,
# at this profile's scale, 2026-11-26; stored in `benchmarks/measured/shortcut_sweep_cpu.jsonl`
# and `shortcut_sweep_h200.jsonl` — the table below is typed from those files; the development
# judge's recognition of the generated spectrograms, 600 generator steps). The reporting
# panel below was never looked at for this choice:
#
# | probed classifier | λ_cls | its test accuracy | men | women | nonhuman |
# |---|---|---|---|---|---|
# | ε = 2 (the image chapters' setting) | 2 | 72 % | 6 % | 18 % | 67 % |
# | ε = 2 | 10 | 75 % | 5 % | 82 % | 66 % |
# | ε = 1 | 2 (H200) | 88 % | 52–67 % | 81–100 % | 1 % |
# | ε = 1 | 10 | 88 % | 99 % | 100 % | 97 % |
#
# At ε = 2 (the image chapters' radius) the robust classifier hardly separates men from women
# on these small spectrograms, and its probe of "men" is not heard as men. At ε = 1 with the
# image chapters' λ_cls = 2 the adversarial terms outweigh the classifier when the GAN has to
# leave speech for nonhuman sounds: the probed classifier calls the samples "nonhuman", the
# evaluation network does not. So this chapter probes the ε = 1 classifier with λ_cls = 10.

# %%
judge = nets["eval"].model  # the development judge
panel = experiments.panel(ch, train, test, augment=False)  # the reporting panel, trained on the mel images
judges = {experiments.DEV: judge, **panel}
experiments.prefetch(ch, [experiments.probe_job(ch, f"audio-{name}", train, nets["robust"], t, seed=ch.seed,
                                                 steps=A.probe_steps, lambda_cls=A.lambda_cls)
                          for t, name in enumerate(classes)])  # the three probes, side by side
results, generated = [], {}
for t, name in enumerate(classes):
    res = experiments.probe(ch, f"audio-{name}", train, nets["robust"], t, seed=ch.seed, steps=A.probe_steps,
                            lambda_cls=A.lambda_cls)
    x = experiments.target_samples(res, A.n_samples, seed=ch.seed)
    generated[name] = x
    again, waves = data.mel.round_trip(x[: A.n_inverted], cfg)
    generated[name + ":again"] = again
    real = test.images[test.labels == t]
    for jname, j in judges.items():
        heard = measure.recognition_rate(j, again, t)
        _, lo, hi = measure.proportion_ci(round(heard * len(again)), len(again))
        results.append({"absent class": name, "judge": jname,
                        "generated spectrograms (%)": 100 * measure.recognition_rate(j, x, t),
                        "after inversion to audio (%)": 100 * heard,
                        "image-level 95 % CI": f"{100 * lo:.1f}–{100 * hi:.1f}",
                        "coverage": measure.judge_metrics(j, x, real, t)["coverage"],
                        "paper: people (%)": 100 * book.paper.AUDIO_HUMAN_RECOGNITION.get(name, float("nan"))})
    out = ch.samples_dir("audio", name)
    for i in range(min(A.n_wavs, len(waves))):
        data.mel.write_wav(out / f"{name}-{i:02d}.wav", waves[i], cfg.sr)
    pl.save_samples(ch.samples_dir("audio") / f"{name}.npz", x, t)
    generated[name + ":waves"] = waves
long = pd.DataFrame(results)
table = long.set_index(["absent class", "judge"])
display(table.round(2))
print(f"one seed per absent class: the intervals are over the {A.n_inverted} inverted clips of one GAN "
      "(image-level), not over runs; coverage: share of real test clips of the class whose 5-NN ball in the "
      "judge's feature space holds a generated spectrogram (near 0 = collapse)")

# %% [markdown]
# ## Real and generated spectrograms (the paper's Fig. 7)

# %%
rows, labels = [], []
for t, name in enumerate(classes):
    rows += [test.images[test.labels == t][:8], generated[name][:8]]
    labels += [f"real {name}", f"generated {name}"]
viz.image_grid(rows, labels, title="Each generated row: that class was absent from the GAN's data", cell=0.8);

# %% [markdown]
# ## Listen
#
# Three generated clips per absent class, after Griffin-Lim inversion (the players work in the
# rendered book).

# %%
for name in classes:
    display(HTML(f"<b>generated {name}</b>"))
    for w in generated[name + ":waves"][:3]:
        display(Audio(w, rate=cfg.sr))

# %% [markdown]
# ## What the round trip to sound does
#
# Griffin-Lim inverts a mel image to a waveform whose own mel image is only close to the one
# asked for: a mel band holds a few STFT bins at low frequencies, the window's leakage spreads
# energy into neighbouring bands, and the phase is estimated. Real clips survive the round trip
# (below: the judge's recognition of real test clips before and after). A generated spectrogram
# need not be one that any sound has, and then the round trip changes it more: the table shows
# the mean absolute change per image in [−1, 1] units, and which class the judge hears after.

# %%
rt = {}
for t, name in enumerate(classes):
    real = test.images[test.labels == t][:40]
    n = min(40, len(generated[name + ":again"]))  # the generated clips were inverted above
    for kind, x, again in (("real", real, data.mel.round_trip(real, cfg)[0]),
                           ("generated", generated[name][:n], generated[name + ":again"][:n])):
        heard = torch.bincount(models.predict(judge, again).argmax(1), minlength=len(classes))
        rt[(name, kind)] = {"clips": len(x), "judge before (%)": 100 * measure.recognition_rate(judge, x, t),
                            "judge after (%)": 100 * measure.recognition_rate(judge, again, t),
                            "mean change": float((again - x).abs().mean()),
                            **{f"heard as {c} (%)": 100 * float(heard[k]) / len(x) for k, c in enumerate(classes)}}
display(pd.DataFrame(rt).T.round(2))

# %% [markdown]
# ## Reading the result

# %%
after = table["after inversion to audio (%)"].unstack("judge")
for name in classes:
    verdicts = ", ".join(f"{j} {after.loc[name, j]:.1f} %" for j in judges)
    panel_min = min(after.loc[name, j] for j in panel)
    print(f"absent {name!r}, recognised after inversion: {verdicts}; people in the paper: "
          f"{100 * book.paper.AUDIO_HUMAN_RECOGNITION.get(name, float('nan')):.0f} % — "
          + ("every panel judge meets" if panel_min >= 50 else "a panel judge misses") + " the book's 50 % bar.")
for name in classes:
    for j in judges:
        book.glue(f"after inversion {name} {j}", round(float(after.loc[name, j]), 1))
vit = after["panel: ViT"]
book.finding("recognised after inversion to sound by the panel's ViT: "
             + ", ".join(f"{name} {vit[name]:.1f} %" for name in classes)
             + " (one seed each, image-level intervals; the paper's people: " + ", ".join(
                 f"{name} {100 * book.paper.AUDIO_HUMAN_RECOGNITION[name]:.0f} %" for name in classes
                 if name in book.paper.AUDIO_HUMAN_RECOGNITION) + ")")
print("Our recogniser is a network, not people, and our corpus is synthetic speech, not AudioSet: the numbers "
      "say the probe draws what the classifier memorised, not that people would hear it the same way.")

# %% [markdown]
# ## Exported samples
#
# `runs/samples/audio/<class>/<class>-NN.wav` (the first generated clips, 16-bit WAV) and
# `runs/samples/audio/<class>.npz` (`images`: the generated spectrograms, float32 N×1×32×32 in
# [−1, 1]; `labels`).

# %% [markdown]
# ## In this chapter we
#
# - synthesised a corpus of men's, women's and nonhuman sounds offline (eSpeak NG voices and
#   numpy), turned it into log-mel images, and trained regular, robust and evaluation networks;
# - ran ProbeGAN unchanged on spectrograms with each class absent in turn, inverted the
#   generated spectrograms to sound, and measured recognition after the round trip;
# - put the development judge's and the reporting panel's rates beside the paper's human
#   ones, and exported WAVs.
#
# ## References
#
# - Wang, Z. et al. *ProbeGAN*, AAAI 2022, Fig. 7 "Application to the Audio Modality".
# - Griffin, D., Lim, J. *Signal estimation from modified short-time Fourier transform*, 1984.
# - eSpeak NG, https://github.com/espeak-ng/espeak-ng.
