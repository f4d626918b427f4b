"""probelib: what has an image (or audio) classifier memorised about a class?

The public API — what a user of the library calls without the book::

    import probelib as pl

    train = pl.load_image_folder("my_images/", split="train")   # or pl.load("animal-mnist")
    gan_data = pl.without_class(train, "horse")                 # the absence split
    result = pl.load_or_train_gan(pl.ProbeGANConfig(steps=2000), train, my_classifier, "horse")
    horses = pl.sample(result.generator, result.target, 500)
    pl.recognition_rate(judge, horses, result.target)

    report = pl.probe(my_classifier, "my_images/", "horse", reference="real_horses/")  # all of the above
    report.save("report/")                                                          # report.html, samples, generator
    several = pl.probe(my_classifier, "my_images/", ["horse", "cat"])  # both absent from one GAN; several["cat"]

Layers, each importing only the ones below it (an import-linter contract keeps it so):
``probing`` > ``viz`` | ``measure`` | ``train`` > ``models`` | ``data`` > ``core``. The subpackages are public
too; the top level re-exports the names most users need. The book (``probelib.book``: the page kit and
one module per chapter) and its build (``probelib.build``) sit above the library; importing ``probelib``
does not import them.
"""
from . import core, data, measure, models, probing, train, viz
from .core.cache import CacheError
from .core.device import pick_device
from .core.errors import UserError
from .core.stats import mean_ci
from .data import (ImageSet, DatasetError, class_index, load, load_image_folder, only_class, save_samples,
                   without_class)
from .measure import JudgeFeatures, diversity_ratio, fid, fid_extractor, kid, recognition_rate, target_metrics
from .models import ClassifierAdapter, GANConfig
from .probing import ProbeReport, SeveralProbeReport, probe
from .probing.gan import load_or_train_gan, train_probegan  # the boundary: a class name or an index
from .train import (ClassifierConfig, ProbeGANConfig, ProbeGANResult, ProbeGANTrainer, TrainingDiverged,
                    load_or_train_classifier, sample, train_classifier)

__version__ = "0.2.0"

__all__ = [
    # the layers
    "core", "data", "models", "train", "measure", "viz", "probing",
    # probing anyone's classifier
    "probe", "ProbeReport", "SeveralProbeReport", "ClassifierAdapter",
    # data
    "ImageSet", "DatasetError", "load", "load_image_folder", "without_class", "only_class", "class_index",
    "save_samples",
    # training a probe (and the classifiers the book probes)
    "GANConfig", "ProbeGANConfig", "ProbeGANTrainer", "ProbeGANResult", "TrainingDiverged", "train_probegan",
    "load_or_train_gan", "sample", "ClassifierConfig", "train_classifier", "load_or_train_classifier",
    # scoring
    "fid", "kid", "fid_extractor", "JudgeFeatures", "recognition_rate", "diversity_ratio", "target_metrics",
    "mean_ci",
    # plumbing
    "pick_device", "CacheError", "UserError",
]
