"""Audio for chapter 7: an offline corpus of men's, women's and nonhuman sounds and a folder
loader, as log-mel images (:mod:`probelib.data.mel`); registered as the data set ``speech``.

The offline corpus is synthesised at first use (and cached under ``<run_dir>/audio/``): speech from the
eSpeak NG voices bundled in the ``espeakng-loader`` wheel (driven through ctypes: no system
package), men's and women's voice variants chosen by the ``gender`` line of their variant
files, varied words and phrases, pitch, speed and gain; nonhuman sounds synthesised with numpy
(tones, chirps, noise bursts, click trains, warbles, harmonic drones). Every clip is 1 s at
16 kHz; the corpus depends only on its seed.
"""
from __future__ import annotations

import ctypes
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..core.cache import atomic_write
from ..core.hashing import config_hash
from .imageset import DatasetError, ImageSet, concat, fixed_split
from .mel import SR, AudioConfig, mel_to_image, to_mel
from .registry import register

__all__ = ["CLASSES", "CORPUS_VERSION", "voices", "synthesise_speech", "nonhuman", "Corpus", "make_corpus",
           "load_corpus", "load_folder", "to_image_set"]

CLASSES = ("men", "women", "nonhuman")
_ODD_VOICES = {"whisper", "whisperf", "croak", "demonic", "unirobot", "anikarobot"}
WORDS = ("hello", "good morning", "thank you", "seven", "water", "yesterday", "open the door", "how are you",
         "zero", "blue", "music", "later", "one two three", "yes", "no", "please", "sunday", "the cat sat",
         "welcome home", "right now", "excuse me", "twenty", "green light", "coffee", "listen", "again",
         "tomorrow", "perfect", "follow me", "not today", "what time is it", "forty two")


#: bumped when the synthesis changes, so a cached corpus of an older synthesis is not reused
CORPUS_VERSION = 1


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
    key = {"kind": "audio-corpus", "version": CORPUS_VERSION,
           **{k: getattr(cfg, k) for k in ("clips_per_class", "seed", "sr", "duration")}}
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


def to_image_set(corpus: Corpus, split: str, cfg: AudioConfig = AudioConfig(), name: str = "audio") -> ImageSet:
    """The corpus as an :class:`ImageSet` of mel images ``(N, 1, n_mels, frames)`` with the fixed
    stratified split of :func:`~probelib.data.imageset.fixed_split`."""
    keep = fixed_split(corpus.labels, split)
    img = mel_to_image(to_mel(corpus.waves[keep], cfg), cfg)[:, None]
    return ImageSet(torch.from_numpy(img).contiguous(), torch.from_numpy(corpus.labels[keep]), corpus.classes,
                    name, split)


def _speech_classes(data_dir: Path | None) -> tuple[str, ...]:
    if data_dir is None:
        return CLASSES
    if not Path(data_dir).is_dir():
        raise DatasetError(f"audio folder not found in data_dir={data_dir}; expected data_dir/<class>/*.wav")
    return tuple(sorted(d.name for d in Path(data_dir).iterdir() if d.is_dir()))


@register("speech", _speech_classes, "log-mel images of the offline speech corpus, or of data_dir/<class>/*.wav")
def speech(split: str, data_dir=None, config: AudioConfig = AudioConfig(), run_dir: str | Path | None = None
           ) -> ImageSet:
    """Mel images of ``data_dir/<class>/*.wav`` or, without ``data_dir``, of the offline corpus of
    ``config`` (cached in ``run_dir/audio/`` when ``run_dir`` is given, else synthesised now)."""
    corpus = (load_folder(data_dir, config) if data_dir else
              load_corpus(config, run_dir) if run_dir is not None else make_corpus(config))
    if split == "all":
        return concat(to_image_set(corpus, "train", config), to_image_set(corpus, "test", config))
    return to_image_set(corpus, split, config)
