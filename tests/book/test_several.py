"""Chapter 10's pieces: which classes are absent, how every class is grouped, the k choice by
hand, the cost table, confusion matrices by hand, and a several-target GAN from the cache."""
import pandas as pd
import pytest
import torch
from torch import nn

from probelib.book import experiments, setup, several
from probelib.train.jobs import gan_cached


@pytest.fixture
def ch(tmp_path):
    return setup(profile="smoke", run_dir=str(tmp_path))


def test_absent_classes_start_with_the_target_nest_in_k_and_follow_the_seed(tmp_path):
    ch0 = setup(profile="smoke", run_dir=str(tmp_path), seed=0)
    ch1 = setup(profile="smoke", run_dir=str(tmp_path), seed=1)
    five = several.absent_classes(ch0, 5)
    assert five[0] == ch0.target_class and len(set(five)) == 5
    assert all(several.absent_classes(ch0, k) == five[:k] for k in (1, 2, 3, 4))  # nested
    assert several.absent_classes(ch0, 5) == five  # the same draw every time
    assert several.absent_classes(ch1, 5) != five  # another seed, another draw
    with pytest.raises(ValueError, match="choose 1 to 8 \\(two classes must stay seen\\)"):
        several.absent_classes(ch0, 9)


def test_partition_covers_every_class_once_in_groups_of_at_most_k():
    classes = tuple("abcdefghij")
    for k, first in ((5, ("c", "a", "e", "g", "i")), (3, ("b", "a", "j")), (2, ("a", "b")), (1, ("a",))):
        groups = several.partition(classes, first, k)
        assert groups[0] == first
        flat = [c for g in groups for c in g]
        assert sorted(flat) == list(classes) and len(flat) == 10  # every class once
        assert max(len(g) for g in groups) <= k and len(groups) == {5: 2, 3: 4, 2: 5, 1: 10}[k]
    assert [len(g) for g in several.partition(classes, ("a", "b", "c"), 3)] == [3, 3, 2, 2]  # even, not 3, 3, 1


def test_the_map_jobs_reuse_the_sweep_gan_for_its_kind(ch):
    train = ch.load("train")
    nets = experiments.classifiers(ch, progress=False)
    sweep = several.sweep_jobs(ch, train, nets)
    assert set(sweep) == {(k, s) for k in ch.profile.several.ks for s in (0, 1)}
    jobs = several.memory_map_jobs(ch, train, nets, 3)
    first = several.absent_classes(ch, 3)
    assert jobs[("robust", first)].cfg == sweep[(3, 0)].cfg and jobs[("robust", first)].target == ch.target_class
    assert jobs[("regular", first)].classifier is nets["regular"].model
    # k = 1 is chapter 3's ProbeGAN-robust row: the same cache entry
    row = experiments.gan_job(ch, train, nets, "probegan", "robust", 0)
    experiments.prefetch(ch, [row])
    assert gan_cached(sweep[(1, 0)], ch.run_dir)
    results, trained = several.train_all(ch, {(2, 0): sweep[(2, 0)]})
    assert trained == 1 and results[(2, 0)].targets == tuple(ch.classes.index(c) for c in first[:2])
    drawn = several.draw(results[(2, 0)], 4, 0)
    assert list(drawn) == list(first[:2]) and all(x.shape == (4, 1, 32, 32) for x in drawn.values())


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


def test_confusion_by_hand():
    classes = ("a", "b", "c")
    fakes = {"c": _images([1, 1, 1, 1]), "a": _images([0, 0, 1, 2])}
    m = several.confusion(_Fixed(3), fakes, classes)
    assert m.loc["a"].tolist() == [50.0, 25.0, 25.0] and m.loc["c"].tolist() == [0.0, 100.0, 0.0]
    assert list(m.index) == ["a", "c"]  # rows in the columns' order
    assert several.worst_confusions(m, top=1) == "largest confusions: c read as b 100 %"
    assert several.worst_confusions(m, top=2, row="a") == "a read as another class: c 25 %; b 25 %"
    assert several.rates(fakes, _Fixed(3), classes) == {"a": 50.0, "c": 0.0}


class _Result:
    def __init__(self, targets, seconds_per_step=0.3, steps=700):
        self.targets, self.target, self.classes = targets, targets[0], ("a", "b", "c", "d", "e")
        self.seconds_per_step, self.config = seconds_per_step, type("C", (), {"steps": steps})()


def test_choose_k_by_hand(monkeypatch):
    # recognition per (k, seed, class): k = 1: a 80/90 -> 85; k = 2: a 80, b 60 -> min(80, 70) = 70 (-15: no);
    # k = 3: a 84, b 80, c 74 -> min(84, 79.3) (-5.7: yes)
    table = {(1, 0): {"a": 80}, (1, 1): {"a": 90}, (2, 0): {"a": 80, "b": 60}, (2, 1): {"a": 80, "b": 60},
             (3, 0): {"a": 84, "b": 80, "c": 74}, (3, 1): {"a": 84, "b": 80, "c": 74}}
    results = {key: _Result(tuple("abc".index(c) for c in rec)) for key, rec in table.items()}
    for key, r in results.items():
        r.key = key
    monkeypatch.setattr(several, "draw", lambda res, n, seed: {c: res.key for c in table[res.key]})
    monkeypatch.setattr(several, "recognition_rate", lambda judge, key, t: table[key]["abc"[t]] / 100)
    k, shown = several.choose_k(results, None, within=10.0)
    assert k == 3 and shown["keeps it"].tolist() == [True, False, True]
    assert shown.loc[2, "worst of the two − k=1"] == pytest.approx(-15.0)
    assert several.choose_k(results, None, within=5.0)[0] == 1


def test_cost_table_by_hand():
    long = pd.DataFrame([{"k": 1, "seed": 0, "GAN min": 4.0}, {"k": 1, "seed": 1, "GAN min": 6.0},
                         {"k": 5, "seed": 0, "GAN min": 5.0}, {"k": 5, "seed": 0, "GAN min": 5.0},
                         {"k": 5, "seed": 1, "GAN min": 5.0}])
    c = several.cost(long, 10)
    assert c.loc[1, "GAN min"] == 5.0 and c.loc[5, "min per probed class"] == 1.0
    assert c.loc[5, "GANs for every class"] == 2 and c.loc[5, "× one GAN per class"] == pytest.approx(0.2)


def test_per_class_table_and_by_k_intervals_are_over_seeds():
    rows = []
    for seed, (a1, a2, b2) in enumerate([(80.0, 70.0, 50.0), (90.0, 60.0, 70.0)]):
        rows += [{"k": 1, "seed": seed, "class": "a", "judge": "j", "recognition (%)": a1},
                 {"k": 2, "seed": seed, "class": "a", "judge": "j", "recognition (%)": a2},
                 {"k": 2, "seed": seed, "class": "b", "judge": "j", "recognition (%)": b2}]
    long = pd.DataFrame(rows)
    t = several.per_class_table(long, "j", metrics=("recognition (%)",))
    assert t.loc[(1, "a"), "recognition (%)"].startswith("85.0 (") and t.loc[(2, "b"), "recognition (%)"].startswith(
        "60.0 (")
    curves = several.by_k(long, "recognition (%)", "a")["j"]
    assert curves.loc[2, "a"][0] == 65.0 and curves.loc[2, "other absent classes"][:1] == (60.0,)
    assert curves.loc[1, "other absent classes"][3] == 0  # no other class at k = 1


def test_robust_vs_regular_by_hand():
    classes = ("a", "b")
    fakes = {"regular": {"a": _images([0] * 10 + [1] * 90), "b": _images([1] * 100)},
             "robust": {"a": _images([0] * 90 + [1] * 10), "b": _images([1] * 95 + [0] * 5)}}
    # a: 10 % -> 90 % (apart); b: 100 % -> 95 % (below, Wilson intervals overlap: 89-98 vs 96-100)
    text = several.robust_vs_regular(fakes, _Fixed(2), classes)
    assert text == "robust above regular for 1 of 2 classes (1 with intervals over images apart), below with " \
                   "intervals apart for 0"


def test_page_tables_are_formatted_strings():
    long = pd.DataFrame([{"k": 1, "seed": 0, "GAN min": 4.0}, {"k": 1, "seed": 1, "GAN min": 6.0},
                         {"k": 5, "seed": 0, "GAN min": 5.0}, {"k": 5, "seed": 1, "GAN min": 5.0}])
    t = several.cost_table(several.cost(long, 10))
    assert t.loc[5].tolist() == ["5.0", "1.0", "2", "10.0", "0.20×"] and t.index.name == "k"
    choice = pd.DataFrame({"target": [85.0, 70.0], "mean over absent classes": [85.0, 79.3],
                           "worst of the two − k=1": [0.0, -15.0], "keeps it": [True, False]}, index=[1, 2])
    c = several.choice_table(choice)
    assert c.loc[2].tolist() == ["70.0", "79.3", "-15.0", "no"] and c.loc[1, "within the bar"] == "yes"
    assert several.judge_slug("panel: ViT") == "vit" and several.judge_slug("dev: VGG") == "vgg"


def test_survival_tells_a_weak_class_from_a_broken_one():
    rows = []
    for seed in (0, 1):
        rows += [{"k": 1, "seed": seed, "class": "a", "judge": "j", "recognition (%)": 90.0},
                 {"k": 2, "seed": seed, "class": "a", "judge": "j", "recognition (%)": 40.0},
                 {"k": 2, "seed": seed, "class": "b", "judge": "j", "recognition (%)": 30.0}]
    long = pd.DataFrame(rows)
    alone = pd.DataFrame([{"k": 1, "seed": s, "class": "b", "judge": "j", "recognition (%)": 20.0} for s in (0, 1)])
    (line,) = several.survival(long, alone, ("a", "b"), "a", ["j"])
    assert line == ("j: a 40.0 % at k = 2, 90.0 % alone: absent beside another class it loses 50.0 points; "
                    "b 30.0 % at k = 2, 20.0 % alone: weak whether or not another class is absent with it")
    fine = long.assign(**{"recognition (%)": 60.0})
    assert several.survival(fine, alone, ("a", "b"), "a", ["j"]) == ["j: every absent class at least 50 % on average"]


def test_findings_state_the_numbers():
    curves = pd.DataFrame({"a": [(90.0, 80.0, 100.0, 2), (70.0, 60.0, 80.0, 2)],
                           "other absent classes": [(float("nan"), float("nan"), float("nan"), 0),
                                                    (50.0, 40.0, 60.0, 2)]}, index=[1, 2])
    costs = pd.DataFrame({"min per probed class": [10.0, 5.0]}, index=[1, 2])
    text = several.sweep_finding("a", curves, costs, 2)
    assert text == ("a absent with k − 1 others: the panel's ViT recognises it 90.0 (80.0–100) % at k = 1, "
                    "70.0 (60.0–80.0) % at k = 2 (95 % intervals over 2 seeds); the other absent classes "
                    "50.0 (40.0–60.0) %; a GAN costs the same for any k, so k = 2 probes a class for 5.0 "
                    "GAN-minutes instead of 10.0")
    vit = {"robust": {"a": 80.0, "b": 60.0}, "regular": {"a": 40.0, "b": 20.0}}
    assert several.map_finding(3, 8, vit, "s").startswith(
        "every class probed with k = 3 absent per GAN (8 GANs for two classifiers): the panel's ViT recognises the "
        "robust classifier's probes 70.0 % of the time on average over the 2 classes, the regular one's 30.0 %")


def test_draw_maps_and_export(ch, monkeypatch):
    monkeypatch.setattr(several, "draw", lambda res, n, seed: {c: torch.zeros(n, 1, 4, 4) for c in res})
    maps = {("regular", ("horse", "cat")): ("horse", "cat"), ("regular", ("dog",)): ("dog",),
            ("robust", ("horse", "cat")): ("horse", "cat")}
    classes = [c for c in ("horse", "cat", "dog") if c in ch.classes]
    maps = {k: tuple(c for c in v if c in classes) for k, v in maps.items()}
    fakes = several.draw_maps(maps, 3, 0)
    assert set(fakes) == {"regular", "robust"} and set(fakes["regular"]) == set(classes)
    assert several.export_maps(ch, fakes) == len(fakes["regular"]) + len(fakes["robust"])
    assert sorted(p.name for p in ch.samples_dir("memory-map").glob("*.npz"))[0].startswith("regular-")
