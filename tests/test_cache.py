import json

import pytest
import torch

from probelib.cache import CacheError, config_hash, load_artefact, load_or_train


def _trainer(calls):
    def train():
        calls.append(1)
        return {"w": torch.arange(6.0).view(2, 3), "n": torch.tensor([3])}, {"seconds": 1.5}

    return train


def test_hash_is_order_independent_and_sensitive():
    assert config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})
    assert len(config_hash({})) == 16


def test_hit_after_miss_trains_once(tmp_path):
    calls = []
    first = load_or_train("thing", {"lr": 0.1}, _trainer(calls), tmp_path)
    second = load_or_train("thing", {"lr": 0.1}, _trainer(calls), tmp_path)
    assert calls == [1]
    assert not first.hit and second.hit
    assert torch.equal(first.tensors["w"], second.tensors["w"])
    assert second.record == {"seconds": 1.5} and second.config == {"lr": 0.1}
    twin = json.loads(first.path.with_suffix(".json").read_text())
    assert twin["config"] == {"lr": 0.1}
    assert not list(first.path.parent.glob("*.tmp"))  # atomic writes leave no temporaries


def test_changed_config_is_a_miss(tmp_path):
    calls = []
    a = load_or_train("thing", {"lr": 0.1}, _trainer(calls), tmp_path)
    b = load_or_train("thing", {"lr": 0.2}, _trainer(calls), tmp_path)
    assert calls == [1, 1] and a.path != b.path and not b.hit


def test_corrupt_file_is_a_clear_error(tmp_path):
    art = load_or_train("thing", {"lr": 0.1}, _trainer([]), tmp_path)
    art.path.write_bytes(art.path.read_bytes()[:40])
    with pytest.raises(CacheError, match=r"corrupt checkpoint .*; delete it and rerun to retrain"):
        load_or_train("thing", {"lr": 0.1}, _trainer([]), tmp_path)


def test_mismatched_config_is_a_clear_error(tmp_path):
    a = load_or_train("thing", {"lr": 0.1}, _trainer([]), tmp_path)
    b = load_or_train("thing", {"lr": 0.2}, _trainer([]), tmp_path)
    b.path.write_bytes(a.path.read_bytes())  # a file under the wrong key
    with pytest.raises(CacheError, match="was written for another config"):
        load_or_train("thing", {"lr": 0.2}, _trainer([]), tmp_path)


def test_foreign_safetensors_file_is_refused(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "x.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(CacheError, match="not a probelib artefact"):
        load_artefact(path)


def test_quiet_honours_progress_and_tqdm_disable(monkeypatch):
    from probelib.cache import quiet

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert quiet(True) is False and quiet(False) is True
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert quiet(True) is True
    monkeypatch.setenv("TQDM_DISABLE", "0")
    assert quiet(True) is False
