# The README's two commands: `make report` (the main job) and `make test`.
# Both bootstrap .venv on a fresh clone; nothing else needs to be installed first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install export check test report bench docs browser clean-report

$(STAMP): settings.ini setup.py constraints.txt
	@echo "== setting up $(VENV) with $(PYTHON)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch pinned first: the CPU wheel on this disk installs in seconds, an unpinned one pulls CUDA
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[dev,dask]"
	# papermill runs every notebook with kernel_name=python3: register this venv's kernel under it
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (songgenre)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

export: install
	$(BIN)/nbdev_export

# notebooks are cleaned and the package matches them: both commands must leave every file as it was
check: install
	$(BIN)/python tools/check_sync.py

# the browser test drives Debian's Chromium; install it when it is missing (needs root or sudo)
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  echo "== installing chromium and chromium-driver"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

test: check browser
	$(BIN)/python -m pytest tests -v

report: export
	$(BIN)/python -m songgenre.report --profile full --readme README.md

bench: export
	$(BIN)/python bench/bench_speed.py --out bench/results/bench_speed.json

# with Quarto installed: nbdev's own docs site from _quarto.yml (see README)
docs: export
	$(BIN)/nbdev_docs

clean-report:
	rm -rf _report _runs
