"""The course edition: the chapters' exercise markup and page rules, the student copy, the cost
header, the build variables and both editions built from one executed notebook."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jupytext
import nbformat
import pytest

from probelib.build import course, editions
from probelib.book.ledger import markdown_table

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"), key=lambda p: p.stem)
HIDDEN = ("remove-input", "remove-cell")


def _md(text):
    return nbformat.v4.new_markdown_cell(text)


def _code(text, tags=()):
    cell = nbformat.v4.new_code_cell(text)
    cell.metadata["tags"] = list(tags)
    return cell


def _exercise(label, level="★★☆ medium", minutes=10, title="Predict it"):
    return _md(f"```{{exercise}} {title}\n:label: {label}\n\n**Level** {level} · **Time** {minutes} min\n\n"
               "Change the seed and predict the recognition.\n```")


def _solution(label, code="print('the answer is forty-two, computed here')"):
    return [_md(f"```{{solution-start}} {label}\n:class: dropdown\n```\nThe recognition falls because of dilution."),
            _code(code), _md("Closing words of the solution.\n```{solution-end}\n```")]


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [_md("# 1 · A chapter"), _code("x = 1"), *cells]
    return nb


def _course_nb():
    return _notebook(_md("## Exercises"), _exercise("ex-01-a"), *_solution("ex-01-a"),
                     _exercise("ex-01-b", "★☆☆ easy", 5), *_solution("ex-01-b", "y = x + 1  # reusing the chapter"),
                     _md("## References\n\n```{footbibliography}\n```"))


# ---- the chapters follow the conventions (book/CONVENTIONS.md) -----------------------------


@pytest.fixture(scope="module", params=SOURCES, ids=[s.stem for s in SOURCES])
def chapter(request):
    return request.param.stem, jupytext.read(request.param)


def test_every_chapter_has_two_to_four_exercises_with_level_time_and_solution(chapter):
    name, nb = chapter
    found = course.exercises(nb)
    low = 1 if "-" in name else 2  # a section page (10.1) may have one
    assert low <= len(found) <= 4, f"{name}: {len(found)} exercises"
    assert all(e.label.startswith(f"ex-{name[:2]}-") for e in found)
    assert all(1 <= e.minutes <= 60 for e in found)
    for e in found:  # every solution holds code the smoke notebook tests execute
        assert any(c.cell_type == "code" for c in nb.cells[e.solution[0]:e.solution[1] + 1]), e.label


def test_nothing_but_exercises_follows_the_exercises_heading(chapter):
    name, nb = chapter
    start = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                 and c.source.lstrip().startswith(course.EXERCISES_HEADING))
    inside = {i for _, a, b in course.solution_ranges(nb) for i in range(a, b + 1)}
    stray = [i for i, c in enumerate(nb.cells) if i > start and c.cell_type == "code" and i not in inside]
    assert not stray, f"{name}: code cells {stray} after {course.EXERCISES_HEADING!r} outside a solution"


def test_no_code_cell_the_reader_sees_is_over_15_lines(chapter):
    name, nb = chapter
    long = [(i, len(c.source.splitlines())) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and not set(HIDDEN) & set(c.metadata.get("tags", [])) and len(c.source.splitlines()) > 15]
    assert not long, f"{name}: cells (index, lines) {long}; move the logic into probelib.book or fold it"


def test_every_figure_and_table_is_referenced_from_the_prose(chapter):
    name, nb = chapter
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    labels = set(re.findall(r"""["'](?:fig|tbl)-\d{2}[a-z0-9-]*["']""", code))
    unreferenced = [lab for lab in labels if lab.strip("\"'") not in prose]
    assert not unreferenced, f"{name}: {unreferenced} never referenced with {{numref}}"


def test_references_come_from_the_bibliography(chapter):
    name, nb = chapter
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{footbibliography}" in prose and "{footcite" in prose, name
    keys = set(re.findall(r"^@\w+\{([^,]+),", (ROOT / "book" / "references.bib").read_text(), re.M))
    cited = {k.strip() for group in re.findall(r"\{footcite:?\w*\}`([^`]+)`", prose) for k in group.split(",")}
    assert cited <= keys, f"{name}: {sorted(cited - keys)} not in book/references.bib"
    assert "Wang et al" not in prose  # ProbeGAN's first author is Zhang


@pytest.mark.parametrize("path", sorted((ROOT / "probelib").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_cites_probegan_as_zhang_et_al(path):
    """ProbeGAN's first author is Zhang (AAAI 2022); the library's docstrings cite it so too."""
    assert "Wang et al" not in path.read_text(), path


def test_exercise_labels_are_unique_in_the_book():
    labels = [e.label for s in SOURCES for e in course.exercises(jupytext.read(s))]
    assert len(labels) == len(set(labels))


# ---- the exercise parser refuses bad markup ------------------------------------------------


def test_exercises_are_read_with_their_level_time_and_solution_cells():
    nb = _course_nb()
    a, b = course.exercises(nb)
    assert (a.label, a.level, a.minutes, a.title) == ("ex-01-a", "★★☆ medium", 10, "Predict it")
    assert a.solution == (4, 6) and b.solution == (8, 10) and (b.level, b.minutes) == ("★☆☆ easy", 5)


@pytest.mark.parametrize("cells, message", [
    ([_md("## Exercises"), _exercise("ex-01-a")], "has no solution"),
    ([_md("## Exercises"), _exercise("ex-01-a", level="hard")], "needs a line like"),
    ([_md("## Exercises"), _md("```{exercise} T\n\n**Level** ★☆☆ easy · **Time** 3 min\n```")], "has no :label:"),
    ([_md("## Exercises"), *_solution("ex-01-z")], "without an exercise"),
    ([_exercise("ex-01-a"), *_solution("ex-01-a")], "is not in the '## Exercises' section"),
    ([_md("## Exercises"), _exercise("ex-01-a"), *_solution("ex-01-a")[:2]], "has no ```{solution-end}```"),
    ([_md("```{solution-end}\n```")], "without a solution-start"),
    ([_md("## Exercises"), _exercise("ex-01-a"), *_solution("ex-01-a")[:2], *_solution("ex-01-a")],
     "starts inside the solution"),
])
def test_bad_exercise_markup_is_one_error_naming_the_cell(cells, message):
    with pytest.raises(course.CourseError, match=re.escape(message)):
        course.exercises(_notebook(*cells))


# ---- the student copy, the variant page, the leak check --------------------------------------


def test_the_student_copy_has_no_solution_cell_and_keeps_everything_else():
    nb = _course_nb()
    nb.metadata["papermill"] = {"input_path": json.loads(json.dumps(nb))}  # papermill's copy of its input
    student = course.strip_solutions(nb)
    assert len(student.cells) == len(nb.cells) - 6
    text = json.dumps(student)
    assert "solution-start" not in text and "forty-two" not in text and "reusing the chapter" not in text
    assert [c.source for c in student.cells if "exercise}" in c.source] == [nb.cells[3].source, nb.cells[7].source]
    assert student.metadata["probelib"]["edition"] == "student" and "probelib" not in nb.metadata  # a copy


def test_a_variant_page_drops_the_exercise_section_and_renames_its_labels():
    nb = _course_nb()
    nb.cells.insert(2, _code('book.figure("fig-01-curve", fig, f"caption")'))
    nb.cells.insert(3, _md("See {numref}`fig-01-curve` and {numref}`tbl-01-x`; not fig-1-curve."))
    variant = course.relabel(course.strip_exercises(nb), "elephant")
    sources = [c.source for c in variant.cells]
    assert sources[-1].startswith("## References") and not any("exercise" in s for s in sources)
    assert 'book.figure("fig-01-curve-elephant"' in sources[2]
    assert sources[3] == "See {numref}`fig-01-curve-elephant` and {numref}`tbl-01-x-elephant`; not fig-1-curve."


def test_a_variant_page_has_its_own_number_and_says_what_changed():
    nb = _notebook()
    nb.cells[0].source = "# 3 · Table 1: ProbeGAN against its baselines\n\nThe paper's main table ..."
    out = course.retitle(nb, "3.1", "target_class = 'elephant'")
    assert out.cells[0].source == ("# 3.1 · Table 1: ProbeGAN against its baselines, target_class = 'elephant'"
                                   "\n\nThe paper's main table ...")
    assert nb.cells[0].source.startswith("# 3 · ")  # a copy


def test_the_cost_header_goes_right_under_the_title(tmp_path):
    (tmp_path / "book" / "chapters").mkdir(parents=True)
    nb = _notebook()
    nb.cells[0].source = "# 1 · A chapter\n\nIts introduction."
    nbformat.write(nb, tmp_path / "book" / "chapters" / "01_demo.ipynb")
    for _ in range(2):  # a second build replaces the header, it does not add one
        editions.add_cost_headers(tmp_path, ["01_demo"], {}, {"01_demo": 2.5})
    cells = nbformat.read(tmp_path / "book" / "chapters" / "01_demo.ipynb", as_version=4).cells
    assert [c.source.splitlines()[0] for c in cells[:3]] == [
        "# 1 · A chapter", "```{admonition} What this chapter costs to run", "Its introduction."]
    assert "2.5 GPU-hours" in cells[1].source and len(cells) == 4


def test_the_leak_check_finds_solution_text_in_pages_sources_and_json(tmp_path):
    nb = _course_nb()
    markers = course.solution_markers(nb)
    assert "print('the answer is forty-two, computed here')" in markers
    assert "The recognition falls because of dilution." in markers
    nb.cells[1].source = "print('the answer is forty-two, computed here')"  # the same line outside a solution
    assert "print('the answer is forty-two, computed here')" not in course.solution_markers(nb)
    nb = _course_nb()
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "a.html").write_text("<p>The recognition falls because of <em>dilution</em>.</p>"
                                                  .replace("<em>dilution</em>", "dilution"))
    (tmp_path / "b.html").write_text("<p>clean</p>")
    assert course.find_leaks(tmp_path, markers) == [f"{tmp_path / 'chapters' / 'a.html'}: "
                                                    "The recognition falls because of dilution."]
    (tmp_path / "chapters" / "a.html").write_text("<p>clean</p>")
    nbformat.write(nb, tmp_path / "chapters" / "a.ipynb")  # the downloadable source, JSON-escaped
    assert len(course.find_leaks(tmp_path, markers)) == 1
    (tmp_path / "chapters" / "a.ipynb").unlink()
    assert course.find_leaks(tmp_path, markers) == []


# ---- the cost header, the build variables -------------------------------------------------


def test_the_cost_header_states_cold_warm_and_gpu_from_the_costs():
    costs = {}
    entry = {"profile": "cpu", "device": "cpu (2 cores, 2 torch threads)", "seconds": 780.0,
             "finished": "2026-12-02T10:00:00+00:00", "git_commit": "abc1234"}
    course.record_cost(costs, "03_table1", entry, trained=12)
    course.record_cost(costs, "03_table1", {**entry, "seconds": 45.0}, trained=0)
    header = course.cost_header("03_table1", costs, predicted_gpu_hours=69.34)
    assert "cpu profile, 2 cores: **13 min** (cpu (2 cores, 2 torch threads), training 12 models; 2026-12-02)" in header
    assert "cpu profile with the cache warm: **45 s**" in header
    assert "on a GPU: not measured yet (paper scale predicted at 69.3 GPU-hours" in header
    course.record_cost(costs, "03_table1", {**entry, "device": "cuda (NVIDIA H200)", "profile": "gpu",
                                            "seconds": 7200.0}, trained=12)
    assert "on a GPU (gpu profile): **120 min** (cuda (NVIDIA H200)" in course.cost_header("03_table1", costs)
    assert "not measured yet" in course.cost_header("99_new", {})


def test_the_whole_books_record_names_its_cache_state():
    costs = {}
    for trained, empty, state in ((30, True, "cold"), (0, False, "warm"), (4, False, "partial"), (0, True, "cold")):
        course.record_book(costs, "cpu", "cpu (2 cores, 2 torch threads)", 100.0 + trained, 12, trained, empty,
                           "2026-12-06T20:00:00+00:00", "abc1234")
        assert costs["book"][f"cpu/cpu/{state}"]["trained"] == trained
    assert costs["book"]["cpu/cpu/cold"] == {"seconds": 100.0, "device": "cpu (2 cores, 2 torch threads)", "pages": 12,
                                             "trained": 0, "date": "2026-12-06", "commit": "abc1234"}  # the latest
    course.record_book(costs, "gpu", "cuda (NVIDIA H100)", 50.0, 12, 30, True, "2026-12-07", None)
    assert "gpu/gpu/cold" in costs["book"]


def test_the_launch_link_is_an_nbgitpuller_link_to_the_chapter_source():
    ext = editions._extension(ROOT)
    assert ext.launch_url("https://hub.example.edu/", "https://git.example.edu/course/probelib.git", "spring",
                          "notebooks/03_table1.py") == (
        "https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A//git.example.edu/course/probelib.git"
        "&urlpath=lab/tree/probelib/notebooks/03_table1.py&branch=spring")
    from probelib.build.runner import VARIANTS

    link = editions.launch_link(ROOT, "chapters/03_table1-elephant",
                                editions.BuildVariables(hub_url="https://hub.uni.edu", repo_url="https://x.org/a/b"),
                                VARIANTS)
    assert link == ("https://hub.uni.edu/hub/user-redirect/git-pull?repo=https%3A//x.org/a/b"
                    "&urlpath=lab/tree/b/notebooks/03_table1.py&branch=main")


def test_pages_are_numbered_like_the_table_of_contents():
    assert editions.page_numbers(["10_several_targets-memory-map", "03_table1", "03_table1-elephant",
                                  "10_several_targets", "03_table1-zebra"]) == {
        "chapters/03_table1": [3], "chapters/03_table1-elephant": [3, 1], "chapters/03_table1-zebra": [3, 2],
        "chapters/10_several_targets": [10], "chapters/10_several_targets-memory-map": [10, 1]}


def test_build_variables_come_from_the_options_else_the_environment():
    env = {"HUB_URL": "https://env-hub", "BRANCH": "env"}
    v = editions.BuildVariables.from_env(env, hub_url="https://given")
    assert (v.hub_url, v.branch, v.repo_url) == ("https://given", "env", None)
    cfg = editions.book_config(ROOT, "student", v, {"chapters/01_problem": "notebooks/01_problem.py"})
    assert cfg["launch_buttons"]["jupyterhub_url"] == "https://given" and cfg["repository"]["branch"] == "env"
    assert cfg["sphinx"]["config"]["hide_solutions"] is True and cfg["title"].endswith("(student edition)")
    assert Path(cfg["sphinx"]["local_extensions"]["probelib_pages"]).is_absolute()
    with pytest.raises(ValueError, match="edition 'teacher'"):
        editions.book_config(ROOT, "teacher", v, {})


def test_a_table_is_a_markdown_pipe_table_with_its_index():
    import pandas as pd

    frame = pd.DataFrame({"recognition (%)": ["78.9 (64.0–93.9)", "a|b"]}, index=pd.Index(["probegan", "naive"],
                                                                                           name="method"))
    assert markdown_table(frame) == ("| method | recognition (%) |\n|---|---|\n| probegan | 78.9 (64.0–93.9) |\n"
                                     "| naive | a\\|b |")
    with pytest.raises(ValueError, match="use 'tbl-NN-topic'"):
        from probelib.book.ledger import table

        table("results", frame, "caption")


# ---- both editions from one executed notebook (a real Jupyter Book build) --------------------


def test_both_editions_build_from_one_executed_notebook_and_the_student_one_holds_no_solution(tmp_path):
    from probelib.build import runner

    root = tmp_path / "project"
    (root / "book" / "chapters").mkdir(parents=True)
    shutil.copytree(ROOT / "book" / "_ext", root / "book" / "_ext")
    shutil.copy(ROOT / "book" / "references.bib", root / "book" / "references.bib")
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    (root / "book" / "intro.md").write_text("# Intro\n")
    (root / "book" / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: chapters/01_demo\n")
    nb = _course_nb()
    nb.cells.insert(1, _md("ProbeGAN {footcite:p}`zhang2022probegan` draws what a classifier remembers."))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "book" / "chapters" / "01_demo.ipynb")
    variables = editions.BuildVariables(hub_url="https://hub.uni.edu", repo_url="https://git.uni.edu/c/probelib")
    teacher = runner.build_book(root, ["01_demo"], "instructor", variables)
    student = runner.build_book(root, ["01_demo"], "student", variables)
    page = (teacher / "chapters" / "01_demo.html").read_text()
    assert "forty-two" in page and "What this chapter costs to run" in page
    assert "Exercise 1.1 " in page and "Exercise 1.2 " in page  # numbered per page, after the chapter
    assert "urlpath=lab/tree/probelib/notebooks/01_demo.py" in page and "hub.uni.edu/hub/user-redirect" in page
    assert "THEBE_JS_URL" not in page.replace("const THEBE_JS_URL", "", 1)  # the config script once
    spage = (student / "chapters" / "01_demo.html").read_text()
    assert "Change the seed and predict" in spage and "forty-two" not in spage
    assert "(student edition)" in spage
    assert course.find_leaks(student.parent, course.solution_markers(nb)) == []
    source = student / "_sources" / "chapters" / "01_demo.ipynb"  # what the download button gives
    assert source.exists() and "forty-two" not in source.read_text()
