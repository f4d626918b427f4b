"""The ProbeGAN trainer: class dilution instrumented, resume equality, NaN stop, variants."""
import dataclasses

import pytest
import torch
from torch import nn

from probelib.data import ImageSet
from probelib.models.gan import GANConfig
from probelib.train.gans import sample
from probelib.train.probegan import ProbeGANConfig, ProbeGANTrainer, TrainingDiverged, _fake_labels

TINY = GANConfig(ch=2, z_dim=8, shared_dim=4, g_mult=(4, 4, 4), resolution=16, channels=1)
TARGET = 2


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(4).repeat_interleave(16)
    x = torch.rand(64, 1, 16, 16, generator=g) * 2 - 1
    x[y == TARGET] = 0.123  # target images are recognisable by value
    return ImageSet(x, y, ("a", "b", "t", "d"), "tiny", "train")


@pytest.fixture
def classifier():
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(256, 4))


def _cfg(**kw):
    base = dict(gan=TINY, steps=4, batch_size=8, checkpoint_every=2)
    return ProbeGANConfig(**(base | kw))


class Spy:
    """Records what reaches the discriminator: the reals, each step's fake batches, the labels of
    everything Dc's conditional head scores and the size of every batch Du's head scores."""

    def __init__(self, trainer):
        self.reals, self.fakes, self.dc_labels, self.du_sizes = [], [], [], []
        D = trainer.D
        heads = D.heads
        sample_real, sample_fakes = trainer.sample_real, trainer.sample_fake_inputs

        def spy_sample_real():
            x, y = sample_real()
            self.reals.append((x.clone(), y.clone()))
            return x, y

        def spy_sample_fakes(g=None):
            batch = sample_fakes(g)
            if g is None:  # a training step (not the standing statistics' label draws)
                self.fakes.append(batch)
            return batch

        def spy_heads(h, y):
            if y is not None:
                self.dc_labels.append(y.clone())
            return heads(h, y)

        trainer.sample_real, trainer.sample_fake_inputs = spy_sample_real, spy_sample_fakes
        D.heads = spy_heads
        D.linear_u.register_forward_pre_hook(lambda _m, args: self.du_sizes.append(len(args[0])))


def test_dc_sees_no_target_and_no_real_target_reaches_d(images, classifier):
    trainer = ProbeGANTrainer(_cfg(steps=6), images, classifier, TARGET)
    spy = Spy(trainer)
    trainer.run(progress=False)
    assert spy.dc_labels and all((y != TARGET).all() for y in spy.dc_labels)
    assert all((y != TARGET).all() and not (x == 0.123).all(dim=(1, 2, 3)).any() for x, y in spy.reals)


@pytest.mark.parametrize("fraction, share", [(-1.0, 0.25), (0.5, 0.5), (1.0, 1.0)])
def test_du_fakes_follow_the_fraction_and_dc_fakes_are_a_fixed_seen_batch(images, classifier, fraction, share):
    """What each head really scores, per step: Du a batch of ``batch_size`` fakes with the target
    at the configured share (1/C, 0.5, 1.0), Dc a batch of ``batch_size`` fakes with no target."""
    trainer = ProbeGANTrainer(_cfg(steps=25, batch_size=40, target_fraction=fraction), images, classifier, TARGET)
    spy = Spy(trainer)
    trainer.run(progress=False)
    du_labels = torch.cat([f.y[: f.n_du] for f in spy.fakes])
    assert len(spy.fakes) == 50 and all(f.n_du == 40 for f in spy.fakes)  # one D step and one G step per step
    assert (du_labels == TARGET).float().mean().item() == pytest.approx(share, abs=0.05)
    dc = [f.y[f.dc] for f in spy.fakes]
    assert all(len(y) == 40 and (y != TARGET).all() for y in dc)
    seen = torch.bincount(torch.cat(dc), minlength=4)[[0, 1, 3]].float()
    assert (seen / seen.sum() - 1 / 3).abs().max() < 0.05  # uniform over the seen classes
    # Dc's head scored reals (40) and fakes (40) in D steps, fakes (40) in G steps: never a target label
    assert all(len(y) == 40 and (y != TARGET).all() for y in spy.dc_labels)
    # Du's head scored 40 reals + 40 fakes + 40 interpolates (GP) per D step and 40 fakes per G step
    assert set(spy.du_sizes) == {40}


@pytest.mark.parametrize("fraction, expected", [(-1.0, 0.25), (0.3, 0.3), (1.0, 1.0), (0.0, 0.0)])
def test_fake_labels_hold_the_configured_target_fraction(fraction, expected):
    g = torch.Generator().manual_seed(0)
    y = _fake_labels(20000, 4, TARGET, fraction, g)
    assert (y == TARGET).float().mean().item() == pytest.approx(expected, abs=0.015)
    if fraction >= 0:  # the other fakes are spread over the seen classes only
        seen = y[y != TARGET]
        if len(seen):
            counts = torch.bincount(seen, minlength=4)[[0, 1, 3]].float()
            assert (counts / counts.sum() - 1 / 3).abs().max() < 0.03


def test_standing_statistics_use_each_methods_own_labels(images, classifier):
    """NAIVE's generator is fed the target only, the seen-class prior seen classes only, ProbeGAN
    every class: their standing statistics draw the same labels."""
    g = torch.Generator().manual_seed(0)
    naive = ProbeGANTrainer(_cfg(use_dc=False, target_fraction=1.0), images, classifier, TARGET)
    assert (naive.training_labels(500, g) == TARGET).all()
    prior = ProbeGANTrainer(_cfg(use_du=False, lambda_cls=0.0, target_fraction=0.0), images, None, TARGET)
    assert not (prior.training_labels(500, g) == TARGET).any()
    probegan = ProbeGANTrainer(_cfg(), images, classifier, TARGET)
    share = (probegan.training_labels(4000, g) == TARGET).float().mean().item()
    assert 0.15 < share < 0.25  # 1/C of Du's batch, diluted by Dc's extra seen-class fakes


def test_resume_after_kill_matches_uninterrupted_run(images, classifier, tmp_path):
    full = ProbeGANTrainer(_cfg(), images, classifier, TARGET, checkpoint_dir=tmp_path / "a")
    full.run(progress=False)

    first = ProbeGANTrainer(_cfg(), images, classifier, TARGET, checkpoint_dir=tmp_path / "b")
    first.run(until=2, progress=False)  # "killed" right after the checkpoint at step 2
    del first
    resumed = ProbeGANTrainer(_cfg(), images, classifier, TARGET, checkpoint_dir=tmp_path / "b")
    assert resumed.resume_latest() and resumed.step == 2
    resumed.run(progress=False)
    for a, b in ((full.G, resumed.G), (full.D, resumed.D), (full.G_ema, resumed.G_ema)):
        for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
            assert ka == kb and torch.equal(va, vb), ka
    assert full.history == resumed.history


def test_checkpoint_of_another_config_is_refused(images, classifier, tmp_path):
    from probelib.core.cache import CacheError

    ProbeGANTrainer(_cfg(), images, classifier, TARGET, checkpoint_dir=tmp_path).run(progress=False)
    other = ProbeGANTrainer(_cfg(lr_g=1e-3), images, classifier, TARGET, checkpoint_dir=tmp_path)
    with pytest.raises(CacheError, match="belongs to another config"):
        other.resume_latest()


def test_nan_stops_with_step_and_loss(images, classifier):
    trainer = ProbeGANTrainer(_cfg(), images, classifier, TARGET)
    with torch.no_grad():
        trainer.D.linear_u.parametrizations.weight.original.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match=r"training diverged at step 0: d_wgan = nan"):
        trainer.run(progress=False)


def test_variants_run_and_sample(images, classifier):
    for kw in (dict(use_dc=False, target_fraction=1.0), dict(include_target=True),
               dict(use_du=False, lambda_cls=0.0, target_fraction=0.0), dict(diffaug=True)):
        trainer = ProbeGANTrainer(dataclasses.replace(_cfg(), **kw), images, classifier if kw.get("lambda_cls", 1) else None, TARGET)
        trainer.run(progress=False)
        x = sample(trainer.G_ema, TARGET, 5, seed=1)
        assert x.shape == (5, 1, 16, 16) and x.abs().max() <= 1
        assert torch.equal(x, sample(trainer.G_ema, TARGET, 5, seed=1))


def test_classifier_required_when_lambda_positive(images):
    with pytest.raises(ValueError, match="lambda_cls > 0 needs a classifier"):
        ProbeGANTrainer(_cfg(), images, None, TARGET)


def test_the_papers_single_batch_form_shrinks_dc_with_the_target_share(images, classifier):
    """``dc_own_batch=False`` is the paper's form: Dc scores only the seen fakes of Du's batch, so
    at a target share of 1.0 it gets none (and the step still runs)."""
    for fraction, expected in ((0.5, 20), (1.0, 0)):
        trainer = ProbeGANTrainer(_cfg(steps=10, batch_size=40, target_fraction=fraction, dc_own_batch=False),
                                  images, classifier, TARGET)
        spy = Spy(trainer)
        trainer.run(progress=False)
        sizes = [len(f.dc) for f in spy.fakes]
        assert all(len(f.y) == 40 for f in spy.fakes)  # no extra fakes
        assert sum(sizes) / len(sizes) == pytest.approx(expected, abs=4)
        assert all((f.y[f.dc] != TARGET).all() for f in spy.fakes)


# ---------------------------------------------------------------- several absent classes (issue 19)
SECOND = 0  # class "a": absent together with the target in the tests below


@pytest.fixture
def two_absent(images):
    x = images.images.clone()
    x[images.labels == SECOND] = -0.456  # the second absent class is recognisable by value too
    return ImageSet(x, images.labels, images.classes, "tiny", "train")


def test_one_target_keeps_its_cache_key_and_its_labels(images, classifier):
    """A one-target GAN's key is the one it had before several targets existed (recorded then),
    and its fakes' labels are the same random draws as the old single-target formula's."""
    from probelib.core.cache import keyed
    from probelib.core.hashing import config_hash
    from probelib.train.gans import gan_key
    from probelib.train.probegan import PROBEGAN_VERSION

    assert config_hash(keyed("gan", PROBEGAN_VERSION, gan_key(_cfg(), images, None, TARGET))) == "e63bd323af47e984"
    # its checkpoints' too: the hash they were written with is still accepted (the new one has no budget in it)
    assert ProbeGANTrainer(_cfg(), images, classifier, TARGET)._hashes() == ("a851cabdb4e29a86", "4901ea0fb0388e2d")
    for fraction in (0.0, 0.3, 1.0):
        g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
        seen = torch.tensor([0, 1, 3])
        old = seen[torch.randint(0, 3, (500,), generator=g1)]
        old = torch.where(torch.rand(500, generator=g1) < fraction, torch.full_like(old, TARGET), old)
        assert torch.equal(_fake_labels(500, 4, TARGET, fraction, g2), old)


def test_several_targets_key_apart_from_one():
    from probelib.train.probegan import config_key

    assert "targets" not in config_key(_cfg()) and config_key(_cfg(targets=(SECOND,)))["targets"] == (SECOND,)


def test_no_real_or_dc_image_of_any_absent_class_reaches_d(two_absent, classifier):
    trainer = ProbeGANTrainer(_cfg(steps=6, targets=(SECOND,)), two_absent, classifier, TARGET)
    assert trainer.targets == (TARGET, SECOND)
    spy = Spy(trainer)
    trainer.run(progress=False)
    absent = torch.tensor([TARGET, SECOND])
    assert spy.dc_labels and all(not torch.isin(y, absent).any() for y in spy.dc_labels)
    for x, y in spy.reals:
        assert not torch.isin(y, absent).any()
        assert not ((x == 0.123).all(dim=(1, 2, 3)) | (x == -0.456).all(dim=(1, 2, 3))).any()


@pytest.mark.parametrize("fraction, shares", [(-1.0, (0.25, 0.25)), (0.3, (0.3, 0.3)), ((0.5, 0.2), (0.5, 0.2))])
def test_du_fakes_hold_each_absent_class_at_its_share(two_absent, classifier, fraction, shares):
    trainer = ProbeGANTrainer(_cfg(steps=25, batch_size=40, target_fraction=fraction, targets=(SECOND,)), two_absent,
                              classifier, TARGET)
    spy = Spy(trainer)
    trainer.run(progress=False)
    du = torch.cat([f.y[: f.n_du] for f in spy.fakes])
    for cls, share in zip((TARGET, SECOND), shares):
        assert (du == cls).float().mean().item() == pytest.approx(share, abs=0.05)
    dc = torch.cat([f.y[f.dc] for f in spy.fakes])
    assert len(dc) == 50 * 40 and not torch.isin(dc, torch.tensor([TARGET, SECOND])).any()
    seen = torch.bincount(dc, minlength=4)[[1, 3]].float()
    assert (seen / seen.sum() - 0.5).abs().max() < 0.05  # uniform over the two seen classes


@pytest.mark.parametrize("kw, message", [
    (dict(targets=(TARGET,)), "absent classes repeated: the target 2 is also in targets"),
    (dict(targets=(0, 0)), "absent class 0 repeated in ProbeGANConfig.targets"),
    (dict(targets=(0, 1, 3)), "leave no seen class"),
    (dict(targets=(SECOND,), target_fraction=(0.5,)), "1 shares for 2 absent classes"),
    (dict(targets=(SECOND,), target_fraction=0.6), "add up to 1.2 > 1"),
    (dict(targets=(SECOND,), target_fraction=(0.5, -0.1)), "cannot be negative"),
    (dict(targets=(7,)), "unknown target class 7"),
    (dict(targets=("a",)), "not the name 'a'; resolve names with probelib.class_index"),
])
def test_bad_several_targets_are_one_line_errors(images, classifier, kw, message):
    with pytest.raises(Exception, match=message) as err:
        ProbeGANTrainer(_cfg(**kw), images, classifier, TARGET)
    assert "\n" not in str(err.value)


def test_several_targets_resume_and_stop_on_nan(two_absent, classifier, tmp_path):
    cfg = _cfg(targets=(SECOND,))
    full = ProbeGANTrainer(cfg, two_absent, classifier, TARGET, checkpoint_dir=tmp_path / "a")
    full.run(progress=False)
    first = ProbeGANTrainer(cfg, two_absent, classifier, TARGET, checkpoint_dir=tmp_path / "b")
    first.run(until=2, progress=False)
    del first
    resumed = ProbeGANTrainer(cfg, two_absent, classifier, TARGET, checkpoint_dir=tmp_path / "b")
    assert resumed.resume_latest() and resumed.step == 2
    resumed.run(progress=False)
    for (ka, va), (kb, vb) in zip(full.G.state_dict().items(), resumed.G.state_dict().items()):
        assert ka == kb and torch.equal(va, vb), ka
    one = ProbeGANTrainer(_cfg(), two_absent, classifier, TARGET, checkpoint_dir=tmp_path / "b")
    from probelib.core.cache import CacheError

    with pytest.raises(CacheError, match="belongs to another config"):  # a one-target run is another GAN
        one.resume_latest()
    nan = ProbeGANTrainer(cfg, two_absent, classifier, TARGET)
    with torch.no_grad():
        nan.D.linear_u.parametrizations.weight.original.fill_(float("nan"))
    with pytest.raises(TrainingDiverged, match="training diverged at step 0"):
        nan.run(progress=False)


def test_the_absence_split_takes_a_set(images):
    from probelib.data import without_class

    out = without_class(images, {"t", "a"})
    assert set(out.labels.tolist()) == {1, 3} and out.classes == images.classes
    assert torch.equal(without_class(images, "t").labels, without_class(images, ["t"]).labels)


def test_freezing_d_in_the_g_step_changes_no_number(images, classifier, monkeypatch):
    """G's update with D's weights frozen (the fast path) against the plain one, where D's weight
    gradients are computed and thrown away: the same losses and the same weights of G, D and EMA."""
    fast = ProbeGANTrainer(_cfg(diffaug=True), images, classifier, TARGET)
    fast.run(progress=False)

    def plain_g_step(self):  # the step as it was: D's weights keep requires_grad during G's backward
        cfg, fakes = self.cfg, self.sample_fake_inputs()
        x = self.G(fakes.z, fakes.y)
        h = self.D.features(self._d_input(x))
        dc = self.D.heads(h[fakes.dc], fakes.y[fakes.dc])[0]
        du = self.D.linear_u(h[: fakes.n_du]).squeeze(1)
        return self._g_update(cfg, fakes, dc, du, self.classifier(x[: fakes.n_du]))

    monkeypatch.setattr(ProbeGANTrainer, "g_step", plain_g_step)
    plain = ProbeGANTrainer(_cfg(diffaug=True), images, classifier, TARGET)
    plain.run(progress=False)
    assert all(p.requires_grad for p in fast.D.parameters())  # restored after each G step
    for a, b in ((fast.G, plain.G), (fast.D, plain.D), (fast.G_ema, plain.G_ema)):
        for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
            assert ka == kb and torch.allclose(va, vb, rtol=0, atol=1e-6), ka
    assert len(fast.history) == len(plain.history)
    for hf, hp in zip(fast.history, plain.history):
        keys = sorted(k for k in hf if k != "seconds")
        assert keys == sorted(k for k in hp if k != "seconds")
        assert [hf[k] for k in keys] == pytest.approx([hp[k] for k in keys], abs=1e-6)
