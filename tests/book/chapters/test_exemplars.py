"""Chapter 8's book functions: the pools, the 2AFC test per unit, its summary, tables, readings."""
from __future__ import annotations

import pandas as pd
import torch

from probelib.book.chapters import exemplars


def test_the_pools_are_disjoint_halves():
    images = torch.arange(10.0).view(10, 1, 1, 1)
    refs, queries = exemplars.split_pools(images, seed=3)
    assert len(refs) == len(queries) == 5
    assert sorted(torch.cat([refs, queries]).flatten().tolist()) == list(range(10))


def _refs_and_queries():
    # unit 0: "bright" images activate it; the references and queries are constant images
    bright, dark = torch.ones(1, 3, 1, 4, 4), -torch.ones(1, 3, 1, 4, 4)
    good = (bright, dark)  # right way round
    bad = (dark, bright)  # the wrong way round: the observer always errs
    refs = {"natural": good, "feature visualisation": bad, "ProbeGAN samples": good}
    pool = torch.cat([torch.ones(2, 1, 4, 4), -torch.ones(2, 1, 4, 4)])
    queries = type("Q", (), {"top_idx": torch.tensor([[0, 1]]), "bottom_idx": torch.tensor([[2, 3]])})()
    return refs, pool, queries


def test_two_afc_per_unit_scores_each_reference_type_and_summarise_averages_units():
    refs, pool, queries = _refs_and_queries()
    observers = {"pixels": lambda x: x.flatten(1) + torch.tensor([0.0] * 15 + [0.5])}  # off the origin
    embedded = exemplars.embed(observers, refs, pool, queries)
    assert embedded["pixels"]["queries"][0].shape == (1, 2, 16)  # (units, trials, features)
    per_unit = exemplars.two_afc_per_unit(embedded, [7], n_refs=2, seed=0)
    acc = dict(zip(per_unit["reference type"], per_unit["accuracy (%)"]))
    assert acc == {"natural": 100.0, "feature visualisation": 0.0, "ProbeGAN samples": 100.0}
    assert per_unit["unit"].tolist() == [7, 7, 7] and set(per_unit["references"]) == {2}
    summary = exemplars.summarise(per_unit.assign(classifier="regular"), seed=0)
    row = summary[summary["reference type"] == "natural"].iloc[0]
    assert (row["accuracy (%)"], row["lo (%)"], row["hi (%)"], row["units"]) == (100.0, 100.0, 100.0, 1)


def test_accuracy_table_puts_observers_side_by_side_with_the_papers_people():
    rows = [{"classifier": "regular", "observer": obs, "references": 9, "reference type": t,
             "accuracy (%)": a, "lo (%)": a - 5, "hi (%)": a + 5, "units": 24}
            for obs in ("panel: ViT", "pixels") for t, a in (("natural", 90.0), ("feature visualisation", 70.0))]
    summary = pd.DataFrame(rows)
    table = exemplars.accuracy_table(summary)
    assert list(table.columns) == ["panel: ViT: accuracy (%)", "paper: people (%)"]
    assert table.loc[("regular", 9, "natural"), "panel: ViT: accuracy (%)"] == "90.0 (85.0–95.0)"
    assert table.loc[("regular", 9, "feature visualisation"), "paper: people (%)"] == "82 ± 4"
    control = exemplars.control_table(summary)
    assert control.iloc[1, 0] == "70.0 (65.0–75.0)"


def test_readings_name_the_best_reference_type():
    main = pd.DataFrame([{"classifier": "robust", "references": 1, "reference type": t, "accuracy (%)": a}
                         for t, a in (("natural", 60.0), ("feature visualisation", 80.0),
                                      ("ProbeGAN samples", 50.0))])
    (line,) = exemplars.readings(main, (1,))
    assert line.startswith("robust, 1 reference(s): natural 60.0 %, feature visualisation 80.0 %")
    assert "feature visualisations explain the units best here — unlike the paper" in line


def test_summarise_orders_most_references_first_and_count_table_spreads_them():
    per_unit = pd.DataFrame([{"classifier": "regular", "observer": "panel: ViT", "references": n,
                              "reference type": t, "unit": u, "accuracy (%)": a}
                             for n in (1, 9) for t in ("feature visualisation", "natural")
                             for u, a in ((0, 50.0), (1, 100.0))])
    summary = exemplars.summarise(per_unit, seed=0)
    assert list(zip(summary["references"], summary["reference type"])) == [
        (9, "natural"), (9, "feature visualisation"), (1, "natural"), (1, "feature visualisation")]
    assert summary["accuracy (%)"].tolist() == [75.0] * 4
    table = exemplars.count_table(summary)
    assert list(table.columns) == ["1 per side: accuracy (%)", "9 per side: accuracy (%)"]
    assert table.loc[("regular", "natural"), "9 per side: accuracy (%)"].startswith("75.0 (50.0–")


def test_plan_lists_probegan_on_the_regular_and_the_robust_classifier():
    from probelib.book.chapter import describe

    ch = describe(profile="smoke", seed=1)
    plan = exemplars.plan(ch)
    assert [(p.row, p.method, p.kind) for p in plan] == [("probegan-regular", "probegan", "regular"),
                                                         ("probegan-robust", "probegan", "robust")]
    assert {(p.seed, p.target) for p in plan} == {(1, ch.target)}
