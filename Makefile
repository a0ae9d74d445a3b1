# Onboarding platform: every command sets up what it needs on a fresh machine.
.DEFAULT_GOAL := help
SHELL := /bin/bash

UV_VERSION := 0.13.9
TOOLS := .run/tools
UV := $(TOOLS)/bin/uv
RUN := $(UV) run --frozen
export UV_PYTHON_DOWNLOADS := never

.PHONY: help deps infra up down demo test contract-test lint typecheck schemas bench clean

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	@python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is needed"; exit 1; }
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q uv==$(UV_VERSION)

deps: $(UV) ## install the pinned Python dependencies (.venv)
	$(UV) sync --frozen --all-packages

infra: ## start PostgreSQL and Kafka (local processes, no Docker)
	deploy/local/postgres.sh start
	deploy/local/kafka.sh start

# `make up REPLICAS=2`: two processes each of invitation and notification, one group each.
REPLICAS ?= 1
up: deps infra ## start everything (services, mail sink, SMS provider, Prometheus) and write .run/env
	$(RUN) python -m onboarding_devtools.devstack up \
		--postgres postgresql://postgres@127.0.0.1:$${PG_PORT:-55432} \
		--kafka 127.0.0.1:$${KAFKA_PORT:-9092} \
		--replicas $(REPLICAS)
	set -a && . .run/env && set +a && deploy/local/prometheus.sh start

down: $(UV) ## stop everything `make up` started
	-deploy/local/prometheus.sh stop
	-$(RUN) python -m onboarding_devtools.devstack down
	-deploy/local/kafka.sh stop
	-deploy/local/postgres.sh stop

demo: up ## enrol 200 people from a CSV, register one, print the funnel
	$(RUN) python deploy/local/demo.py

test: deps ## lint, type-check and run every test against real Kafka and PostgreSQL
	deploy/local/test.sh $(RUN)

contract-test: deps ## schemathesis against the four running services' OpenAPI documents (part of make test)
	TESTS_ONLY=1 PYTEST_ARGS="tests/e2e/test_openapi_conformance.py" deploy/local/test.sh $(RUN)

lint: deps ## ruff
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: deps ## mypy
	$(RUN) mypy .

schemas: deps ## re-export the events' JSON Schemas into contracts/
	$(RUN) python -m onboarding_contracts.schemas

bench: deps infra ## measure import, end to end, latency, the naive way, the limits (BENCH_ROWS=100000)
	deploy/local/smtp-sink.sh fetch
	$(RUN) python -m bench.run

.PHONY: preview-mail
preview-mail: deps ## render every message (kind × language × email/SMS) into .run/preview-mail
	$(RUN) python -m notification.preview --out .run/preview-mail

.PHONY: bench-smoke
bench-smoke: deps infra ## every bench case at 2,000 rows; fails if a case cannot complete
	deploy/local/smtp-sink.sh fetch
	$(RUN) python -m bench.run --rows 2000 --latency-tries 20

clean: down ## remove everything under .run (databases, Kafka data, mail)
	rm -rf .run

# Chaos: its own PostgreSQL and Kafka (deploy/local/*.sh on free ports under .run/chaos/),
# never the servers `make infra` starts; everything it starts is stopped and deleted after.
.PHONY: chaos chaos-smoke
chaos: deps ## kill -9 each service, the broker, restart PostgreSQL during a 20,000-person import (CHAOS_PEOPLE=N)
	$(RUN) python -m bench.chaos

chaos-smoke: deps ## the chaos run at 2,000 people, one fault of each kind, a few minutes (CI)
	$(RUN) python -m bench.chaos --smoke
