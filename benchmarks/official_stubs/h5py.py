"""Stub for ``h5py``, used only when the real package is not installed (this folder is searched last).

The official ``datasets.py`` (imported by its ``utils.py``) does ``import h5py as h5`` at module level,
for its ImageNet HDF5 datasets; a training step on in-memory tensors never opens an HDF5 file.
So the import is satisfied here and any use fails loudly. Used by ``benchmarks/official_step.py`` only.
"""


class File:  # noqa: D101 - the only name datasets.py uses
    def __init__(self, *args, **kwargs):
        raise NotImplementedError("benchmarks/official_stubs/h5py.py: h5py is not installed; the benchmark "
                                  "never reads HDF5 data")
