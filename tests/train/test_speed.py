"""The fast step: the same maths as the plain one (float32 on CPU), bfloat16 with the penalty in
float32, and the settings' parsing and errors."""
import shutil

import pytest
import torch

from probelib.train import losses, speed
from probelib.train.probegan import ProbeGANTrainer, config_key

from tiny_gan import assert_same_gans, classifier, images  # noqa: F401 - fixtures
from tiny_gan import tiny_cfg as _cfg


def _trained(images, classifier, step=None, **kw):
    t = ProbeGANTrainer(_cfg(**kw), images, classifier, 2, device="cpu", step=step)
    t.run(progress=False, log_every=1)
    return t


def _assert_same(a, b, atol):
    assert_same_gans(a, b, atol)
    for ha, hb in zip(a.history, b.history, strict=True):
        for key in ha:
            assert ha[key] == pytest.approx(hb[key], rel=1e-4, abs=1e-5), key


def test_the_default_cpu_step_is_the_plain_step():
    assert speed.default_settings(torch.device("cpu")) == speed.StepSettings()
    cuda = speed.default_settings(torch.device("cuda"))
    assert cuda.fused_adam and cuda.cudnn_benchmark and cuda.compile is None


@pytest.mark.parametrize("step", [speed.StepSettings(fused_adam=True),
                                  speed.StepSettings(compile="aot_eager"),
                                  pytest.param(speed.StepSettings(compile="inductor"), marks=pytest.mark.skipif(
                                      not (shutil.which("g++") or shutil.which("c++")),
                                      reason="inductor on CPU needs a C++ compiler"))],
                         ids=["fused-adam", "compiled", "inductor"])
def test_a_fast_step_trains_the_same_weights_in_float32(images, classifier, step):
    """3 steps (2 D steps each, DiffAugment, both heads, the classifier) from the same seed: every
    weight of D, G and EMA G within 1e-5 and every logged loss within rel 1e-4 / abs 1e-5 of the
    plain step's. Inductor reorders float sums: measured, its largest difference here is 5.7e-7 in a
    weight (a spectral-norm vector) and 4.3e-6 (5.6e-5 relative) in a loss. It costs ~15 s with a
    warm inductor cache and ~140 s cold (compiling) on a loaded 2-core machine."""
    plain = _trained(images, classifier)
    fast = _trained(images, classifier, step=step)
    _assert_same(plain, fast, atol=1e-5)


def test_bfloat16_runs_the_networks_in_bfloat16_and_the_penalty_in_float32(images, classifier, monkeypatch):
    seen = {}
    real_gp = losses.gradient_penalty

    def spy_gp(critic, x_real, x_fake, alpha):
        seen["gp"] = (x_real.dtype, x_fake.dtype, torch.is_autocast_enabled("cpu"))
        return real_gp(critic, x_real, x_fake, alpha)

    monkeypatch.setattr(losses, "gradient_penalty", spy_gp)
    t = ProbeGANTrainer(_cfg(precision="bfloat16"), images, classifier, 2, device="cpu")
    out = {}
    t.D.linear_u.register_forward_hook(lambda m, i, o: None if "du" in out else out.update(du=o.dtype))
    rec = t.d_step()
    assert seen["gp"] == (torch.float32, torch.float32, False)  # the penalty: float32, autocast off
    assert out["du"] == torch.bfloat16  # Du's scores of the main pass: bfloat16
    assert t.G.shared.weight.dtype == torch.float32  # weights stay float32
    plain = ProbeGANTrainer(_cfg(), images, classifier, 2, device="cpu").d_step()
    assert rec.keys() == plain.keys()
    for key in rec:  # the same step up to bfloat16 rounding (same weights, same random draws)
        assert rec[key] == pytest.approx(plain[key], rel=0.05, abs=0.05), key
    assert torch.isfinite(torch.tensor(list(t.g_step().values()))).all()


def test_precision_enters_the_cache_key_only_when_not_float32():
    assert "precision" not in config_key(_cfg())
    assert config_key(_cfg(precision="bfloat16"))["precision"] == "bfloat16"


def test_bad_settings_are_one_line_errors(images, classifier):
    with pytest.raises(ValueError, match="unknown precision 'fp8'; choose one of: float32, bfloat16"):
        ProbeGANTrainer(_cfg(precision="fp8"), images, classifier, 2)
    assert speed.parse_settings("fused_adam=1, compile=inductor") == \
        speed.StepSettings(fused_adam=True, compile="inductor")
    assert speed.parse_settings("compile=none", speed.StepSettings(compile="x")).compile is None
    for bad, msg in (("fast=1", "key one of: fused_adam, cudnn_benchmark, compile"),
                     ("fused_adam", "use key=value"), ("fused_adam=maybe", "fused_adam takes 1 or 0")):
        with pytest.raises(ValueError, match=msg) as err:
            speed.parse_settings(bad)
        assert "\n" not in str(err.value)


def test_the_environment_overrides_the_device_default(monkeypatch):
    monkeypatch.setenv("PROBELIB_STEP", "fused_adam=1")
    assert speed.default_settings(torch.device("cpu")) == speed.StepSettings(fused_adam=True)
    monkeypatch.setenv("PROBELIB_STEP", "cudnn_benchmark=0")
    assert not speed.default_settings(torch.device("cuda")).cudnn_benchmark
