"""Training: the losses (one function per equation), attacks, augmentation, classifier
training (regular, robust, group DRO), the ProbeGAN trainer and its baselines, GANalyze's
directions. Every trainer serves its results through the run cache with a version constant."""
from . import losses
from .attacks import class_visualisation, gaussian_noise, l2_project, pgd_l2, robust_accuracy
from .augment import DiffAugment, random_shift_flip
from .baselines import METHODS, AMConfig, AMResult, biggan_am, method_config, sample_embedding
from .classifier import (CLASSIFIER_VERSION, ClassifierConfig, TrainedClassifier, load_or_train_classifier,
                         train_classifier)
from .ganalyze import (GANALYZE_VERSION, GANalyzeConfig, GANalyzeResult, Transformer, load_or_train_area_assessor,
                       load_or_train_direction, sweep, train_area_assessor, train_transformer, truncated_normal)
from .gans import ProbeGANResult, gan_key, load_or_train_gan, sample, standing_stats, train_probegan
from .panel import HOG_VERSION, fit_hog_judge, load_or_fit_hog_judge
from .probegan import PROBEGAN_VERSION, FakeBatch, ProbeGANConfig, ProbeGANTrainer, TrainingDiverged

__all__ = ["losses", "class_visualisation", "gaussian_noise", "l2_project", "pgd_l2", "robust_accuracy",
           "DiffAugment", "random_shift_flip", "METHODS", "AMConfig", "AMResult", "biggan_am", "method_config",
           "sample_embedding", "CLASSIFIER_VERSION", "ClassifierConfig", "TrainedClassifier",
           "load_or_train_classifier", "train_classifier", "GANALYZE_VERSION", "GANalyzeConfig", "GANalyzeResult",
           "Transformer", "load_or_train_area_assessor", "load_or_train_direction", "sweep", "train_area_assessor",
           "train_transformer", "truncated_normal", "ProbeGANResult", "gan_key", "load_or_train_gan", "sample",
           "standing_stats", "train_probegan", "PROBEGAN_VERSION", "FakeBatch", "ProbeGANConfig", "ProbeGANTrainer",
           "TrainingDiverged", "HOG_VERSION", "fit_hog_judge", "load_or_fit_hog_judge"]
