# Every target makes its own environment in .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
SCHEMAS = tests/schemas/node_modules/.package-lock.json

.PHONY: setup demo test test-corpus test-all bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU build of torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/.installed

# Test-only, from the npm registry: the SARIF schema and reviewdog's rdjson validator. Without
# Node.js the schema tests skip (CI sets GRADFIX_REQUIRE_SCHEMAS, which makes them fail instead).
$(SCHEMAS): tests/schemas/package-lock.json
	if command -v npm >/dev/null; then npm ci --prefix tests/schemas --ignore-scripts --no-audit --no-fund --silent; \
	else echo "npm not found: the SARIF and rdjson schema tests will skip"; fi

demo: setup
	$(BIN)/gradfix suggest corpus/seed/empty_optimizer.py; test $$? -le 1

# On every core (pytest-xdist; tests/conftest.py says which tests share a worker), one line per
# test as it ends, and the slowest tests at the end. PYTEST_ARGS adds options: -x, -k ...
PYTEST = $(BIN)/python -m pytest -n auto -v --durations=15 $(PYTEST_ARGS)

# The default suite: a sample of the corpus (one case of each kind per folder, a fifth of the
# look-alikes: tests/conftest.py says which). A few minutes.
test: setup $(SCHEMAS)
	$(PYTEST)

# What the sample leaves out, but for the outside set: every rule's case and look-alike, the
# fork/fresh-interpreter parity on every corpus folder. CI runs it after `make test`.
test-corpus: setup $(SCHEMAS)
	$(PYTEST) -m exhaustive --ignore=tests/test_outside.py

# Everything, the whole outside set too: each of its cases re-runs a real training script to its
# end, twice (about 40 minutes on 2 cores). Before a batch's figure in docs/accuracy.md is trusted.
test-all: setup $(SCHEMAS)
	$(PYTEST) --exhaustive

bench: setup
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info tests/schemas/node_modules
