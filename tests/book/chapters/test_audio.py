"""Chapter 7's book functions: the recognition table, the judges' votes and the readings."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import nn

from probelib.book.chapters import audio


class _Fixed(nn.Module):
    """A judge that hears class ``pick[i]`` in clip ``i``."""

    def __init__(self, pick, n_classes=3):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.logits = torch.nn.functional.one_hot(torch.as_tensor(pick), n_classes).float()

    def forward(self, x):
        return self.logits[: len(x)] + 0 * self.w


def test_recognition_rates_count_the_inverted_clips_and_format_intervals(monkeypatch):
    monkeypatch.setattr(audio.measure, "judge_metrics", lambda *a: {"coverage": 0.25})  # (tested elsewhere)
    g = audio.Generated(torch.zeros(4, 1, 8, 8), torch.zeros(4, 1, 8, 8), np.zeros((4, 10)))
    judges = {"a": _Fixed([0, 0, 0, 1]), "b": _Fixed([1, 1, 1, 1])}
    rows = pd.DataFrame(audio.recognition_rates(judges, "men", 0, g, torch.zeros(3, 1, 8, 8)))
    assert rows["after inversion to audio (%)"].tolist() == [75.0, 0.0]
    assert rows["paper: people (%)"].tolist() == [49.0, 49.0]
    table = audio.recognition_table(rows)
    cell = table.loc[("men", "a"), "after inversion to audio (%) (95 % CI)"]
    assert cell.startswith("75.0 (") and cell.endswith(")") and "–" in cell
    assert table.loc[("men", "b"), "generated spectrograms (%)"] == "0.0"
    assert table.loc[("men", "b"), "coverage"] == "0.25"


def test_votes_name_the_class_and_disputed_keeps_split_clips_most_disputed_first():
    judges = {"a": _Fixed([0, 0, 1, 2]), "b": _Fixed([0, 1, 2, 2]), "c": _Fixed([0, 1, 2, 2])}
    heard = audio.votes(judges, torch.zeros(4, 1, 8, 8), ["men", "women", "nonhuman"])
    assert heard.loc[0].tolist() == ["men"] * 3
    split = audio.disputed(heard, "women")
    assert split.index.tolist() == [2, 1]  # clip 2: one judge hears women; clip 1: two do
    assert list(split.columns) == ["a", "b", "c"]


def test_readings_apply_the_50_percent_bar_to_the_panel_only():
    after = pd.DataFrame({"dev: VGG": [10.0, 90.0], "panel: ViT": [60.0, 40.0], "panel: HOG": [55.0, 80.0]},
                         index=["men", "women"])
    lines = audio.readings(after, ["dev: VGG", "panel: ViT", "panel: HOG"], ["panel: ViT", "panel: HOG"])
    assert "every panel judge meets" in lines[0] and "people in the paper: 49 %" in lines[0]
    assert "a panel judge misses" in lines[1]
    assert audio.finding_text(after, ["men", "women"]).startswith(
        "recognised after inversion to sound by the panel's ViT: men 60.0 %, women 40.0 %")


def test_round_trip_table_formats_counts_rates_and_change():
    rates = pd.DataFrame({"clips": [40.0], "judge before (%)": [97.5], "mean change": [0.0812]},
                         index=pd.MultiIndex.from_tuples([("men", "real")]))
    out = audio.round_trip_table(rates)
    assert out.iloc[0].tolist() == ["40", "97.5", "0.08"]


def test_plan_lists_one_probe_per_class_with_the_audio_settings():
    from probelib.book.chapter import describe

    ch = describe(profile="smoke", dataset="speech", target_class="women")
    A, plan = ch.profile.audio, audio.plan(ch)
    assert [p.row for p in plan] == list(ch.classes) and [p.target for p in plan] == [0, 1, 2]
    assert [p.data for p in plan] == [f"audio-{c}" for c in ch.classes]
    assert {(p.seed, p.steps, p.changes) for p in plan} == {(0, A.probe_steps, (("lambda_cls", A.lambda_cls),))}
