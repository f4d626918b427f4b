"""The book's pages: the chapter sources in book order, the variant pages (declared here, once),
and the chapter module of each page.

A page ``notebooks/NN_topic.py`` has its module ``probelib.book.chapters.<topic>`` (``-`` read as
``_``: ``10_several_targets-memory-map`` -> ``several_targets_memory_map``). A variant page is a
chapter executed again with other parameters, its own page in the table of contents.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

__all__ = ["VARIANTS", "chapter_sources", "module_name", "chapter_module", "page_parameters"]

#: chapters executed a second time with other parameters, each its own page (a section of its
#: chapter in book/_toc.yml): page name -> (chapter, parameters over the command line's).
#: Chapter 3 with a second target class, so Table 1 is not one class's story.
VARIANTS = {"03_table1-elephant": ("03_table1", {"target_class": "elephant"})}


def chapter_sources(root: Path) -> list[Path]:
    """The chapter sources ``notebooks/NN_topic.py`` in book order (a section page
    ``NN_topic-part.py`` right after its chapter, which it may read from the cache)."""
    return sorted((Path(root) / "notebooks").glob("[0-9][0-9]_*.py"), key=lambda p: p.stem)


def module_name(stem: str) -> str:
    """``03_table1`` -> ``table1``; ``10_several_targets-memory-map`` -> ``several_targets_memory_map``;
    a variant page (``03_table1-elephant``) -> its chapter's module."""
    stem = VARIANTS[stem][0] if stem in VARIANTS else stem
    return stem.split("_", 1)[1].replace("-", "_")


def chapter_module(stem: str) -> ModuleType:
    """The chapter module of page ``stem``."""
    return importlib.import_module(f"probelib.book.chapters.{module_name(stem)}")


def page_parameters(root: Path) -> list[tuple[str, Path, dict]]:
    """``(page, source, parameters)`` of every page in book order, each variant right after its
    chapter: the parameters cell's defaults, with the variant's changes."""
    import jupytext

    from ..book.chapter import declared_parameters

    out = []
    for src in chapter_sources(root):
        params = declared_parameters(jupytext.read(src))
        out.append((src.stem, src, params))
        out += [(name, src, {**params, **changes}) for name, (stem, changes) in VARIANTS.items() if stem == src.stem]
    return out
