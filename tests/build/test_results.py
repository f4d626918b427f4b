"""The generated pages: the Results page cites every stored measurement with its date, machine
and command; the README's chapter table is rewritten between its markers, and only there."""
import json

from probelib.build import results

LEDGER = {"chapters": {
    "01_problem": {"profile": "cpu", "device": "cpu (2 cores)", "seconds": 600.0, "finished": "2026-12-01T10:00:00",
                   "parameters": {"profile": "cpu", "seed": 0},
                   "glued": {"finding": "the judge recognises 80 % of the robust looks", "robust_pct": 80.0}},
    "02_class_dilution": {"profile": "smoke", "device": "cpu", "seconds": 6.0, "finished": "2026-12-01T11:00:00",
                          "parameters": {"profile": "smoke"}, "glued": {}},
}}


def _root(tmp_path):
    folder = tmp_path / "benchmarks" / "measured"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text(json.dumps({"x": 1.23456, "nested": {"g": 2}}) + "\n")
    (folder / "b.jsonl").write_text(json.dumps({"y": 2, "date": "2026-11-30T09:00:00", "machine": "cpu (2 cores)",
                                                "command": "benchmarks/b.py"}) + "\n")
    (folder / "manifest.json").write_text(json.dumps({"a.jsonl": {"what": "the a sweep", "date": "2026-11-26",
                                                                  "machine": "H200", "command": "a.py --job 1"}}))
    return tmp_path


def test_results_page_cites_each_measurement_and_each_chapter(tmp_path):
    page = results.results_page(LEDGER, _root(tmp_path))
    assert page.startswith("# Results and benchmarks")
    assert "| 01_problem | the judge recognises 80 % of the robust looks | cpu | cpu (2 cores) | 10.0 | 2026-12-01 |" in page
    assert "| robust_pct | 80.0 |" in page
    assert "### `a.jsonl`" in page and "the a sweep" in page and "- machine: H200" in page
    assert "- command: `a.py --job 1`" in page and "| 1.23 | g: 2 |" in page
    # a stamped file without a manifest entry names its own date, machine and command
    assert "- date: 2026-11-30" in page and "- command: `benchmarks/b.py`" in page


def test_update_readme_replaces_only_the_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# t\n\nbefore\n{results.README_BEGIN}\nold table\n{results.README_END}\nafter\n")
    titles = {"01_problem": "1 · The problem", "02_class_dilution": "2 · Class dilution"}
    assert results.update_readme(readme, LEDGER, titles)
    text = readme.read_text()
    assert text.startswith("# t\n\nbefore\n") and text.endswith("after\n") and "old table" not in text
    assert "| [1 · The problem](notebooks/01_problem.py) | the judge recognises 80 % of the robust looks" in text
    assert "| [2 · Class dilution](notebooks/02_class_dilution.py) | — (not built on `cpu` yet) |" in text
    plain = tmp_path / "PLAIN.md"
    plain.write_text("no markers\n")
    assert not results.update_readme(plain, LEDGER, titles) and plain.read_text() == "no markers\n"


def test_the_readme_is_a_two_minute_read():
    from pathlib import Path

    readme = Path(__file__).resolve().parents[2] / "README.md"
    text = readme.read_text()
    assert len(text.splitlines()) <= 200
    assert "make book" in text and "make test" in text and results.README_BEGIN in text


def test_update_readme_keeps_the_finding_of_a_chapter_the_ledger_did_not_run(tmp_path):
    titles = {"01_problem": "1 · The problem", "02_class_dilution": "2 · Class dilution",
              "03_table1": "3 · Table 1"}
    readme = tmp_path / "README.md"
    readme.write_text(f"{results.README_BEGIN}\n| chapter | finding |\n|---|---|\n"
                      "| [1 · The problem](notebooks/01_problem.py) | stale finding *(cpu, 2026-11-01, 3 min)* |\n"
                      "| [2 · Dilution, old title](notebooks/02_class_dilution.py) | kept finding *(cpu, 2026-11-02, 4 min)* |\n"
                      f"{results.README_END}\n")
    assert results.update_readme(readme, LEDGER, titles)
    text = readme.read_text()
    # the ledger's own run replaces the stale row; the un-run chapter keeps its last finding
    assert "stale finding" not in text and "the judge recognises 80 % of the robust looks" in text
    assert ("| [2 · Class dilution](notebooks/02_class_dilution.py) | kept finding "
            "*(cpu, 2026-11-02, 4 min)* |") in text
    assert "| [3 · Table 1](notebooks/03_table1.py) | — (not built on `cpu` yet) |" in text


def test_the_results_page_says_when_the_whole_book_was_never_timed(tmp_path):
    root = _root(tmp_path)
    assert "Never timed end to end yet" in results.results_page(LEDGER, root)
    (root / "book").mkdir()
    (root / "book" / "costs.json").write_text(json.dumps({"chapters": {}, "book": {"cpu/cpu/cold": {
        "seconds": 9000.0, "device": "cpu (2 cores)", "pages": 12, "trained": 140, "date": "2026-12-07",
        "commit": "abc1234"}}}))
    page = results.results_page(LEDGER, root)
    assert "| cpu/cpu/cold | 2.5 | 12 | 140 | cpu (2 cores) | 2026-12-07 | abc1234 |" in page
    assert "Never timed" not in page
