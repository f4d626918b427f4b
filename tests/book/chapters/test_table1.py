"""Chapter 3's tables and readings (probelib.book.chapters.table1), on a hand-made long table."""
import math
from types import SimpleNamespace

import pandas as pd
import pytest

from probelib.book import compare
from probelib.book.chapters import table1

JUDGES = ("dev: VGG", "panel: ViT", "panel: HOG")


def _long(values: dict[str, list[float]]):
    """One line per row × seed × judge; recognition = value, intra-FID = 100 - value."""
    return pd.DataFrame([{"row": r, "seed": s, "judge": j, "recognition (%)": v, "intra-FID": 100 - v,
                          "FID (all)": 10.0 + s}
                         for r, vs in values.items() for s, v in enumerate(vs) for j in JUDGES])


def _ch(target_class="horse"):
    P = SimpleNamespace(probegan=SimpleNamespace(steps=700, batch_size=64), name="cpu")
    return SimpleNamespace(target_class=target_class, profile=P, classes=list("abcdefghij"))


def test_metric_table_puts_rows_in_the_papers_order_with_judge_metric_columns():
    long = _long({"probegan-robust": [80.0, 90.0, 85.0], "naive-robust": [40.0], "biggan-all": [60.0]})
    frame = table1.metric_table(long, ["recognition (%)", "intra-FID"], fid_all=True)
    assert list(frame.index) == ["biggan-all", "naive-robust", "probegan-robust"]
    assert list(frame.columns)[:3] == ["FID (all)", "dev: VGG · recognition (%)", "panel: ViT · recognition (%)"]
    assert frame.loc["naive-robust", "panel: HOG · intra-FID"] == "60.0"  # one seed: a point
    assert frame.loc["probegan-robust", "panel: ViT · recognition (%)"] == "85.0 (72.6–97.4)"
    assert frame.loc["probegan-robust", "FID (all)"].startswith("11.0 (")  # FID of seeds 0, 1, 2
    assert all(isinstance(v, str) for v in frame.values.ravel())


def test_run_counts_and_the_paper_table_are_strings_in_the_papers_order():
    counts = table1.run_counts(_long({"probegan-robust": [1.0, 2.0], "biggan-all": [3.0]}))
    assert list(counts.index) == ["biggan-all", "probegan-robust"] and counts.loc["probegan-robust", "panel: ViT"] == "2"
    paper = table1.paper_table()
    assert list(paper.index) == table1.ORDER and paper.loc["probegan-robust", "w/o horse: FID (all) / intra-FID"] \
        == "8.39 / 45.4"


def test_the_verdict_summary_groups_orderings_by_the_panels_state():
    checks = pd.DataFrame({"dev: VGG": {"a": "apart", "b": "fails", "c": "apart"},
                           "panel: ViT": {"a": "apart", "b": "fails", "c": "on average"},
                           "panel: HOG": {"a": "apart", "b": "fails", "c": "apart"}})
    text = table1.verdict_summary(checks, ["panel: ViT", "panel: HOG"])
    assert text.splitlines() == ["- **apart** by every panel judge: a", "- **fails** by every panel judge: b",
                                 "- the panel judges **disagree** on: c"]
    assert table1.panel_judges({j: None for j in JUDGES}) == ["panel: ViT", "panel: HOG"]


def test_the_readings_follow_this_runs_numbers():
    long = _long({"probegan-robust": [80.0, 90.0], "naive-robust": [95.0, 97.0], "biggan-all": [20.0],
                  "probegan-oracle": [70.0]})
    _, rec = compare.summarise(long, "recognition (%)")
    naive = table1.naive_reading(_ch("elephant"), rec)
    assert naive.startswith("NAIVE-robust beat ProbeGAN-robust on average in this run: recognition 96.0 % vs 85.0 %")
    assert "elephant images the ViT recognises 20.0 %" in naive and "1/10 of ProbeGAN's" in naive
    _, rec2 = compare.summarise(_long({"probegan-robust": [80.0], "naive-robust": [10.0]}), "recognition (%)")
    assert table1.naive_reading(_ch(), rec2).startswith("ProbeGAN-robust beat NAIVE-robust")
    oracle = table1.oracle_reading(_ch(), rec, ["panel: ViT", "panel: HOG"])
    assert oracle.startswith("The oracle is recognised less often than ProbeGAN-robust by 2 of 2 panel judges")
    checks = compare.verdicts(long, table1.CLAIMS[:1])
    assert table1.finding(_ch(), rec, checks, ["panel: ViT"]).endswith(
        "0 of 1 of the paper's orderings hold with intervals apart for every panel judge")


def test_sweep_means_are_per_method_and_step_and_nan_when_not_stored():
    df = pd.DataFrame({"method": ["naive", "naive", "probegan"], "step": [300, 300, 300],
                       "recognition (%)": [80.0, 60.0, 10.0]})
    assert table1.sweep_at(df, "naive", 300) == pytest.approx(70.0)
    assert math.isnan(table1.sweep_at(df, "naive", 700))
    assert table1.stored_sweeps("/nonexistent") == {}


def test_the_plan_lists_every_row_and_seed_and_the_am_prior():
    from probelib.book.chapter import describe

    ch = describe(profile="smoke")
    plan = table1.plan(ch)
    expected = [(row, s) for row, _, _, seeds in table1.rows(ch) for s in seeds]
    expected += [("biggan-am prior", ch.seed + i) for i in range(ch.profile.seeds_single)]
    assert [(p.row, p.seed) for p in plan] == expected
    assert len({p.key for p in plan}) == len(plan)  # no GAN planned twice
    assert all(p.target == ch.target and p.absent == () for p in plan)
    assert {p.kind for p in plan if p.method in ("biggan-all", "biggan-seen")} == {None}  # no classifier loss


def test_the_stored_budget_choice_is_read_from_its_file_with_its_source(tmp_path):
    import json

    rows = [{"budget job": 0, "changes": "today's recipe", "scores (per seed)": [0.2, 0.1], "mean score": 0.15,
             "lowest seed": 0.1, "chosen": True},
            {"budget job": 3, "changes": {"batch_size": 64, "lr_g": 3e-4}, "scores (per seed)": [0.3, 0.05],
             "mean score": 0.175, "lowest seed": 0.05, "chosen": False}]
    (tmp_path / table1.BUDGET_CHOICE).write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "manifest.json").write_text(json.dumps({table1.BUDGET_CHOICE: {"machine": "m", "date": "2026-12-06"}}))
    frame, source = table1.stored_budget_choice(tmp_path)
    assert frame.loc["today's recipe"].tolist() == ["0.200, 0.100", "0.150", "0.100", "yes"]
    assert frame.loc["batch_size = 64; lr_g = 0.0003", "chosen"] == ""
    assert source == f"benchmarks/measured/{table1.BUDGET_CHOICE} (m, 2026-12-06)"
    assert table1.stored_budget_choice(tmp_path / "nothing")[0] is None
