"""The runner: failures are loud and name the chapter and cell; user errors are one line and exit
2; the ledger (with the values each chapter glued) makes the Results page."""
import subprocess
import sys
import textwrap

import pytest

from probelib.book import ledger
from probelib.build import runner as run


def _project(tmp_path, body):
    (tmp_path / "_config.yml").write_text("title: t\n")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks" / "01_demo.py").write_text(textwrap.dedent(body))
    return tmp_path


GOOD = '''\
# %% [markdown]
# # Demo

# %% tags=["parameters"]
profile = "cpu"
seed = 0
run_dir = "runs"

# %%
print("seed is", seed)
from probelib.book import finding, glue
glue("twice", 2 * seed)
finding(f"the seed was {seed}")
'''


def test_failing_chapter_exits_non_zero_naming_chapter_and_cell(tmp_path):
    root = _project(tmp_path, GOOD + '\n# %%\nraise ValueError("boom")\n')
    proc = subprocess.run([sys.executable, "-m", "probelib.run", "--profile", "smoke", "--no-build"], cwd=root,
                          capture_output=True, text=True, env={**__import__("os").environ, "PROBELIB_ROOT": str(root)})
    assert proc.returncode == 1
    assert "chapter 01_demo failed in cell" in proc.stderr and "ValueError: boom" in proc.stderr
    assert (root / "book" / "chapters" / "01_demo.ipynb").exists()  # the notebook with the traceback is kept


def test_good_chapter_is_recorded_in_the_ledger(tmp_path, monkeypatch):
    root = _project(tmp_path, GOOD)
    monkeypatch.setenv("PROBELIB_ROOT", str(root))
    assert run.main(["--profile", "smoke", "-p", "seed", "3", "--no-build"]) == 0
    entry = ledger.load_ledger(root / "runs")["chapters"]["01_demo"]
    assert entry["parameters"] == {"profile": "smoke", "seed": 3, "run_dir": "runs"}
    assert entry["seconds"] > 0 and entry["device"].startswith(("cpu", "cuda"))
    assert entry["glued"] == {"twice": 6, "finding": "the seed was 3"}  # harvested from the executed notebook
    assert entry["git_commit"] == "unknown"  # per chapter (this temporary project is no git repository)
    page = (root / "book" / "results.md").read_text()
    assert "| 01_demo | the seed was 3 | smoke |" in page and "| twice | 6 |" in page
    assert "torch" in page and "git commit" in page
    import nbformat

    executed = nbformat.read(root / "book" / "chapters" / "01_demo.ipynb", as_version=4)
    assert any("seed is 3" in "".join(o.get("text", "")) for c in executed.cells for o in c.get("outputs", []))


def test_a_run_of_every_chapter_records_the_whole_books_time_and_cache_state(tmp_path, monkeypatch):
    """The budget's measure: one command, every chapter, from an empty cache (``cold``); a second
    run with the cache filled is ``warm``; a run of chosen chapters (--only) is not the book."""
    import json

    root = _project(tmp_path, GOOD)
    monkeypatch.setenv("PROBELIB_ROOT", str(root))
    assert run.main(["--profile", "cpu", "--no-build"]) == 0
    book = json.loads((root / "book" / "costs.json").read_text())["book"]
    assert list(book) == ["cpu/cpu/cold"] and book["cpu/cpu/cold"]["pages"] == 1
    seconds = book["cpu/cpu/cold"]["seconds"]
    assert seconds >= json.loads((root / "book" / "costs.json").read_text())["chapters"]["01_demo"]["cpu/cpu/warm"][
        "seconds"] > 0  # the book's time holds its chapters'
    assert "## The whole book" in (page := (root / "book" / "results.md").read_text()) and "| cpu/cpu/cold |" in page
    (root / "runs" / "cache").mkdir(parents=True, exist_ok=True)
    (root / "runs" / "cache" / "gan-x.safetensors").write_bytes(b"")
    assert run.main(["--profile", "cpu", "--no-build", "--only", "01_demo"]) == 0
    assert list(json.loads((root / "book" / "costs.json").read_text())["book"]) == ["cpu/cpu/cold"]
    assert run.main(["--profile", "cpu", "--no-build"]) == 0
    book = json.loads((root / "book" / "costs.json").read_text())["book"]
    assert set(book) == {"cpu/cpu/cold", "cpu/cpu/warm"} and book["cpu/cpu/cold"]["seconds"] == seconds
    assert run.main(["--profile", "smoke", "--no-build", "--run-dir", "elsewhere"]) == 0  # checks are not the book
    assert set(json.loads((root / "book" / "costs.json").read_text())["book"]) == {"cpu/cpu/cold", "cpu/cpu/warm"}


def test_bad_override_fails_before_any_kernel_starts(tmp_path, monkeypatch, capsys):
    root = _project(tmp_path, GOOD)
    monkeypatch.setenv("PROBELIB_ROOT", str(root))
    assert run.main(["--profile", "smoke", "-p", "sede", "3", "--no-build"]) == 2
    err = capsys.readouterr().err
    assert err == "[probelib] error: unknown parameter 'sede' for 01_demo; choose one of: profile, seed, run_dir\n"
    assert not (root / "book" / "chapters" / "01_demo.ipynb").exists()


def test_unknown_chapter_and_bad_flags_are_one_line(tmp_path, monkeypatch, capsys):
    root = _project(tmp_path, GOOD)
    monkeypatch.setenv("PROBELIB_ROOT", str(root))
    assert run.main(["--only", "09"]) == 2
    assert capsys.readouterr().err == "[probelib] error: unknown chapter '09'; choose one of: 01_demo\n"
    with pytest.raises(SystemExit) as exit_:
        run.main(["--profile", "fast"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("[probelib] error: argument --profile: invalid choice: 'fast'") and err.count("\n") == 1


def test_unknown_class_in_the_real_book_is_one_line_and_status_2():
    """`python -m probelib.run --only 03 -p target_class hrose` refuses before any kernel starts."""
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "probelib.run", "--only", "03", "-p", "target_class", "hrose",
                           "--no-build", "--run-dir", "tests/_notebooks/hrose"], cwd=root, capture_output=True,
                          text=True, env={**os.environ, "PROBELIB_ROOT": str(root)})
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["[probelib] error: unknown target class 'hrose'; choose one of: bear, bird, "
                                        "cat, cow, dog, elephant, giraffe, horse, sheep, zebra"]
    assert "Traceback" not in proc.stdout + proc.stderr


def test_build_refuses_unexecuted_or_unlisted_chapters(tmp_path):
    root = _project(tmp_path, GOOD)
    (root / "book" / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: runs\n")
    with pytest.raises(run.RunError, match="not executed yet"):
        run.build_book(root, ["01_demo"])
    (root / "book" / "chapters").mkdir()
    (root / "book" / "chapters" / "01_demo.ipynb").write_text("{}")
    with pytest.raises(run.RunError, match="missing from book/_toc.yml"):
        run.build_book(root, ["01_demo"])


def test_the_recorded_commit_is_dirty_for_code_not_for_what_the_runner_writes(tmp_path):
    import subprocess

    from probelib.build.runner import README_FIGURE, _git_commit

    git = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    (tmp_path / README_FIGURE).parent.mkdir(parents=True)
    for name, text in (("README.md", "a"), (str(README_FIGURE), "png"), ("code.py", "x = 1")):
        (tmp_path / name).write_text(text)
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    clean = _git_commit(tmp_path)
    assert len(clean) >= 7 and not clean.endswith("+dirty")
    (tmp_path / "README.md").write_text("a, with the chapter block rewritten")
    (tmp_path / README_FIGURE).write_text("another png")
    assert _git_commit(tmp_path) == clean
    (tmp_path / "code.py").write_text("x = 2")
    assert _git_commit(tmp_path) == clean + "+dirty"


def test_a_variant_runs_with_its_chapter_unless_the_command_line_sets_its_parameters():
    from pathlib import Path

    from probelib.build.runner import VARIANTS, variants

    name, (stem, params) = next(iter(VARIANTS.items()))
    chapters = [Path(f"notebooks/{stem}.py"), Path("notebooks/01_problem.py")]
    base = {"profile": "cpu", "run_dir": "runs"}
    [(got, src, merged)] = variants(chapters, base)
    assert got == name and src.stem == stem and merged == {**base, **params}
    assert variants(chapters[1:], base) == []  # its chapter not selected
    assert variants(chapters, {**base, **{k: "zebra" for k in params}}) == []  # the user's own rerun


def test_only_a_variant_page_runs_it_alone_and_a_bad_one_is_one_line():
    from pathlib import Path

    from probelib.build.runner import VARIANTS, ParameterError, _select, variants

    name, (stem, params) = next(iter(VARIANTS.items()))
    sources = [Path("notebooks/01_problem.py"), Path(f"notebooks/{stem}.py")]
    base = {"profile": "cpu", "run_dir": "runs"}
    assert _select(sources, [name]) == []  # no chapter: not its own page either
    assert variants([], base, (name,), sources) == [(name, sources[1], {**base, **params})]
    assert variants([], base, (), sources) == []  # not named, its chapter not selected: nothing
    both = _select(sources, [stem, name])  # the chapter and its variant named: each runs once
    assert both == [sources[1]] and len(variants(both, base, (stem, name), sources)) == 1
    with pytest.raises(ParameterError, match=f"unknown chapter '{name}'; choose one of: 01_problem$"):
        _select(sources[:1], [name])  # its chapter is not in this project
    key = next(iter(params))
    with pytest.raises(ParameterError, match=f"{name} is {stem} with {key}=.*; to set {key} yourself, run "
                                             f"--only {stem} instead"):
        variants([], {**base, key: "zebra"}, (name,), sources)


def test_a_section_page_runs_right_after_its_chapter(tmp_path):
    from probelib.build.runner import chapter_sources

    (tmp_path / "notebooks").mkdir()
    for name in ("10_several_targets-memory-map", "10_several_targets", "09_probe", "11_next"):
        (tmp_path / "notebooks" / f"{name}.py").write_text("")
    assert [p.stem for p in chapter_sources(tmp_path)] == ["09_probe", "10_several_targets",
                                                           "10_several_targets-memory-map", "11_next"]


def test_the_executor_options_become_the_chapters_environment():
    from probelib.book.chapter import ParameterError
    from probelib.build.runner import executor_environment
    from probelib.train.jobs import executor_settings

    env = executor_environment("slurm", 8, ["slurm_partition=gpu", "timeout_min=240"])
    assert executor_settings(env) == executor_settings({"PROBELIB_EXECUTOR": "slurm", "PROBELIB_MAX_JOBS": "8",
                                                        "PROBELIB_SLURM": '{"slurm_partition": "gpu", '
                                                                          '"timeout_min": 240}'})
    assert executor_environment(None, None, []) == {}
    with pytest.raises(ParameterError, match="--slurm parameters need --executor slurm"):
        executor_environment("local", None, ["slurm_partition=gpu"])
    with pytest.raises(ParameterError, match="give KEY=VALUE"):
        executor_environment("slurm", None, ["gpu"])
    with pytest.raises(ParameterError, match="--max-jobs 0: give at least 1"):
        executor_environment("local", 0, [])
