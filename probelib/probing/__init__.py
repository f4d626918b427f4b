"""Probing anyone's classifier: :func:`probe` (the API), ``python -m probelib probe`` (the
command line), the report, classifier loading without unpickling, the settings per profile."""
from .api import ProbeError, check_classifier, estimate_seconds_per_step, pick_resolution, probe
from .evaluate import COLLAPSED, judge_reference, judge_references, nearest_seen, split_reference, spread
from .loading import ClassifierFileError, load_classifier, load_weights, parse_class_map
from .report import OutputError, ProbeReport, SeveralProbeReport
from .settings import SETTINGS, ProbeSettings, settings, trainer_config

__all__ = ["probe", "ProbeReport", "SeveralProbeReport", "ProbeError", "ClassifierFileError", "OutputError", "check_classifier",
           "estimate_seconds_per_step", "pick_resolution", "judge_reference", "judge_references", "nearest_seen", "split_reference",
           "spread", "COLLAPSED", "load_classifier", "load_weights", "parse_class_map", "SETTINGS", "ProbeSettings",
           "settings", "trainer_config"]
