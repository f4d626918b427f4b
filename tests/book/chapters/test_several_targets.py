"""Chapter 10's pieces: which classes are absent, its plan (every k × seed and the 'alone'
runs, as indices), the k choice by hand, the cost table, and a several-target GAN trained from
its plan."""
import pandas as pd
import pytest

from probelib.book import runs, setup
from probelib.book.chapter import describe
from probelib.book.chapters import several_targets, table1


@pytest.fixture
def ch(tmp_path):
    return setup(profile="smoke", run_dir=str(tmp_path))


def test_absent_classes_start_with_the_target_nest_in_k_and_follow_the_seed(tmp_path):
    ch0 = setup(profile="smoke", run_dir=str(tmp_path), seed=0)
    ch1 = setup(profile="smoke", run_dir=str(tmp_path), seed=1)
    five = several_targets.absent_classes(ch0, 5)
    assert five[0] == ch0.target_class and len(set(five)) == 5
    assert all(several_targets.absent_classes(ch0, k) == five[:k] for k in (1, 2, 3, 4))  # nested
    assert several_targets.absent_classes(ch0, 5) == five  # the same draw every time
    assert several_targets.absent_classes(ch1, 5) != five  # another seed, another draw
    with pytest.raises(ValueError, match="choose 1 to 8 \\(two classes must stay seen\\)"):
        several_targets.absent_classes(ch0, 9)


def test_the_plan_is_every_k_and_seed_then_the_alone_runs_as_indices():
    ch = describe(profile="smoke")
    S = ch.profile.several
    plan = several_targets.plan(ch)
    seeds = [ch.seed + i for i in range(S.seeds)]
    pair = several_targets.absent_classes(ch, 2)
    assert [(p.row, p.seed) for p in plan] == [(f"k={k}", s) for k in S.ks for s in seeds] + [
        ("alone", s) for s in seeds]
    for p in plan:
        group = several_targets.absent_names(ch, p)
        if p.row == "alone":
            assert group == pair[1:] and p.absent == ()
        else:
            k = int(p.row[2:])
            assert p.target == ch.target and p.absent == tuple(sorted(ch.classes.index(c) for c in group[1:]))
            assert set(group) == set(several_targets.absent_classes(ch, k))
        assert (p.method, p.kind) == ("probegan", S.kind) and all(isinstance(i, int) for i in p.absent)
    assert len({p.key for p in plan}) == len(plan)
    # k = 1 is chapter 3's ProbeGAN-robust row: the same key, so the same cache entry
    row = next(p for p in table1.plan(ch) if p.row == "probegan-robust" and p.seed == ch.seed)
    assert plan[0].key == row.key


def test_a_several_target_gan_trains_from_its_plan_and_draws_each_absent_class(ch):
    train = ch.load("train")
    nets = runs.classifiers(ch, progress=False)
    k2 = [p for p in several_targets.sweep_plan(ch) if p.row == "k=2" and p.seed == ch.seed]
    assert several_targets.to_train(ch, train, nets, k2) == 1
    gans = runs.train(ch, train, nets, k2)
    assert several_targets.to_train(ch, train, nets, k2) == 0  # now in the cache
    results = several_targets.keyed(gans)
    first = several_targets.absent_classes(ch, 2)
    assert set(results) == {(2, ch.seed)} and several_targets.keyed(gans, "alone") == {}
    assert set(results[(2, ch.seed)].targets) == {ch.classes.index(c) for c in first}
    drawn = several_targets.draw(results[(2, ch.seed)], 4, 0)
    assert set(drawn) == set(first) and all(x.shape == (4, 1, 32, 32) for x in drawn.values())


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
    monkeypatch.setattr(several_targets, "draw", lambda res, n, seed: {c: res.key for c in table[res.key]})
    monkeypatch.setattr(several_targets, "recognition_rate", lambda judge, key, t: table[key]["abc"[t]] / 100)
    k, shown = several_targets.choose_k(results, None, within=10.0)
    assert k == 3 and shown["keeps it"].tolist() == [True, False, True]
    assert shown.loc[2, "worst of the two − k=1"] == pytest.approx(-15.0)
    assert several_targets.choose_k(results, None, within=5.0)[0] == 1


def test_cost_table_by_hand():
    long = pd.DataFrame([{"k": 1, "seed": 0, "GAN min": 4.0}, {"k": 1, "seed": 1, "GAN min": 6.0},
                         {"k": 5, "seed": 0, "GAN min": 5.0}, {"k": 5, "seed": 0, "GAN min": 5.0},
                         {"k": 5, "seed": 1, "GAN min": 5.0}])
    c = several_targets.cost(long, 10)
    assert c.loc[1, "GAN min"] == 5.0 and c.loc[5, "min per probed class"] == 1.0
    assert c.loc[5, "GANs for every class"] == 2 and c.loc[5, "× one GAN per class"] == pytest.approx(0.2)


def test_per_class_table_and_by_k_intervals_are_over_seeds():
    rows = []
    for seed, (a1, a2, b2) in enumerate([(80.0, 70.0, 50.0), (90.0, 60.0, 70.0)]):
        rows += [{"k": 1, "seed": seed, "class": "a", "judge": "j", "recognition (%)": a1},
                 {"k": 2, "seed": seed, "class": "a", "judge": "j", "recognition (%)": a2},
                 {"k": 2, "seed": seed, "class": "b", "judge": "j", "recognition (%)": b2}]
    long = pd.DataFrame(rows)
    t = several_targets.per_class_table(long, "j", metrics=("recognition (%)",))
    assert t.loc[(1, "a"), "recognition (%)"].startswith("85.0 (") and t.loc[(2, "b"), "recognition (%)"].startswith(
        "60.0 (")
    curves = several_targets.by_k(long, "recognition (%)", "a")["j"]
    assert curves.loc[2, "a"][0] == 65.0 and curves.loc[2, "other absent classes"][:1] == (60.0,)
    assert curves.loc[1, "other absent classes"][3] == 0  # no other class at k = 1


def test_page_tables_are_formatted_strings():
    long = pd.DataFrame([{"k": 1, "seed": 0, "GAN min": 4.0}, {"k": 1, "seed": 1, "GAN min": 6.0},
                         {"k": 5, "seed": 0, "GAN min": 5.0}, {"k": 5, "seed": 1, "GAN min": 5.0}])
    t = several_targets.cost_table(several_targets.cost(long, 10))
    assert t.loc[5].tolist() == ["5.0", "1.0", "2", "10.0", "0.20×"] and t.index.name == "k"
    choice = pd.DataFrame({"target": [85.0, 70.0], "mean over absent classes": [85.0, 79.3],
                           "worst of the two − k=1": [0.0, -15.0], "keeps it": [True, False]}, index=[1, 2])
    c = several_targets.choice_table(choice)
    assert c.loc[2].tolist() == ["70.0", "79.3", "-15.0", "no"] and c.loc[1, "within the bar"] == "yes"
    assert several_targets.judge_slug("panel: ViT") == "vit" and several_targets.judge_slug("dev: VGG") == "vgg"


def test_survival_tells_a_weak_class_from_a_broken_one():
    rows = []
    for seed in (0, 1):
        rows += [{"k": 1, "seed": seed, "class": "a", "judge": "j", "recognition (%)": 90.0},
                 {"k": 2, "seed": seed, "class": "a", "judge": "j", "recognition (%)": 40.0},
                 {"k": 2, "seed": seed, "class": "b", "judge": "j", "recognition (%)": 30.0}]
    long = pd.DataFrame(rows)
    alone = pd.DataFrame([{"k": 1, "seed": s, "class": "b", "judge": "j", "recognition (%)": 20.0} for s in (0, 1)])
    (line,) = several_targets.survival(long, alone, ("a", "b"), "a", ["j"])
    assert line == ("j: a 40.0 % at k = 2, 90.0 % alone: absent beside another class it loses 50.0 points; "
                    "b 30.0 % at k = 2, 20.0 % alone: weak whether or not another class is absent with it")
    fine = long.assign(**{"recognition (%)": 60.0})
    assert several_targets.survival(fine, alone, ("a", "b"), "a", ["j"]) == ["j: every absent class at least 50 % on average"]


def test_findings_state_the_numbers():
    curves = pd.DataFrame({"a": [(90.0, 80.0, 100.0, 2), (70.0, 60.0, 80.0, 2)],
                           "other absent classes": [(float("nan"), float("nan"), float("nan"), 0),
                                                    (50.0, 40.0, 60.0, 2)]}, index=[1, 2])
    costs = pd.DataFrame({"min per probed class": [10.0, 5.0]}, index=[1, 2])
    text = several_targets.sweep_finding("a", curves, costs, 2)
    assert text == ("a absent with k − 1 others: the panel's ViT recognises it 90.0 (80.0–100) % at k = 1, "
                    "70.0 (60.0–80.0) % at k = 2 (95 % intervals over 2 seeds); the other absent classes "
                    "50.0 (40.0–60.0) %; a GAN costs the same for any k, so k = 2 probes a class for 5.0 "
                    "GAN-minutes instead of 10.0")
