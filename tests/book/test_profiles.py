import pytest

from probelib.book import profiles


def test_three_profiles_and_unknown_name():
    assert set(profiles.PROFILES) == {"smoke", "cpu", "gpu"}
    with pytest.raises(KeyError, match="unknown profile 'fast'; choose one of: smoke, cpu, gpu"):
        profiles.get("fast")


def test_override_checks_keys_and_types():
    p = profiles.get("cpu", robust_eps=2, classifier={"epochs": 3})
    assert p.robust_eps == 2.0 and isinstance(p.robust_eps, float) and p.classifier.epochs == 3
    with pytest.raises(KeyError, match="unknown setting 'epoch' for ClassifierConfig"):
        profiles.get("cpu", classifier={"epoch": 3})
    with pytest.raises(TypeError, match="setting 'epochs' of ClassifierConfig must be int, got '3'"):
        profiles.get("cpu", classifier={"epochs": "3"})
    with pytest.raises(TypeError, match="must be bool"):
        profiles.get("cpu", classifier={"augment": 1})


def test_classifier_configs():
    p = profiles.get("cpu")
    assert p.classifier_config("regular").adv_eps == 0
    assert p.classifier_config("robust").adv_eps == p.robust_eps
    judge = p.classifier_config("eval", seed=3)
    assert judge.arch == "evalnet" and judge.seed != p.classifier_config("regular", seed=3).seed
    with pytest.raises(ValueError, match="unknown classifier kind 'judge'"):
        p.classifier_config("judge")
