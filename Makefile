# The one entry point for people and CI. `make help` lists the targets (generated from `## ` comments).
SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory

ENV ?= local
ENVS := local dev staging prod
ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
BIN := $(VENV)/bin
PY := $(BIN)/python
LOCAL_DIR := $(ROOT)/.local

# Python for the dev virtualenv: python3.12 (the Lambda runtime's version) when it runs, else python3.
# The pyenv shim named python3.12 may exist without a working interpreter behind it, so each
# candidate is asked to run, not just looked up.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12 python3; do \
  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1 && { echo $$p; break; }; done)

# Terraform provider resolution: a filesystem mirror when one is given (TF_PLUGIN_MIRROR=...) or
# found on this machine, the public registry otherwise. See tools/tf-cli-config.sh.
TF_PLUGIN_MIRROR ?= $(shell $(ROOT)/tools/tf-cli-config.sh detect)
TF_RC := $(LOCAL_DIR)/terraform.rc
ifneq ($(strip $(TF_PLUGIN_MIRROR)),)
export TF_CLI_CONFIG_FILE := $(TF_RC)
else ifeq ($(wildcard $(TF_CLI_CONFIG_FILE)),)
# A preset TF_CLI_CONFIG_FILE that points at nothing only produces warnings: drop it.
unexport TF_CLI_CONFIG_FILE
endif
export TF_IN_AUTOMATION := 1
export TF_INPUT := 0
export CHECKPOINT_DISABLE := 1
# CI caches providers across runs in TF_PLUGIN_CACHE_DIR (keyed on the lock files); Terraform
# requires that directory to exist already.
ifneq ($(strip $(TF_PLUGIN_CACHE_DIR)),)
$(shell mkdir -p "$(TF_PLUGIN_CACHE_DIR)")
endif

export PYTHONDONTWRITEBYTECODE := 1
# Terraform and the AWS provider are Go programs, and the provider builds its whole schema at every
# start (several per plan, apply or test). A less eager garbage collector than Go's default (100)
# cuts that CPU by a quarter or more for ~100 MB more memory (docs/benchmarks.md, first run).
export GOGC ?= 400
export PYTHONPATH := $(ROOT)

.PHONY: help venv venv-runtime lock build policies fmt lint lint-python lint-terraform lint-workflows lint-shell \
        hooks typecheck tf-init tf-fmt tf-validate tf-test access-diff access-diff-comment \
        test test-static test-inprocess test-stack reliability \
        test-unit test-functional test-policy test-terraform test-integration test-e2e \
        test-browser chromium console-screenshot \
        checkov workflows plan plan-store plan-fetch plan-reviewers apply verify verify-target \
        up up-prebuild down call matrix revoke-sessions \
        bench bench-first-run clean

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'
	@echo "  Variables: ENV=$(ENV) (one of: $(ENVS)), TF_PLUGIN_MIRROR=$(TF_PLUGIN_MIRROR)"

# --- bootstrap --------------------------------------------------------------------------------

# One virtualenv in two layers. The runtime layer (requirements/runtime.txt) is all `make up` needs;
# the development layer (requirements/dev.txt: the same pins plus test and lint tools) goes on top
# for `make test` and the linters, without reinstalling the runtime packages. Changing a lock
# recreates the virtualenv from scratch, so nothing a lock dropped lingers. pip installs only the
# installer, uv (requirements/bootstrap.txt); uv installs the layers, every file checked against
# the locks' hashes, downloading in parallel (a first `make up` spent most of its time in pip).
RUNTIME_STAMP := $(VENV)/.runtime-stamp
DEV_STAMP := $(VENV)/.stamp
PIP_INSTALL = $(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r
PIP_QUIET = 2>&1 | { grep -v '^WARNING: Location' || true; }
UV_INSTALL = $(BIN)/uv pip install --quiet --python $(PY) --require-hashes --no-deps --compile-bytecode -r
NEW_RUNTIME_VENV = rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) && \
  $(PIP_INSTALL) requirements/bootstrap.txt $(PIP_QUIET) && \
  $(UV_INSTALL) requirements/runtime.txt && touch $(RUNTIME_STAMP)

$(RUNTIME_STAMP): requirements/runtime.txt requirements/bootstrap.txt
	@test -n "$(PYTHON)" || { echo "No usable python3 found; install Python 3.12 (or 3.11+)."; exit 1; }
	@echo "==> creating $(VENV) with $(PYTHON): runtime layer (requirements/runtime.txt)"
	@$(NEW_RUNTIME_VENV)

$(DEV_STAMP): requirements/dev.txt $(RUNTIME_STAMP)
	@if [ -f $@ ]; then echo "==> requirements/dev.txt changed: recreating $(VENV)"; $(NEW_RUNTIME_VENV); fi
	@echo "==> adding the development layer to $(VENV) (requirements/dev.txt)"
	@$(UV_INSTALL) requirements/dev.txt
	@touch $@

venv-runtime: $(RUNTIME_STAMP) ## Create the virtualenv with only what `make up` runs (requirements/runtime.txt)

venv: $(DEV_STAMP) ## Create the dev virtualenv: the runtime layer plus requirements/dev.txt

lock: venv ## Re-resolve requirements/*.in and functions/*/requirements.in into hashed locks
	$(BIN)/uv pip compile --quiet --python-version 3.12 --generate-hashes -o requirements/dev.txt requirements/dev.in
	@for f in runtime bootstrap; do $(BIN)/uv pip compile --quiet --python-version 3.12 --generate-hashes \
	  -c requirements/dev.txt -o requirements/$$f.txt requirements/$$f.in; done
	@for f in functions/*/requirements.in; do \
	  $(BIN)/uv pip compile --quiet --python-version 3.12 --generate-hashes -o $${f%.in}.txt $$f; done

$(TF_RC):
	@mkdir -p $(LOCAL_DIR)
	@$(ROOT)/tools/tf-cli-config.sh write "$(TF_PLUGIN_MIRROR)" $@

TF_CONFIG := $(if $(strip $(TF_PLUGIN_MIRROR)),$(TF_RC))

tf-init: venv $(TF_CONFIG) ## terraform init every module, env and bootstrap (lock files read-only)
	@$(PY) -m tools.tf init

# --- build ------------------------------------------------------------------------------------

build: venv-runtime ## Build reproducible Lambda zips into build/lambda/<arch>/ for ENV's architecture
	@$(PY) -m tools.build_lambda --env $(ENV)

policies: venv ## Render policy_templates/ for ENV into build/policies/<env>/
	@$(PY) -m tools.render --env $(ENV) --out build/policies/$(ENV)

# --- static checks ----------------------------------------------------------------------------

fmt: venv ## Format Python and Terraform in place
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	terraform fmt -recursive terraform

# Shell scripts shellcheck reads (the Makefile's own recipes are bash too, but not separate files).
SHELL_SCRIPTS = $(shell git ls-files -- '*.sh' '.ci/*')

# The fast static checks, one target per tool. The pre-commit hooks (.pre-commit-config.yaml, `make
# hooks`) call these same targets, so the hooks and `make lint` run the same commands with the same
# tools, at the versions requirements/dev.txt pins (tests/policy/test_repo_habits.py keeps it so).
LINT_TARGETS := lint-python lint-terraform lint-workflows lint-shell

lint: $(LINT_TARGETS) ## ruff lint + format check, terraform fmt check, zizmor (workflows, offline), shellcheck

lint-python: venv ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lint-terraform: $(TF_CONFIG) ## terraform fmt check
	terraform fmt -check -recursive terraform

lint-workflows: venv ## zizmor over the workflows (offline, pedantic)
	$(BIN)/zizmor --offline --persona=pedantic --quiet .github/workflows

lint-shell: venv ## shellcheck over the shell scripts
	$(BIN)/shellcheck $(SHELL_SCRIPTS)

hooks: venv ## Install the git pre-commit hook (.pre-commit-config.yaml: the lint-* targets on each commit)
	$(BIN)/pre-commit install

typecheck: venv ## mypy over functions/, local/, tools/
	$(BIN)/mypy

tf-validate: tf-init ## terraform validate every env and the bootstrap
	@$(PY) -m tools.tf validate

tf-test: tf-init ## terraform test (mock_provider) for every module and the stack
	@$(PY) -m tools.tf test

checkov: venv policies ## checkov over terraform/ and the rendered policies (with custom checks)
	@$(PY) -m tools.validate checkov

workflows: venv ## Validate .github/workflows and .github/dependabot.yml against their schemas (offline), and the pipeline invariants
	@$(PY) -m tools.validate workflows

# --- access review ----------------------------------------------------------------------------

# What a change does to who may call what: the static matrix and the contract at BASE (a git ref:
# its files only, evaluated with the working tree's code) against the working tree, only the cells
# that change (README, "Access review"). CI (access-review.yml) passes the pull request's base commit.
BASE ?=
ACCESS_DIFF_DIR := build/access-diff
access-diff: venv-runtime ## Who may call what, before and after: the access-matrix cells that change between BASE=<git ref> and the working tree
	@test -n "$(BASE)" || { echo "set BASE to a git ref: make access-diff BASE=main"; exit 2; }
	@$(PY) -m tools.access_diff --base "$(BASE)" --markdown $(ACCESS_DIFF_DIR)/report.md \
	  $(if $(GITHUB_STEP_SUMMARY),--summary "$(GITHUB_STEP_SUMMARY)")

access-diff-comment: venv-runtime ## (pipeline) Post or update the pull request's one access-review comment (gh, GH_TOKEN, GITHUB_REPOSITORY, PR_NUMBER)
	@$(PY) -m tools.pr_comment --name access-diff --body-file $(ACCESS_DIFF_DIR)/report.md

# --- tests ------------------------------------------------------------------------------------

test-unit: venv ## Unit tests (no network, no emulator)
	$(BIN)/pytest tests/unit

test-functional: venv build ## Functional tests (moto in-process, local keys)
	$(BIN)/pytest tests/functional

test-policy: venv ## Policy rendering and validation tests (renderer == templatefile, checkov catches bad policies)
	$(BIN)/pytest tests/policy

test-terraform: venv build $(TF_CONFIG) ## Apply envs/local against the emulator, assert, re-plan, destroy
	$(BIN)/pytest tests/terraform

test-e2e: venv build $(TF_CONFIG) ## The local stack over HTTP: scenarios S1-S7 and the full access matrix
	$(BIN)/pytest tests/e2e

chromium: venv ## Find the Chromium the browser tests drive; install it (apt, as root) when missing
	@$(PY) -m tools.chromium --install

test-browser: venv build chromium $(TF_CONFIG) ## The browser console in a real headless Chromium (sign-in, all modes, CORS)
	$(BIN)/pytest tests/browser

console-screenshot: venv build chromium $(TF_CONFIG) ## Regenerate docs/console.png (the README's screenshot) from the browser tests
	$(BIN)/pytest tests/browser -k pet_veterinarian
	cp build/browser/console-pet-veterinarian.png docs/console.png
	$(PY) -m tools.console_screenshot record

# `make test` runs three independent streams at once (output grouped per stream): the in-process
# suites (pytest -n 2), the suites sharing one applied local stack in a process of its own (moto
# keeps AWS state per process), and the static checks, two at a time in the remaining job slots
# (make -j4). The in-process stream is the longest, so it starts first. The stack stream spends much
# of its apply waiting on the AWS provider's fixed delays, which the other streams use. Suites that need
# the live stack go into STACK_TESTS before tests/terraform, whose last tests re-plan and destroy it.
# The fuzz, fault and load suites run here at a bounded size; `make reliability` runs them at soak
# size and is never part of make test.
INPROCESS_TESTS := tests/unit tests/functional tests/policy
STACK_TESTS := tests/browser tests/e2e tests/terraform
PYTEST_RUN := $(BIN)/pytest -p no:cacheprovider

test: venv build chromium $(TF_CONFIG) ## Every check the project has (what CI runs): static, in-process and stack streams at once
	@$(MAKE) -j4 --output-sync=target test-inprocess test-stack test-static

test-static: lint typecheck tf-validate tf-test checkov workflows ## The static checks of make test

test-inprocess: venv build ## The in-process suites of make test (unit, functional, policy; pytest -n 2)
	$(PYTEST_RUN) -n 2 $(INPROCESS_TESTS)

test-stack: venv build chromium $(TF_CONFIG) ## The suites of make test sharing one applied local stack (browser, e2e, terraform)
	$(PYTEST_RUN) $(STACK_TESTS)

# --- real environments (docs/deploying.md) -----------------------------------------------------
# State: the S3 bucket made by terraform/bootstrap, one key per environment, S3-native locking.
TF_STATE_BUCKET ?=
TF_STATE_REGION ?= $(AWS_REGION)
TF_STATE_KEY ?= fga/$(ENV).tfstate
PLAN_DIR := $(ROOT)/build/plan
TF_ENV_INIT = terraform -chdir=terraform/envs/$(ENV) init -input=false -lockfile=readonly -reconfigure \
  -backend-config="bucket=$(TF_STATE_BUCKET)" -backend-config="key=$(TF_STATE_KEY)" \
  -backend-config="region=$(TF_STATE_REGION)" -backend-config="use_lockfile=true"

define require_real_env
	@case "$(ENV)" in dev|staging|prod) ;; *) echo "ENV=$(ENV): $@ is for dev, staging or prod (local: make up)"; exit 2;; esac
	@test -n "$(TF_STATE_BUCKET)" -a -n "$(TF_STATE_REGION)" || \
	  { echo "set TF_STATE_BUCKET and TF_STATE_REGION (outputs of terraform/bootstrap)"; exit 2; }
endef

plan: build ## Plan a real ENV against its S3 state into build/plan/<env>.tfplan (+ .txt for review)
	$(require_real_env)
	$(TF_ENV_INIT)
	@mkdir -p $(PLAN_DIR)
	terraform -chdir=terraform/envs/$(ENV) plan -input=false -lock-timeout=10m -out=$(PLAN_DIR)/$(ENV).tfplan
	terraform -chdir=terraform/envs/$(ENV) show -no-color $(PLAN_DIR)/$(ENV).tfplan > $(PLAN_DIR)/$(ENV).txt

# The pipeline keeps the saved plan in the state bucket between its plan and apply jobs, never as a
# GitHub artifact: a plan embeds the state, secrets included (tools/saved_plan.py).
PLAN_KEY = $(TF_STATE_KEY).plans/$(PLAN_ID).tfplan

plan-store: venv ## (pipeline) Store build/plan/<env>.tfplan as <state key>.plans/<PLAN_ID>.tfplan in the state bucket; prints its sha256
	$(require_real_env)
	@test -n "$(PLAN_ID)" || { echo "set PLAN_ID (the pipeline uses <run id>-<run attempt>)"; exit 2; }
	@$(PY) -m tools.saved_plan push --file $(PLAN_DIR)/$(ENV).tfplan --bucket "$(TF_STATE_BUCKET)" \
	  --region "$(TF_STATE_REGION)" --key "$(PLAN_KEY)" $(if $(GITHUB_OUTPUT),--github-output "$(GITHUB_OUTPUT)")

plan-fetch: venv ## (pipeline) Fetch the plan plan-store stored into build/plan/<env>.tfplan, refused unless its sha256 is PLAN_SHA256
	$(require_real_env)
	@test -n "$(PLAN_ID)" || { echo "set PLAN_ID (the pipeline uses <run id>-<run attempt>)"; exit 2; }
	@$(PY) -m tools.saved_plan pull --file $(PLAN_DIR)/$(ENV).tfplan --bucket "$(TF_STATE_BUCKET)" \
	  --region "$(TF_STATE_REGION)" --key "$(PLAN_KEY)" --sha256 "$(PLAN_SHA256)"

plan-reviewers: ## (pipeline) Fail unless the GitHub environment <env>-plan has required reviewers (gh, GH_TOKEN, GITHUB_REPOSITORY)
	@case "$(ENV)" in dev|staging|prod) ;; *) echo "ENV=$(ENV): $@ is for dev, staging or prod"; exit 2;; esac
	@test -n "$(GITHUB_REPOSITORY)" || { echo "set GITHUB_REPOSITORY (owner/name)"; exit 2; }
	@n=$$(gh api "repos/$(GITHUB_REPOSITORY)/environments/$(ENV)-plan" \
	  --jq '[.protection_rules[]? | select(.type == "required_reviewers")] | length') || exit 1; \
	test "$$n" -gt 0 || { echo "GitHub environment $(ENV)-plan has no required reviewers: a pull request's code would run with the $(ENV) plan role (which reads the $(ENV) state) unreviewed; add reviewers (docs/deploying.md, step 3)"; exit 1; }

apply: ## Apply exactly the saved plan build/plan/<env>.tfplan (from make plan) to a real ENV
	$(require_real_env)
	@test -f $(PLAN_DIR)/$(ENV).tfplan || { echo "no saved plan $(PLAN_DIR)/$(ENV).tfplan: run make plan ENV=$(ENV)"; exit 2; }
	$(TF_ENV_INIT)
	terraform -chdir=terraform/envs/$(ENV) apply -input=false -lock-timeout=10m $(PLAN_DIR)/$(ENV).tfplan

# --- verifying a deployment (docs/deploying.md, "Verifying an environment") ----------------------
# One engine for every environment (tools/live): users of its own per kind of user of the access
# contract, every route x method, everything it created removed afterwards. local: the running
# `make up` (its .local/stack.json). dev/staging/prod: AWS with the caller's credentials (the verify
# role in the pipeline); the deployment's description comes from FGA_VERIFY_TARGET (the pipeline's
# apply job, `make verify-target`) or from `terraform output` of the initialised env.
VERIFY_FLAGS ?=

verify: venv-runtime ## Check ENV's deployment against the access contract, cell by cell (local: the running make up); VERIFY_FLAGS=--help
	@case "$(ENV)" in \
	  local) $(PY) -m local verify $(VERIFY_FLAGS) ;; \
	  dev|staging|prod) $(PY) -m tools.live --env $(ENV) $(VERIFY_FLAGS) ;; \
	  *) echo "ENV=$(ENV): one of $(ENVS)"; exit 2 ;; \
	esac

verify-target: venv-runtime ## (pipeline) After make apply: ENV's `verification` output as the step output `target` (GITHUB_OUTPUT) for the verify job
	$(require_real_env)
	@$(PY) -m tools.live.target --env $(ENV) $(if $(GITHUB_OUTPUT),--github-output "$(GITHUB_OUTPUT)")

# --- local stack ------------------------------------------------------------------------------

# `python -m local up` builds the Lambda zips itself, at the same time as it starts the emulator and
# runs terraform init. A second `make up` puts back the last apply's emulator state when nothing the
# apply depends on changed (FRESH=1 applies anyway). UP_FLAGS passes more, e.g. --exit-after-matrix.
UP_FLAGS ?=
up: $(TF_CONFIG) ## Start the local stack (emulator, OIDC issuer, API), apply envs/local, seed users, print the access matrix
	@$(MAKE) -j2 venv-runtime up-prebuild
	@$(PY) -m local up $(UP_FLAGS)

# While a first `make up` installs the runtime layer, the base interpreter builds the Lambda zips
# (tools.build_lambda needs only the standard library and pip). It is only a head start: without
# pip, or if it fails, `python -m local up` builds whatever is missing or stale and reports errors.
up-prebuild:
	@if $(PYTHON) -m pip --version >/dev/null 2>&1; then $(PYTHON) -m tools.build_lambda --env $(ENV) >/dev/null 2>&1 || true; fi

down: venv-runtime ## Stop the local stack started by `make up`
	@$(PY) -m local down

call: venv-runtime ## Call a route as a demo user (AS=pet-veterinarian) or a machine client (CLIENT=reporter): ARGS="GET /news"
	@$(PY) -m local call $(if $(CLIENT),--client $(CLIENT),--user $(AS)) $(ARGS)

revoke-sessions: venv-runtime ## iam mode's emergency lever: deny every session GROUP's role issued before now (UNDO=1 removes it)
	@test -n "$(GROUP)" || { echo "set GROUP=<group>, e.g. make revoke-sessions ENV=$(ENV) GROUP=cip-users"; exit 2; }
	@$(PY) -m tools.revoke_sessions --env $(ENV) --group $(GROUP) $(if $(UNDO),--undo)

bench: venv build ## Benchmarks (figures written to docs/benchmarks.md)
	@$(PY) -m tests.bench

bench-first-run: ## A new user's make up (fresh clone, then warm) with phase times -> docs/benchmarks.md; BENCH_FLAGS=--with-test adds make test
	@$(or $(PYTHON),python3) -m tests.bench.first_run $(BENCH_FLAGS)

reliability: venv build $(TF_CONFIG) ## Fuzz, fault, load and integrity tests at soak size (about 5 min on 2 idle cores); rewrites docs/reliability.md
	@$(PY) -m tests.reliability

clean: ## Remove build output, local state and the virtualenv
	rm -rf build .local $(VENV) .mypy_cache .ruff_cache .pytest_cache
	find terraform -name .terraform -type d -prune -exec rm -rf {} +
	find terraform -name 'terraform.tfstate*' -path '*/envs/local/*' -delete
