# Two commands on a fresh machine: `make build` then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1

.PHONY: build test check check-github lint serve worksheets i18n schema audit clean system-venv system-build system-test

# System packages (Debian and Ubuntu; the lists are in .ci/packages): installed when missing and this user may
# (root, or sudo without a password), else make stops at once with one line naming them.
system-venv system-build system-test: system-%:
	$(eval missing := $(shell sh .ci/packages $* $(PYTHON)))
	@$(if $(missing),$(error $(missing)),:)

$(BIN)/python: | system-venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# setuptools boxes a note ("Editable installation ... be careful") on every editable install: not an error
QUIET_INSTALL := PYTHONWARNINGS="ignore:Editable installation"

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(QUIET_INSTALL) $(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(QUIET_INSTALL) $(BIN)/pip install --quiet -e '.[test]'
	touch $@

## build: create the venv, install, check the content and build the site into site/
build: system-build $(VENV)/.installed
	$(BIN)/handbook build

## check: validate the content only
check: $(VENV)/.installed
	$(BIN)/handbook check

## check-github: validate the content, printing problems as annotations on the pull request's lines (CI)
check-github: $(VENV)/.installed
	$(BIN)/handbook check --format github

## serve: live preview on http://127.0.0.1:8000
serve: $(VENV)/.installed
	$(BIN)/handbook serve

## worksheets: only the PDF worksheets
worksheets: system-build $(VENV)/.installed
	$(BIN)/handbook worksheets

## lint: ruff and mypy
lint: $(VENV)/.installed-test
	$(BIN)/ruff check generator tests benchmarks
	$(BIN)/mypy

## test: install the system packages the tests need (or name them), lint, then every test
test: system-test lint
	$(BIN)/pytest

## i18n: extract UI strings from the templates and update every catalogue
i18n: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -o templates/locales/messages.pot --no-location --sort-output --no-wrap --project=civic-handbook --version=1 --msgid-bugs-address=none -k _ -k gettext -k ngettext:1,2 .
	$(BIN)/python -m generator.languages   # a catalogue for each language of handbook.yml that has none yet
	$(BIN)/pybabel update -i templates/locales/messages.pot -d templates/locales --no-fuzzy-matching --ignore-obsolete --no-wrap

## schema: regenerate schema/*.json from the models
schema: $(VENV)/.installed
	$(BIN)/python -c "from pathlib import Path; from generator.schema import write_schemas; write_schemas(Path('.'))"

## audit: the Nu Html Checker and Lighthouse (phone profile) on five page types in two languages, as one table.
## Needs Java (apt-get install default-jre-headless), Node 20 with npm, and Debian's Chromium (/usr/bin/chromium).
AUDIT_TOOLS := build/audit
audit: $(VENV)/.installed
	npm install --prefix $(AUDIT_TOOLS) --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
		lighthouse@12.2.3 vnu-jar@26.9.27
	$(BIN)/python benchmarks/audit.py --tools $(AUDIT_TOOLS)/node_modules

clean:
	rm -rf site build .pytest_cache .mypy_cache .ruff_cache
