"""Seconds per ProbeGAN training step: the OFFICIAL code (csmiler/ProbeGAN) beside ours, same run.

    .venv/bin/python benchmarks/official_step.py [--official PATH] [--device cpu|cuda] [--steps 3]
                                                 [--threads N] [--freeze-classifier] [--out FILE]

One step = 4 discriminator steps + 1 generator step at the paper's CIFAR setting (BigGAN ch = 64,
32×32×3, batch 64, hierarchical z of 120, shared embedding 128, no attention, Dc hinge + Du WGAN-GP),
with the same classifier in the loop on both sides: ours, ``build_classifier("resnet", 3, 10, 64)``.
The official settings are parsed by the official argument parser from the official launch script
``scripts/launch_cifar_zerogan.sh`` (class 7 absent, batch 64), as ``train.py`` would; the official
step is its own ``train_fns.GAN_training_function`` on the official ``BigGAN`` G, D, G_D and EMA.
Ours is ``benchmarks/probegan_step.py``'s paper-scale trainer (``timing.seconds_per_step``).
Both get random data of CIFAR's shape (640 images 3×32×32, 10 classes, class 7 left out of the reals).
Each side: a warm-up step then ``--steps`` timed steps, in the order ours, official, official, ours
(so neither side always runs first or on a warmer cache); one JSON line per side (mean of both
rounds) and one with the ratio ours / official, printed and appended to ``--out``.

Where the official code comes from: ``--official PATH`` (a checkout of
https://github.com/csmiler/ProbeGAN), else the stored snapshot at /work/.mirror/csmiler+ProbeGAN/repo,
extracted (``git archive``) to a temporary folder. Its modules are imported from there (sys.path);
nothing of it is copied here or into ``probelib`` (which never imports this file).

What is stubbed, and why (nothing in a training step's arithmetic is):

- ``metrics`` (benchmarks/official_stubs/metrics.py): ``train_fns.py`` imports it, the snapshot does not
  ship it; only the TF-Inception FID at test time calls it.
- ``h5py`` (benchmarks/official_stubs/h5py.py), only if not installed: the official ``datasets.py``
  imports it at module level for HDF5 ImageNet sets; never used here. The stub folder is searched last.
- ``.cuda()`` on CPU only: the official code calls ``torch.rand(...).cuda()`` in its gradient penalty
  (and ``.cuda()`` elsewhere); ``torch.Tensor.cuda`` / ``nn.Module.cuda`` return ``self`` on a CPU run.
  probelib never calls ``.cuda()``, so ours is unaffected. On ``--device cuda`` nothing is patched.
- The classifier: the official code loads a robust ResNet-50 (``classifiers/``, needs the
  ``robustness`` package and a checkpoint); ours is passed in its place, through a one-line adapter
  (the official code feeds the classifier images in [0, 1], ours expects [-1, 1]). Like the official
  robust model it is in eval mode with trainable weights (the official code never freezes it, so its
  C-loss backward also computes the classifier's weight gradients); ``--freeze-classifier`` freezes
  it as our trainer does.
- Left out of the official loop, as bookkeeping, not training: the data loader (a random batch of
  256 reals from a tensor instead), the per-step log file, the singular-value log every 10 steps,
  checkpoints and sample sheets; ``--parallel`` (``nn.DataParallel`` for several GPUs) is dropped:
  one device here. On cuda the official side runs with ``cudnn.benchmark = True`` as ``train.py``
  sets it (restored for ours).
"""
from __future__ import annotations

import argparse
import contextlib
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

import probegan_step  # benchmarks/probegan_step.py, beside this script (ours)

import probelib as pl
from probelib import core, data, models

HERE = Path(__file__).resolve().parent
MIRROR = Path("/work/.mirror/csmiler+ProbeGAN/repo")
NOT_HERE = ("[bench] error: the official ProbeGAN code is not here; "
            "git clone https://github.com/csmiler/ProbeGAN and pass --official PATH")
NEEDED = ("train_fns.py", "BigGAN.py", "layers.py", "losses.py", "utils.py", "scripts/launch_cifar_zerogan.sh")
TARGET, BATCH = 7, 64  # the absent class (ours and the launch script's ${cls}) and ${bsize}


# ------------------------------------------------------------------ the official code, as it is
def official_source(path: str | None, keep: list) -> tuple[Path, str | None]:
    """The official code's folder and its commit; exits 2 with one line when it is not here."""
    if path is not None:
        root = Path(path)
        commit = _git(["-C", str(root), "rev-parse", "HEAD"])
    elif MIRROR.exists():
        tmp = tempfile.TemporaryDirectory(prefix="probegan-official-")
        keep.append(tmp)  # lives as long as the run
        archive = subprocess.run(["git", "-C", str(MIRROR), "archive", "HEAD"], capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp.name], input=archive.stdout, check=False)
        root, commit = Path(tmp.name), _git(["-C", str(MIRROR), "rev-parse", "HEAD"])
    else:
        root, commit = None, None
    if root is None or not all((root / f).is_file() for f in NEEDED):
        print(NOT_HERE, file=sys.stderr)
        sys.exit(2)
    return root, commit


def _git(args: list[str]) -> str | None:
    out = subprocess.run(["git", *args], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def import_official(root: Path, device: torch.device):
    """The official ``BigGAN``, ``utils`` and ``train_fns`` modules, imported from ``root``."""
    if device.type == "cpu":
        # stub: the official code calls .cuda() unconditionally (e.g. the gradient penalty's
        # torch.rand(...).cuda()); on a CPU run these return the tensor / module itself
        torch.Tensor.cuda = lambda self, *args, **kwargs: self
        nn.Module.cuda = lambda self, *args, **kwargs: self
    sys.path.insert(0, str(root))  # the official modules (utils, layers, losses, ...) first
    sys.path.append(str(HERE / "official_stubs"))  # stubs last: metrics (missing), h5py (if not installed)
    with contextlib.redirect_stdout(sys.stderr):
        import BigGAN  # noqa: PLC0415 - importable only once sys.path has the official folder
        import train_fns  # noqa: PLC0415
        import utils  # noqa: PLC0415
    return BigGAN, utils, train_fns


def official_config(root: Path, utils) -> dict:
    """The config ``train.py`` builds from ``scripts/launch_cifar_zerogan.sh`` (class 7, batch 64)."""
    script = (root / "scripts/launch_cifar_zerogan.sh").read_text().replace("\\\n", " ")
    line = next(ln for ln in script.splitlines() if "train.py" in ln)
    line = line.replace("${exp}", "C10_wo_${cls}").replace("${cls}", str(TARGET)).replace("${bsize}", str(BATCH))
    words = shlex.split(line)
    argv = [w for w in words[words.index("train.py") + 1:] if w != "--parallel"]  # one device here
    config = vars(utils.prepare_parser().parse_args(argv))
    # what train.run() derives from the arguments before building the models
    config["resolution"] = utils.imsize_dict[config["dataset"]]
    if config["n_classes"] == 0:
        config["n_classes"] = utils.nclass_dict[config["dataset"]]
    config["G_activation"] = utils.activation_dict[config["G_nl"]]
    config["D_activation"] = utils.activation_dict[config["D_nl"]]
    if config["new_class"] == -1:
        config["new_class"] = config["n_classes"] - 1
    return config


class ZeroOneInput(nn.Module):
    """Adapter: the official code gives its classifier images in [0, 1]; ours takes [-1, 1]."""

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(x * 2 - 1)


class OfficialStep:
    """The official G, D, G_D, EMA and ``GAN_training_function``, built as ``train.run()`` builds them."""

    def __init__(self, mods, config: dict, images: data.ImageSet, device: torch.device, freeze_classifier: bool):
        BigGAN, utils, train_fns = mods
        self.device = device
        with contextlib.redirect_stdout(sys.stderr):  # the official code prints as it builds
            utils.seed_rng(config["seed"])
            self.G = BigGAN.Generator(**config).to(device)
            self.D = BigGAN.Discriminator(**config).to(device)
            self.G_ema = BigGAN.Generator(**{**config, "skip_init": True, "no_optim": True}).to(device)
            ema = utils.ema(self.G, self.G_ema, config["ema_decay"], config["ema_start"])
            GD = BigGAN.G_D(self.G, self.D)
        clf = models.build_classifier("resnet", 3, 10, 64).to(device).eval()  # the same classifier as ours
        if freeze_classifier:
            clf.requires_grad_(False)
        self.C = ZeroOneInput(clf)
        z_, y_ = utils.prepare_z_y(max(config["G_batch_size"], config["batch_size"]), self.G.dim_z,
                                   config["n_classes"], device=device, fp16=config["G_fp16"])
        self.state_dict = {"itr": 0, "epoch": 0, "save_num": 0, "save_best_num": 0,
                           "best_IS": 0, "best_FID": 999999, "config": config}
        self.train = train_fns.GAN_training_function(self.G, self.D, GD, z_, y_, ema, self.state_dict,
                                                     config, C=self.C)
        keep = images.labels != config["new_class"]  # the official data set C10_wo_7 has no class 7
        self.real_x, self.real_y = images.images[keep], images.labels[keep]
        self.d_batch = config["batch_size"] * config["num_D_steps"] * config["num_D_accumulations"]
        self.rng = torch.Generator().manual_seed(0)
        self.step = 0

    def run_step(self) -> None:
        """One iteration of ``train.py``'s loop, less its logging and saving."""
        idx = torch.randperm(len(self.real_y), generator=self.rng)[: self.d_batch]  # the loader's batch
        self.state_dict["itr"] += 1
        self.G.train()
        self.D.train()
        self.G_ema.train()
        x, y = self.real_x[idx].to(self.device), self.real_y[idx].to(self.device)
        self.train(x, y)
        self.step += 1


def official_seconds_per_step(mods, config, images, device, steps: int, freeze_classifier: bool) -> float:
    """Mean wall time of ``steps`` official steps after one warm-up (as ``timing.seconds_per_step``)."""
    official = OfficialStep(mods, config, images, device, freeze_classifier)
    benchmark = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = device.type == "cuda" or benchmark  # train.py sets it
    try:
        official.run_step()  # warm-up
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(steps):
            official.run_step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return (time.perf_counter() - start) / steps
    finally:
        torch.backends.cudnn.benchmark = benchmark


# ------------------------------------------------------------------ both, alternating
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--official", metavar="PATH", help="a checkout of https://github.com/csmiler/ProbeGAN")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's default)")
    parser.add_argument("--freeze-classifier", action="store_true",
                        help="freeze the classifier's weights on the official side too (ours always does)")
    parser.add_argument("--out", default=str(HERE / "measured" / "official_step_cpu.jsonl"))
    args = parser.parse_args()
    keep: list = []
    root, commit = official_source(args.official, keep)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = core.pick_device(args.device)
    mods = import_official(root, device)
    config = official_config(root, mods[1])
    g = torch.Generator().manual_seed(0)  # the same random CIFAR-shaped data as probegan_step.py
    images = data.ImageSet(torch.rand(640, 3, 32, 32, generator=g) * 2 - 1, torch.arange(10).repeat(64),
                           tuple("abcdefghij"), "random", "train")
    ours_cfg = pl.ProbeGANConfig(gan=pl.GANConfig(ch=64, channels=3), d_steps=4, batch_size=64)
    assert (config["batch_size"], config["num_D_steps"], config["G_ch"], config["D_ch"], config["resolution"]) \
        == (ours_cfg.batch_size, ours_cfg.d_steps, ours_cfg.gan.ch, ours_cfg.gan.ch, ours_cfg.gan.resolution)

    times: dict[str, list[float]] = {"ours": [], "official": []}
    for side in ("ours", "official", "official", "ours"):
        if side == "ours":
            times[side].append(probegan_step.seconds_per_step(ours_cfg, 3, 64, device, args.steps))
        else:
            times[side].append(official_seconds_per_step(mods, config, images, device, args.steps,
                                                         args.freeze_classifier))
        print(f"[bench] {side}: {times[side][-1]:.3f} s per step", file=sys.stderr, flush=True)

    common = {"steps": args.steps, "rounds": 2, "device": str(device), "threads": torch.get_num_threads(),
              "torch": torch.__version__, "official commit": commit,
              "classifier": "probelib resnet 3->10, width 64"}
    setting = "paper scale: ch=64, 32x32x3, batch 64, 4 D steps"
    mean = {side: sum(t) / len(t) for side, t in times.items()}
    core.record({"what": f"ours (probelib ProbeGANTrainer), {setting}", "side": "ours",
                 "seconds per step": mean["ours"], "per round": times["ours"], **common}, args.out)
    core.record({"what": f"official (csmiler/ProbeGAN train_fns.GAN_training_function), {setting}",
                 "side": "official", "seconds per step": mean["official"], "per round": times["official"],
                 "official classifier frozen": args.freeze_classifier, **common}, args.out)
    core.record({"what": f"ours / official seconds per step, {setting}", "ratio": mean["ours"] / mean["official"],
                 "official classifier frozen": args.freeze_classifier, **common}, args.out)


if __name__ == "__main__":
    main()
