"""Log-mel spectrograms as images and back: the audio settings, waveform → mel → image in
[−1, 1], the inverse (librosa's mel inversion with a seeded Griffin-Lim), the round trip, WAV
export.

Log-mel: librosa, 32 mel bands × 32 frames (n_fft 1024, hop 512), power in dB clipped to
[−80, 0] dB relative to full scale and mapped to [−1, 1].
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

__all__ = ["SR", "AudioConfig", "to_mel", "mel_to_image", "image_to_mel", "mel_to_audio", "round_trip", "write_wav"]

SR = 16_000


@dataclass(frozen=True)
class AudioConfig:
    """The corpus and the spectrogram (the corpus cache key is a hash of this)."""

    clips_per_class: int = 1000
    seed: int = 0
    sr: int = SR
    duration: float = 1.0
    n_fft: int = 1024
    hop: int = 512
    n_mels: int = 32
    fmin: float = 50.0
    fmax: float = 8000.0
    top_db: float = 80.0
    griffin_lim_iters: int = 32


def to_mel(waves: np.ndarray, cfg: AudioConfig = AudioConfig()) -> np.ndarray:
    """Mel power spectrograms ``(N, n_mels, frames)`` of waveforms ``(N, samples)``."""
    import librosa

    return librosa.feature.melspectrogram(y=np.asarray(waves, np.float32), sr=cfg.sr, n_fft=cfg.n_fft,
                                          hop_length=cfg.hop, n_mels=cfg.n_mels, fmin=cfg.fmin, fmax=cfg.fmax,
                                          power=2.0)


def mel_to_image(mel: np.ndarray, cfg: AudioConfig = AudioConfig()) -> np.ndarray:
    """Power mel → dB clipped to [−top_db, 0] (re. full scale) → [−1, 1]."""
    db = 10 * np.log10(np.maximum(mel, 1e-10))
    return (np.clip(db, -cfg.top_db, 0.0) / cfg.top_db * 2 + 1).astype(np.float32)


def image_to_mel(image: np.ndarray, cfg: AudioConfig = AudioConfig()) -> np.ndarray:
    """The inverse of :func:`mel_to_image` (exact within the clipping range)."""
    db = (np.asarray(image, np.float64) - 1) / 2 * cfg.top_db
    return (10 ** (db / 10)).astype(np.float32)


def mel_to_audio(image: np.ndarray, cfg: AudioConfig = AudioConfig(), seed: int = 0) -> np.ndarray:
    """Waveform(s) from mel image(s) in [−1, 1]: librosa's mel inversion (NNLS to an STFT
    magnitude, then Griffin-Lim from a random phase drawn from ``seed``).

    Called in two steps because ``librosa.feature.inverse.mel_to_audio`` does not pass a
    ``random_state`` to Griffin-Lim, whose phase then comes from an unseeded generator: the
    same image gave a different waveform on every call."""
    import librosa

    mel = image_to_mel(image, cfg)
    stft = librosa.feature.inverse.mel_to_stft(mel, sr=cfg.sr, n_fft=cfg.n_fft, power=2.0, fmin=cfg.fmin,
                                               fmax=cfg.fmax)
    wav = librosa.griffinlim(stft, n_iter=cfg.griffin_lim_iters, hop_length=cfg.hop, n_fft=cfg.n_fft,
                             length=int(cfg.sr * cfg.duration), random_state=seed)
    return wav.astype(np.float32)


def round_trip(images, cfg: AudioConfig = AudioConfig(), seed: int = 0):
    """Mel images ``(N, 1, n_mels, frames)`` in [−1, 1] → sound (:func:`mel_to_audio`, clip ``i``
    seeded ``seed + i``) → mel images again: ``(images, waves)``, a tensor and ``(N, samples)``."""
    x = images.detach().cpu().numpy()[:, 0] if hasattr(images, "detach") else np.asarray(images)[:, 0]
    waves = np.stack([mel_to_audio(m, cfg, seed=seed + i) for i, m in enumerate(x)])
    return torch.from_numpy(mel_to_image(to_mel(waves, cfg), cfg)[:, None]), waves


def write_wav(path: str | Path, wav: np.ndarray, sr: int = SR) -> Path:
    """Write a mono float waveform as 16-bit WAV (soundfile)."""
    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.clip(wav, -1, 1), sr, subtype="PCM_16")
    return path
