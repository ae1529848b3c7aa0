# Conventional entry points. `make demo` and `make test` install what they need first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-sqlite test-postgres check lint imports format bench classifier messages clean

install: $(STAMP)

$(STAMP): pyproject.toml package.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@if command -v npm >/dev/null 2>&1; then npm ci --ignore-scripts --no-audit --no-fund --silent; \
	  else echo "npm not found: pages work without charts/htmx enhancements"; fi
	touch $(STAMP)

demo: install
	$(BIN)/yiwang demo --port $(PORT)

# The suite runs on every core (pytest-xdist; TEST_WORKERS=0 runs it in one process).
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

test: install
	$(PYTEST)

test-sqlite: install
	DATABASE_URL= $(PYTEST)

test-postgres: install
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/yiwang $(PYTEST)

# Every static check CI runs before the suite.
check: lint imports typecheck

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Import contracts in pyproject.toml: core below the rooms, rooms layered, API not on pages.
imports: install
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy yiwang

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench

# 诉求自动分类: assemble the taxonomy, rebuild the training corpus from the platform's own
# government text (deterministic) and retrain classifier.json (docs/classifier.md).
classifier: install
	$(BIN)/python -m tools.hotline_taxonomy.assemble
	$(BIN)/python -m tools.hotline_classifier.corpus
	$(BIN)/python -m tools.hotline_classifier.train

messages: install
	cd yiwang && ../$(BIN)/python ../manage.py makemessages -l en --no-obsolete && ../$(BIN)/python ../manage.py compilemessages

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache
