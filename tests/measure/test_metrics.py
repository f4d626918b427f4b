import numpy as np
import pytest
import torch
from torch import nn

from probelib import measure


class Identity(nn.Module):
    """A 'judge' whose features are the flattened image and whose logits are the first 3 pixels."""

    feature_dim = 4

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def features(self, x):
        return x.flatten(1)[:, :4]

    def forward(self, x):
        return x.flatten(1)[:, :3]


def test_mean_pairwise_distance_by_hand():
    f = torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 4.0]])  # distances 5, 4, 3
    assert measure.mean_pairwise_distance(f) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="at least two"):
        measure.mean_pairwise_distance(f[:1])


def test_diversity_ratio_exposes_collapse():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(200, 1, 2, 2, generator=g)
    collapsed = real[:1].repeat(200, 1, 1, 1) + 0.01 * torch.randn(200, 1, 2, 2, generator=g)
    ext = measure.JudgeFeatures(Identity())
    assert measure.diversity_ratio(ext, real[:100], real[100:]) == pytest.approx(1.0, abs=0.15)
    assert measure.diversity_ratio(ext, collapsed, real) < 0.05


def test_recognition_rate():
    x = torch.zeros(4, 1, 2, 2)
    x[:3, 0, 0, 1] = 1.0  # logit of class 1 highest for 3 of 4 images
    x[3, 0, 1, 0] = 1.0  # flat index 2
    assert measure.recognition_rate(Identity(), x, 1) == pytest.approx(0.75)


def test_fid_matches_the_closed_form_for_gaussians():
    """FID between N(0, I) and N(mu, I) samples ≈ ||mu||^2 (covariance terms cancel)."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(20000, 1, 2, 2, generator=g)
    b = torch.randn(20000, 1, 2, 2, generator=g) + torch.tensor([1.0, 2.0, 0.0, 0.0]).view(1, 1, 2, 2)
    ext = measure.JudgeFeatures(Identity())
    assert measure.fid(a, b, ext) == pytest.approx(5.0, rel=0.05)
    assert measure.fid(a[:10000], a[10000:], ext) < 0.05


def test_weights_hash_and_provenance():
    m1, m2 = nn.Linear(2, 2), nn.Linear(2, 2)
    assert measure.weights_hash(m1) == measure.weights_hash(m1) != measure.weights_hash(m2)
    judge = Identity()
    text = str(measure.provenance(judge, 10, 20))
    assert "Identity" in text and measure.weights_hash(judge) in text and "10 real vs 20 generated" in text


def test_fid_extractor_choice_and_errors(monkeypatch, tmp_path):
    judge = Identity()
    assert isinstance(measure.fid_extractor("judge", judge), measure.JudgeFeatures)
    with pytest.raises(ValueError, match="unknown FID extractor 'clip'"):
        measure.fid_extractor("clip", judge)
    monkeypatch.delenv(measure.INCEPTION_ENV, raising=False)
    with pytest.raises(FileNotFoundError, match="needs Inception weights: download https://.*weights-inception"):
        measure.fid_extractor("inception", judge)
    assert isinstance(measure.fid_extractor("auto", judge), measure.JudgeFeatures)  # no weights given: the judge
    with pytest.raises(FileNotFoundError, match=r"Inception weights not found at .*given\.pth"):
        measure.fid_extractor("auto", judge, tmp_path / "given.pth")  # weights named: Inception, or an error
    with pytest.raises(FileNotFoundError, match=r"Inception weights not found at .*nowhere\.pth"):
        measure.fid_extractor("inception", judge, tmp_path / "nowhere.pth")
    monkeypatch.setenv(measure.INCEPTION_ENV, str(tmp_path / "env.pth"))
    with pytest.raises(FileNotFoundError, match=r"not found at .*env\.pth"):
        measure.fid_extractor("inception", judge)


def test_inception_features_from_a_local_weights_file(monkeypatch, tmp_path):
    """With a weights file on disk (here random weights with the right keys; no download),
    the extractor gives 2048-d features for grey and colour 32×32 images in [-1, 1]."""
    tf_inception = pytest.importorskip("torch_fidelity.feature_extractor_inceptionv3")
    with monkeypatch.context() as m:  # build the net once without weights to write a state dict
        m.setattr(tf_inception, "load_state_dict_from_url", lambda *a, **k: {})
        m.setattr(tf_inception.FeatureExtractorInceptionV3, "load_state_dict", lambda self, sd, *a, **k: None)
        torch.manual_seed(0)
        net = tf_inception.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
    path = tmp_path / measure.INCEPTION_FILE
    torch.save(net.state_dict(), path)
    ext = measure.fid_extractor("inception", Identity(), path)
    assert ext.num_features == 2048
    grey = torch.rand(2, 1, 32, 32) * 2 - 1
    f_grey, f_rgb = ext(grey), ext(grey.repeat(1, 3, 1, 1))
    assert f_grey.shape == (2, 2048)
    assert torch.equal(f_grey, f_rgb)  # one channel is repeated to three
    assert not torch.allclose(f_grey[0], f_grey[1], rtol=1e-3, atol=0)  # different images, different features
    prov = str(measure.provenance(ext, 5, 6))
    assert "Inception-v3" in prov and "299" in prov and measure.weights_hash(ext.net) in prov


def test_hsv_by_hand():
    x = torch.tensor([[1.0, -1, -1], [-1, 1, -1], [-1, -1, 1], [1, 1, -1], [0, 0, 0], [0.2, -0.6, -0.6]])
    hue, sat, val = measure.hsv(x.T.reshape(1, 3, 6, 1))
    torch.testing.assert_close(hue.flatten(), torch.tensor([0.0, 120, 240, 60, 0, 0]))
    torch.testing.assert_close(sat.flatten(), torch.tensor([1.0, 1, 1, 1, 0, 2 / 3]))
    torch.testing.assert_close(val.flatten(), torch.tensor([1.0, 1, 1, 1, 0.5, 0.6]))
    magenta_ish = torch.tensor([0.8, -1.0, -0.6]).view(1, 3, 1, 1)  # rgb 0.9, 0, 0.2: hue 360 - 0.2/0.9·60
    assert float(measure.hsv(magenta_ish)[0]) == pytest.approx(360 - 0.2 / 0.9 * 60)


def test_marker_detector_on_hand_made_images():
    from probelib.data import add_marker

    x = torch.full((8, 3, 32, 32), -1.0)
    x[0] = add_marker(x[:1])[0]  # both blocks: yes
    x[1] = add_marker(x[1:2], corners=("top-left",))[0]  # one corner: no
    x[2] = add_marker(x[2:3], colour=(0.4, -0.8, -0.7))[0]  # a darker, softer red (rgb .7 .1 .15): yes
    x[3] = add_marker(x[3:4])[0]
    x[3, :, :4, :8] = -1.0  # half of one block painted: 50 % < 75 % coverage: no
    x[4] = add_marker(x[4:5], colour=(0.2, 0.0, 0.0))[0]  # greyish red (saturation 0.17): no
    x[5] = add_marker(x[5:6], colour=(-0.4, -1.0, -1.0))[0]  # dark red (value 0.3): no
    x[6] = add_marker(x[6:7], colour=(-1.0, -1.0, 1.0))[0]  # blue blocks: no
    x[7] = add_marker(x[7:8], colour=(1.0, 0.0, -1.0))[0]  # orange (hue 30°, at the edge): yes; 0.2 wider: no
    assert measure.marker_present(x).tolist() == [True, False, True, False, False, False, False, True]
    assert measure.marker_present(x, hue_tol=29.0).tolist() == [True, False, True, False, False, False, False, False]
    assert measure.marker_present(x, coverage=0.5).tolist() == [True, False, True, True, False, False, False, True]
    # strict: every channel within 0.5 of pure red: the darker red and the orange fail
    assert measure.marker_present(x, match="rgb").tolist() == [True, False, False, False, False, False, False, False]
    with pytest.raises(ValueError, match="needs images"):
        measure.marker_present(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="match must be"):
        measure.marker_present(x, match="lab")


def test_proportion_ci_wilson():
    p, lo, hi = measure.proportion_ci(45, 100)
    assert p == 0.45 and lo == pytest.approx(0.3561, abs=1e-3) and hi == pytest.approx(0.5475, abs=1e-3)
    p, lo, hi = measure.proportion_ci(0, 500)
    assert p == 0 and lo == pytest.approx(0.0, abs=1e-9) and 0 < hi < 0.01
    with pytest.raises(ValueError, match="n > 0"):
        measure.proportion_ci(0, 0)


def test_rates_above_counts_with_wilson_intervals():
    rows = measure.rates_above({"a": torch.tensor([0.0, 0.2, 0.6, 0.9]), "b": [0.1] * 10}, threshold=0.5)
    assert rows["a"]["images"] == 4 and rows["a"]["above (%)"] == 50.0
    assert rows["a"]["mean (%)"] == pytest.approx(42.5)
    _, lo, hi = measure.proportion_ci(2, 4)
    assert (rows["a"]["CI low"], rows["a"]["CI high"]) == pytest.approx((100 * lo, 100 * hi))
    assert rows["b"]["above (%)"] == 0.0 and rows["b"]["CI low"] == pytest.approx(0.0, abs=1e-9)
    assert measure.rates_above({"c": [0.5]}, threshold=0.5)["c"]["above (%)"] == 0.0  # strictly above


def test_mean_ci_is_the_student_t_interval():
    mean, lo, hi = measure.mean_ci(torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]))
    # mean 3, sd √2.5, se √0.5, t(0.975, 4) = 2.7764: 3 ± 1.9632
    assert mean == 3.0 and lo == pytest.approx(1.0368, abs=1e-3) and hi == pytest.approx(4.9632, abs=1e-3)
    assert measure.mean_ci([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    assert measure.mean_ci([1.0, 2.0, 3.0, 4.0, 5.0], level=0.5)[2] < hi  # a lower level, a narrower interval
    with pytest.raises(ValueError, match="at least two"):
        measure.mean_ci([1.0])


def test_corner_redness_by_hand():
    from probelib.data import add_marker
    x = torch.zeros(2, 3, 32, 32)  # grey: redness 0 everywhere
    x[1] = add_marker(x[1:2])[0]  # pure red top blocks: redness 1 − (−1) = 2 there
    torch.testing.assert_close(measure.corner_redness(x), torch.tensor([0.0, 2.0]))
    x[1] = add_marker(x[1:2], corners=("bottom-left", "bottom-right"))[0]  # the same in the bottom: 0
    assert float(measure.corner_redness(x)[1]) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="colour images"):
        measure.corner_redness(torch.zeros(1, 1, 32, 32))


def test_marker_rates_row():
    from probelib.data import add_marker
    x = torch.full((4, 3, 32, 32), -1.0)
    x[:2] = add_marker(x[:2])
    x[2] = add_marker(x[2:3], colour=(0.4, -0.8, -0.7))[0]  # dark red: hue rule yes, pure red no
    row = measure.marker_rates(x)
    assert row["images"] == 4 and row["with red blocks (%)"] == 75.0 and row["with red blocks (pure red) (%)"] == 50.0
    assert row["95 % CI"] == "{:.1f}–{:.1f}".format(*(100 * v for v in measure.proportion_ci(3, 4)[1:]))


def test_bootstrap_ci_accepts_tensors_and_brackets_the_mean():
    v = torch.tensor([0.0, 1.0] * 50)
    mean, lo, hi = measure.bootstrap_ci(v, seed=3)
    assert mean == 0.5 and 0.35 < lo < 0.5 < hi < 0.65
    assert measure.bootstrap_ci(v, seed=3) == measure.bootstrap_ci(v.numpy(), seed=3)
    with pytest.raises(ValueError, match="at least one"):
        measure.bootstrap_ci([])


def test_prdc_on_hand_built_point_sets():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(400, 8, generator=g)
    exact = measure.prdc(real, real.clone())
    assert exact["precision"] == 1.0 and exact["recall"] == 1.0 and exact["coverage"] == 1.0
    one = measure.prdc(real, real[:1].repeat(200, 1))  # one real image repeated: collapse
    assert one["precision"] == 1.0 and one["recall"] == 0.0
    assert one["coverage"] <= 2 * (measure.NEAREST_K + 1) / len(real)  # only its neighbours are covered
    far = measure.prdc(real, torch.randn(200, 8, generator=g) + 10.0)  # off the real manifold
    assert far["precision"] == 0.0 and far["coverage"] == 0.0
    same = measure.prdc(real, torch.randn(400, 8, generator=g))  # another draw of the same distribution
    assert 0.6 < same["precision"] <= 1 and 0.6 < same["recall"] <= 1 and 0.8 < same["density"] < 1.2
    assert all(np.isnan(v) for v in measure.prdc(real, real[:5]).values())  # too few for a 5-NN ball


def test_kid_is_near_zero_for_one_distribution_positive_for_two_and_seeded():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(600, 4, generator=g), torch.randn(600, 4, generator=g)
    ext = measure.JudgeFeatures(Identity())
    same, _ = measure.kid(a, b, ext, subset_size=200, subsets=20)
    shifted, _ = measure.kid(a, b + 1.0, ext, subset_size=200, subsets=20)
    assert abs(same) < 0.02 and shifted > 0.1
    before = torch.rand(1)
    torch.manual_seed(5)
    state = torch.get_rng_state()
    assert measure.kid(a, b + 1.0, ext, subset_size=200, subsets=20)[0] == shifted  # seeded
    assert torch.equal(torch.get_rng_state(), state)  # and the global random state is untouched


def test_provenance_warns_when_reals_are_fewer_than_feature_dimensions():
    judge = Identity()
    judge.feature_dim = 64
    assert "WARNING" not in str(measure.provenance(judge, 100, 50))
    assert "100 real images < 2048 feature dimensions" in str(
        measure.Provenance("inception", "abc", 100, 50, n_features=2048))


def test_panel_metrics_has_every_metric_for_every_judge():
    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(60, 4, generator=g), torch.randn(40, 4, generator=g)
    out = measure.panel_metrics({"a": Identity(), "b": Identity()}, fake, real, target=1)
    assert set(out) == {"a", "b"} and tuple(out["a"]) == measure.METRICS
    assert out["a"] == out["b"]


def test_prdc_is_the_package_s_numbers_without_joblib_workers(monkeypatch):
    """The package's own computation, its distances in this thread (its 8 joblib workers printed
    scikit-learn warnings past every filter onto the chapters' pages)."""
    import joblib
    from prdc import compute_prdc

    from probelib.measure.prdc import prdc

    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(80, 16, generator=g), torch.randn(60, 16, generator=g) + 0.5
    expected = {k: float(v) for k, v in compute_prdc(real.numpy(), fake.numpy(), 5).items()}

    def no_workers(*args, **kwargs):
        raise AssertionError("joblib.Parallel was used")

    monkeypatch.setattr(joblib.Parallel, "__call__", no_workers)
    assert prdc(real, fake) == pytest.approx(expected, abs=1e-9)


class SmallJudge(nn.Module):
    """A nonlinear judge (a conv, then a linear read-out) for the extract-once tests."""

    feature_dim = 6

    def __init__(self):
        super().__init__()
        torch.manual_seed(3)
        self.conv = nn.Conv2d(1, 6, 3)
        self.head = nn.Linear(6, 3)

    def features(self, x):
        return torch.tanh(self.conv(x)).mean((2, 3))

    def forward(self, x):
        return self.head(self.features(x))


def test_fid_and_kid_on_extracted_features_equal_them_on_images():
    """One extraction (``extract`` + ``Given``) gives the FID and KID the images give, over
    more than one batch of 500 (1,200 real, 700 generated)."""
    g = torch.Generator().manual_seed(4)
    real, fake = torch.randn(1200, 1, 6, 6, generator=g), torch.randn(700, 1, 6, 6, generator=g) * 1.3 + 0.2
    ext = measure.JudgeFeatures(SmallJudge())
    f_real, f_fake = measure.extract(ext, real), measure.extract(ext, fake)
    assert f_real.dtype == torch.float64 and f_real.shape == (1200, 6)
    given = measure.Given(6)
    assert measure.fid(f_real, f_fake, given) == pytest.approx(measure.fid(real, fake, ext), rel=1e-9)
    assert measure.kid(f_real, f_fake, given)[0] == pytest.approx(measure.kid(real, fake, ext)[0], rel=1e-9)
    assert measure.fid(real, fake, ext) > 1e-3  # the two sets differ: the equality is not 0 == 0


def test_judge_metrics_reads_given_real_features_like_the_images():
    g = torch.Generator().manual_seed(5)
    real, fake = torch.randn(300, 1, 6, 6, generator=g), torch.randn(200, 1, 6, 6, generator=g) + 0.3
    judge = SmallJudge()
    plain = measure.judge_metrics(judge, fake, real, target=1)
    ext = measure.JudgeFeatures(judge)
    by_hand = {"intra-FID": measure.fid(real, fake, ext), "KID": measure.kid(real, fake, ext)[0],
               **measure.prdc(measure.features(ext, real), measure.features(ext, fake))}
    for key, value in by_hand.items():  # each metric as the images give it, one extractor call each
        assert plain[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key
    given = measure.judge_metrics(judge, fake, real, target=1, real_features=measure.real_features(judge, real))
    assert given == pytest.approx(plain, rel=1e-12)
    other = measure.judge_metrics(judge, fake, real[:150], target=1, real_features=measure.real_features(judge, real[150:]))
    assert other["intra-FID"] != plain["intra-FID"]  # the given features are what it reads
