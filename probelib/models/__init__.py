"""Models: the probed classifiers, the independent evaluation network (and, later, GANs)."""
from .classifiers import EvalNet, ResNetClassifier, build_classifier

__all__ = ["ResNetClassifier", "EvalNet", "build_classifier"]
