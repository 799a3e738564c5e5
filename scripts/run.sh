#!/usr/bin/env bash
# Quick start: install what is needed, create (or upgrade) the ledger in ./ipledger.db and show
# what it holds. Any arguments are passed to the ipledger command instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export IPLEDGER_DATABASE="${IPLEDGER_DATABASE:-$PWD/ipledger.db}"
if [ $# -gt 0 ]; then
  exec .venv/bin/ipledger "$@"
fi
.venv/bin/ipledger init
.venv/bin/ipledger report utilization
echo
echo "The ledger is ready. Try:  .venv/bin/ipledger --help   (database: $IPLEDGER_DATABASE)"
