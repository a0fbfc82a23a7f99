# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000

.PHONY: run test install model bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the pinned requirements change.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Train the hesitation detector into build/nlp/ (about a minute; a no-op while data and code are unchanged).
model: install
	$(BIN)/python -m nlp.hesitation.build

run: model
	PORT=$(PORT) bash bin/run-dev

test: model
	$(BIN)/python -m pytest -n 2

bench: model
	for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) instance build .pytest_cache
