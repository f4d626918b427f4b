"""Small networks that judge or score images, each trained for one question: a window-level
land/water classifier (chapter 5), an object-area regressor with a known right answer, and a
classifier's confidence (log-odds or probability) as a GANalyze assessor (chapter 6)."""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["PatchBackground", "AreaNet", "ClassConfidence", "class_log_odds", "CONFIDENCE_SCORES"]


class PatchBackground(torch.nn.Module):
    """A small CNN that reads one ``patch``×``patch`` window of background: logits (land, water).

    Trained on backgrounds alone (no bird anywhere), it judges *every window* of an image, so a
    patch of water painted into a land scene counts, which an image-level background classifier
    — that sees the grass all around — misses."""

    def __init__(self, patch: int = 8):
        super().__init__()
        self.patch = patch
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(3, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(16, 32, 3, padding=1),
            torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Conv2d(32, 32, 3, padding=1), torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(32, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class AreaNet(nn.Module):
    """A small CNN that predicts the object's area (share of the frame, in [0, 1]) from the image:
    an assessor whose right answer is known, since :func:`probelib.measure.factors.object_size` measures
    the same quantity independently."""

    def __init__(self, in_channels: int = 1, width: int = 16):
        super().__init__()
        c = width
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(2 * c, 2 * c, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(2 * c, 1),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).squeeze(1)


def class_log_odds(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The log-odds of class ``y``, ``log p_y − log(1 − p_y)`` with ``p = softmax(logits)``, computed
    stably from the logits as ``logit_y − logsumexp_{k≠y} logit_k`` (finite where ``p_y`` rounds to 1).
    It is a smooth, monotone, unbounded transform of ``p_y`` and the soft version of the logit
    margin ``logit_y − max_{k≠y} logit_k`` (logsumexp is a smooth max). ``logits`` (B, K), ``y`` (B,)."""
    y = y.view(-1, 1)
    others = logits.scatter(1, y, float("-inf"))  # (B, K): class y masked out
    return logits.gather(1, y).squeeze(1) - others.logsumexp(1)  # logit_y - logsumexp_{k!=y} logit_k


#: the scores :class:`ClassConfidence` can give
CONFIDENCE_SCORES = ("log-odds", "probability")


class ClassConfidence(nn.Module):
    """Assessor: a classifier's confidence in the image's class ``y`` (or in a fixed ``cls``):
    "what makes the classifier more sure?"

    ``score="log-odds"`` (default) gives :func:`class_log_odds`, unbounded, whose gradient does not
    vanish when the classifier is already sure; ``score="probability"`` gives the softmax probability
    in [0, 1], which saturates near 1 — where a GANalyze target ``s₀ + α`` is out of reach for α > 0
    and the gradient ``p(1 − p)`` vanishes (chapter 6 keeps it to show that failure)."""

    def __init__(self, classifier: nn.Module, cls: int | None = None, score: str = "log-odds"):
        super().__init__()
        if score not in CONFIDENCE_SCORES:
            raise ValueError(f"unknown confidence score {score!r}; choose one of: {', '.join(CONFIDENCE_SCORES)}")
        self.classifier, self.cls, self.score = classifier.eval(), cls, score

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        logits = self.classifier(x)
        if self.cls is not None:
            y = torch.full((len(logits),), self.cls, dtype=torch.long, device=logits.device)
        if y is None:
            raise ValueError("ClassConfidence needs the labels y (or a fixed cls)")
        if self.score == "log-odds":
            return class_log_odds(logits, y)
        return logits.softmax(1).gather(1, y.view(-1, 1)).squeeze(1)
