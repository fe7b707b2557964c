# Two targets do all setup from a fresh clone (see README): `make demo` and `make test`.
# Both create .venv on first use with every distribution at the version pinned in constraints.txt
# (the versions the golden values were recorded with), so a fresh clone tests what was tested.
# torch is pinned to the CPU wheel first so that the project's own torch range is already
# satisfied and pip downloads no CUDA build; override TORCH_PIN on a GPU box (constraints.txt
# leaves torch to TORCH_PIN). CI adds the Ray executor: `make EXTRAS=test,ray test`.
#   make lock         regenerate constraints.txt from the latest releases (fresh venv in LOCK_VENV)
#   make test-latest  the suite against the latest releases (fresh venv in LATEST_VENV), after a
#                     table of every version that differs from constraints.txt (the drift)
PYTHON ?= python3
VENV ?= .venv
TORCH_PIN ?= torch==2.13.0
EXTRAS ?= test
# Test peers installed without their dependencies (their own pins would downgrade ours).
NO_DEPS_PEERS ?= pyiqa==0.1.16 basicsr==1.4.2
CONSTRAINTS := constraints.txt
LOCK_VENV ?= /tmp/sr-audit-lock
LATEST_VENV ?= /tmp/sr-audit-latest
BIN := $(VENV)/bin
comma := ,

# $(call setup,VENV,PIP OPTIONS,EXTRAS): create or update a venv with the package and its peers.
define setup
	$(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install -q --upgrade pip
	$(1)/bin/python -m pip install -q $(2) $(TORCH_PIN)
	$(1)/bin/python -m pip install -q $(2) -e '.[$(3)]'
	$(1)/bin/python -m pip install -q $(2) --no-deps $(NO_DEPS_PEERS)
endef

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(call setup,$(VENV),-c $(CONSTRAINTS),$(EXTRAS))
	touch $@

.PHONY: install demo test lock test-latest
install: $(VENV)/.installed

# demo: the main job with no data options. Where T91, Set5 and Set14 are under the data root
# ($SR_AUDIT_DATA, else ../shared/datasets), the near-paper configuration (recipe sprint,
# T91 -> Set5, Set14, x3, 3 train x 7 eval backends), else the quick demo on the embedded photos;
# its first line says which and why (sr_audit/matrix/plan.py). The quick demo where the sets are:
# sr-audit matrix --data embedded-train.
demo: $(VENV)/.installed
	$(BIN)/sr-audit matrix --out sr-audit-out

test: $(VENV)/.installed
	$(BIN)/python -m pytest

lock:
	rm -rf $(LOCK_VENV)
	$(call setup,$(LOCK_VENV),,test$(comma)ray)
	{ echo "# Every distribution that \`make EXTRAS=test,ray install\` installs, at the version the suite and the"; \
	  echo "# golden values were last checked with (torch is left to TORCH_PIN). Regenerate with: make lock"; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable | grep -v '^torch=='; } > $(CONSTRAINTS)

test-latest:
	rm -rf $(LATEST_VENV)
	$(call setup,$(LATEST_VENV),,test$(comma)ray)
	$(LATEST_VENV)/bin/python tests/drift.py $(CONSTRAINTS)
	$(LATEST_VENV)/bin/python -m pytest
