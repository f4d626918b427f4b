"""GANs trained as jobs in worker processes land in the cache, equal (bit for bit) to the same GANs
trained in the chapter's own process, and a failed job is one line."""
import dataclasses

import pytest
import torch
from torch import nn

from probelib.train import jobs
from probelib.data import ImageSet
from probelib.models.gan import GANConfig
from probelib.train.probegan import ProbeGANConfig

TINY = ProbeGANConfig(gan=GANConfig(ch=2, z_dim=8, shared_dim=4, g_mult=(4, 4, 4), resolution=16, channels=1),
                      steps=3, batch_size=8, checkpoint_every=2)


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(0)
    return ImageSet(torch.rand(48, 1, 16, 16, generator=g) * 2 - 1, torch.arange(3).repeat(16), ("a", "b", "t"),
                    "tiny", "train")


def _jobs(images):
    torch.manual_seed(0)
    clf = nn.Sequential(nn.Flatten(), nn.Linear(256, 3))
    return [jobs.GanJob(dataclasses.replace(TINY, seed=s), images, clf, "t", f"tiny-s{s}") for s in (0, 1)]


def test_workers_fill_the_cache_with_the_same_gans_as_one_process(images, tmp_path):
    todo = _jobs(images)
    assert not any(jobs.gan_cached(j, tmp_path / "a") for j in todo)
    assert jobs.prefetch_gans(todo, tmp_path / "a", workers=2, poll_s=0.2) == 2  # two worker processes
    assert all(jobs.gan_cached(j, tmp_path / "a") for j in todo)
    assert list((tmp_path / "a" / "jobs").iterdir())  # submitit's logs
    assert jobs.prefetch_gans(todo, tmp_path / "a", workers=2) == 0  # nothing left to do
    assert jobs.prefetch_gans(todo, tmp_path / "b", workers=1) == 2  # in this process
    for j in todo:
        a, b = jobs.train_gan_job(j, tmp_path / "a"), jobs.train_gan_job(j, tmp_path / "b")
        assert a.cache_hit and b.cache_hit
        for (ka, va), (kb, vb) in zip(a.generator.state_dict().items(), b.generator.state_dict().items()):
            assert ka == kb and torch.equal(va, vb), ka


def test_one_thread_restores_the_thread_count():
    before = torch.get_num_threads()
    with jobs.one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_a_failing_job_is_one_line(images, tmp_path):
    bad = [dataclasses.replace(j, cfg=dataclasses.replace(j.cfg, lambda_cls=1.0), classifier=None) for j in _jobs(images)]
    with pytest.raises(jobs.JobError, match=r"GAN job 'tiny-s[01]' failed in its worker: ValueError: lambda_cls > 0 needs a classifier; its log"):
        jobs.prefetch_gans(bad, tmp_path, workers=2, poll_s=0.2)
