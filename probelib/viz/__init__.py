"""Seeing: feature visualisation in lucent's split (``param``, ``transform``, ``objectives``,
``render``) and the book's figures (``plots``: image grids with class names, curves, panels)."""
from .objectives import Objective, channel, class_logit, diversity, neuron
from .param import COLOR_CORRELATION, FFTImage, fft_scale
from .plots import (bar_counts, eps_curve, heatmaps, image_grid, interval_panels, k_curves, loss_curves, metric_panels,
                    source, to_display)
from .render import render
from .transform import Jitter, Pad, RandomRotate, RandomScale, standard_transforms

__all__ = ["Objective", "channel", "class_logit", "diversity", "neuron", "COLOR_CORRELATION", "FFTImage",
           "fft_scale", "bar_counts", "eps_curve", "heatmaps", "image_grid", "k_curves", "interval_panels", "loss_curves", "metric_panels", "source",
           "to_display", "render", "Jitter", "Pad", "RandomRotate", "RandomScale", "standard_transforms"]
