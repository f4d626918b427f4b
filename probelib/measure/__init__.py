"""Measuring: FID / KID with provenance, recognition and diversity, the leakage and water
detectors, GANalyze's emerging factors and slopes, natural exemplars and the 2AFC observer."""
from ..core.hashing import weights_hash
from ..core.stats import bootstrap_ci, mean_ci, proportion_ci, rates_above
from .exemplars import Exemplars, TwoAFC, top_exemplars, two_afc, unit_activations
from .factors import (FACTORS, brightness, centredness, colourfulness, emerging_factors, intensity_entropy,
                      object_mask, object_size, redness, squareness)
from .fid import (INCEPTION_ENV, INCEPTION_FILE, KID_SUBSET_SIZE, KID_SUBSETS, Given, InceptionFeatures,
                  JudgeFeatures, Provenance, extract, features, fid, fid_extractor, kid, provenance)
from .panel import HIGHER_IS_BETTER, METRICS, judge_metrics, panel_metrics, real_features
from .prdc import NEAREST_K, prdc
from .leakage import corner_redness, hsv, marker_present, marker_rates
from .recognition import confusion_counts, diversity_ratio, mean_pairwise_distance, recognition_rate, target_metrics
from .slopes import degeneracy, mixed_slope
from .water import group_accuracy, tint, train_patch_background, water_colour, water_colour_mask, water_share

__all__ = ["weights_hash", "bootstrap_ci", "mean_ci", "proportion_ci", "rates_above", "Exemplars", "TwoAFC", "top_exemplars",
           "two_afc", "unit_activations", "FACTORS", "brightness", "centredness", "colourfulness",
           "emerging_factors", "intensity_entropy", "object_mask", "object_size", "redness", "squareness",
           "INCEPTION_ENV", "INCEPTION_FILE", "Given", "InceptionFeatures", "JudgeFeatures", "Provenance", "extract", "features", "fid",
           "fid_extractor", "kid", "provenance", "KID_SUBSETS", "KID_SUBSET_SIZE", "HIGHER_IS_BETTER", "METRICS",
           "judge_metrics", "panel_metrics", "real_features", "NEAREST_K", "prdc", "corner_redness", "hsv", "marker_present", "marker_rates",
           "confusion_counts", "diversity_ratio", "mean_pairwise_distance", "recognition_rate", "target_metrics", "degeneracy",
           "mixed_slope", "group_accuracy", "tint", "train_patch_background", "water_colour",
           "water_colour_mask", "water_share"]
