# The MLNC workbench. `make lab` to explore, `make test` to check everything.
# Every target bootstraps .venv from requirements.lock once; later runs reuse it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
PIP_FLAGS ?= -q --disable-pip-version-check

.PHONY: lab test browser handouts student grade book bench report paper setup clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml jupyter/labconfig/page_config.json jupyter/lab/settings/overrides.json \
          jupyter/jupyter_server_config.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --no-compile -r requirements.lock
	@# byte-compile on every core (pip compiles on one: 76 s of a 2 min 50 s install); as under pip, the few
	@# files some packages ship that are not Python 3 do not compile, hence the `|| true`
	$(BIN)/python -m compileall -qq -j 0 $(VENV)/lib >/dev/null || true
	$(BIN)/python -m pip install $(PIP_FLAGS) --no-deps -e .
	@# the workbench's own modules too: where PYTHONDONTWRITEBYTECODE is set, every kernel would compile them again
	$(BIN)/python -m compileall -qq -j 0 lab >/dev/null || true
	$(BIN)/python -m ipykernel install --sys-prefix --name mlnc-lab --display-name "MLNC workbench (lab)" >/dev/null
	mkdir -p $(VENV)/etc/jupyter/labconfig
	cp jupyter/labconfig/page_config.json $(VENV)/etc/jupyter/labconfig/page_config.json
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp jupyter/lab/settings/overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	@# the workbench kernel is the server's default: a notebook never gets another kernel, even when JupyterLab
	@# picks one from the language alone (a cell run before the notebook has connected to its session)
	cp jupyter/jupyter_server_config.json $(VENV)/etc/jupyter/jupyter_server_config.json
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --notebook-dir=notebooks

test: $(STAMP)
	@# notebooks first, handed out one at a time (--dist load --maxschedchunk 1): the long items go first, to whichever worker is
	@# free, so the run ends on short unit tests instead of one worker finishing a notebook while the other waits
	@# one numba cache for every process of the run (nbmake's kernels, the browser's kernels, the unit tests), so
	@# each kernel compiles once per run, not once per process kind
	NUMBA_CACHE_DIR=$(CURDIR)/build/numba_cache OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n $(JOBS) --dist load --maxschedchunk 1 --nbmake --nbmake-timeout=300 --durations=25 notebooks tests

# BROWSER=all (every notebook) or rest (those make test does not open; .ci/run runs it after make test)
BROWSER ?= all
browser: $(STAMP)
	NUMBA_CACHE_DIR=$(CURDIR)/build/numba_cache OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 LAB_BROWSER=$(BROWSER) $(BIN)/python -m pytest -n $(JOBS) -p no:cacheprovider tests/test_browser.py

handouts: $(STAMP)
	$(BIN)/python -m lab handouts

student: $(STAMP)
	$(BIN)/python -m lab handouts --student

# the teachers' round trip through nbgrader (release, submit, autograde, gradebook) on every topic notebook's
# Exercises section, or on GRADE="12 16"; nbgrader gets an environment of its own (.venv-grade), so it never
# enters the researchers' JupyterLab, and grades in the workbench kernel
GRADE_VENV ?= .venv-grade
GRADE ?=
$(GRADE_VENV)/.installed: requirements-grade.lock
	@test -x $(GRADE_VENV)/bin/python || $(PYTHON) -m venv $(GRADE_VENV)
	$(GRADE_VENV)/bin/python -m pip install $(PIP_FLAGS) -r requirements-grade.lock
	touch $@

grade: $(STAMP) $(GRADE_VENV)/.installed
	NUMBA_CACHE_DIR=$(CURDIR)/build/numba_cache OMP_NUM_THREADS=1 $(BIN)/python tests/nbgrader_roundtrip.py --nbgrader $(GRADE_VENV)/bin/nbgrader $(GRADE)

# the course book: the handouts' executed notebooks (build/executed/, from make handouts; a notebook without a handout
# run of its current version is executed first) as a Jupyter Book 1 (Sphinx) site in build/book/_build/html, grouped
# as the course map; Jupyter Book gets an environment of its own (.venv-book), as nbgrader does
BOOK_VENV ?= .venv-book
$(BOOK_VENV)/.installed: requirements-book.lock
	@test -x $(BOOK_VENV)/bin/python || $(PYTHON) -m venv $(BOOK_VENV)
	$(BOOK_VENV)/bin/python -m pip install $(PIP_FLAGS) -r requirements-book.lock
	touch $@

book: $(STAMP) $(BOOK_VENV)/.installed
	NUMBA_CACHE_DIR=$(CURDIR)/build/numba_cache $(BIN)/python -m lab book --jupyter-book $(BOOK_VENV)/bin/jupyter-book

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH)

paper: $(STAMP)
	OMP_NUM_THREADS=$(JOBS) $(BIN)/python -m lab run --all --scale paper --record

report: $(STAMP)
	$(BIN)/python -m lab report --write-readme

clean:
	rm -rf build
