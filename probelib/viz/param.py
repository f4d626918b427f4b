"""Image parameterisations for feature visualisation (Olah et al. 2017): Fourier coefficients
scaled by 1/f, colours through the square root of ImageNet's colour correlation, a sigmoid
into range."""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

__all__ = ["COLOR_CORRELATION", "fft_scale", "FFTImage"]

# square root of the colour correlation of ImageNet (Olah et al. 2017, lucid's default)
COLOR_CORRELATION = np.array([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]], dtype=np.float32)


def fft_scale(h: int, w: int, decay_power: float = 1.0) -> np.ndarray:
    """``(h, w//2+1)`` scale of each rFFT coefficient: ``1 / max(|f|, 1/max(h, w)) ** decay_power``
    times ``sqrt(h·w)``, so that white noise in the coefficients becomes 1/f ("pink") noise."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    freqs = np.sqrt(fx * fx + fy * fy)
    return (1.0 / np.maximum(freqs, 1.0 / max(h, w)) ** decay_power * math.sqrt(h * w)).astype(np.float32)


class FFTImage(nn.Module):
    """A batch of images parameterised by Fourier coefficients, decorrelated colours and a sigmoid.

    ``forward()`` returns ``(n, channels, h, w)`` in [−1, 1]. The pixels are
    ``2·sigmoid(M · irfft2(scale · spectrum) / 4) − 1`` where ``M`` is the colour matrix
    (normalised by its largest column norm; identity for grey images).
    """

    def __init__(self, n: int, channels: int, h: int, w: int, sd: float = 0.01, decay_power: float = 1.0,
                 seed: int = 0):
        super().__init__()
        if channels not in (1, 3):
            raise ValueError(f"FFTImage makes grey or RGB images, got channels={channels}")
        g = torch.Generator().manual_seed(seed)
        self.h, self.w = h, w
        self.spectrum = nn.Parameter(torch.randn(n, channels, h, w // 2 + 1, 2, generator=g) * sd)
        self.register_buffer("scale", torch.from_numpy(fft_scale(h, w, decay_power)))
        m = COLOR_CORRELATION / np.max(np.linalg.norm(COLOR_CORRELATION, axis=0)) if channels == 3 else np.eye(1)
        self.register_buffer("colour", torch.from_numpy(m.astype(np.float32)))

    def forward(self) -> torch.Tensor:
        coeffs = torch.view_as_complex(self.spectrum) * self.scale
        x = torch.fft.irfft2(coeffs, s=(self.h, self.w), norm="ortho") / 4
        x = torch.einsum("ij,njhw->nihw", self.colour, x)
        return 2 * torch.sigmoid(x) - 1
