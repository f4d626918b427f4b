"""The book: profiles, chapter set-up and parameter checks, the experiments the chapters share,
the papers' numbers, the papermill runner, the ledger and the generated pages.

A chapter starts with ``ch = book.setup(...)`` and calls the public API (``probelib``) and
``book.experiments``; it states its numbers with ``book.glue`` and its headline with
``book.finding``, which the runner harvests into the "Results and benchmarks" page.
"""
from . import experiments, paper, profiles
from .chapter import Chapter, ParameterError, check_overrides, declared_parameters, project_root, setup
from .ledger import figure, finding, glue, table
from .profiles import PROFILES, Profile

__all__ = ["experiments", "paper", "profiles", "Chapter", "ParameterError", "check_overrides",
           "declared_parameters", "project_root", "setup", "figure", "finding", "glue", "table", "PROFILES", "Profile"]
