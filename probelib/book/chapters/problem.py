"""Chapter 1's plumbing: the class-count table of the absence split, the classifiers' and judges'
tables, the PGD-L2 accuracy curves, and the "first look" of targeted PGD from noise with every
judge's verdict on it.

The chapter keeps the experiment's calls visible (loading, the split, training, the attacks, the
class visualisation); these functions assemble and format what it shows.
"""
from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from ... import data as datamod
from ... import models
from ...train import robust_accuracy
from ...viz import image_grid
from ..chapter import Chapter
from ..runs import Planned

__all__ = ["plan", "KINDS", "names", "split_table", "judge_table", "eval_subset", "attack_curves", "classifier_table",
           "curve_table", "eps_numbers", "looks_figure", "recognition", "verdict_table", "format_percent",
           "glue_verdict", "verdict_finding"]

#: the two probed classifiers, in the order the chapter shows them
KINDS = ("regular", "robust")


def plan(ch: Chapter) -> list[Planned]:
    """Chapter 1 trains no GAN (its classifiers and judges are :func:`probelib.book.runs.classifiers`
    and :func:`~probelib.book.runs.judges`, not planned GANs)."""
    return []


def names(ch: Chapter) -> dict[str, str]:
    """How the chapter names its networks: ``{"regular", "robust", "eval"}`` -> label."""
    return {"regular": "regular ResNet", "robust": f"robust ResNet (ε = {ch.profile.robust_eps:g})",
            "eval": "development judge (VGG)"}


def split_table(train: datamod.ImageSet, absent: datamod.ImageSet) -> pd.DataFrame:
    """Images per class of the full training set and of the GAN's target-absent image set, with
    a total row (integers as strings)."""
    counts = pd.DataFrame({"full training set (images)": train.counts(),
                           "image set of the GAN (images)": absent.counts()})
    counts.loc["total"] = counts.sum()
    counts.index.name = "class"
    return counts.map(lambda v: f"{int(v):,}")


def _params(net: nn.Module) -> str:
    return f"{sum(p.numel() for p in net.parameters()):,}"


def judge_table(judges: dict[str, nn.Module], test: datamod.ImageSet) -> pd.DataFrame:
    """Each judge's clean test accuracy and size, formatted."""
    rows = {name: {"test accuracy (%)": f"{100 * models.accuracy(j, test.images, test.labels):.1f}",
                   "parameters": _params(j)} for name, j in judges.items()}
    out = pd.DataFrame(rows).T
    out.index.name = "judge"
    return out


def eval_subset(ch: Chapter, test: datamod.ImageSet) -> tuple[torch.Tensor, torch.Tensor]:
    """The held-out images the PGD curves use: ``profile.eval_limit`` test images (all with 0),
    in an order fixed by the chapter's seed."""
    order = torch.randperm(len(test), generator=torch.Generator().manual_seed(ch.seed))
    keep = order[: ch.profile.eval_limit or len(test)]
    return test.images[keep], test.labels[keep]


def attack_curves(nets: dict, x: torch.Tensor, y: torch.Tensor, eps_grid, steps: int,
                  kinds=KINDS) -> dict[str, dict[float, float]]:
    """Accuracy (0–1) under untargeted PGD-L2 of ``steps`` steps at each ε of ``eps_grid``:
    ``{kind: {ε: accuracy}}`` for the probed classifiers ``kinds`` of ``nets``."""
    return {k: {float(e): robust_accuracy(nets[k].model, x, y, e, steps) for e in eps_grid} for k in kinds}


def classifier_table(ch: Chapter, nets: dict, curves: dict, test: datamod.ImageSet) -> pd.DataFrame:
    """Size, training time, cache hit, clean test accuracy and PGD accuracy at the chosen ε of
    every trained network (the judge is never attacked: "—")."""
    eps, label = ch.profile.robust_eps, names(ch)
    rows = []
    for k, net in nets.items():
        pgd = f"{100 * curves[k][eps]:.1f}" if k in curves and eps in curves[k] else "—"
        rows.append({"model": label[k], "parameters": _params(net.model),
                     "train time (s)": f"{net.record['seconds']:.1f}",
                     "from cache": "yes" if net.cache_hit else "no",
                     "clean test accuracy (%)": f"{100 * models.accuracy(net.model, test.images, test.labels):.1f}",
                     f"PGD-L2 accuracy at ε = {eps:g} (%)": pgd})
    return pd.DataFrame(rows).set_index("model")


def curve_table(ch: Chapter, curves: dict) -> pd.DataFrame:
    """The PGD curves as a table: rows the probed classifiers, columns ε, accuracy in %."""
    label = names(ch)
    out = pd.DataFrame({label[k]: {f"ε = {e:g}": f"{100 * a:.1f}" for e, a in c.items()}
                        for k, c in curves.items()}).T
    out.index.name = "accuracy under PGD-L2 (%)"
    return out


def eps_numbers(curves: dict, eps: float) -> dict[str, float]:
    """What the page says of the chosen ``eps``, to glue: the regular and the robust model's PGD
    accuracy there (%), the robust one's as a multiple of the regular one's, and the share of
    its clean accuracy the robust model keeps (%)."""
    reg, rob = curves["regular"], curves["robust"]
    return {"eps": float(eps), "eps regular (%)": 100 * float(reg[eps]), "eps robust (%)": 100 * float(rob[eps]),
            "eps robust over regular": float(rob[eps] / max(reg[eps], 1e-9)),
            "eps robust keeps (%)": 100 * float(rob[eps] / max(rob[0.0], 1e-9))}


def looks_figure(start: torch.Tensor, looks: dict[str, torch.Tensor], classes, n: int, title: str):
    """The first look as an image grid: one row of starting noise, then per class a row for each
    probed classifier. ``looks[kind]`` is ``(len(classes) * n, C, H, W)``, class-major."""
    rows, labels = [start[:n]], ["start (noise)"]
    for c, name in enumerate(classes):
        for k, imgs in looks.items():
            rows.append(imgs[c * n:(c + 1) * n])
            labels.append(f"{name} · {k}")
    return image_grid(rows, labels, title=title, cell=0.8)


def recognition(net: nn.Module, images: torch.Tensor, targets: torch.Tensor) -> float:
    """Per cent of ``images`` that ``net`` classifies as their ``targets`` (top-1)."""
    return 100 * float((models.predict(net, images).argmax(1) == targets).float().mean())


def verdict_table(ch: Chapter, nets: dict, judges: dict[str, nn.Module], looks: dict[str, torch.Tensor],
                  targets: torch.Tensor) -> pd.DataFrame:
    """Recognition (%) of each probed classifier's images: by that classifier itself and by every
    judge (numbers, rounded to 0.1; :func:`format_percent` makes the shown table)."""
    label = names(ch)
    rows = [{"probed classifier": label[k], "its own verdict (%)": recognition(nets[k].model, looks[k], targets),
             **{f"{name} (%)": recognition(j, looks[k], targets) for name, j in judges.items()}}
            for k in looks]
    return pd.DataFrame(rows).set_index("probed classifier").round(1)


def format_percent(frame: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """A numeric frame as strings with ``digits`` decimals (for :func:`probelib.book.table`)."""
    return frame.map(lambda v: f"{v:.{digits}f}")


def glue_verdict(verdict: pd.DataFrame) -> None:
    """Glue every cell of the verdict table as ``looks robust <column>`` / ``looks regular <column>``."""
    from ..ledger import glue

    for col in verdict.columns:
        glue(f"looks robust {col}", float(verdict[col].iloc[1]))
        glue(f"looks regular {col}", float(verdict[col].iloc[0]))


def verdict_finding(verdict: pd.DataFrame, n_classes: int) -> str:
    """The chapter's headline: the panel's reading of the robust and the regular first look."""
    vit, hog = verdict["panel: ViT (%)"], verdict["panel: HOG (%)"]
    return (f"targeted PGD from noise: the panel's ViT recognises {vit.iloc[1]:.1f} % of the robust classifier's "
            f"images as their class, {vit.iloc[0]:.1f} % of the regular one's, the HOG judge "
            f"{hog.iloc[1]:.1f} % and {hog.iloc[0]:.1f} % (chance {100 / n_classes:.0f} %; one seed)")
