"""The page kit: what every chapter imports besides its own module.

- :func:`setup` and :class:`Chapter` (parameters checked, seeds, paths), :mod:`.profiles`;
- the ledger and glue helpers (:func:`glue`, :func:`finding`, :func:`figure`, :func:`table`),
  which the build harvests into the "Results and benchmarks" page;
- :mod:`.runs`: the cached runs the chapters share (classifiers, judges, GANs);
- :mod:`.compare`: scoring runs, intervals over seeds, the papers' orderings; :mod:`.paper`:
  the papers' own numbers; :mod:`.stored`: a stored measurement's rows and its source.

A page starts with ``ch = book.setup(...)``, imports its chapter module from
:mod:`probelib.book.chapters` and calls the public API (``probelib``).
"""
from . import compare, paper, profiles, runs, stored
from .chapter import Chapter, ParameterError, check_overrides, declared_parameters, project_root, setup
from .ledger import figure, finding, glue, table
from .profiles import PROFILES, Profile

__all__ = ["runs", "compare", "paper", "profiles", "stored", "Chapter", "ParameterError", "check_overrides",
           "declared_parameters", "project_root", "setup", "figure", "finding", "glue", "table", "PROFILES", "Profile"]
