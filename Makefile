# Two entry points for a fresh clone: `make demo` and `make test`. Both create .venv on first use.
# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on this project's
# machines) Python would otherwise compile every module of Prefect and Great Expectations again at
# each start (GX's import: 7.5 s instead of 3.5 s).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/fundwatch: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[test]" \
		|| $(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m compileall -q flows fundwatch checks models >/dev/null
	touch $(BIN)/fundwatch

demo: $(BIN)/fundwatch
	$(BIN)/fundwatch demo --dir demo

test: $(BIN)/fundwatch
	$(BIN)/python -m pytest -q

BENCH_ARGS ?= --rows 1M --repeat 3
bench: $(BIN)/fundwatch
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[test,bench]" \
		|| $(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo .pytest_cache
