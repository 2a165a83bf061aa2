# hybridops.ssm: `make demo` shows it working, `make test` runs every check.
# Both start from nothing but Python 3.11: tools/bootstrap.sh builds .venv. `make bench` measures performance;
# `make matrix` proves every supported ansible-core x amazon.aws (it needs Python 3.12 too, e.g. under pyenv).
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
TREE := $(CURDIR)/build/collections/ansible_collections/hybridops/ssm
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections
export ANSIBLE_LOCAL_TEMP := $(CURDIR)/build/tmp

.PHONY: bootstrap test demo lint sanity units endpoint integration integration-targets importer smoke format format-check bench matrix docs release clean

bootstrap:
	@tools/bootstrap.sh

test: bootstrap
	@$(BIN)/python tools/run_checks.py all

lint sanity units endpoint integration importer smoke: bootstrap
	@$(BIN)/python tools/run_checks.py $@

# The integration targets (tests/integration/targets, one per module) through ansible-test instead of pytest: their
# setup_endpoint dependency starts the local endpoint (manual clock; URL in this tree's tests/output/), stopped here at
# the end. ansible-test passes no environment variable through to the targets, so the URL file cannot be one per run:
# the run holds build/integration-targets.lock instead (outside the tree bootstrap rebuilds; ansible-test and the
# endpoint do not inherit it), and a second run of this tree at the same time stops at once rather than share the endpoint.
# `make integration` runs the same targets through pytest (test_targets.py), with the rest of the integration tests.
ENDPOINT_FILE := $(TREE)/tests/output/hybridops-ssm-endpoint.url
INTEGRATION_LOCK := $(CURDIR)/build/integration-targets.lock
integration-targets: bootstrap
	@exec 9>$(INTEGRATION_LOCK); flock -n 9 || { echo "integration-targets: another run of this tree holds $(INTEGRATION_LOCK)" >&2; exit 1; }; \
	  cd $(TREE) && rc=0; $(BIN)/ansible-test integration --local --python 3.11 --color no $(TARGETS) 9>&- || rc=$$?; \
	  if [ -f $(ENDPOINT_FILE).pid ]; then kill $$(cat $(ENDPOINT_FILE).pid) 2>/dev/null || true; rm -f $(ENDPOINT_FILE) $(ENDPOINT_FILE).pid; fi; exit $$rc

# ruff (ruff.toml): import order and formatting of plugins/, tests/, tools/. `make format` applies them;
# format-check (part of `make test`) only reports.
format: bootstrap
	@$(BIN)/ruff check --no-cache --fix plugins tests tools && $(BIN)/ruff format --no-cache plugins tests tools

format-check: bootstrap
	@$(BIN)/python tools/run_checks.py format

demo: bootstrap
	@$(BIN)/python tools/demo.py

# Fleet-sized decommission against the boto3 floor: a table, and build/bench/results.json.
bench: bootstrap
	@$(BIN)/python tools/bench.py $(if $(CASES),--cases $(CASES))

# The docsite as antsibull-docs builds it, extra docs included, into build/docs/build/html (about 75 s warm,
# 3 minutes with its virtualenv; not in `make test`). Its own virtualenv, build/docs-venv (tests/requirements-docs.txt).
docs:
	@tools/docs.sh

# The 1.0.0 release, once every branch is merged: lints the changelog fragments, writes CHANGELOG.rst and
# changelogs/changelog.yaml, sets galaxy.yml's version, builds the tarball into build/release. VERSION=x.y.z.
release:
	@tools/release.sh $(VERSION)

# Sanity, units and the smoke run on every supported ansible-core x amazon.aws (docs/compatibility.md):
# a table, and build/matrix/results.json. CELLS=2.17-aws10.1.1,2.21 runs some (a core minor: all its cells).
matrix: bootstrap
	@$(BIN)/python tools/matrix.py $(if $(CELLS),--cells $(CELLS))

clean:
	rm -rf build tests/output
