"""Stub for the official ProbeGAN code's ``metrics`` module, which its snapshot does not ship.

``train_fns.py`` does ``from metrics import compute_IS_and_fid`` at import time; only its
``test_with_tf_inception`` (the TF-Inception FID at test time) calls it, never a training step.
So the import is satisfied here and any call fails loudly. Used by ``benchmarks/official_step.py`` only.
"""


def compute_IS_and_fid(*args, **kwargs):
    raise NotImplementedError("benchmarks/official_stubs/metrics.py: the official TF-Inception metrics are not "
                              "part of the snapshot and not needed to time a training step")
