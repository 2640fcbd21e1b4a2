# The handbook's commands. `make html` and `make test` need nothing but python3: the first
# run creates .venv from the lock files (every package pinned with its hashes) and refreshes it
# when they change. requirements*.txt are the hand-edited top-level pins; `make lock` and
# `make upgrade` rewrite requirements*.lock from them.

PYTHON      ?= python3
VENV        ?= .venv
BUILDDIR    ?= _build
SPHINXOPTS  ?= -W --keep-going -n
JOBS        ?= auto
HOST        ?= 127.0.0.1
PORT        ?= 8000

BIN      := $(VENV)/bin
SPHINX   := $(BIN)/sphinx-build
RUNTIME  := $(VENV)/.installed-runtime
DEV      := $(VENV)/.installed-dev
LOCK     := requirements.lock
DEV_LOCK := requirements-dev.lock
NODE     := node_modules/.installed

.DEFAULT_GOAL := html
# The vendored Mermaid's version, in one place: conf.py reads the same file. To move to another
# release: make vendor-mermaid MERMAID_VERSION=11.x.y (it rewrites the file).
MERMAID_VERSION_FILE := _static/vendor/mermaid/VERSION
MERMAID_VERSION := $(shell cat $(MERMAID_VERSION_FILE))
# PGlite (PostgreSQL compiled to WebAssembly), which runs the examples readers edit in the
# browser; same arrangement: conf.py reads the VERSION file, `make vendor-pglite
# PGLITE_VERSION=0.x.y` rewrites it.
PGLITE_VERSION_FILE := _static/vendor/pglite/VERSION
PGLITE_VERSION := $(shell cat $(PGLITE_VERSION_FILE))

# Writes the lock files with the uv pinned in requirements-dev.txt, for Read the Docs' platform
# (Linux x86-64, Python 3.11); every file of each pinned release is hashed, from the default
# index, whatever a local pip configuration points at. LOCK_ARGS: e.g. --upgrade-package NAME.
LOCK_ARGS ?=
UV_COMPILE = $(BIN)/uv pip compile --no-config --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" $(LOCK_ARGS)

# One doctree folder for every builder, so that examples run once and builds share the cache.
BUILD = $(SPHINX) --jobs $(JOBS) $(SPHINXOPTS) -d $(BUILDDIR)/doctrees

.PHONY: help html dirhtml singlehtml epub pdf livehtml linkcheck test test-fast lint report bench new clean vendor-mermaid vendor-pglite lock upgrade

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files: pip runs again only when a lock file is newer than its stamp. Hash-checking mode,
# wheels only: every package, pip itself included, must match a hash in the lock.
PIP_INSTALL = $(BIN)/python -m pip install --quiet --require-hashes --only-binary :all:
$(RUNTIME): $(LOCK) | $(BIN)/python
	$(PIP_INSTALL) -r $(LOCK)
	@touch $@

$(DEV): $(DEV_LOCK) $(RUNTIME)
	$(PIP_INSTALL) -r $(DEV_LOCK)
	@touch $@

lock: $(DEV)  ## Rewrite requirements*.lock after editing requirements*.txt (other pins kept)
	$(UV_COMPILE) requirements.txt -o $(LOCK)
	$(UV_COMPILE) requirements-dev.txt -c $(LOCK) -o $(DEV_LOCK)

upgrade: $(DEV)  ## Lock the newest releases the top-level pins allow, then install and build
	$(UV_COMPILE) --upgrade requirements.txt -o $(LOCK)
	$(UV_COMPILE) --upgrade requirements-dev.txt -c $(LOCK) -o $(DEV_LOCK)
	$(MAKE) html

# Node tools for the quality gates (Lighthouse, the Nu HTML checker), pinned in package-lock.json.
# --ignore-scripts: vnu-jar's install script would download a Java; the tests use Debian's.
$(NODE): package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the Lighthouse and HTML-checker tests will skip (.ci/run installs npm)"; fi

html: $(RUNTIME)  ## Build the site into _build/html (strict: warnings are errors)
	$(BUILD) -b html . $(BUILDDIR)/html
	@echo "Open $(BUILDDIR)/html/index.html"

dirhtml: $(RUNTIME)  ## Build with clean URLs (page/ instead of page.html)
	$(BUILD) -b dirhtml . $(BUILDDIR)/dirhtml

singlehtml: $(RUNTIME)  ## Build the whole handbook as one HTML page
	$(BUILD) -b singlehtml . $(BUILDDIR)/singlehtml

epub: $(RUNTIME)  ## Build an EPUB into _build/epub
	$(BUILD) -b epub . $(BUILDDIR)/epub

pdf: singlehtml $(DEV)  ## Print the single-page build to _build/pdf/handbook.pdf with Chromium
	PYTHONPATH=_ext $(BIN)/python -m handbook.pdf $(BUILDDIR)/singlehtml $(BUILDDIR)/pdf/handbook.pdf

# BENCH_ARGS: e.g. --quick (a short smoke run); python -m tools.bench --help lists them all.
bench: $(DEV)  ## Measure build, rebuild, page-weight and search figures; prints a table
	$(BIN)/python -m tools.bench $(BENCH_ARGS)

# SECTION and TITLE reach the script through the environment, unexpanded ($(value ...)): never
# through the shell, where a title's backticks would run and its $ or quotes would be lost.
new: export HANDBOOK_NEW_SECTION := $(value SECTION)
new: export HANDBOOK_NEW_TITLE := $(value TITLE)
new: $(RUNTIME)  ## Create a page: make new SECTION=essays TITLE="My title"
	@PYTHONPATH=_ext $(BIN)/python -m handbook.newpage

# The preview builds into its own folder with the shared doctrees (so the examples' cache is
# reused and nothing of the environment is published), without a search index: indexing adds
# 1-2 s to every save, and an index from an earlier build would be stale (the search page says
# to run `make html`); nor llms.txt and llms-full.txt, which read every page again. A busy port
# is reported before the first build, not after it.
livehtml: $(DEV)  ## Serve on http://127.0.0.1:8000 and rebuild and reload on every save
	@$(BIN)/python -c 'import socket, sys; socket.create_server((sys.argv[1], int(sys.argv[2]))).close()' \
		$(HOST) $(PORT) 2>/dev/null || { echo "make livehtml: port $(PORT) on $(HOST) is in use; try make livehtml PORT=8001" >&2; exit 2; }
	PYTHONPATH=_ext $(BIN)/python -m handbook.autobuild . $(BUILDDIR)/livehtml --host $(HOST) --port $(PORT) \
		--ignore $(BUILDDIR) --ignore tests --ignore _ext \
		--re-ignore '(__pycache__|\.pytest_cache|\.swp$$|~$$|\.#|4913$$)' $(SPHINXOPTS) \
		-d $(BUILDDIR)/doctrees -D handbook_search_index=0 -D handbook_llms=0

linkcheck: $(RUNTIME)  ## Check every external link (needs a network)
	$(BUILD) -b linkcheck . $(BUILDDIR)/linkcheck

test: $(DEV) $(NODE)  ## Run the whole test suite (browser tests need /usr/bin/chromium, Java)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV)  ## Lint and check the format (ruff, ruff.toml), type-check the extension (mypy, mypy.ini)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m mypy

# The day-to-day loop: everything but the tests marked slow (the whole handbook built, a
# project built in a separate process, a browser or a server; tests/conftest.py marks them).
test-fast: $(DEV)  ## Run the fast tests, under a minute: in-process builds of the test projects, units, sources
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# The quality gates of the built site, then their figures as one table (tools/report.py).
GATES := tests/test_accessibility.py tests/test_html_valid.py tests/test_lighthouse.py tests/test_links.py \
	tests/test_privacy.py tests/test_search.py tests/test_reproducible.py tests/test_prose.py

report: $(DEV) $(NODE)  ## Run the quality gates and print their figures (pages, violations, links, search...)
	-$(BIN)/python -m pytest -q $(GATES) $(PYTEST_ARGS)
	$(BIN)/python tools/report.py

vendor-mermaid:  ## Refresh the vendored Mermaid (needs npm): [MERMAID_VERSION=11.x.y]
	rm -rf _static/vendor/mermaid && mkdir -p _static/vendor/mermaid
	echo $(MERMAID_VERSION) > $(MERMAID_VERSION_FILE)
	cd $$(mktemp -d) && npm pack --silent mermaid@$(MERMAID_VERSION) >/dev/null && tar xzf mermaid-*.tgz && \
		cp package/dist/mermaid.esm.min.mjs package/LICENSE $(CURDIR)/_static/vendor/mermaid/ && \
		cp -r package/dist/chunks $(CURDIR)/_static/vendor/mermaid/
	find _static/vendor/mermaid -name '*.map' -delete
	find _static/vendor/mermaid/chunks -mindepth 1 -maxdepth 1 ! -name mermaid.esm.min -exec rm -rf {} +

# What a browser needs of PGlite's npm package: the ESM entry and its chunks, the PostgreSQL and
# initdb modules with their wasm, the data file (share/ and the catalogue), the licence. Left
# out: source maps, CommonJS and type files, the contrib extensions and the Node.js file systems.
vendor-pglite:  ## Refresh the vendored PGlite (needs npm): [PGLITE_VERSION=0.x.y]
	rm -rf _static/vendor/pglite && mkdir -p _static/vendor/pglite
	echo $(PGLITE_VERSION) > $(PGLITE_VERSION_FILE)
	cd $$(mktemp -d) && npm pack --silent @electric-sql/pglite@$(PGLITE_VERSION) >/dev/null && tar xzf electric-sql-pglite-*.tgz && \
		cp package/LICENSE package/dist/index.js package/dist/chunk-*.js package/dist/pglite.js package/dist/pglite.wasm \
			package/dist/pglite.data package/dist/initdb.js package/dist/initdb.wasm $(CURDIR)/_static/vendor/pglite/
	sed -i '/^\/\/# sourceMappingURL=/d' _static/vendor/pglite/*.js
	@du -cb _static/vendor/pglite/* | tail -1 | awk '{printf "vendored PGlite: %.1f MB (budget 20 MB)\n", $$1 / 1e6}'

clean:  ## Remove build output (keeps .venv)
	rm -rf $(BUILDDIR)
