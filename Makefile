# Two entry points for a fresh clone: `make demo` and `make test`. Both create .venv on first use.
# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on this project's
# machines) Python would otherwise compile every module of Prefect and Great Expectations again at
# each start (GX's import: 7.5 s instead of 3.5 s).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-browser bench clean

$(BIN)/fundwatch: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[test]" \
		|| $(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m compileall -q flows fundwatch checks models >/dev/null
	touch $(BIN)/fundwatch

demo: $(BIN)/fundwatch
	$(BIN)/fundwatch demo --dir demo

test: $(BIN)/fundwatch test-browser
	$(BIN)/python -m pytest -q

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
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[test,bench]" \
		|| $(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo .pytest_cache
