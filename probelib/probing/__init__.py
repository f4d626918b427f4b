"""Probing anyone's classifier: :func:`probe` (the API), ``python -m probelib probe`` (the
command line), the report and its check of the GAN on the seen classes, training until that
check passes, classifier loading without unpickling, the settings per profile."""
from .api import ProbeError, check_classifier, estimate_seconds_per_step, pick_resolution, probe
from .evaluate import COLLAPSED, judge_reference, judge_references, nearest_seen, split_reference, spread
from .loading import ClassifierFileError, ClassifierSpec, load_classifier, load_weights, model_input, parse_class_map
from .report import OutputError, ProbeReport, SeveralProbeReport
from .seen import SeenCheck, SeenRule
from .settings import SETTINGS, ProbeSettings, settings, trainer_config
from .stopping import StopRule, train_until_drawn

__all__ = ["probe", "ProbeReport", "SeveralProbeReport", "ProbeError", "ClassifierFileError", "OutputError",
           "check_classifier", "estimate_seconds_per_step", "pick_resolution", "judge_reference", "judge_references",
           "nearest_seen", "split_reference", "spread", "COLLAPSED", "ClassifierSpec", "model_input", "load_classifier",
           "load_weights", "parse_class_map", "SETTINGS", "ProbeSettings", "settings", "trainer_config", "SeenCheck",
           "SeenRule", "StopRule", "train_until_drawn"]
