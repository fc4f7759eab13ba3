# Two entry points for a fresh clone: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/fundwatch: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e ".[test]" || $(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(BIN)/fundwatch

demo: $(BIN)/fundwatch
	$(BIN)/fundwatch demo --dir demo

test: $(BIN)/fundwatch
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) demo .pytest_cache
