# probelib: the two commands of the README.
#   make book   set up .venv, run every chapter with papermill (cpu profile), build the HTML book
#   make book-student   the student edition from the same executed chapters (solutions removed)
#   make test   set up .venv, run the unit tests and every notebook on the smoke profile
# Build variables of a course (see the README): REPO_URL, BRANCH, HUB_URL, e.g.
#   make book HUB_URL=https://hub.example.edu REPO_URL=https://git.example.edu/course/probelib
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.probelib-installed
PROFILE ?= cpu
# pip prints one harmless line per package for local indexes that do not exist on this machine
# (the braces keep pip's own exit status under pipefail: a failed install still fails)
QUIET := { grep -v "^WARNING: Location 'file:" || true; }

.PHONY: book book-student test setup clean-book clean-runs bench check-html

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "[setup] installing probelib and its pins into $(VENV) (first time: a few minutes)"
	$(PY) -m pip install -q -e '.[book,test]' 2>&1 | $(QUIET)
	$(PY) -m pip install -q --no-deps animal-mnist==0.4 2>&1 | $(QUIET)
	$(PY) -c "import torch, torchvision, papermill, jupytext, nbval, animal_mnist; print('[setup] torch', torch.__version__)"
	@touch $@

book: $(STAMP)
	$(PY) -m probelib.run --profile $(PROFILE)

# no second execution: the chapters `make book` executed (it runs first if there are none)
book-student: $(STAMP)
	@ls book/chapters/*.ipynb >/dev/null 2>&1 || $(MAKE) book
	$(PY) -m probelib.run --build-only --edition student

test: $(STAMP)
	$(PY) -m pytest

# every built page of both editions in headless Chromium: console errors, missing images, broken links, network use
check-html: $(STAMP)
	$(PY) benchmarks/check_html.py book/_build/html $(wildcard book/_build/student/_build/html)

bench: $(STAMP)
	$(PY) benchmarks/classifier_epoch.py

clean-book:
	rm -rf book/_build book/chapters/*.ipynb book/results.md

clean-runs:
	rm -rf runs
