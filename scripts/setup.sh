#!/usr/bin/env bash
# Installs what ipledger needs on a fresh Debian machine: the Debian packages the tests use and a
# virtual environment in .venv with the project and its test tools. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the test suite needs: the browser tests drive Debian's Chromium through Playwright
# (tests/web), never a browser downloaded by `playwright install`; prometheus brings promtool (the
# rules tests) and the prometheus binary (the end-to-end scrape test starts its own, never the service).
apt_packages=(chromium prometheus)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: please install the Debian packages: ${missing[*]}" >&2
  fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
