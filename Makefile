# The handbook's commands. `make html` and `make test` need nothing but python3: the first
# run creates .venv from the pinned requirements and refreshes it when they change.

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

.DEFAULT_GOAL := html
.PHONY: help html dirhtml livehtml linkcheck test clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: pip runs again only when a requirements file is newer than its stamp.
$(RUNTIME): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

$(DEV): requirements-dev.txt $(RUNTIME)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

html: $(RUNTIME)  ## Build the site into _build/html (strict: warnings are errors)
	$(SPHINX) -b html --jobs $(JOBS) $(SPHINXOPTS) . $(BUILDDIR)/html
	@echo "Open $(BUILDDIR)/html/index.html"

dirhtml: $(RUNTIME)  ## Build with clean URLs (page/ instead of page.html)
	$(SPHINX) -b dirhtml --jobs $(JOBS) $(SPHINXOPTS) . $(BUILDDIR)/dirhtml

livehtml: $(DEV)  ## Serve on http://127.0.0.1:8000 and rebuild and reload on every save
	$(BIN)/sphinx-autobuild . $(BUILDDIR)/html --host $(HOST) --port $(PORT) \
		--ignore $(BUILDDIR) --ignore tests --ignore _ext \
		--re-ignore '(__pycache__|\.pytest_cache|\.swp$$|~$$|\.#|4913$$)' $(SPHINXOPTS)

linkcheck: $(RUNTIME)  ## Check every external link (needs a network)
	$(SPHINX) -b linkcheck $(SPHINXOPTS) . $(BUILDDIR)/linkcheck

test: $(DEV)  ## Run the whole test suite (browser tests need /usr/bin/chromium)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:  ## Remove build output (keeps .venv)
	rm -rf $(BUILDDIR)
