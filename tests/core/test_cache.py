import json

import pytest
import torch

from probelib.core.cache import CacheError, keyed, load_artefact, load_or_train
from probelib.core.hashing import config_hash, tensor_fingerprint, weights_hash


def _trainer(calls):
    def train():
        calls.append(1)
        return {"w": torch.arange(6.0).view(2, 3), "n": torch.tensor([3])}, {"seconds": 1.5}

    return train


def _get(tmp_path, config, calls, version=1, name=None, kind="thing"):
    return load_or_train(kind, config, _trainer(calls), tmp_path, version=version, name=name)


def test_hash_is_order_independent_and_sensitive():
    assert config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})
    assert len(config_hash({})) == 16


def test_hit_after_miss_trains_once(tmp_path):
    calls = []
    first = _get(tmp_path, {"lr": 0.1}, calls)
    second = _get(tmp_path, {"lr": 0.1}, calls)
    assert calls == [1]
    assert not first.hit and second.hit
    assert torch.equal(first.tensors["w"], second.tensors["w"])
    assert second.record == {"seconds": 1.5} and second.config == {"kind": "thing", "version": 1, "lr": 0.1}
    twin = json.loads(first.path.with_suffix(".json").read_text())
    assert twin["config"] == {"kind": "thing", "version": 1, "lr": 0.1}
    assert first.path.name == f"thing-{config_hash(keyed('thing', 1, {'lr': 0.1}))}.safetensors" == second.path.name
    assert not list(first.path.parent.glob("*.tmp"))  # atomic writes leave no temporaries


def test_changed_config_is_a_miss(tmp_path):
    calls = []
    a = _get(tmp_path, {"lr": 0.1}, calls)
    b = _get(tmp_path, {"lr": 0.2}, calls)
    assert calls == [1, 1] and a.path != b.path and not b.hit


def test_the_same_config_under_two_names_is_one_entry(tmp_path):
    calls = []
    a = _get(tmp_path, {"lr": 0.1}, calls, name="chapter 2's run")
    b = _get(tmp_path, {"lr": 0.1}, calls, name="Table 1's row")
    assert calls == [1] and b.hit and a.path == b.path
    assert b.record["name"] == "chapter 2's run"  # the first name labels the entry; it is not in the key
    assert len(list(tmp_path.glob("cache/*.safetensors"))) == 1


def test_a_bumped_trainer_version_misses(tmp_path):
    calls = []
    old = _get(tmp_path, {"lr": 0.1}, calls, version=1)
    new = _get(tmp_path, {"lr": 0.1}, calls, version=2)
    assert calls == [1, 1] and not new.hit and new.path != old.path
    assert _get(tmp_path, {"lr": 0.1}, calls, version=2).hit


def test_kind_must_be_a_plain_name(tmp_path):
    with pytest.raises(ValueError, match="plain name"):
        _get(tmp_path, {}, [], kind="a/b")


def test_corrupt_file_is_a_clear_error(tmp_path):
    art = _get(tmp_path, {"lr": 0.1}, [])
    art.path.write_bytes(art.path.read_bytes()[:40])
    with pytest.raises(CacheError, match=r"corrupt checkpoint .*; delete it and rerun to retrain"):
        _get(tmp_path, {"lr": 0.1}, [])


def test_mismatched_config_is_a_clear_error(tmp_path):
    a = _get(tmp_path, {"lr": 0.1}, [])
    b = _get(tmp_path, {"lr": 0.2}, [])
    b.path.write_bytes(a.path.read_bytes())  # a file under the wrong key
    with pytest.raises(CacheError, match="was written for another config"):
        _get(tmp_path, {"lr": 0.2}, [])


def test_foreign_safetensors_file_is_refused(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "x.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(CacheError, match="not a probelib artefact"):
        load_artefact(path)


def test_fingerprints_see_every_byte_dtype_and_shape():
    x = torch.zeros(2, 3)
    assert tensor_fingerprint(x) == tensor_fingerprint(x.clone())
    y = x.clone()
    y[1, 2] = 1e-7
    assert tensor_fingerprint(y) != tensor_fingerprint(x)
    assert tensor_fingerprint(x.view(3, 2)) != tensor_fingerprint(x)  # same bytes, other shape
    assert tensor_fingerprint(x.double()) != tensor_fingerprint(x)
    assert tensor_fingerprint(x, extra="a") != tensor_fingerprint(x, extra="b")
    assert tensor_fingerprint(torch.zeros(3, dtype=torch.bfloat16))  # dtypes numpy lacks hash too


def test_weights_hash_ignores_memory_format_but_not_values():
    conv = torch.nn.Conv2d(2, 3, 3)
    h = weights_hash(conv)
    conv.to(memory_format=torch.channels_last)  # what the GAN trainer does to the probed classifier
    assert weights_hash(conv) == h
    with torch.no_grad():
        conv.weight[0, 0, 0, 0] += 1e-3
    assert weights_hash(conv) != h


def test_quiet_honours_progress_and_tqdm_disable(monkeypatch):
    from probelib.core.progress import quiet

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert quiet(True) is False and quiet(False) is True
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert quiet(True) is True
    monkeypatch.setenv("TQDM_DISABLE", "0")
    assert quiet(True) is False
