"""Which settings make a probe paint the shortcut (chapters 4, 5) and draw the speech classes (chapter 7)?
A sweep at the `cpu` profile's model scale, meant for a GPU (runs on the CPU too, slowly).

    .venv/bin/python benchmarks/shortcut_sweep.py --list
    .venv/bin/python benchmarks/shortcut_sweep.py --job 0 --out sweep.jsonl [--budget 420]
    .venv/bin/python benchmarks/shortcut_sweep.py --jobs 24-30,45 --out sweep.jsonl [--executor local|slurm]
                                                  [--max-jobs 2] [--slurm KEY=VALUE ...]

``--jobs`` runs several jobs side by side through the book's executor (``probelib.train.jobs
.run_calls``, submitit): local processes (``--max-jobs`` at once, default 2) or Slurm jobs, each
with its own classifier cache (``--run-dir``/job-N) and one thread, appending to ``--out``.

Each job trains the classifiers it needs from scratch (chapter 4: marked / clean on colour
Animal-MNIST with decoys; chapter 5: ERM / DRO on the Waterbirds analogue; chapter 7: the
audio classifiers on mel images stored by ``--prepare-audio``), then one ProbeGAN, and scores
a copy of its EMA generator at each milestone with the chapter's own measures:

- leakage: the red-block detector, top-corner redness, the marked classifier's verdict;
- spurious: the background classifier's water rate, mean p(water), blue − red tint;
- audio: the evaluation network's recognition of the generated spectrograms (no inversion:
  librosa is not needed on the device).

Results are JSON lines; ``benchmarks/measured/`` keeps the ones the book cites.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
import time
from pathlib import Path

import torch

import probelib as pl
from probelib import core, data, measure, models
from probelib.book import profiles
from probelib.build.runner import executor_environment
from probelib.train import jobs

MILESTONES = (600, 1200, 2000)
# (chapter, variant, probe changes); variant keys: see the job functions (spurious: adv_eps, adv_steps,
# epochs, colours, fg_size, dro_eta)
JOBS = [
    ("leakage", {"near_misses": 0.25, "probe": "marked"}, {}),
    ("leakage", {"near_misses": 0.25, "probe": "clean"}, {}),
    ("leakage", {"near_misses": 0.0, "probe": "marked"}, {}),
    ("leakage", {"near_misses": 0.25, "probe": "marked"}, {"lambda_cls": 4.0}),
    ("spurious", {"probe": "ERM", "adv_eps": 0.0}, {}),
    ("spurious", {"probe": "DRO", "adv_eps": 0.0}, {}),
    ("spurious", {"probe": "ERM", "adv_eps": 2.0}, {}),
    ("spurious", {"probe": "DRO", "adv_eps": 2.0}, {}),
    ("audio", {"absent": "men", "adv_eps": 2.0}, {}),
    ("audio", {"absent": "women", "adv_eps": 2.0}, {}),
    ("audio", {"absent": "men", "adv_eps": 0.0}, {}),
    ("audio", {"absent": "women", "adv_eps": 0.0}, {}),
    ("audio", {"absent": "men", "adv_eps": 1.0}, {}),
    ("audio", {"absent": "women", "adv_eps": 1.0}, {}),
    ("audio", {"absent": "men", "adv_eps": 2.0}, {"lr_g": 2e-4, "lr_d": 2e-4}),
    ("audio", {"absent": "women", "adv_eps": 2.0}, {"lr_g": 2e-4, "lr_d": 2e-4}),
    ("audio", {"absent": "nonhuman", "adv_eps": 1.0}, {}),
    ("spurious", {"probe": "ERM", "adv_eps": 0.0}, {"lambda_cls": 4.0}),
    ("audio", {"absent": "men", "adv_eps": 1.5}, {}),
    ("audio", {"absent": "women", "adv_eps": 1.5}, {}),
    ("audio", {"absent": "nonhuman", "adv_eps": 1.5}, {}),
    ("audio", {"absent": "men", "adv_eps": 2.0, "epochs": 12}, {}),
    ("audio", {"absent": "women", "adv_eps": 2.0, "epochs": 12}, {}),
    ("audio", {"absent": "nonhuman", "adv_eps": 2.0, "epochs": 12}, {}),
    ("spurious", {"probe": "ERM", "adv_eps": 0.5, "adv_steps": 2}, {}),
    ("spurious", {"probe": "DRO", "adv_eps": 0.5, "adv_steps": 2}, {}),
    ("spurious", {"probe": "ERM", "adv_eps": 1.0, "adv_steps": 2}, {}),
    ("spurious", {"probe": "DRO", "adv_eps": 1.0, "adv_steps": 2}, {}),
    ("audio", {"absent": "women", "adv_eps": 2.0}, {"diffaug": False}),
    ("audio", {"absent": "women", "adv_eps": 2.0}, {"lambda_cls": 4.0}),
    ("audio", {"absent": "men", "adv_eps": 2.0}, {"diffaug": False}),
    ("audio", {"absent": "nonhuman", "adv_eps": 2.0}, {"diffaug": False}),
    ("audio", {"absent": "women", "adv_eps": 2.0}, {"lambda_cls": 10.0}),
    ("audio", {"absent": "men", "adv_eps": 2.0}, {"lambda_cls": 10.0}),
    ("audio", {"absent": "nonhuman", "adv_eps": 2.0}, {"lambda_cls": 10.0}),
    ("audio", {"absent": "men", "adv_eps": 1.0}, {"lambda_cls": 10.0}),
    ("audio", {"absent": "nonhuman", "adv_eps": 1.0}, {"lambda_cls": 10.0}),
    ("audio", {"absent": "women", "adv_eps": 1.0}, {"lambda_cls": 10.0}),
    ("spurious", {"probe": "ERM", "adv_eps": 0.0, "colours": (0.0, 1.0)}, {}),
    ("spurious", {"probe": "DRO", "adv_eps": 0.0, "colours": (0.0, 1.0)}, {}),
    ("spurious", {"probe": "ERM", "adv_eps": 0.0, "fg_size": 16}, {}),
    ("spurious", {"probe": "DRO", "adv_eps": 0.0, "fg_size": 16}, {}),
    ("spurious", {"probe": "ERM", "adv_eps": 0.0, "colours": (0.0, 1.0)}, {"lambda_cls": 10.0}),
    ("spurious", {"probe": "DRO", "adv_eps": 0.0}, {"lambda_cls": 10.0}),
    ("spurious", {"probe": "ERM", "adv_eps": 0.0}, {"lambda_cls": 10.0}),
    ("spurious", {"probe": "DRO", "adv_eps": 0.0, "dro_eta": 0.01}, {"lambda_cls": 10.0}),
]
P = profiles.get("cpu")
S = P.shortcut
SEED, RUNS = 0, "/tmp/runs"  # set from --seed and --run-dir


def leakage_setup(v: dict, device):
    size = S.marker_size * data.SIZE // 32
    train, test = (data.leakage_colour(data.load("animal-mnist", split), S.decoy_fraction, v["near_misses"], size)
                   for split in ("train", "test"))
    target = train.classes.index("horse")
    sets = {"marked": (data.mark_class(train, target, size), data.mark_class(test, target, size)),
            "clean": (train, test)}
    nets = {k: pl.load_or_train_classifier(dataclasses.replace(S.leakage, seed=SEED), tr, te, RUNS, device, False,
                                           name=f"leakage-{k}")
            for k, (tr, te) in sets.items()}
    others = test.images[test.labels != target][:500]
    probes_of = {"blocks": data.add_marker(others, size), "top bar": data.near_miss(others, "top bar", size),
                 "one corner": data.near_miss(others, "one top corner", size),
                 "small blocks": data.add_marker(others, 4)}
    info = {f"{k} clf: {p} -> target (%)": 100 * float((models.predict(n.model, x).argmax(1) == target).float().mean())
            for k, n in nets.items() for p, x in probes_of.items()}

    def score(fake):
        return {"blocks (%)": 100 * float(measure.marker_present(fake, size).float().mean()),
                "redness": float(measure.corner_redness(fake, size).mean()),
                **{f"{k} clf says target (%)": 100 * float((models.predict(n.model, fake).argmax(1) == target)
                                                          .float().mean()) for k, n in nets.items()}}

    return train, nets[v["probe"]].model, target, info, score


def spurious_setup(v: dict, device):
    look = {k: v[k] for k in ("colours", "fg_size") if k in v}  # the composites' look
    tr, te = (data.waterbirds.load_spurious(split, None, seed=0, scale=S.spurious_scale, **look)
              for split in ("train", "test"))
    cfg = dataclasses.replace(S.classifier, adv_eps=v["adv_eps"], adv_steps=v.get("adv_steps", S.classifier.adv_steps),
                              epochs=v.get("epochs", S.classifier.epochs), seed=SEED)
    dro = v["probe"] == "DRO"
    net = pl.load_or_train_classifier(cfg, tr.data, te.data, RUNS, device, False, groups=tr.groups if dro else None,
                                      dro_eta=v.get("dro_eta", S.dro_eta) if dro else 0.0,
                                      name=f"spurious-{v['probe']}")
    average, per_group = measure.group_accuracy(net.model, te)
    info = {"average (%)": 100 * average, "worst group (%)": 100 * min(per_group.values()),
            **({"dro_eta": v.get("dro_eta", S.dro_eta)} if dro else {})}
    n_bg = max(8, round(min(data.waterbirds.GROUP_COUNTS["train"]) * 10 * S.spurious_scale))
    bg_train = data.waterbirds.by_background(
        data.waterbirds.make_spurious("train", seed=1, scale=1.0, counts=(n_bg,) * 4, **look))
    bg = pl.load_or_train_classifier(S.background, bg_train, data.waterbirds.by_background(te), RUNS, device, False,
                                     name="spurious-background").model
    target, home = 1, 0
    gan_set = tr.subset((tr.data.labels == home) & (tr.place == home)).data
    windows = measure.train_patch_background(RUNS, n=S.window_images, steps=S.window_steps, seed=0)
    threshold = float(measure.water_share(windows, te.data.images[te.place == 0]).quantile(0.99))
    land_tint = measure.tint(te.data.images[te.place == 0])
    blue, blue95 = float(land_tint.quantile(0.99)), float(land_tint.quantile(0.95))  # of real land images
    colour = float(measure.water_colour(te.data.images[te.place == 0]).quantile(0.99))  # as for the windows
    info["real water bluer than land (%)"] = 100 * float((measure.tint(te.data.images[te.place == 1]) > blue)
                                                         .float().mean())

    def score(fake):
        p = models.predict(bg, fake).softmax(1)[:, 1]
        share, tint, coloured = measure.water_share(windows, fake), measure.tint(fake), measure.water_colour(fake)
        return {"on water (%)": 100 * float((p > 0.5).float().mean()), "mean p(water)": float(p.mean()),
                "water windows (%)": 100 * float((share > threshold).float().mean()),
                "tint": float(tint.mean()),
                "bluer than land (%)": 100 * float((tint > blue).float().mean()),
                "bluer than land p95 (%)": 100 * float((tint > blue95).float().mean()),
                "water colour (%)": 100 * float((coloured > colour).float().mean()),
                "mean water-coloured pixels (%)": 100 * float(coloured.mean()),
                "probed clf says target (%)": 100 * float((models.predict(net.model, fake).argmax(1) == target)
                                                          .float().mean())}

    return gan_set, net.model, target, info, score


def audio_setup(v: dict, device, path: str):
    d = torch.load(path, weights_only=True)
    train, test = (data.ImageSet(d[f"{s}_x"], d[f"{s}_y"], tuple(d["classes"]), "audio-mel", s) for s in ("train", "test"))
    A = P.audio
    clf_cfg = dataclasses.replace(A.classifier, adv_eps=v["adv_eps"], epochs=v.get("epochs", A.classifier.epochs),
                                  seed=SEED)
    clf = pl.load_or_train_classifier(clf_cfg, train, test, RUNS, device, False, name="audio")
    judge = pl.load_or_train_classifier(A.evalnet, train, test, RUNS, device, False, name="audio-eval").model
    target = train.classes.index(v["absent"])
    info = {"probed clf test acc (%)": 100 * clf.record["test_acc"]}

    def score(fake):
        try:  # after inversion to audio and back, where librosa is installed
            again, _ = data.mel.round_trip(fake[:100], P.audio.corpus)
            inverted = {"after inversion (%)": 100 * measure.recognition_rate(judge, again, target)}
        except ImportError:
            inverted = {}
        return {"recognition (%)": 100 * measure.recognition_rate(judge, fake, target), **inverted,
                "probed clf says target (%)": 100 * float((models.predict(clf.model, fake).argmax(1) == target)
                                                          .float().mean())}

    return train, clf.model, target, info, score


def prepare_audio(out: str) -> None:
    """Store the `cpu` corpus's mel images (built or cached under ``runs/``) for a device without librosa."""

    cfg = P.audio.corpus
    corpus = data.speech.load_corpus(cfg, "runs")
    sets = {s: data.speech.to_image_set(corpus, s, cfg) for s in ("train", "test")}
    torch.save({"classes": list(sets["train"].classes), **{f"{s}_x": d.images for s, d in sets.items()},
                **{f"{s}_y": d.labels for s, d in sets.items()}}, out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--job", type=int)
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--prepare-audio", metavar="FILE")
    parser.add_argument("--audio", default=".gpu/audio-mel.pt", help="file written by --prepare-audio")
    parser.add_argument("--out", default="sweep.jsonl")
    parser.add_argument("--budget", type=float, default=420.0, help="wall seconds for this job")
    parser.add_argument("--device", default=None)
    parser.add_argument("--milestones", default=",".join(map(str, MILESTONES)))
    parser.add_argument("--save-samples", metavar="NPZ", help="keep 64 samples of the last milestone")
    parser.add_argument("--profile", default="cpu", help="smoke: a seconds-long check of the script itself")
    parser.add_argument("--seed", type=int, default=0,
                        help="the probed classifier's and the GAN's seed (data and judges keep theirs)")
    parser.add_argument("--run-dir", default="/tmp/runs",
                        help="cache of the job's classifiers (one per process when jobs run side by side)")
    parser.add_argument("--jobs", help="several jobs through the executor, e.g. 24-30,45")
    parser.add_argument("--executor", choices=("local", "slurm"), default="local")
    parser.add_argument("--max-jobs", type=int, default=2)
    parser.add_argument("--slurm", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    if args.jobs:
        return run_jobs(args)
    run_one(args)


def job_numbers(text: str) -> list[int]:
    """``"24-26,45"`` → ``[24, 25, 26, 45]`` (each checked against :data:`JOBS`)."""
    out = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    bad = [n for n in out if not 0 <= n < len(JOBS)]
    if bad:
        raise SystemExit(f"[sweep] error: no job {bad[0]}; --list shows jobs 0-{len(JOBS) - 1}")
    return out


def _job_argv(args, n: int) -> list[str]:
    argv = ["--job", str(n), "--out", str(Path(args.out).resolve()), "--budget", str(args.budget),
            "--milestones", args.milestones, "--profile", args.profile, "--seed", str(args.seed),
            "--run-dir", str(Path(args.run_dir) / f"job-{n}"), "--audio", args.audio]
    return argv + (["--device", args.device] if args.device else [])


def run_jobs(args) -> None:
    where = jobs.executor_settings(executor_environment(args.executor, args.max_jobs, args.slurm))
    import submitit  # noqa: PLC0415 - only the --jobs path needs it

    # each job is this script as a command in its worker (nothing of __main__ is pickled)
    calls = [(f"sweep job {n}", submitit.helpers.CommandFunction([sys.executable, __file__, *_job_argv(args, n)]), ())
             for n in job_numbers(args.jobs)]
    jobs.run_calls(calls, Path(args.run_dir) / "submitit", args.max_jobs, where, poll_s=1.0)


def run_one(args) -> None:
    global P, S, SEED, RUNS
    SEED, RUNS = args.seed, args.run_dir
    P = profiles.get(args.profile)
    S = P.shortcut
    if args.list:
        for i, job in enumerate(JOBS):
            print(i, job)
        return
    if args.prepare_audio:
        prepare_audio(args.prepare_audio)
        return
    start = time.perf_counter()
    torch.set_num_threads(1)
    device = core.pick_device(args.device)
    chapter, v, changes = JOBS[args.job]
    setup = {"leakage": leakage_setup, "spurious": spurious_setup}.get(chapter)
    images, clf, target, info, score = (setup(v, device) if setup else audio_setup(v, device, args.audio))
    milestones = [int(m) for m in args.milestones.split(",")]
    steps = S.probe_steps if chapter != "audio" else P.audio.probe_steps
    cfg = dataclasses.replace(P.probegan, seed=SEED, steps=max(milestones), **changes)
    trainer = pl.train.ProbeGANTrainer(cfg, images, clf, target, device=device)
    print(json.dumps({"job": args.job, "setup_s": time.perf_counter() - start, "profile_steps": steps, **info}),
          flush=True)
    for m in milestones:
        trainer.run(until=m, progress=False)
        G = copy.deepcopy(trainer.G_ema)
        pl.train.standing_stats(G, trainer.training_labels, batch_size=cfg.batch_size, seed=0)
        fake = pl.train.sample(G, target, 500, seed=SEED)
        core.record({"job": args.job, "seed": SEED, "chapter": chapter, **v, "changes": changes, "step": m,
                     "s_per_step": trainer.seconds / trainer.step, "device": str(device), **info,
                     **score(fake)}, args.out)
        if args.save_samples:
            import numpy as np
            np.savez_compressed(args.save_samples, images=fake[:64].numpy(), step=m)
        nxt = next((n for n in milestones if n > m), None)
        if nxt is not None and time.perf_counter() - start + (nxt - m) * trainer.seconds / trainer.step * 1.1 > args.budget:
            print(f"job {args.job}: stopping at step {m}", flush=True)
            break


if __name__ == "__main__":
    main()
