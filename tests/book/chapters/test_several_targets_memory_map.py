"""Chapter 10.1's pieces: how every class is grouped, its plan (the groups at k, per classifier,
the first one chapter 10's own GAN), confusion matrices by hand, the finding, and the export."""
import numpy as np
import pytest
import torch
from torch import nn

from probelib.book import setup
from probelib.book.runs import Planned
from probelib.book.chapter import describe
from probelib.book.chapters import several_targets
from probelib.book.chapters import several_targets_memory_map as memory_map


@pytest.fixture
def ch(tmp_path):
    return setup(profile="smoke", run_dir=str(tmp_path))


def test_the_plan_holds_every_class_once_per_classifier_in_groups_of_at_most_k():
    ch = describe(profile="smoke")
    for k in (None, 2, 1):
        plan = memory_map.plan(ch, k)
        size = max(ch.profile.several.ks) if k is None else k
        for kind in ("regular", "robust"):
            mine = [p for p in plan if p.kind == kind]
            flat = [c for p in mine for c in several_targets.absent_names(ch, p)]
            assert sorted(flat) == sorted(ch.classes) and max(1 + len(p.absent) for p in mine) <= size
            assert all(p.seed == ch.seed and p.absent == tuple(sorted(p.absent)) for p in mine)
        assert len({p.key for p in plan}) == len(plan)
        # the first robust group is chapter 10's own GAN at that k (the same key: from the cache)
        sweep = {(p.row, p.seed): p for p in several_targets.sweep_plan(ch)}
        if (f"k={size}", ch.seed) in sweep:
            first = next(p for p in plan if p.kind == "robust")
            assert first.key == sweep[(f"k={size}", ch.seed)].key and first.target == ch.target


class _Fixed(nn.Module):
    """A 'judge' that calls image i class ``labels[i]`` (read from the image's first pixel)."""

    def __init__(self, n_classes):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.n = n_classes

    def forward(self, x):
        return nn.functional.one_hot(x[:, 0, 0, 0].round().long(), self.n).float() + 0 * self.w


def _images(labels):
    return torch.tensor(labels, dtype=torch.float).view(-1, 1, 1, 1).expand(-1, 1, 2, 2).clone()


def test_the_finding_states_the_numbers():
    vit = {"robust": {"a": 80.0, "b": 60.0}, "regular": {"a": 40.0, "b": 20.0}}
    assert memory_map.map_finding(3, 8, vit, "s").startswith(
        "every class probed with k = 3 absent per GAN (8 GANs for two classifiers): the panel's ViT recognises the "
        "robust classifier's probes 70.0 % of the time on average over the 2 classes, the regular one's 30.0 %")


def test_partition_covers_every_class_once_in_groups_of_at_most_k():
    classes = tuple("abcdefghij")
    for k, first in ((5, ("c", "a", "e", "g", "i")), (3, ("b", "a", "j")), (2, ("a", "b")), (1, ("a",))):
        groups = memory_map.partition(classes, first, k)
        assert groups[0] == first
        flat = [c for g in groups for c in g]
        assert sorted(flat) == list(classes) and len(flat) == 10  # every class once
        assert max(len(g) for g in groups) <= k and len(groups) == {5: 2, 3: 4, 2: 5, 1: 10}[k]
    assert [len(g) for g in memory_map.partition(classes, ("a", "b", "c"), 3)] == [3, 3, 2, 2]  # even, not 3, 3, 1




def test_confusion_by_hand():
    classes = ("a", "b", "c")
    fakes = {"c": _images([1, 1, 1, 1]), "a": _images([0, 0, 1, 2])}
    m = memory_map.confusion(_Fixed(3), fakes, classes)
    assert m.loc["a"].tolist() == [50.0, 25.0, 25.0] and m.loc["c"].tolist() == [0.0, 100.0, 0.0]
    assert list(m.index) == ["a", "c"]  # rows in the columns' order
    assert memory_map.worst_confusions(m, top=1) == "largest confusions: c read as b 100 %"
    assert memory_map.worst_confusions(m, top=2, row="a") == "a read as another class: c 25 %; b 25 %"
    assert memory_map.rates(fakes, _Fixed(3), classes) == {"a": 50.0, "c": 0.0}


def test_robust_vs_regular_by_hand():
    classes = ("a", "b")
    fakes = {"regular": {"a": _images([0] * 10 + [1] * 90), "b": _images([1] * 100)},
             "robust": {"a": _images([0] * 90 + [1] * 10), "b": _images([1] * 95 + [0] * 5)}}
    # a: 10 % -> 90 % (apart); b: 100 % -> 95 % (below, Wilson intervals overlap: 89-98 vs 96-100)
    text = memory_map.robust_vs_regular(fakes, _Fixed(2), classes)
    assert text == "robust above regular for 1 of 2 classes (1 with intervals over images apart), below with " \
                   "intervals apart for 0"




def test_draw_maps_and_export(ch, monkeypatch):
    # a stand-in GAN is (its absent classes, a value): it draws images filled with its value, so
    # each class's images say which GAN drew them
    monkeypatch.setattr(memory_map, "draw", lambda res, n, seed: {c: torch.full((n, 1, 4, 4), res[1]) for c in res[0]})
    classes = [c for c in ("horse", "cat", "dog") if c in ch.classes]
    groups = [("regular", ("horse", "cat")), ("regular", ("dog",)), ("robust", ("horse", "cat"))]
    # keyed by planned GANs (only their kind is read)
    maps = {Planned(f"{kind} {g}", "probegan", kind, 0, i): (tuple(c for c in g if c in classes), i / 10)
            for i, (kind, g) in enumerate(groups)}
    fakes = memory_map.draw_maps(maps, 3, 0)
    assert set(fakes) == {"regular", "robust"} and set(fakes["regular"]) == set(classes)
    drawn_by = {kind: {c: float(x.unique()) for c, x in per.items()} for kind, per in fakes.items()}
    assert drawn_by["regular"] == pytest.approx({c: 0.1 if c == "dog" else 0.0 for c in classes})
    assert drawn_by["robust"] == pytest.approx({c: 0.2 for c in classes if c != "dog"})
    assert memory_map.export_maps(ch, fakes) == len(fakes["regular"]) + len(fakes["robust"])
    files = sorted(ch.samples_dir("memory-map").glob("*.npz"))
    assert files[0].name.startswith("regular-")
    with np.load(ch.samples_dir("memory-map") / f"robust-{classes[0]}.npz") as f:
        assert np.allclose(f["images"], 0.2) and f["labels"].tolist() == [ch.classes.index(classes[0])] * 3
