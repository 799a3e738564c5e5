#!/usr/bin/env bash
# Quick start: install what is needed, create (or upgrade) the ledger in ./ipledger.db and serve
# the web UI on http://127.0.0.1:8080/ and the HTTP API under /api/v1 (docs at /api/v1/docs) until Ctrl-C.
# Any arguments are passed to the ipledger command instead, e.g. scripts/run.sh prefix list.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export IPLEDGER_DATABASE="${IPLEDGER_DATABASE:-$PWD/ipledger.db}"
if [ $# -gt 0 ]; then
  exec .venv/bin/ipledger "$@"
fi
.venv/bin/ipledger init
exec .venv/bin/ipledger serve
