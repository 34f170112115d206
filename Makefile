# Setup contract: on a fresh machine `make demo` and `make test` are all a user needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: install demo test bench clean

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

bench: install
	$(PY) benchmarks/bench_meter.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
