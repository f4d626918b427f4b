"""A pack of GANs (torch.func) trains each member as it would train alone, up to float rounding."""
import dataclasses

import pytest
import torch
from torch import nn

from probelib.train.pack import PackedTrainer
from probelib.train.probegan import ProbeGANTrainer, TrainingDiverged

from tiny_gan import TINY, classifier, images  # noqa: F401 - fixtures
from tiny_gan import assert_same_gans as _close_at
from tiny_gan import tiny_cfg as _cfg


def _close(a, b, atol=2e-5):
    _close_at(a, b, atol)


@pytest.mark.parametrize("members", [
    [dict(seed=0), dict(seed=1)],
    [dict(seed=0, targets=(0,)), dict(seed=3, lambda_cls=0.5, target_fraction=0.5)],
], ids=["two-seeds", "different-targets-and-weights"])
def test_each_member_trains_the_gan_it_would_train_alone(images, classifier, members):
    alone = []
    for kw in members:
        t = ProbeGANTrainer(_cfg(**kw), images, classifier, 2, device="cpu")
        t.run(progress=False, log_every=1)
        alone.append(t)
    packed = [ProbeGANTrainer(_cfg(**kw), images, classifier, 2, device="cpu") for kw in members]
    PackedTrainer(packed).run(log_every=1)
    for a, p in zip(alone, packed):
        assert p.step == a.step == 3 and p.rng.get_state().equal(a.rng.get_state())  # the same draws
        _close(a, p)
        assert len(a.history) == len(p.history) == 3
        for ha, hp in zip(a.history, p.history):
            assert ha.keys() == hp.keys()
            for key in ha:
                assert hp[key] == pytest.approx(ha[key], rel=1e-4, abs=1e-5), key
        for name in ("opt_g", "opt_d"):  # the handed-back Adam state is the member's own
            sa, sp = getattr(a, name).state_dict()["state"], getattr(p, name).state_dict()["state"]
            assert sa.keys() == sp.keys() and all(sa[i]["step"] == sp[i]["step"] for i in sa)


def test_a_pack_resumes_from_its_members_and_continues_as_alone(images, classifier):
    alone = ProbeGANTrainer(_cfg(steps=4), images, classifier, 2, device="cpu")
    alone.run(progress=False, log_every=1)
    members = [ProbeGANTrainer(_cfg(steps=4), images, classifier, 2, device="cpu"),
               ProbeGANTrainer(_cfg(steps=4, seed=5), images, classifier, 2, device="cpu")]
    PackedTrainer(members).run(until=2, log_every=1)
    PackedTrainer(members).run(log_every=1)  # a new pack from the members' state, Adam moments included
    _close(alone, members[0])


def test_members_of_another_shape_or_schedule_are_refused(images, classifier):
    a = ProbeGANTrainer(_cfg(), images, classifier, 2, device="cpu")
    for kw, field in ((dict(batch_size=4), "batch_size"), (dict(lr_d=1e-3), "lr_d"), (dict(diffaug=False), "diffaug"),
                      (dict(gan=dataclasses.replace(TINY, ch=4)), "gan")):
        with pytest.raises(ValueError, match=f"pack members differ in {field}"):
            PackedTrainer([a, ProbeGANTrainer(_cfg(**kw), images, classifier, 2, device="cpu")])
    other = nn.Sequential(nn.Flatten(), nn.Linear(256, 4))
    with pytest.raises(ValueError, match="differ in device, classifier or step"):
        PackedTrainer([a, ProbeGANTrainer(_cfg(), images, other, 2, device="cpu")])
    with pytest.raises(ValueError, match="at least one"):
        PackedTrainer([])


def test_a_diverging_member_is_named(images, classifier):
    members = [ProbeGANTrainer(_cfg(seed=s), images, classifier, 2, device="cpu") for s in (0, 1)]
    with torch.no_grad():
        members[1].D.linear_u.parametrizations.weight.original.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match=r"pack member 1 \(seed 1\): training diverged at step 0"):
        PackedTrainer(members).run()
