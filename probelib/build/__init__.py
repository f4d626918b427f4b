"""The build: what turns the chapters into a book — the papermill runner, the instructor and
student editions, the course rules, the "Results and benchmarks" page, and ``--estimate``.

``python -m probelib.run`` is :func:`probelib.build.runner.main`. The build sits above the
chapters (it runs them and sums their plans); nothing below imports it.
"""
