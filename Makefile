# Two commands on a fresh machine:  `make run` (the main job) and `make test` (the whole suite).
# Each creates .venv on first use and reinstalls when pyproject.toml changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The real MCP servers the gateway tests run against, installed here, never fetched at test time:
# the npm reference servers (package-lock.json pins them) and the PyPI SQLite server in a venv of
# its own (it needs the mcp 1.x SDK; see tests/mcp/requirements-sqlite.txt).
MCP_DIR      := tests/mcp
NODE_STAMP   := $(MCP_DIR)/node_modules/.installed
SQLITE_VENV  := $(MCP_DIR)/.venv-sqlite
SQLITE_STAMP := $(SQLITE_VENV)/.installed
# CrewAI pins an older openai/mcp/pydantic than the dev extra: its tests drive it in a venv of its own
# (tests/integrations/requirements-crewai.txt), with blastdoor installed there from this checkout.
CREWAI_VENV  := tests/integrations/.venv-crewai
CREWAI_STAMP := $(CREWAI_VENV)/.installed

.PHONY: run test lint bench clean mcp-servers framework-venvs install-cli

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@$(BIN)/blastdoor $(or $(ARGS),serve)

# `blastdoor` on the PATH for good: a link in ~/.local/bin (on the PATH of most login shells).
install-cli: $(STAMP)
	mkdir -p $(HOME)/.local/bin
	ln -sf $(abspath $(BIN))/blastdoor $(HOME)/.local/bin/blastdoor
	@echo "linked $(HOME)/.local/bin/blastdoor -> $(abspath $(BIN))/blastdoor"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy
	$(BIN)/lint-imports

$(NODE_STAMP): $(MCP_DIR)/package.json $(MCP_DIR)/package-lock.json
	cd $(MCP_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(SQLITE_STAMP): $(MCP_DIR)/requirements-sqlite.txt
	$(PYTHON) -m venv $(SQLITE_VENV)
	$(SQLITE_VENV)/bin/python -m pip install --quiet -r $(MCP_DIR)/requirements-sqlite.txt
	touch $(SQLITE_STAMP)

mcp-servers: $(NODE_STAMP) $(SQLITE_STAMP)

$(CREWAI_STAMP): tests/integrations/requirements-crewai.txt pyproject.toml
	$(PYTHON) -m venv $(CREWAI_VENV)
	$(CREWAI_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CREWAI_VENV)/bin/python -m pip install --quiet -r tests/integrations/requirements-crewai.txt -e .
	touch $(CREWAI_STAMP)

framework-venvs: $(CREWAI_STAMP)

# The suite runs in parallel (pytest-xdist, one worker per core); PYTEST_ARGS adds to or overrides it,
# e.g. `make test PYTEST_ARGS='-n0 tests/policy'`.
PYTEST_ARGS ?=
test: lint mcp-servers framework-venvs
	$(BIN)/pytest -n auto --durations=15 $(PYTEST_ARGS)

bench: $(STAMP) mcp-servers
	for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f --quick || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache $(MCP_DIR)/node_modules $(SQLITE_VENV) $(CREWAI_VENV)
