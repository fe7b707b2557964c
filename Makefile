# Two targets do all setup from a fresh clone (see README): `make demo` and `make test`.
# Both create .venv on first use. torch is pinned to the CPU wheel first so that the project's own
# torch range is already satisfied and pip downloads no CUDA build; override TORCH_PIN on a GPU box.
PYTHON ?= python3
VENV ?= .venv
TORCH_PIN ?= torch==2.13.0
BIN := $(VENV)/bin

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH_PIN)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

.PHONY: install demo test
install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/sr-audit matrix --out sr-audit-out

test: $(VENV)/.installed
	$(BIN)/python -m pytest
