# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV := .venv
PY := $(VENV)/bin/python
CRM := $(VENV)/bin/crm
TOOLS := $(CURDIR)/.tools
BUN := $(TOOLS)/node_modules/.bin/bun
BUN_VERSION := 1.4.5
PORT ?= 3000

# Reflex cannot download bun here: it uses the one installed from the npm registry.
export PATH := $(TOOLS)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export PORT

.PHONY: run run-scaled deps test test-deps services chromium lint bench clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

$(BUN):
	mkdir -p $(TOOLS)
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent bun@$(BUN_VERSION)
	@$(BUN) --version >/dev/null

deps: $(VENV)/.installed $(BUN)

run: deps
	$(CRM) db upgrade
	$(CRM) seed-demo
	@echo ""
	@echo "  CRM KH thô → http://localhost:$(PORT)/"
	@echo "  Demo logins: admin / admin1234 (quản trị), thuhuong / demo1234 (nhân viên)"
	@echo "  Background work: the app starts its own consumer (queue in data/queue.db)."
	@echo ""
	$(VENV)/bin/reflex run --env prod --single-port --frontend-port $(PORT)

# Scale-out: PostgreSQL + Redis (Reflex's state manager, the task queue, the shared rate limit),
# WORKERS web workers on one port and CONSUMERS background consumers (`crm worker`), each a process.
SCALED_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/crm
SCALED_REDIS_URL ?= redis://127.0.0.1:6379/0
WORKERS ?= 3
CONSUMERS ?= 2
run-scaled: deps services
	@psql -h 127.0.0.1 -U postgres -d test -tAc "SELECT 1 FROM pg_database WHERE datname = '$(lastword $(subst /, ,$(SCALED_DATABASE_URL)))'" | grep -q 1 \
	  || createdb -h 127.0.0.1 -U postgres $(lastword $(subst /, ,$(SCALED_DATABASE_URL)))
	DATABASE_URL=$(SCALED_DATABASE_URL) $(CRM) db upgrade
	DATABASE_URL=$(SCALED_DATABASE_URL) $(CRM) seed-demo
	@echo ""
	@echo "  CRM KH thô (PostgreSQL + Redis, $(WORKERS) web workers, $(CONSUMERS) consumers) → http://localhost:$(PORT)/"
	@echo ""
	@# The consumers stop with the app (Ctrl-C or kill): they finish their tasks for up to 10 s.
	export DATABASE_URL=$(SCALED_DATABASE_URL) REDIS_URL=$(SCALED_REDIS_URL); pids=""; \
	  for i in $$(seq 1 $(CONSUMERS)); do $(CRM) worker & pids="$$pids $$!"; done; \
	  trap 'kill -INT $$pids 2>/dev/null; wait $$pids' EXIT; \
	  GRANIAN_WORKERS=$(WORKERS) $(VENV)/bin/reflex run --env prod --single-port --frontend-port $(PORT)

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The local PostgreSQL and Redis, started if installed but stopped (machine page commands).
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done

test-deps: $(VENV)/.test-installed $(BUN) chromium services

# pytest's exit code 5 (no test ran) must fail, not pass silently.
test: test-deps
	@# Types first (mypy reads its configuration from pyproject.toml): seconds, before minutes of tests.
	$(VENV)/bin/mypy
	@# With PYTEST_ARGS, just those. Else the unit suite on both cores (each pytest-xdist worker has its own
	@# databases), then the suites that drive one running app (browser, HTTP API, faults) in one process.
	@if [ -n "$(PYTEST_ARGS)" ]; then $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; else \
	  $(PY) -m pytest -n 2 tests/unit; unit=$$?; $(PY) -m pytest tests --ignore=tests/unit; rc=$$?; \
	  [ $$rc -ne 0 ] || rc=$$unit; fi; \
	  if [ $$rc -eq 5 ]; then echo "No tests ran: failing." >&2; exit 1; fi; [ $$rc -eq 0 ] || exit $$rc
	@# The API suite again, with the app itself on PostgreSQL.
	@[ -n "$(PYTEST_ARGS)" ] || { CRM_TEST_APP_DB=postgresql $(PY) -m pytest tests/api; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "No tests ran: failing." >&2; exit 1; fi; exit $$rc; }

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: deps
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf .web .states test-artifacts
