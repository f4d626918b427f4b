"""Chapter 9's stand-in model: regular and adversarial training of a torchvision network."""
import torch

from probelib import data
from probelib.book import own_model


def _tiny_set(n=16, size=32):
    g = torch.Generator().manual_seed(0)
    return data.ImageSet(torch.rand(n, 3, size, size, generator=g) * 2 - 1, torch.arange(n) % 2, ("a", "b"),
                         "tiny", "train")


def test_adversarial_training_attacks_every_batch_in_eval_mode(tmp_path, monkeypatch):
    calls = []
    real_pgd = own_model.pgd_l2

    def spy(model, x, y, eps, steps, **kw):
        calls.append((eps, steps, model.training, kw.get("random_start")))
        out = real_pgd(model, x, y, eps, steps, **kw)
        assert float((out - x).flatten(1).norm(dim=1).max()) <= eps + 1e-4  # inside the L2 ball
        return out

    monkeypatch.setattr(own_model, "pgd_l2", spy)
    train = _tiny_set()
    own_model.train_torchvision("resnet18", train, tmp_path, epochs=1, batch_size=8, progress=False)
    assert calls == []  # regular training never attacks
    own_model.train_torchvision("resnet18", train, tmp_path, epochs=1, batch_size=8, progress=False, adv_eps=1.5,
                                adv_steps=2)
    assert calls == [(1.5, 2, False, True)] * 2  # two batches, attacked with frozen BN statistics


def test_adversarial_and_regular_models_are_cached_apart(tmp_path):
    train = _tiny_set()
    regular, _ = own_model.train_torchvision("resnet18", train, tmp_path, epochs=1, batch_size=8, progress=False)
    robust, _ = own_model.train_torchvision("resnet18", train, tmp_path, epochs=1, batch_size=8, progress=False,
                                            adv_eps=1.0)
    again, _ = own_model.train_torchvision("resnet18", train, tmp_path, epochs=1, batch_size=8, progress=False)
    w = lambda m: m.fc.weight  # noqa: E731
    assert not torch.equal(w(regular), w(robust))
    assert torch.equal(w(regular), w(again))
