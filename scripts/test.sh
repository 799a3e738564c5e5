#!/usr/bin/env bash
# The whole test suite, as CI runs it: install, lint (ruff), type-check (mypy --strict), then
# pytest against SQLite and PostgreSQL. Fails if PostgreSQL is missing under CI=true, and if
# pytest collects no tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# PostgreSQL is started by the machine; start it if it has stopped.
postgres_up() { .venv/bin/python -c 'import socket; socket.create_connection(("127.0.0.1", 5432), 1)' 2>/dev/null; }
if ! postgres_up && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  for _ in $(seq 1 20); do postgres_up && break; sleep 0.5; done
fi

.venv/bin/ruff check ipledger tests bench
.venv/bin/ruff format --check ipledger tests bench
.venv/bin/mypy
# pytest exits 5 when it collects nothing; set -e makes that (like any failure) fail the run.
.venv/bin/python -m pytest "$@"
