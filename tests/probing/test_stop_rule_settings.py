"""The `cpu` stopping rule in the settings is what the sweep's written rule gives on its stored rows."""
import importlib.util
from pathlib import Path
from types import SimpleNamespace

from probelib.probing.settings import settings

ROOT = Path(__file__).resolve().parents[2]


def _sweep():
    spec = importlib.util.spec_from_file_location("probe_stop_sweep", ROOT / "benchmarks" / "probe_stop_sweep.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_cpu_rule_is_the_one_the_stored_sweep_gives(capsys):
    chosen = _sweep().choose(SimpleNamespace(out=str(ROOT / "benchmarks" / "measured" / "probe_stop_cpu.jsonl")))
    s = settings("cpu")
    assert (s.seen.min_top1, s.seen.max_kid_ratio, s.check_every, s.trainer.steps) == (
        chosen["min_top1"], chosen["max_kid_ratio"], chosen["check_every"], chosen["budget"])


def test_a_run_that_passes_before_it_draws_lowers_the_threshold(tmp_path, capsys):
    """Step 3 of the rule, by hand: a check passing at a ratio before the development judge says the GAN draws
    rules that ratio out; a run that never draws counts with its --max-steps for the budget (step 5)."""
    import json

    def row(step, own_top1, own_ratio, dev_top1, data="a", max_steps=400):
        return {"data": data, "seed": 0, "resolution": 64, "step": step, "own median top-1 (%)": own_top1,
                "own median KID ratio": own_ratio, "dev median top-1 (%)": dev_top1, "check s": 1.0,
                "s_per_step": 0.5, "command": f"probe_stop_sweep.py sweep --data {data} --max-steps {max_steps}"}

    rows = [row(100, 60, 0.42, 10), row(200, 90, 0.22, 85), row(300, 95, 0.1, 90),  # drawn from 200
            row(100, 99, 50.0, 5, data="b", max_steps=600)]  # fools its classifier, never drawn
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    out = _sweep().choose(SimpleNamespace(out=str(path)))
    assert out["max_kid_ratio"] == 0.4  # 0.45 would pass run a's check at step 100, before it draws
    assert out["first pass (rule)"] == {"a s0": 200, "b s0": None}
    assert out["budget"] == 900  # 1.5 x run b's --max-steps (600), a multiple of check_every (50)
    assert out["check_every"] == 50  # a check costs 2 steps: at most 10 % of 50 steps
