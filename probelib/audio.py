"""Audio for chapter 7: an offline corpus of men's, women's and nonhuman sounds, log-mel
spectrograms as 32×32 images in [-1, 1], their inversion to waveforms, and a folder loader.

The offline corpus is synthesised at first use (and cached under ``runs/``): speech from the
eSpeak NG voices bundled in the ``espeakng-loader`` wheel (driven through ctypes: no system
package), men's and women's voice variants chosen by the ``gender`` line of their variant
files, varied words and phrases, pitch, speed and gain; nonhuman sounds synthesised with numpy
(tones, chirps, noise bursts, click trains, warbles, harmonic drones). Every clip is 1 s at
16 kHz; the corpus depends only on its seed.

Log-mel: librosa, 32 mel bands × 32 frames (n_fft 1024, hop 512), power in dB clipped to
[−80, 0] dB relative to full scale and mapped to [−1, 1]; inversion: librosa's mel inversion
(Griffin-Lim).
"""
from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .data import DatasetError, ImageSet, _split

__all__ = ["AudioConfig", "CLASSES", "voices", "synthesise_speech", "nonhuman", "make_corpus", "load_corpus",
           "load_folder", "to_mel", "mel_to_image", "image_to_mel", "mel_to_audio", "round_trip", "to_image_set",
           "write_wav", "Corpus"]

CLASSES = ("men", "women", "nonhuman")
SR = 16_000
_ODD_VOICES = {"whisper", "whisperf", "croak", "demonic", "unirobot", "anikarobot"}
WORDS = ("hello", "good morning", "thank you", "seven", "water", "yesterday", "open the door", "how are you",
         "zero", "blue", "music", "later", "one two three", "yes", "no", "please", "sunday", "the cat sat",
         "welcome home", "right now", "excuse me", "twenty", "green light", "coffee", "listen", "again",
         "tomorrow", "perfect", "follow me", "not today", "what time is it", "forty two")


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


# ---------------------------------------------------------------- eSpeak NG through ctypes
class _ESpeak:
    """The bundled libespeak-ng, initialised once, synthesising synchronously into numpy."""

    RATE, VOLUME, PITCH, RANGE = 1, 2, 3, 4  # espeak_PARAMETER
    _instance: "_ESpeak | None" = None

    def __init__(self):
        try:
            import espeakng_loader
        except ImportError as err:
            raise DatasetError("espeakng-loader is not installed; run `pip install espeakng-loader`") from err
        self.lib = ctypes.cdll.LoadLibrary(espeakng_loader.get_library_path())
        self.data_path = Path(espeakng_loader.get_data_path())
        self.sr = self.lib.espeak_Initialize(2, 0, ctypes.c_char_p(str(self.data_path).encode()), 0)
        if self.sr <= 0:
            raise DatasetError(f"eSpeak NG failed to initialise from {self.data_path}")
        self._chunks: list[np.ndarray] = []
        cb_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

        def _cb(wav, n, _events):
            if n > 0:
                self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
            return 0

        self._cb = cb_type(_cb)  # keep a reference: the library calls it later
        self.lib.espeak_SetSynthCallback(self._cb)

    @classmethod
    def get(cls) -> "_ESpeak":
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def say(self, text: str, voice: str, rate: int, pitch: int, pitch_range: int) -> np.ndarray:
        if self.lib.espeak_SetVoiceByName(ctypes.c_char_p(voice.encode())) != 0:
            raise DatasetError(f"eSpeak NG has no voice {voice!r}")
        for param, value in ((self.RATE, rate), (self.PITCH, pitch), (self.RANGE, pitch_range), (self.VOLUME, 100)):
            self.lib.espeak_SetParameter(param, int(value), 0)
        self._chunks = []
        raw = text.encode()
        self.lib.espeak_Synth(ctypes.c_char_p(raw), ctypes.c_size_t(len(raw) + 1), 0, 1, 0, 0, None, None)
        self.lib.espeak_Synchronize()
        wav = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return wav.astype(np.float32) / 32768.0


def voices() -> dict[str, list[str]]:
    """eSpeak NG English voice variants by gender (``en+<variant>``), from the bundled data."""
    root = _ESpeak.get().data_path / "voices" / "!v"
    out: dict[str, list[str]] = {"men": [], "women": []}
    for f in sorted(root.iterdir()):
        if f.name.lower() in _ODD_VOICES or not f.is_file():
            continue
        m = re.search(r"^gender\s+(\w+)", f.read_text(errors="ignore"), re.MULTILINE | re.IGNORECASE)
        if m and m.group(1).lower() in ("male", "female"):
            out["men" if m.group(1).lower() == "male" else "women"].append(f"en+{f.name}")
    return out


def _fit(wav: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Crop (at a random offset) or pad (at a random offset) to ``n`` samples."""
    if len(wav) >= n:
        start = int(rng.integers(0, len(wav) - n + 1))
        return wav[start:start + n]
    out = np.zeros(n, np.float32)
    start = int(rng.integers(0, n - len(wav) + 1))
    out[start:start + len(wav)] = wav
    return out


def _trim(wav: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    loud = np.flatnonzero(np.abs(wav) > threshold)
    return wav[loud[0]:loud[-1] + 1] if len(loud) else wav


def _say_all(jobs: list[tuple[str, str, int, int, int]]) -> tuple[int, list[np.ndarray]]:
    """Worker: synthesise every ``(text, voice, rate, pitch, range)`` job in order."""
    es = _ESpeak.get()
    return es.sr, [es.say(*job) for job in jobs]


def synthesise_speech(jobs: list[tuple[str, str, int, int, int]]) -> tuple[int, list[np.ndarray]]:
    """Speech for ``(text, voice, rate, pitch, range)`` jobs, in a fresh process.

    eSpeak NG keeps static state across utterances (its pitch-flutter index), so the same call
    gives slightly different audio depending on what was said before. A fresh process per
    corpus makes the corpus a function of its seed alone.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_say_all, jobs).result()


def _finish_speech(wav: np.ndarray, sr_in: int, rng: np.random.Generator, cfg: AudioConfig) -> np.ndarray:
    """Trim silence, resample, crop or pad to the clip length at a random offset, random gain."""
    import librosa

    wav = librosa.resample(_trim(wav), orig_sr=sr_in, target_sr=cfg.sr)
    wav = _fit(wav, int(cfg.sr * cfg.duration), rng)
    peak = float(np.abs(wav).max()) or 1.0
    return (wav / peak * rng.uniform(0.3, 0.9)).astype(np.float32)


def nonhuman(rng: np.random.Generator, cfg: AudioConfig) -> np.ndarray:
    """One synthetic nonhuman clip: a random kind among tones, chirps, noise bursts, click
    trains, warbles and harmonic drones, each with random parameters."""
    n = int(cfg.sr * cfg.duration)
    t = np.arange(n) / cfg.sr
    kind = int(rng.integers(6))
    if kind == 0:  # steady tone with a slow envelope
        f = rng.uniform(200, 4000)
        wav = np.sin(2 * np.pi * f * t) * np.hanning(n) ** rng.uniform(0.2, 1)
    elif kind == 1:  # chirp up or down
        f0, f1 = rng.uniform(100, 6000, 2)
        phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * cfg.duration))
        wav = np.sin(phase)
    elif kind == 2:  # filtered noise bursts
        wav = np.zeros(n)
        for _ in range(int(rng.integers(1, 6))):
            start, length = int(rng.integers(0, n)), int(rng.integers(n // 40, n // 4))
            burst = rng.normal(0, 1, min(length, n - start))
            k = int(rng.integers(1, 30))
            burst = np.convolve(burst, np.ones(k) / k, mode="same")
            wav[start:start + len(burst)] += burst * np.hanning(len(burst))
    elif kind == 3:  # rhythmic clicks
        wav = np.zeros(n)
        period = int(cfg.sr / rng.uniform(3, 30))
        click = np.exp(-np.arange(200) / rng.uniform(5, 60)) * rng.choice([-1, 1], 200)
        for s in range(int(rng.integers(0, period)), n - 200, period):
            wav[s:s + 200] += click
    elif kind == 4:  # warble: frequency-modulated tone
        fc, fm, depth = rng.uniform(300, 3000), rng.uniform(2, 15), rng.uniform(50, 600)
        wav = np.sin(2 * np.pi * fc * t + depth / fm * np.sin(2 * np.pi * fm * t))
    else:  # harmonic drone with a few partials and amplitude modulation
        f = rng.uniform(60, 500)
        wav = sum(np.sin(2 * np.pi * f * k * t + rng.uniform(0, 6.3)) / k for k in range(1, int(rng.integers(2, 8))))
        wav = wav * (1 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.5, 8) * t))
    wav = wav + rng.normal(0, rng.uniform(0, 0.02), n)
    peak = float(np.abs(wav).max()) or 1.0
    return (wav / peak * rng.uniform(0.3, 0.9)).astype(np.float32)


@dataclass(frozen=True, eq=False)
class Corpus:
    """Waveforms ``(N, samples)`` float32, labels ``(N,)``, class names, and a per-clip description."""

    waves: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    sr: int
    info: list[str]


def make_corpus(cfg: AudioConfig = AudioConfig()) -> Corpus:
    """Synthesise the offline corpus: ``clips_per_class`` clips of men, women and nonhuman sounds."""
    rng = np.random.default_rng([cfg.seed, 77])
    vs = voices()
    jobs, info = [], []
    for cls in ("men", "women"):  # draw every utterance's settings first, then synthesise in one process
        for _ in range(cfg.clips_per_class):
            voice = vs[cls][int(rng.integers(len(vs[cls])))]
            text = WORDS[int(rng.integers(len(WORDS)))]
            jobs.append((text, voice, int(rng.integers(120, 260)), int(rng.integers(25, 75)),
                         int(rng.integers(30, 90))))
            info.append(f"{voice}: {text}")
    sr_in, raw = synthesise_speech(jobs)
    waves = [_finish_speech(w, sr_in, rng, cfg) for w in raw]
    waves += [nonhuman(rng, cfg) for _ in range(cfg.clips_per_class)]
    info += ["synthetic"] * cfg.clips_per_class
    labels = np.repeat(np.arange(len(CLASSES)), cfg.clips_per_class)
    return Corpus(np.stack(waves), labels.astype(np.int64), CLASSES, cfg.sr, info)


def load_corpus(cfg: AudioConfig, run_dir: str | Path) -> Corpus:
    """The offline corpus from ``run_dir/audio/`` (built and cached at first use)."""
    import json

    from .cache import atomic_write, config_hash

    key = {"kind": "audio-corpus", **{k: getattr(cfg, k) for k in ("clips_per_class", "seed", "sr", "duration")}}
    path = Path(run_dir) / "audio" / f"corpus-{config_hash(key)}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        return Corpus(z["waves"], z["labels"], tuple(json.loads(str(z["classes"]))), int(z["sr"]),
                      json.loads(str(z["info"])))
    corpus = make_corpus(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)

    def _write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, waves=corpus.waves, labels=corpus.labels, classes=json.dumps(corpus.classes),
                                sr=corpus.sr, info=json.dumps(corpus.info))

    atomic_write(path, _write)
    return corpus


def load_folder(data_dir: str | Path, cfg: AudioConfig = AudioConfig()) -> Corpus:
    """A folder of clips ``data_dir/<class>/*.wav`` (any sample rate, mono or stereo): resampled
    to ``cfg.sr``, mixed to mono, centre-cropped or padded to ``cfg.duration``."""
    import librosa
    import soundfile as sf

    root = Path(data_dir) if data_dir else None
    if root is None or not root.is_dir():
        raise DatasetError(f"audio folder not found: {data_dir}; expected data_dir/<class>/*.wav")
    classes = tuple(sorted(d.name for d in root.iterdir() if d.is_dir()))
    if not classes:
        raise DatasetError(f"no class folders in {root}; expected data_dir/<class>/*.wav")
    n = int(cfg.sr * cfg.duration)
    waves, labels, info = [], [], []
    for y, cls in enumerate(classes):
        files = sorted((root / cls).glob("*.wav"))
        if not files:
            raise DatasetError(f"no .wav files in {root / cls}")
        for f in files:
            try:
                wav, sr = sf.read(f, dtype="float32", always_2d=True)
            except Exception as err:  # soundfile raises its own LibsndfileError
                raise DatasetError(f"cannot read audio file {f}: {err}") from None
            wav = wav.mean(1)
            if sr != cfg.sr:
                wav = librosa.resample(wav, orig_sr=sr, target_sr=cfg.sr)
            if len(wav) >= n:
                start = (len(wav) - n) // 2
                wav = wav[start:start + n]
            else:
                wav = np.pad(wav, (0, n - len(wav)))
            waves.append(wav.astype(np.float32))
            labels.append(y)
            info.append(f.name)
    return Corpus(np.stack(waves), np.asarray(labels, np.int64), classes, cfg.sr, info)


# ---------------------------------------------------------------- spectrograms
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
    import torch

    x = images.detach().cpu().numpy()[:, 0] if hasattr(images, "detach") else np.asarray(images)[:, 0]
    waves = np.stack([mel_to_audio(m, cfg, seed=seed + i) for i, m in enumerate(x)])
    return torch.from_numpy(mel_to_image(to_mel(waves, cfg), cfg)[:, None]), waves


def to_image_set(corpus: Corpus, split: str, cfg: AudioConfig = AudioConfig(), name: str = "audio") -> ImageSet:
    """The corpus as an :class:`ImageSet` of mel images ``(N, 1, n_mels, frames)`` with the fixed
    stratified split of :mod:`probelib.data`."""
    keep = _split(corpus.labels, split)
    img = mel_to_image(to_mel(corpus.waves[keep], cfg), cfg)[:, None]
    return ImageSet(torch.from_numpy(img).contiguous(), torch.from_numpy(corpus.labels[keep]), corpus.classes,
                    name, split)


def write_wav(path: str | Path, wav: np.ndarray, sr: int = SR) -> Path:
    """Write a mono float waveform as 16-bit WAV (soundfile)."""
    import soundfile as sf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.clip(wav, -1, 1), sr, subtype="PCM_16")
    return path
