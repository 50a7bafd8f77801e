#!/usr/bin/env bash
# Installs the Debian 12 packages the project builds and tests with, then
# the dashboard's npm packages (web/package-lock.json) into web/node_modules.
# Idempotent: does nothing (and touches no network) when everything is
# present. Extra package names given as arguments are installed too.
# --programs: only what building and running the programs needs (what
# tools/demo.sh uses), not the test tools, PostgreSQL's server, clang or
# Chromium: a first demo then downloads a quarter as much.
#   tools/setup.sh [--programs] [extra-package...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

programs_only=false
if [ "${1:-}" = --programs ]; then
  programs_only=true
  shift
fi

packages=(
  meson ninja-build pkg-config g++ python3
  libboost1.81-dev libboost-json1.81-dev
  libnats-dev libcli11-dev doctest-dev
  libssl-dev
  nats-server
  libsqlite3-dev               # iot-server: the embedded database
  libpq-dev                    # iot-server: PostgreSQL's client
  prometheus-cpp-dev           # iot-server: the metrics text format (its core library only)
)
if ! $programs_only; then
  packages+=(
    openssl                    # tests: certificates and keys for the TLS and NKey suites
    curl                       # tests: an independent HTTP client
    python3-jsonschema         # tests: responses checked against the OpenAPI document
    clang-format
    sqlite3                    # the shell, to look into iot-server's database
    postgresql                 # tests: a throwaway PostgreSQL server
    wrk                        # iot-bench: the HTTP load generator
    clang libclang-rt-14-dev   # tools/fuzz.sh: libFuzzer and the sanitizer runtimes for clang
    chromium                   # tests: the browser suite drives it headless
  )
fi
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [ "$status" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
# Node.js and npm: Debian's, unless a Node.js (which brings its own npm) is there.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

sudo=()
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "setup: missing packages (${missing[*]}) and not root, and sudo is not available" >&2
    exit 1
  fi
  sudo=(sudo)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  # env: sudo would drop DEBIAN_FRONTEND from the environment.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The dashboard's packages, exactly as locked: uPlot (built into iot-server),
# and for the tests playwright-core and axe-core (the browser suite). Again
# when the lock changed, or when the tests' packages are wanted but missing.
npm_args=(--no-audit --no-fund --loglevel=error)
if $programs_only; then
  npm_args+=(--omit=dev)
fi
if [ ! -f web/node_modules/.package-lock.json ] ||
  [ web/package-lock.json -nt web/node_modules/.package-lock.json ] ||
  { ! $programs_only && [ ! -d web/node_modules/playwright-core ]; }; then
  echo "setup: npm ci in web/"
  (cd web && npm ci "${npm_args[@]}")
fi
