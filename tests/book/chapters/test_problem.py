"""Chapter 1's pieces: the split table, the attack summary, the first-look grid and the judges'
verdicts, with stand-in networks whose answers are known."""
import pandas as pd
import pytest
import torch
from torch import nn

from probelib.book import setup
from probelib.book.chapter import describe
from probelib.book.chapters import problem
from probelib.data import ImageSet, without_class


class Says(nn.Module):
    """A stand-in classifier that calls every image class ``c``."""

    def __init__(self, c, num_classes=3):
        super().__init__()
        self.c, self.k = c, num_classes
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        out = torch.zeros(len(x), self.k)
        out[:, self.c] = 1.0
        return out + 0 * self.w


def _set():
    labels = torch.tensor([0, 0, 1, 1, 1, 2])
    return ImageSet(torch.zeros(6, 1, 4, 4), labels, ("a", "b", "c"), "toy", "train")


def test_split_table_counts_each_class_and_empties_only_the_target():
    train = _set()
    frame = problem.split_table(train, without_class(train, "b"))
    assert list(frame.columns) == ["full training set (images)", "image set of the GAN (images)"]
    assert frame.loc["b"].tolist() == ["3", "0"] and frame.loc["a"].tolist() == ["2", "2"]
    assert frame.loc["total"].tolist() == ["6", "3"]


def test_eps_numbers_state_broken_and_kept():
    curves = {"regular": {0.0: 0.9, 2.0: 0.1}, "robust": {0.0: 0.8, 2.0: 0.4}}
    numbers = problem.eps_numbers(curves, 2.0)
    assert numbers["eps"] == 2.0 and numbers["eps regular (%)"] == pytest.approx(10.0)
    assert numbers["eps robust (%)"] == pytest.approx(40.0)
    assert numbers["eps robust over regular"] == pytest.approx(4.0)
    assert numbers["eps robust keeps (%)"] == pytest.approx(50.0)
    assert all(type(v) is float for v in numbers.values())  # glued as plain numbers


def test_chapter_1_plans_no_gan():
    assert problem.plan(describe(profile="smoke")) == []


class ByMean(nn.Module):
    """A stand-in judge that reads the image: class 0 below mean intensity ``cuts[0]``, 1 below
    ``cuts[1]``, else 2."""

    def __init__(self, cuts=(-0.5, 0.5)):
        super().__init__()
        self.cuts = torch.tensor(cuts)
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return torch.nn.functional.one_hot(torch.bucketize(x.mean((1, 2, 3)), self.cuts, right=True), 3).float() \
            + 0 * self.w


def _looks(means):
    return torch.tensor(means).view(-1, 1, 1, 1).expand(-1, 1, 4, 4).clone()


def test_verdict_table_scores_each_classifier_and_judge(tmp_path):
    ch = setup(profile="smoke", run_dir=str(tmp_path))
    targets = torch.tensor([0, 0, 1, 2])
    # each kind's own images and own classifier: a row that read the other kind's would differ
    looks = {"regular": _looks([-0.9, 0.0, 0.0, 0.0]), "robust": _looks([-0.9, -0.9, 0.0, 0.9])}
    nets = {"regular": type("Net", (), {"model": Says(0)})(), "robust": type("Net", (), {"model": Says(2)})()}
    judges = {"dev: VGG": ByMean(), "panel: ViT": Says(1), "panel: HOG": ByMean(cuts=(-1.0, 0.5))}
    verdict = problem.verdict_table(ch, nets, judges, looks, targets)
    assert list(verdict.index) == [problem.names(ch)[k] for k in problem.KINDS]
    assert verdict.iloc[0].tolist() == [50.0, 50.0, 25.0, 25.0]  # regular: own, dev, ViT, HOG
    assert verdict.iloc[1].tolist() == [25.0, 100.0, 25.0, 50.0]  # robust
    assert problem.format_percent(verdict).iloc[0, 0] == "50.0"
    assert "the HOG judge 50.0 % and 25.0 %" in problem.verdict_finding(verdict, 3)  # robust, then regular


def test_looks_figure_has_a_noise_row_and_one_row_per_class_and_kind():
    n, classes = 2, ("a", "b", "c")
    looks = {k: torch.zeros(len(classes) * n, 1, 4, 4) for k in problem.KINDS}
    fig = problem.looks_figure(torch.zeros(6, 1, 4, 4), looks, classes, n, title=None)
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == ["start (noise)", "a · regular", "a · robust", "b · regular", "b · robust",
                      "c · regular", "c · robust"]
    assert len(fig.axes) == 7 * n


def test_eval_subset_is_seeded_and_limited(tmp_path):
    ch = setup(profile="smoke", run_dir=str(tmp_path))
    test = ImageSet(torch.arange(200.0).view(200, 1, 1, 1), torch.zeros(200, dtype=torch.long), ("a",), "t", "test")
    x, y = problem.eval_subset(ch, test)
    x2, _ = problem.eval_subset(ch, test)
    assert len(x) == ch.profile.eval_limit == len(y) and torch.equal(x, x2)
    assert len(set(x.flatten().tolist())) == len(x)  # no image twice
    assert isinstance(problem.curve_table(ch, {"regular": {0.0: 0.5}, "robust": {0.0: 0.25}}), pd.DataFrame)
