"""The bill before paying it: each chapter's GANs counted once (a GAN two chapters share is the
earlier one's), priced at the stored GPU step time, by hand."""
from pathlib import Path

import pytest

from probelib.book import profiles
from probelib.build import estimate
from probelib.build.runner import main


def _root(tmp_path, paper=0.5, small=0.1, device="device cuda (Test GPU)"):
    measured = tmp_path / "benchmarks" / "measured"
    measured.mkdir(parents=True)
    (measured / "probegan_step_test.txt").write_text(
        f"{device}, torch 2\npaper scale: ch=64, 32x32x3, batch 64, 4 D steps: {paper} s per step\n"
        f"cpu profile trainer, 32x32x1: {small} s per step\n")
    return tmp_path


def test_each_gan_is_counted_once_by_the_first_chapter_that_trains_it(tmp_path):
    est = estimate.estimate(profiles.get("cpu"), _root(tmp_path))
    ch = est["chapters"]
    # chapter 2: 1/C (ours: Dc's own batch) with 5 seeds, 0.3 / 0.5 / 1.0, no Dc, 1/C single batch (paper's form) and
    # the paper's λg, lr, no DiffAugment with 3 seeds each
    assert (ch["02_class_dilution"]["GANs"], ch["02_class_dilution"]["shared"]) == (23, 0)
    # chapter 3: 5 + 5 + 5 + 5 + BigGAN-all + oracle + the AM prior; ProbeGAN-robust's 5 are chapter 2's 1/C runs
    assert (ch["03_table1"]["GANs"], ch["03_table1"]["shared"]) == (18, 5)
    assert (ch["06_ganalyze"]["GANs"], ch["06_ganalyze"]["shared"]) == (2, 1)  # BigGAN-all seeds 1, 2; 0 is Table 1's
    assert (ch["08_exemplars"]["GANs"], ch["08_exemplars"]["shared"]) == (0, 2)  # Table 1's ProbeGAN rows
    # chapter 10: k = 1, 2, 3, 5 with 3 seeds (k = 1 is Table 1's), k = 2's other class alone (the elephant page's)
    assert (ch["10_several_targets"]["GANs"], ch["10_several_targets"]["shared"]) == (9, 6)
    assert (ch["10_several_targets-memory-map"]["GANs"], ch["10_several_targets-memory-map"]["shared"]) == (3, 1)
    assert ch["04_leakage"]["hours"] == pytest.approx(2 * 3 * 600 * 0.1 / 3600)  # 2 classifiers × 3 seeds, 600 steps
    assert est["scale"] == "cpu-profile"


def test_paper_scale_profiles_use_the_paper_step_and_scale_64_px_by_pixels(tmp_path, monkeypatch):
    # the book's own pages, whatever an earlier test left in $PROBELIB_ROOT (python -m probelib.run sets it)
    monkeypatch.setenv("PROBELIB_ROOT", str(Path(__file__).resolve().parents[2]))
    est = estimate.estimate(profiles.get("gpu"), _root(tmp_path))
    assert est["seconds per step"] == 0.5 and est["scale"] == "paper-scale"
    assert est["chapters"]["09_probe_your_model"]["hours"] == pytest.approx(3 * 100_000 * 0.5 * 4 / 3600)
    assert est["total hours"] == pytest.approx(sum(r["hours"] for r in est["chapters"].values()))
    fewer = estimate.estimate(profiles.get("gpu"), _root(tmp_path / "b"), k_map=1)
    # k = 1: one GAN per class and classifier (20), of which horse's and elephant's are Table 1's ProbeGAN-regular
    # and -robust (chapter 3 and its elephant page), so trained there
    assert fewer["chapters"]["10_several_targets-memory-map"]["GANs"] == 16
    assert fewer["chapters"]["10_several_targets-memory-map"]["shared"] == 4
    text = estimate.format_estimate(est, "gpu")
    assert "over the 24 GPU-hour budget" in text and "09_probe_your_model" in text


def test_no_stored_gpu_step_is_one_line(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match="no stored GPU step time"):
        estimate.step_rate(_root(tmp_path, device="device cpu (2 cores)"))


def test_the_command_line_prints_the_bill_and_trains_nothing(capsys):
    assert main(["--profile", "gpu", "--estimate"]) == 0
    out = capsys.readouterr().out
    assert "predicted GAN training on profile 'gpu'" in out and "total" in out and "GPU-hour budget" in out


def test_the_cpu_book_plans_the_seeds_that_decide():
    """Issue 32's minima, read from the pages' own plans: Table 1's four main rows over >= 5 seeds,
    every setting of chapter 2, every k of chapter 10, every class of chapter 7, both probes of
    chapters 4 and 5 and chapter 9's probe over >= 3."""
    seeds: dict[tuple[str, str], set[int]] = {}
    for page, g in estimate.book_gans(profiles.get("cpu")):
        seeds.setdefault((page, g.row), set()).add(g.seed)
    main = ("probegan-robust", "probegan-regular", "naive-robust", "naive-regular")
    for page in ("03_table1", "03_table1-elephant"):
        assert all(len(seeds[(page, row)]) >= 5 for row in main), page
    for page, least, n_rows in (("02_class_dilution", 3, 2), ("10_several_targets", 3, 2), ("07_audio", 3, 2),
                                ("04_leakage", 3, 2), ("05_spurious", 3, 2), ("09_probe_your_model", 3, 1)):
        rows = {row: s for (p, row), s in seeds.items() if p == page}
        assert len(rows) >= n_rows and min(map(len, rows.values())) >= least, (page, rows)
