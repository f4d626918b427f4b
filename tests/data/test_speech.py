import numpy as np
import torch
import pytest

from probelib import data
from probelib.data import DatasetError

CFG = data.mel.AudioConfig(clips_per_class=4, seed=3)


def test_voices_are_split_by_gender():
    v = data.speech.voices()
    assert {"en+m1", "en+m7"} <= set(v["men"]) and {"en+f1", "en+f5"} <= set(v["women"])
    assert not set(v["men"]) & set(v["women"])
    assert not any("whisper" in x or "Robot" in x for x in v["men"] + v["women"])


def test_corpus_is_deterministic_and_shaped():
    a, b = data.speech.make_corpus(CFG), data.speech.make_corpus(CFG)
    assert a.waves.shape == (12, 16000) and a.waves.dtype == np.float32
    assert np.array_equal(a.waves, b.waves) and a.info == b.info  # same seed, same clips
    assert a.labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4 and a.classes == ("men", "women", "nonhuman")
    assert np.abs(a.waves).max() <= 0.9 + 1e-6 and (np.abs(a.waves).max(1) > 0.2).all()  # no silent clip
    c = data.speech.make_corpus(data.mel.AudioConfig(clips_per_class=4, seed=4))
    assert not np.array_equal(a.waves, c.waves)


def test_corpus_cache_round_trip(tmp_path):
    first = data.speech.load_corpus(CFG, tmp_path)
    assert len(list((tmp_path / "audio").glob("corpus-*.npz"))) == 1
    again = data.speech.load_corpus(CFG, tmp_path)
    assert np.array_equal(first.waves, again.waves) and again.info == first.info and again.sr == 16000


def test_mel_image_range_and_exact_inverse():
    rng = np.random.default_rng(0)
    wav = (rng.normal(0, 0.1, (2, 16000))).astype(np.float32)
    mel = data.mel.to_mel(wav)
    img = data.mel.mel_to_image(mel)
    assert img.shape == (2, 32, 32) and img.min() >= -1 and img.max() <= 1
    back = data.mel.image_to_mel(img)
    inside = 10 * np.log10(np.maximum(mel, 1e-10)) > -80
    assert np.allclose(back[inside], mel[inside], rtol=1e-4)


def test_mel_round_trip_error_is_bounded():
    """Griffin-Lim inversion then re-analysis stays close to the original mel image: mean
    absolute error < 0.1 on the [-1, 1] scale (8 dB) for speech and for a tone."""
    corpus = data.speech.make_corpus(data.mel.AudioConfig(clips_per_class=1, seed=0))
    img = data.mel.mel_to_image(data.mel.to_mel(corpus.waves))
    again, waves = data.mel.round_trip(torch.from_numpy(img[:, None]))
    assert waves.shape == (3, 16000) and again.shape == (3, 1) + img.shape[1:]
    for i in range(3):
        assert np.abs(again[i, 0].numpy() - img[i]).mean() < 0.1
    np.testing.assert_array_equal(waves[1], data.mel.mel_to_audio(img[1], seed=1))  # clip i seeded i


def test_folder_loader_resamples_pads_and_errors(tmp_path):
    import soundfile as sf

    with pytest.raises(DatasetError, match="audio folder not found"):
        data.speech.load_folder(tmp_path / "nope")
    with pytest.raises(DatasetError, match="no class folders"):
        data.speech.load_folder(tmp_path)
    (tmp_path / "dogs").mkdir()
    (tmp_path / "cats").mkdir()
    sf.write(tmp_path / "dogs" / "a.wav", np.sin(np.linspace(0, 900, 44100 * 2)) * 0.5, 44100)  # 2 s, 44.1 kHz
    sf.write(tmp_path / "dogs" / "b.wav", np.zeros((4000, 2)), 8000)  # 0.5 s stereo, 8 kHz
    with pytest.raises(DatasetError, match="no .wav files in .*cats"):
        data.speech.load_folder(tmp_path)
    (tmp_path / "cats" / "bad.wav").write_bytes(b"RIFF junk")
    with pytest.raises(DatasetError, match="cannot read audio file .*bad.wav"):
        data.speech.load_folder(tmp_path)
    sf.write(tmp_path / "cats" / "bad.wav", np.zeros(16000), 16000)
    c = data.speech.load_folder(tmp_path)
    assert c.classes == ("cats", "dogs") and c.waves.shape == (3, 16000) and c.labels.tolist() == [0, 1, 1]
    assert np.abs(c.waves[1]).max() > 0.4  # the 44.1 kHz tone survived resampling and cropping
    assert np.all(c.waves[2][8000:] == 0)  # the short clip was padded


def test_image_set_split_and_wav_writer(tmp_path):
    import soundfile as sf

    corpus = data.speech.make_corpus(data.mel.AudioConfig(clips_per_class=10, seed=1))
    tr, te = data.speech.to_image_set(corpus, "train"), data.speech.to_image_set(corpus, "test")
    assert len(tr) + len(te) == 30 and tr.images.shape[1:] == (1, 32, 32) and tr.classes == data.speech.CLASSES
    path = data.mel.write_wav(tmp_path / "x" / "clip.wav", corpus.waves[0])
    wav, sr = sf.read(path)
    assert sr == 16000 and len(wav) == 16000 and np.abs(wav - corpus.waves[0]).max() < 1e-3


def test_the_speech_data_set_honours_its_corpus_settings_and_run_dir(tmp_path):
    """The registry's ``speech`` loader takes the profile's corpus settings and caches the corpus
    under the given run_dir; another corpus seed is other data (another fingerprint)."""
    a = data.load("speech", "train", config=CFG, run_dir=tmp_path)
    assert list((tmp_path / "audio").glob("corpus-*.npz")) and len(a) == round(0.8 * 4) * 3
    again = data.load("speech", "train", config=CFG, run_dir=tmp_path)
    assert again.fingerprint == a.fingerprint
    other = data.load("speech", "train", config=data.mel.AudioConfig(clips_per_class=4, seed=4), run_dir=tmp_path)
    assert other.fingerprint != a.fingerprint
    wider = data.load("speech", "train", config=data.mel.AudioConfig(clips_per_class=4, seed=3, n_mels=16),
                      run_dir=tmp_path)
    assert wider.images.shape[2] == 16 and wider.fingerprint != a.fingerprint
    with pytest.raises(DatasetError, match="dataset 'speech' takes no option 'seed'"):
        data.load("speech", "train", seed=3)
    with pytest.raises(DatasetError, match="dataset 'digits' takes no option 'run_dir'; its options: none"):
        data.load("digits", "train", run_dir=tmp_path)
