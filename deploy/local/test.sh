#!/usr/bin/env bash
# `make test`: lint, type-check, then the whole suite against a real PostgreSQL and Kafka.
# Servers already running are used and left running; those started here are stopped here.
# Usage: deploy/local/test.sh <command prefix that runs tools in the project environment>
# PYTEST_ARGS narrows the tests; TESTS_ONLY=1 skips ruff and mypy.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=("$@")

started=()
cleanup() {
    for script in "${started[@]}"; do deploy/local/$script stop || true; done
}
trap cleanup EXIT

for script in postgres.sh kafka.sh; do
    if ! deploy/local/$script status >/dev/null 2>&1; then
        deploy/local/$script start
        started=("$script" "${started[@]}")
    fi
done

if [ -z "${TESTS_ONLY:-}" ]; then
    echo "== ruff"
    "${RUN[@]}" ruff check .
    "${RUN[@]}" ruff format --check .
    echo "== mypy"
    "${RUN[@]}" mypy .
fi
# The browser tests drive Debian's Chromium: installed here when missing (and when they run).
if [[ -z "${PYTEST_ARGS:-}" || "${PYTEST_ARGS:-}" == *browser* ]]; then
    deploy/local/chromium.sh
fi
# The Prometheus rules and the local Prometheus are tested with Debian's prometheus package.
if [[ -z "${PYTEST_ARGS:-}" || "${PYTEST_ARGS:-}" == *ops* ]]; then
    deploy/local/prometheus.sh install
fi
# The account reports print names in DejaVu Sans (Debian's fonts-dejavu-core).
deploy/local/debian.sh fonts-dejavu-core:/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
# The bench's mail server, Postfix's smtp-sink, taken from Debian's package (not installed).
if [[ -z "${PYTEST_ARGS:-}" || "${PYTEST_ARGS:-}" == *bench* ]]; then
    deploy/local/smtp-sink.sh fetch
fi
echo "== pytest"
export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:${PG_PORT:-55432}/postgres"
export KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:${KAFKA_PORT:-9092}"
"${RUN[@]}" pytest ${PYTEST_ARGS:-}
