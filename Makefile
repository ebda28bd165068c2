# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint venv index bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/policybot index
	$(BIN)/policybot chat

test: $(STAMP)
	@bash .ci/ensure-postgresql
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

index: $(STAMP)
	$(BIN)/policybot index --rebuild

bench: $(STAMP)
	$(BIN)/policybot bench

clean:
	rm -rf $(VENV) .policybot .pytest_cache .ruff_cache
