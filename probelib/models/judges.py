"""Small networks that judge or score images, each trained for one question: a window-level
land/water classifier (chapter 5), an object-area regressor with a known right answer, and a
classifier's confidence as a GANalyze assessor (chapter 6)."""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["PatchBackground", "AreaNet", "ClassConfidence"]


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


class ClassConfidence(nn.Module):
    """Assessor: a classifier's softmax probability of the image's class ``y`` (or of a fixed
    ``cls``): "what makes the classifier more sure?" Scores lie in [0, 1]."""

    def __init__(self, classifier: nn.Module, cls: int | None = None):
        super().__init__()
        self.classifier, self.cls = classifier.eval(), cls

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        p = self.classifier(x).softmax(1)
        if self.cls is not None:
            return p[:, self.cls]
        if y is None:
            raise ValueError("ClassConfidence needs the labels y (or a fixed cls)")
        return p.gather(1, y.view(-1, 1)).squeeze(1)
