"""The browser check's static half: missing images and broken internal links and anchors."""
import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "check_html", Path(__file__).resolve().parents[2] / "benchmarks" / "check_html.py")
check_html = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_html)


def test_missing_images_and_broken_links_and_anchors_are_named(tmp_path):
    (tmp_path / "img.png").write_bytes(b"png")
    (tmp_path / "other.html").write_text('<h1 id="there">x</h1>')
    page = tmp_path / "page.html"
    page.write_text('<img src="img.png"><img src="gone.png"><img src="data:image/png;base64,AA==">'
                    '<a href="other.html#there">ok</a><a href="other.html#nowhere">bad anchor</a>'
                    '<a href="missing.html">bad</a><a href="#top">self</a><a href="https://x.org">web</a>'
                    '<p id="top"></p>')
    problems = check_html.static_problems(page, {})
    assert problems == ["missing image gone.png", "broken anchor other.html#nowhere", "broken link missing.html"]


def test_the_pages_checked_are_the_readers_pages(tmp_path):
    for name in ("index.html", "chapters/a.html", "search.html", "genindex.html", "_static/x.html"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert [p.relative_to(tmp_path).as_posix() for p in check_html.pages(tmp_path)] == ["chapters/a.html", "index.html"]
