# Two entry points for a fresh clone: `make demo` and `make test`. Both create .venv on first use.
# The versions installed are uv.lock's, exactly: `uv sync --locked` installs them and stops, naming
# `uv lock`, when pyproject.toml's dependencies changed and uv.lock was not updated with them.
# --inexact keeps what uv sync did not install itself (pip, and the pinned uv that runs it).
# fundwatch itself is installed editable (sources stay in flows/ fundwatch/ checks/ models/).
# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on this project's
# machines) Python would otherwise compile every module of Prefect and Great Expectations again at
# each start (GX's import: 7.5 s instead of 3.5 s).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
UV_SYNC := UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --locked --inexact --compile-bytecode --python $(BIN)/python

.PHONY: demo test test-browser bench clean

# uv itself, at one version, inside .venv: nothing but Python and make is needed on the machine.
$(UV_STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

$(BIN)/fundwatch: pyproject.toml uv.lock $(UV_STAMP)
	$(UV_SYNC) --extra test
	$(BIN)/python -m compileall -q flows fundwatch checks models >/dev/null
	touch $(BIN)/fundwatch

demo: $(BIN)/fundwatch
	$(BIN)/fundwatch demo --dir demo

# One pytest worker per core; a module's tests stay on one worker (tests/conftest.py groups them).
test: $(BIN)/fundwatch test-browser
	$(BIN)/python -m pytest -q -n auto --dist loadgroup

# The report and Data Docs tests open the pages in a headless Chromium with the network off.
# Debian's chromium is installed here, said first and visibly, rather than as a side effect of a test.
test-browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "make test: installing Debian's chromium (headless browser for the report and Data Docs tests): apt-get install chromium"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y --no-install-recommends chromium \
		|| { $$SUDO apt-get update && $$SUDO apt-get install -y --no-install-recommends chromium; }; }

BENCH_ARGS ?= --rows 1M --repeat 3
bench: $(BIN)/fundwatch
	$(UV_SYNC) --extra test --extra bench
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo .pytest_cache
