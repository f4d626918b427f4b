"""Chapter 2's pieces: target shares, the formatted tables, the single-batch sentence and the
fake labels each head sees (counted from the trainer's own sampling, nothing trained)."""
import dataclasses

import pandas as pd
import pytest
import torch

from probelib.book import runs, profiles
from probelib.book.chapter import describe
from probelib.book.chapters import class_dilution
from probelib.data import ImageSet


def _set():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(4).repeat(8)
    return ImageSet(torch.rand(32, 1, 32, 32, generator=g) * 2 - 1, labels, ("a", "b", "c", "d"), "toy", "train")


def _long():
    rows = []
    for row, base in (("1/C (paper)", 50.0), ("0.5", 30.0)):
        for seed, d in ((0, -1.0), (1, 1.0)):
            for judge in ("dev: VGG", "panel: ViT"):
                rows.append({"row": row, "seed": seed, "judge": judge, "recognition (%)": base + d,
                             "intra-FID": 10 + d, "KID": 0.01, "coverage": 0.5})
    return pd.DataFrame(rows)


def test_target_shares_default_to_one_over_c():
    shares = class_dilution.target_shares({"1/C (paper)": {}, "0.5": {"target_fraction": 0.5}, "no Dc": {"use_dc": False}},
                                    10)
    assert shares == {"1/C (paper)": 0.1, "0.5": 0.5, "no Dc": 0.1}


def test_tables_hold_formatted_intervals_and_shares():
    tables = class_dilution.metric_tables(_long(), ["1/C (paper)", "0.5"])
    rec = class_dilution.recognition_table(tables, {"1/C (paper)": {}, "0.5": {"target_fraction": 0.5}}, 4)
    assert list(rec.columns) == ["target share of Du's fakes", "dev: VGG (%)", "panel: ViT (%)"]
    assert rec.loc["0.5", "target share of Du's fakes"] == "0.50" and rec.loc["1/C (paper)"].iloc[0] == "0.25"
    assert rec.loc["1/C (paper)", "panel: ViT (%)"].startswith("50.0 (")
    quality = class_dilution.quality_table(tables)
    assert list(quality.columns) == list(class_dilution.QUALITY) and quality.shape == (4, 3)
    assert list(quality.index) == [("dev: VGG", "1/C (paper)"), ("dev: VGG", "0.5"),
                                   ("panel: ViT", "1/C (paper)"), ("panel: ViT", "0.5")]
    assert quality.loc[("panel: ViT", "0.5"), "intra-FID"] == tables["intra-FID"][0].loc["0.5", "panel: ViT"]


def test_single_batch_sentence_looks_at_the_panel_only():
    same = pd.DataFrame({"dev: VGG": ["apart"], "panel: ViT": ["on average"]})
    assert "no panel judge separates them" in class_dilution.single_batch_sentence(same, ["dev: VGG", "panel: ViT"])
    same["panel: ViT"] = ["reversed"]
    assert "the two forms differ" in class_dilution.single_batch_sentence(same, ["dev: VGG", "panel: ViT"])


def test_claims_compare_one_over_c_with_each_share_and_no_dc():
    texts = [c.text for c in class_dilution.claims((0.3, 1.0))]
    assert texts[:2] == ["1/C beats a target share of 0.3", "1/C beats a target share of 1"]
    assert any(c.worse == "no Dc (1/C)" for c in class_dilution.claims((0.3,)))
    assert [c.worse for c in class_dilution.single_batch_claims()] == [class_dilution.DILUTION_SINGLE] * 4


@pytest.mark.parametrize("own", [True, False])
def test_label_shares_follow_the_target_fraction(own):
    cfg = dataclasses.replace(profiles.PROFILES["smoke"].probegan, batch_size=16)
    out = class_dilution.label_shares(cfg, _set(), 1, steps=100, target_fraction=0.5, dc_own_batch=own)
    assert out["Du's fakes"] == 16 and abs(out["target share of Du's fakes"] - 0.5) < 0.1
    assert out["target share of Dc's fakes"] == 0.0  # Dc never scores a target fake
    if own:
        assert out["Dc's fakes"] == 16 and out["fakes G makes"] > 16  # topped up
    else:
        assert abs(out["Dc's fakes"] - 8) < 1.5 and out["fakes G makes"] == 16  # the seen half of Du's batch
    no_dc = class_dilution.label_shares(cfg, _set(), 1, steps=10, use_dc=False)
    assert no_dc["Dc's fakes"] == 0.0


def test_plan_lists_every_setting_with_its_seeds():
    ch = describe(profile="smoke", seed=3)
    P, plan = ch.profile, class_dilution.plan(ch)
    settings = class_dilution.dilution_settings(P)
    assert len(plan) == P.seeds_main + (len(settings) - 1) * P.seeds_ablation
    assert [p.row for p in plan if p.seed == 3] == list(settings)  # every setting, in order
    assert [p.seed for p in plan if p.row == class_dilution.MAIN] == [3 + i for i in range(P.seeds_main)]
    assert {(p.method, p.kind, p.target) for p in plan} == {("probegan", "robust", ch.target)}
    paper = next(p for p in plan if p.row == class_dilution.DILUTION_PAPER)
    assert dict(paper.changes) == settings[class_dilution.DILUTION_PAPER]
    assert len({p.key for p in plan}) == len(plan)  # no GAN named twice
