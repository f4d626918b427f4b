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
    for row, base in ((class_dilution.MAIN, 50.0), ("0.5", 30.0)):
        for seed, d in ((0, -1.0), (1, 1.0)):
            for judge in ("dev: VGG", "panel: ViT"):
                rows.append({"row": row, "seed": seed, "judge": judge, "recognition (%)": base + d,
                             "intra-FID": 10 + d, "KID": 0.01, "coverage": 0.5})
    return pd.DataFrame(rows)


def test_target_shares_default_to_one_over_c():
    shares = class_dilution.target_shares({class_dilution.MAIN: {}, "0.5": {"target_fraction": 0.5},
                                           "no Dc": {"use_dc": False}}, 10)
    assert shares == {class_dilution.MAIN: 0.1, "0.5": 0.5, "no Dc": 0.1}


def test_tables_hold_formatted_intervals_and_shares():
    tables = class_dilution.metric_tables(_long(), [class_dilution.MAIN, "0.5"])
    rec = class_dilution.recognition_table(tables, {class_dilution.MAIN: {}, "0.5": {"target_fraction": 0.5}}, 4)
    assert list(rec.columns) == ["target share of Du's fakes", "dev: VGG (%)", "panel: ViT (%)"]
    assert rec.loc["0.5", "target share of Du's fakes"] == "0.50" and rec.loc[class_dilution.MAIN].iloc[0] == "0.25"
    assert rec.loc[class_dilution.MAIN, "panel: ViT (%)"].startswith("50.0 (")
    quality = class_dilution.quality_table(tables)
    assert list(quality.columns) == list(class_dilution.QUALITY) and quality.shape == (4, 3)
    assert list(quality.index) == [("dev: VGG", class_dilution.MAIN), ("dev: VGG", "0.5"),
                                   ("panel: ViT", class_dilution.MAIN), ("panel: ViT", "0.5")]
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


def test_row_names_say_whose_recipe_each_row_is():
    settings = class_dilution.dilution_settings(profiles.PROFILES["cpu"])
    assert class_dilution.MAIN == "1/C (ours: Dc's own batch)" and settings[class_dilution.MAIN] == {}
    assert settings["1/C, single batch (paper's form)"] == {"dc_own_batch": False}
    assert settings["paper's λg, lr, no DiffAugment"] == {"lambda_cls": 1.0, "diffaug": False, "lr_g": 2e-4,
                                                         "lr_d": 2e-4}
    assert not any(name.endswith("(paper)") for name in settings)  # no row claims to be the paper's recipe


@pytest.mark.parametrize("name", ["cpu", "gpu"])
def test_recipe_differences_read_the_profile(name):
    P = profiles.PROFILES[name]
    frame = class_dilution.recipe_differences(P, _set())
    assert list(frame.index) == list(class_dilution.PAPER_RECIPE)
    book = frame[f"book ({name} profile)"]
    assert book["batch"] == str(P.probegan.batch_size) and book["D steps per G step"] == str(P.probegan.d_steps)
    assert book["generator steps"] == f"{P.probegan.steps:,}" and book["λg (λ_cls)"] == f"{P.probegan.lambda_cls:.1f}"
    assert frame.loc["Adam betas", "same"] == "yes" and frame.loc["λ_gp", "same"] == "yes"
    assert frame.loc["checkpoint", "same"] == "no"  # the book never selects a checkpoint
    if name == "cpu":
        assert book["learning rates (G / D)"] == "6e-4 / 6e-4" and book["EMA of G"] == "decay 0.99 from step 0"
        no = set(frame.index[frame["same"] == "no"])
        assert {"batch", "generator steps", "D steps per G step", "learning rates (G / D)", "λg (λ_cls)", "EMA of G",
                "DiffAugment", "Dc's fakes", "architecture", "probed classifier", "data set"} <= no
    else:  # the gpu profile: the paper's trainer settings
        assert frame.loc["D steps per G step", "same"] == "yes" and frame.loc["EMA of G", "same"] == "yes"
        assert frame.loc["learning rates (G / D)", "same"] == "yes" and frame.loc["batch", "same"] == "yes"
