"""Chapter 7's book functions: the stored sweep, the judges on real clips, recognition per seed and
over seeds, the round trip, what the probes draw, the readings and the judges' votes.

The judges here read their input (its mean intensity), so a function that swaps or ignores the
images it is given fails these tests."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from probelib.book.chapters import audio
from probelib.data.imageset import ImageSet
from probelib.data.mel import AudioConfig

CLASSES = ("men", "women", "nonhuman")


class _ByMean(nn.Module):
    """A judge that hears class 0 below ``cuts[0]`` mean intensity, 1 below ``cuts[1]``, else 2."""

    def __init__(self, cuts=(-0.5, 0.5)):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.cuts = torch.tensor(cuts)
        self.feature_dim = 1

    def features(self, x):
        return x.mean((1, 2, 3))[:, None] + 0 * self.w

    def forward(self, x):
        c = torch.bucketize(x.mean((1, 2, 3)), self.cuts, right=True)  # (B,) in 0..2
        return torch.nn.functional.one_hot(c, 3).float() + 0 * self.w


def _images(means, size=8):
    """One image per mean intensity, ``(N, 1, size, size)``."""
    return torch.tensor(means, dtype=torch.float32)[:, None, None, None].expand(-1, 1, size, size).clone()


def _test_set(means, labels):
    return ImageSet(_images(means), torch.tensor(labels), CLASSES, "test", "test")


# ---- recognition, per seed and over seeds ----------------------------------------------------------

def test_recognition_rates_read_the_generated_images_before_and_the_inverted_ones_after(monkeypatch):
    monkeypatch.setattr(audio.measure, "judge_metrics", lambda *a: {"coverage": 0.25})  # (tested elsewhere)
    before = _images([-0.9] * 4)  # heard as men (0) by the judge
    after = _images([-0.9, -0.9, -0.9, 0.0])  # 3 men, 1 women
    g = audio.Generated(before, after, np.zeros((4, 10)))
    judges = {"a": _ByMean(), "b": _ByMean(cuts=(-1.0, 0.5))}  # b hears women in all of them
    rows = pd.DataFrame(audio.recognition_rates(judges, "men", 0, g, _images([-0.9] * 3), seed=7))
    assert rows[audio.BEFORE].tolist() == [100.0, 0.0]
    assert rows[audio.AFTER].tolist() == [75.0, 0.0]  # swapping images and again would give 100
    assert rows["seed"].tolist() == [7, 7] and rows["paper: people (%)"].tolist() == [49.0, 49.0]
    assert rows.loc[0, "lo (%)"] < 75.0 < rows.loc[0, "hi (%)"]


def _rates(values: dict) -> pd.DataFrame:
    """Per-seed rows of :func:`audio.recognition_rates`: ``{(class, judge): [after per seed]}``."""
    rows = []
    for (name, j), xs in values.items():
        for seed, x in enumerate(xs):
            rows.append({"absent class": name, "seed": seed, "judge": j, audio.BEFORE: x + 1.0, audio.AFTER: x,
                         "lo (%)": max(x - 10, 0), "hi (%)": min(x + 10, 100), "coverage": 0.5,
                         "paper: people (%)": 49.0})
    return pd.DataFrame(rows)


def test_the_summary_is_the_mean_over_seeds_with_a_student_t_interval_cut_to_0_100():
    from probelib.core.stats import mean_ci

    summary = audio.recognition_summary(_rates({("men", "dev"): [90.0, 100.0, 95.0], ("men", "vit"): [1.0, 3.0, 2.0]}))
    m, lo, hi = mean_ci([90.0, 100.0, 95.0])
    row = summary.loc[("men", "dev")]
    assert row[audio.AFTER] == pytest.approx(m) and row[audio.AFTER + " lo"] == pytest.approx(lo)
    assert hi > 100 and row[audio.AFTER + " hi"] == 100.0  # cut to the rate's range
    assert row["seeds"] == 3 and row[audio.BEFORE] == pytest.approx(m + 1)
    table = audio.recognition_table(summary)
    assert table.loc[("men", "vit"), "after inversion to audio (%), mean over seeds (95 % CI)"].startswith("2.0 (")
    assert table.loc[("men", "dev"), "seeds"] == "3"


def test_the_seed_table_keeps_each_probe_with_its_image_level_interval():
    out = audio.seed_table(_rates({("nonhuman", "dev"): [97.0, 99.0], ("nonhuman", "vit"): [1.0, 0.0]}))
    assert out.index.tolist() == [("nonhuman", 0), ("nonhuman", 1)]
    assert out.loc[("nonhuman", 1)].tolist() == ["99.0 (89.0–100.0)", "0.0 (0.0–10.0)"]


# ---- the judges on real clips and the round trip ---------------------------------------------------

def test_real_accuracy_counts_each_class_and_what_the_judge_hears_it_as():
    test = _test_set([-0.9, -0.9, 0.0, 0.0, 0.9, 0.0], [0, 0, 1, 1, 2, 2])
    rates = audio.real_accuracy({"j": _ByMean()}, test)
    assert rates.loc[("j", "nonhuman"), "recognised (%)"] == 50.0
    assert rates.loc[("j", "nonhuman"), "heard as women (%)"] == 50.0
    assert rates.loc[("j", "men"), "recognised (%)"] == 100.0
    table = audio.real_accuracy_table(rates)
    assert table.loc[("j", "nonhuman"), "recognised (%) (95 % CI over clips)"].startswith("50.0 (")


def test_round_trip_rates_score_every_judge_before_and_after(monkeypatch):
    test = _test_set([-0.9, 0.0, 0.9], [0, 1, 2])
    # the "round trip" moves every clip to women's intensity: recognised before, not after (but women)
    monkeypatch.setattr(audio.datamod.mel, "round_trip", lambda x, cfg: (torch.zeros_like(x), None))
    generated = {(c, s): audio.Generated(_images([m] * 2), _images([0.0, m]), np.zeros((2, 4)))
                 for c, m in zip(CLASSES, (-0.9, 0.0, 0.9)) for s in (0, 1)}
    rates = audio.round_trip_rates({"j": _ByMean()}, test, generated, cfg=None, n=40)
    assert rates.loc[("men", "real"), ["j: before (%)", "j: after (%)"]].tolist() == [100.0, 0.0]
    assert rates.loc[("men", "generated"), ["clips", "j: before (%)", "j: after (%)"]].tolist() == [4, 100.0, 50.0]
    assert rates.loc[("women", "real"), "j: after (%)"] == 100.0
    assert rates.loc[("men", "real"), "mean change"] == pytest.approx(0.9)
    out = audio.round_trip_table(rates)
    assert out.loc[("men", "generated")].tolist() == ["4", "0.45", "100.0 → 50.0"]


# ---- what the probes draw --------------------------------------------------------------------------

def test_spectrogram_stats_on_closed_form_images():
    cfg = AudioConfig(n_mels=4)
    flat = torch.full((1, 1, 4, 6), 0.5)  # every band at -20 dB: flatness 1, no change over time
    one = torch.full((1, 1, 4, 6), -1.0)
    one[:, :, 2] = 1.0  # band 2 at 0 dB, the rest at -80 dB
    stats = audio.spectrogram_stats(torch.cat([flat, one]), cfg)
    assert stats.loc[0, "level (dB)"] == pytest.approx(-20.0)
    assert stats.loc[0, "flatness"] == pytest.approx(1.0)
    assert stats.loc[0, "frame-to-frame change (dB)"] == pytest.approx(0.0)
    import librosa

    centre = librosa.mel_frequencies(6, fmin=cfg.fmin, fmax=cfg.fmax)[3]
    assert stats.loc[1, "centroid (Hz)"] == pytest.approx(centre, rel=1e-4)
    assert stats.loc[1, "flatness"] < 1e-3
    assert audio.band_profile(one, cfg).tolist() == pytest.approx([-80.0, -80.0, 0.0, -80.0])


def test_nearest_real_on_the_spectrogram_and_in_a_judges_features():
    test = _test_set([-0.9, 0.0, 0.9], [0, 1, 2])
    x = _images([0.8, -0.7])
    assert audio.nearest_real(x, test).tolist() == [[2], [0]]
    assert audio.nearest_real(x, test, _ByMean(), k=2).tolist() == [[2, 1], [0, 1]]


def test_draw_rates_name_the_class_each_probe_lands_next_to():
    cfg = AudioConfig(n_mels=8)
    test = _test_set([-0.9, -0.8, 0.0, 0.1, 0.9, 0.8], [0, 0, 1, 1, 2, 2])
    generated = {("nonhuman", 0): audio.Generated(_images([0.05, 0.05]), None, None),
                 ("nonhuman", 1): audio.Generated(_images([0.85, 0.0, 0.7]), None, None)}
    draws = audio.draw_rates(_ByMean(), generated, test, cfg)
    assert draws["nearest real clip on the spectrogram: women (%)"].tolist() == pytest.approx([100.0, 100 / 3])
    assert draws["nearest real clip in the development judge's features: nonhuman (%)"].tolist() == pytest.approx(
        [0.0, 200 / 3])
    assert draws["band nearest"].tolist() == ["women", "nonhuman"]
    table = audio.draw_table(draws)
    assert table.loc["nonhuman", "energy per mel band nearest to (seeds)"] in ("women 1, nonhuman 1 of 2",
                                                                              "nonhuman 1, women 1 of 2")


# ---- the readings ----------------------------------------------------------------------------------

PANEL = ["panel: ViT", "panel: HOG"]


def _summary(after: dict) -> pd.DataFrame:
    """A :func:`audio.recognition_summary` of one class from ``{judge: after}`` (3 seeds)."""
    rows = {("nonhuman", j): {audio.AFTER: a, audio.AFTER + " lo": a, audio.AFTER + " hi": a, "seeds": 3.0}
            for j, a in after.items()}
    frame = pd.DataFrame(rows).T
    frame.index.names = ["absent class", "judge"]
    return frame


def _reading(after, real_acc=95.0, pix=10.0, band=("men", "men", "women")):
    summary = _summary({"dev: VGG": after[0], "panel: ViT": after[1], "panel: HOG": after[2]})
    real = pd.DataFrame({"recognised (%)": {(j, "nonhuman"): real_acc for j in PANEL}})
    trip = pd.DataFrame({f"{j}: after (%)": {("nonhuman", "real"): real_acc} for j in PANEL})
    draws = pd.DataFrame({"absent class": ["nonhuman"] * 3, "band nearest": list(band),
                          "nearest real clip on the spectrogram: nonhuman (%)": [pix] * 3,
                          "nearest real clip in the development judge's features: nonhuman (%)": [90.0] * 3})
    return audio.class_reading("nonhuman", summary, real, trip, draws, PANEL)


@pytest.mark.parametrize("after, kwargs, verdict", [
    ((97.0, 80.0, 90.0), {}, "drawn"),
    ((97.0, 1.0, 2.0), {"real_acc": 20.0}, "the panel cannot hear the class"),
    ((10.0, 1.0, 2.0), {}, "not drawn"),
    ((97.0, 1.0, 2.0), {}, "a development-judge shortcut"),
    ((97.0, 1.0, 2.0), {"pix": 80.0, "band": ("nonhuman",) * 3}, "drawn, not accepted by the panel"),
    ((97.0, 1.0, 2.0), {"pix": 80.0}, "undecided"),
    ((97.0, 1.0, 90.0), {}, "undecided"),
])
def test_the_reading_branches_on_the_runs_numbers(after, kwargs, verdict):
    got, sentence = _reading(after, **kwargs)
    assert got == verdict
    assert sentence.startswith("absent 'nonhuman', recognised after inversion (means over 3 seeds): dev: VGG ")


def test_the_shortcut_reading_quotes_the_evidence():
    _, sentence = _reading((97.0, 1.0, 2.0))
    assert "although panel: ViT recognises 95.0 % of real nonhuman clips" in sentence
    assert "10 % of them on the spectrogram and for 90 % in the development judge's features" in sentence
    assert "in 0 of 3 seeds (else men in 2, women in 1)" in sentence


def test_a_split_panel_is_undecided_and_names_who_hears_it_with_the_spectrograms_for_the_record():
    verdict, sentence = _reading((97.0, 1.0, 90.0), pix=2.0, band=("women",) * 3)
    assert verdict == "undecided"
    assert "panel: HOG hear(s) the class, panel: ViT not, so this run cannot say" in sentence
    assert "for 2 % of them on the spectrogram" in sentence and "in 0 of 3 seeds (else women in 3)" in sentence


def test_readings_finding_and_most_disputed_read_the_means_over_seeds():
    summary = pd.concat([_summary({"dev: VGG": 97.0, "panel: ViT": 1.0, "panel: HOG": 60.0}).rename(
        index={"nonhuman": "nonhuman"}), _summary({"dev: VGG": 90.0, "panel: ViT": 80.0, "panel: HOG": 70.0}).rename(
        index={"nonhuman": "men"})])
    lines = audio.readings(summary, ["dev: VGG", *PANEL], PANEL)
    assert "a panel judge misses" in lines[0] and "every panel judge meets" in lines[1]
    assert "people in the paper: 61 %" in lines[0] and "(mean over 3 seeds)" in lines[0]
    assert audio.most_disputed(summary, PANEL) == "nonhuman"
    text = audio.finding_text(summary, ["men", "nonhuman"], verdicts={"men": "drawn", "nonhuman": "undecided"})
    assert text.startswith("recognised after inversion to sound by the panel's ViT, mean over 3 seeds (95 % CI): "
                           "men 80.0 (80.0–80.0) %, nonhuman 1.0 (1.0–1.0) %; nonhuman: undecided")


# ---- the stored sweep ------------------------------------------------------------------------------

def test_stored_sweep_reads_the_chapters_jobs_from_the_files(tmp_path):
    jobs = [{"chapter": "audio", "absent": "women", "adv_eps": 1.0, "changes": {"lambda_cls": 10.0}, "step": 600,
             "probed clf test acc (%)": 88.333, "recognition (%)": 99.6, "after inversion (%)": 96.0,
             "probed clf says target (%)": 100.0},
            {"chapter": "audio", "absent": "men", "adv_eps": 1.0, "changes": {}, "step": 600,
             "probed clf test acc (%)": 88.2, "recognition (%)": 67.2, "probed clf says target (%)": 99.0},
            {"chapter": "audio", "absent": "men", "adv_eps": 1.0, "changes": {}, "step": 1200, "recognition (%)": 5.0},
            {"chapter": "spurious", "probe": "ERM", "step": 600}]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(j) for j in jobs) + "\n")
    (tmp_path / "manifest.json").write_text(json.dumps({"a.jsonl": {"date": "2026-11-26", "machine": "two cores"}}))
    frame, source = audio.stored_sweep(tmp_path, CLASSES, files=("a.jsonl", "absent.jsonl"), lambda_cls=2.0)
    assert source == "benchmarks/measured/a.jsonl (two cores, 2026-11-26)"
    assert frame.index.tolist() == [("a.jsonl", "1", "2", "none", "men"), ("a.jsonl", "1", "10", "none", "women")]
    assert frame.loc[("a.jsonl", "1", "10", "none", "women")].tolist() == ["88.3", "99.6", "96.0", "100.0"]
    assert frame.loc[("a.jsonl", "1", "2", "none", "men"), "development judge: after inversion (%)"] == "–"
    assert audio.stored_sweep(tmp_path / "nowhere", CLASSES)[0] is None


# ---- the judges' votes -----------------------------------------------------------------------------

def test_votes_name_the_class_and_disputed_keeps_split_clips_most_disputed_first():
    judges = {"a": _ByMean(cuts=(0.0, 0.5)), "b": _ByMean(cuts=(-0.5, 0.0)), "c": _ByMean(cuts=(-0.5, 0.0))}
    heard = audio.votes(judges, _images([-0.9, -0.3, 0.3, 0.9]), CLASSES)
    assert heard["a"].tolist() == ["men", "men", "women", "nonhuman"]
    assert heard["b"].tolist() == ["men", "women", "nonhuman", "nonhuman"]
    split = audio.disputed(heard, "women")
    assert split.index.tolist() == [2, 1]  # clip 2: one judge hears women; clip 1: two do
    assert list(split.columns) == ["a", "b", "c"]


def test_plan_lists_seeds_probes_per_class_with_the_audio_settings():
    from probelib.book.chapter import describe

    ch = describe(profile="smoke", dataset="speech", target_class="women")
    A, plan = ch.profile.audio, audio.plan(ch)
    assert A.seeds >= 2 and len(plan) == A.seeds * len(ch.classes)
    assert [(p.row, p.seed) for p in plan[:4]] == [("men", 0), ("women", 0), ("nonhuman", 0), ("men", 1)]
    assert [p.target for p in plan[:3]] == [0, 1, 2] and {p.data for p in plan} == {f"audio-{c}" for c in ch.classes}
    assert {(p.steps, p.changes) for p in plan} == {(A.probe_steps, (("lambda_cls", A.lambda_cls),))}
    assert len({p.key for p in plan}) == len(plan)  # every probe its own GAN
