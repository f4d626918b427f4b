"""The bottom layer: the run cache, hashes, device choice, progress, small statistics, the
user-error base class. Imports nothing else of probelib."""
from .cache import Artefact, CacheError, atomic_write, load_artefact, load_or_train, save_artefact
from .device import pick_device, seed_everything
from .errors import UserError
from .hashing import config_hash, tensor_fingerprint, weights_hash
from .progress import quiet
from .stamp import machine, record, stamp
from .stats import bootstrap_ci, mean_ci, proportion_ci, rates_above

__all__ = ["Artefact", "CacheError", "atomic_write", "load_artefact", "load_or_train", "save_artefact",
           "pick_device", "seed_everything", "UserError", "config_hash", "tensor_fingerprint", "weights_hash",
           "quiet", "machine", "record", "stamp", "bootstrap_ci", "mean_ci", "proportion_ci", "rates_above"]
