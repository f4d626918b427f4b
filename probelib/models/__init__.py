"""Models: the probed classifiers and the judges, the BigGAN-style generator and two-headed
discriminator, small task networks (window, area, confidence), MemNet and pretrained adapters,
and batched inference."""
from .adapter import IMAGENET_MEAN, IMAGENET_STD, ClassifierAdapter
from .classifiers import EvalNet, ResNetClassifier, build_classifier
from .gan import RESOLUTIONS, Discriminator, GANConfig, Generator, architecture, build_gan
from .judges import AreaNet, ClassConfidence, PatchBackground
from .memnet import MemNet, MemNetAssessor
from .panel import HOGJudge, ViTJudge, hog_features
from .predict import accuracy, predict
from .pretrained import AdapterError, BigGANGenerator, load_biggan, load_memnet

__all__ = ["ClassifierAdapter", "IMAGENET_MEAN", "IMAGENET_STD", "RESOLUTIONS", "architecture", "ResNetClassifier", "EvalNet", "build_classifier", "GANConfig", "Generator", "Discriminator",
           "build_gan", "PatchBackground", "AreaNet", "ClassConfidence", "MemNet", "MemNetAssessor", "ViTJudge", "HOGJudge", "hog_features", "predict",
           "accuracy", "AdapterError", "BigGANGenerator", "load_biggan", "load_memnet"]
