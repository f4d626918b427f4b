"""One module per page of the book, named like the page (``notebooks/03_table1.py`` ->
:mod:`~probelib.book.chapters.table1`, ``10_several_targets-memory-map.py`` ->
:mod:`~probelib.book.chapters.several_targets_memory_map`): the chapter's settings, what it
trains, its tables, figures and the readings that branch on the run's numbers.

A page imports its own module and the page kit (:mod:`probelib.book`); nothing in the kit or
the library below imports a chapter.
"""
