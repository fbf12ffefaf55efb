# Two commands on a fresh machine with Python 3.11+ and make:
#   make run    set up .venv and answer "which processes handle complaints?"
#   make test   set up .venv and run the whole test suite (what CI runs)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOPIC  ?= complaints

.PHONY: install run test bench clean ontology

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.deps: requirements/test.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements/test.txt
	touch $@

install: $(VENV)/.deps
	$(BIN)/python -m pip install -q --no-deps --force-reinstall .

run: install
	$(BIN)/etom-kg query processes-for-topic --param topic=$(TOPIC)

test: install
	$(BIN)/python -m pytest

ontology: $(VENV)/.deps
	$(BIN)/python tools/assemble_ontology.py

bench: install
	$(BIN)/python -m pip install -q -r bench/requirements.txt
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist
