"""Issue 32's recipe rule (benchmarks/recipe_sweep.py, written before the sweep) by hand: the same
CPU budget for every candidate, a score of recognition × coverage, and a change only when seeds
are apart, so that a collapsed generator loses whatever its recognition."""
import dataclasses
import importlib.util
from pathlib import Path

import pytest

from probelib.book import profiles

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sweep():
    spec = importlib.util.spec_from_file_location("recipe_sweep", ROOT / "benchmarks" / "recipe_sweep.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(changes, scores):
    """Rows whose recognition × coverage are ``scores`` (coverage 0.5, so recognition = 200 × score)."""
    return [{"budget job": 1, "changes": changes, "seed": s, "recognition (%)": 200 * v, "coverage": 0.5}
            for s, v in enumerate(scores)]


def test_the_budget_buys_the_cpu_time_of_700_steps_of_todays_recipe(sweep):
    assert sweep.budget_steps(0.3, 0.3) == 700
    assert sweep.budget_steps(0.3, 0.6) == 350  # twice as dear: half the steps
    assert sweep.budget_steps(0.3, 0.2) == 1050
    assert sweep.budget_steps(0.3, 0.29) == 700  # 724 rounds down to a multiple of 50
    assert sweep.budget_steps(0.3, 100.0) == 50  # never fewer than one grain


def test_a_collapsed_generator_loses_however_sure_the_judge_is(sweep):
    collapsed = [{"changes": {"d_steps": 2}, "seed": s, "recognition (%)": 100.0, "coverage": 0.01} for s in (0, 1)]
    out = sweep.choose(_rows({}, [0.20, 0.25]) + collapsed)
    assert out["best"] == {} and out["chosen"] == {}
    assert out["scores"]['{"d_steps": 2}'] == pytest.approx([0.01, 0.01])


@pytest.mark.parametrize("candidate, chosen", [
    ([0.30, 0.40], {"batch_size": 64}),  # lowest seed above today's highest: replaces today's recipe
    ([0.24, 0.60], {}),  # better on average but the seeds overlap: today's recipe stays
])
def test_a_candidate_replaces_todays_recipe_only_with_seeds_apart(sweep, candidate, chosen):
    out = sweep.choose(_rows({}, [0.20, 0.25]) + _rows({"batch_size": 64}, candidate))
    assert out["best"] == {"batch_size": 64} and out["chosen"] == chosen and out["apart"] is bool(chosen)


def test_a_change_reaches_the_architecture_or_the_trainer(sweep):
    today = profiles.get("cpu").probegan
    cfg = sweep.apply_changes(today, {"gan.ch": 24, "lr_d": 8e-4})
    assert cfg.gan.ch == 24 and cfg.lr_d == 8e-4 and cfg.lr_g == today.lr_g
    assert dataclasses.replace(cfg, gan=today.gan, lr_d=today.lr_d) == today
    with pytest.raises(TypeError):
        sweep.apply_changes(today, {"gan.width": 3})  # not a field: an error, not a silent no-op


def test_the_stored_sweep_ran_every_candidate_and_its_stored_choice_is_the_rules(sweep):
    """The sweep is complete (every candidate, every seed), the stored choice rows are the rule's
    on those rows, and the `cpu` recipe is the one it chose (today's: no candidate's seeds apart)."""
    import json

    measured = ROOT / "benchmarks" / "measured"
    rows = [json.loads(line) for line in (measured / "recipe_budget_cpu.jsonl").read_text().splitlines() if line]
    ran = {(r["budget job"], r["seed"]) for r in rows if "budget job" in r}
    assert ran == {(i, s) for i in range(len(sweep.BUDGET_JOBS)) for s in sweep.BUDGET_SEEDS}
    result = sweep.choose([r for r in rows if "budget job" in r])
    stored = [json.loads(line) for line in (measured / "recipe_budget_choice_cpu.jsonl").read_text().splitlines()
              if line]
    keep = ("budget job", "changes", "scores (per seed)", "best mean", "chosen")
    assert [{k: r[k] for k in keep} for r in stored] == [{k: r[k] for k in keep} for r in sweep.choice_rows(result)]
    assert result["chosen"] == {}  # so the profile's trainer is today's recipe, unchanged:
    cpu = profiles.get("cpu").probegan
    assert (cpu.steps, cpu.batch_size, cpu.lr_g, cpu.lr_d, cpu.d_steps, cpu.ema_decay, cpu.diffaug, cpu.gan.ch) == \
        (700, 32, 6e-4, 6e-4, 1, 0.99, True, 16)
