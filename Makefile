# VaultRoom: `make run` serves it, `make test` checks everything.
# Both install what they need on first use and skip work that is already done.

PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
STAMPS := .make
VENV_BIN := .venv/bin
WEB_OUT := src/vaultroom/web/index.html
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) \
	web/index.html web/vite.config.ts $(wildcard web/tsconfig*.json)

export UV_PYTHON_DOWNLOADS := never

.PHONY: run test install lint typecheck test-python test-web web clean bench

run: install web ## Install, build the web app, migrate and serve on http://127.0.0.1:8000
	$(VENV_BIN)/vaultroom serve

test: install web lint typecheck test-web test-python ## Every check: lint, types, web tests, Python and browser tests

install: $(STAMPS)/python-deps $(STAMPS)/web-deps $(STAMPS)/client-deps

web: $(WEB_OUT)

# uv itself, when the machine does not have it: a private virtualenv in .tools/.
.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(STAMPS)/python-deps: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/web-deps: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

# The outside test client (tests/clients): only npm's socket.io-client, no project code.
$(STAMPS)/client-deps: tests/clients/package.json tests/clients/package-lock.json
	cd tests/clients && npm ci --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

$(WEB_OUT): $(STAMPS)/web-deps $(WEB_SOURCES)
	cd web && npm run build

lint: $(STAMPS)/python-deps
	$(VENV_BIN)/ruff check src tests bench
	$(VENV_BIN)/ruff format --check src tests bench

typecheck: $(STAMPS)/python-deps $(STAMPS)/web-deps
	$(VENV_BIN)/mypy src tests bench
	cd web && npm run typecheck

test-web: $(STAMPS)/web-deps
	cd web && npm test

test-python: $(STAMPS)/python-deps $(STAMPS)/client-deps $(WEB_OUT)
	$(VENV_BIN)/pytest

bench: $(STAMPS)/python-deps ## Benchmarks (docs/performance.md): VaultRoom vs a bare relay; BENCH_ARGS="--idle 15000"
	$(VENV_BIN)/python bench/harness.py $(BENCH_ARGS)

clean:
	rm -rf $(STAMPS) .venv .tools web/node_modules tests/clients/node_modules src/vaultroom/web
