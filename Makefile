# Two entry points for a new machine: `make deploy` (the development stack here,
# no root needed) and `make test` (everything CI runs). Run `make help` for the rest.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
COLLECTION_LINK := .cache/collections/ansible_collections/efficientai/mlops
export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/.cache/collections
export MOLECULE_GLOB := molecule/*/molecule.yml
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Plain output: CI logs are read as text.
export NO_COLOR := 1
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0
# The tests' own ansible-playbook runs keep their output here (molecule/_shared/playbook_run.py).
export MLOPS_PLAYBOOK_LOGS ?= $(CURDIR)/.cache/logs/playbooks

# Every scenario with a molecule.yml runs in `make test`, with the checks, in LANES parallel
# lanes (tools/run-lanes). `common` runs among them: alone first it left a core idle for its
# two minutes, and a broken _common fails the other scenarios' converges anyway.
ALL_SCENARIOS := $(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))
# SCENARIOS="a b" runs only those.
SCENARIOS ?= $(ALL_SCENARIOS)
LANES ?= 3

.PHONY: help setup deploy start stop restart status test lint sanity units molecule testbed build changelog lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

setup: $(VENV)/.installed $(COLLECTION_LINK)  ## toolchain venv and the collection link

# uv installs the pinned set (pip took 100-130 s of it, before any scenario can start; uv 20-35 s
# with a cold cache), at the version the roles install on the hosts (_common_uv_version's default).
UV_VERSION := $(shell sed -n "s/^_common_uv_version: .*default('\([^']*\)').*/\1/p" roles/_common/defaults/main.yml)

$(VENV)/.installed: requirements-dev.txt
	@test -n "$(UV_VERSION)" || { echo "no default of _common_uv_version in roles/_common/defaults/main.yml" >&2; exit 1; }
	python=$$(tools/find-python) && "$$python" -m venv --clear $(VENV)
	$(VENV)/bin/pip install -q uv==$(UV_VERSION) 2>&1 | { grep -v 'is ignored: it is neither' || true; }
	UV_SYSTEM_CERTS=1 $(VENV)/bin/uv pip install -q --python $(VENV)/bin/python -r requirements-dev.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@) && ln -sfn ../../../.. $@

deploy: setup  ## the development stack on this machine (no root needed)
	ansible-playbook -i inventories/development playbooks/deploy.yml $(ARGS)

start: setup  ## start the development stack's services (playbooks/services.yml)
stop: setup  ## stop them (the front first, the stores last)
restart: setup  ## restart them
status: setup  ## a table of them: state, process, uptime, memory, port, health
start stop restart status:
	ansible-playbook -i inventories/development playbooks/services.yml -e action=$@ $(ARGS)

lint: setup  ## yamllint, ansible-lint (production profile), argument specs vs defaults, README's network table
	yamllint --strict .
	ansible-lint --profile production
	tools/check-argument-specs
	tools/check-secret-args
	tools/check-network-table

sanity: setup  ## ansible-test sanity (offline work-around included)
	tools/ansible-test sanity
	@# Modules also run on the managed hosts' Python (3.11 on Debian 12).
	ANSIBLE_TEST_PYTHON=3.11 tools/ansible-test sanity --test compile --test import

units: setup  ## unit tests of modules, module_utils and filters
	tools/prometheus-tools
	python -m pytest -q tests/unit

testbed:  ## Docker engine and the systemd base image (root on a new machine)
	@mkdir -p .cache && tools/testbed > .cache/testbed-image && cat .cache/testbed-image

molecule: setup testbed  ## one scenario: make molecule S=common [CMD=converge]
	@test -n "$(S)" || { echo "usage: make molecule S=<scenario> (one of: $(ALL_SCENARIOS))"; exit 2; }
	MLOPS_TEST_IMAGE=$$(cat .cache/testbed-image) molecule $(or $(CMD),test) -s $(S)

# setup (pip, one core) and testbed (apt and the image's debootstrap) need nothing of each other:
# side by side, the lanes start when the longer of the two ends.
test:  ## everything CI runs, with each stage's time
	@export STAGE_LOG=$(CURDIR)/.cache/stages.log; mkdir -p .cache; start=$$(date +%s); \
	if [ -s $$STAGE_LOG ]; then mv $$STAGE_LOG .cache/stages-previous.log; fi; : > $$STAGE_LOG; \
	mkdir -p .cache/logs; \
	tools/stage testbed $(MAKE) -s testbed > .cache/logs/testbed.log 2>&1 & testbed=$$!; \
	tools/stage setup $(MAKE) -s setup && setup=0 || setup=1; \
	wait $$testbed && testbed=0 || testbed=1; cat .cache/logs/testbed.log; \
	[ $$setup$$testbed = 00 ] || exit 1; \
	failed=0; \
	tools/run-lanes $(LANES) make:lint make:sanity make:units make:build $(SCENARIOS) || failed=1; \
	tools/failed-tails $$STAGE_LOG; \
	echo; echo "stage                         seconds  result"; \
	awk '{ printf "%-30s %7d  %s\n", $$1, $$2, $$3 }' $$STAGE_LOG; \
	printf '%-30s %7d  (%s lanes for molecule)\n' "wall time" $$(( $$(date +%s) - start )) $(LANES); \
	tools/failed-tails --brief $$STAGE_LOG; \
	exit $$failed

build: setup  ## collection tarball, checked to install and resolve by FQCN
	tools/check-build

changelog: setup  ## release notes from changelogs/fragments
	antsibull-changelog release

lock: ## re-resolve requirements-dev.txt from requirements-dev.in
	python=$$(tools/find-python) && rm -rf .cache/lock && "$$python" -m venv .cache/lock
	.cache/lock/bin/pip install -q -r requirements-dev.in 2>&1 | { grep -v 'is ignored: it is neither' || true; }
	{ echo "# Generated by 'make lock' from requirements-dev.in"; .cache/lock/bin/pip freeze; } > requirements-dev.txt

clean:  ## remove the toolchain, caches and the development workspace
	rm -rf .venv .cache .workspace
