#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the gate scripts. Every gate works on RUSTYNET_ROOT (default: this checkout) so
# that scripts/ci/selftest.sh can run it against a temporary copy with an injected violation.
set -euo pipefail

RUSTYNET_ROOT=${RUSTYNET_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export RUSTYNET_ROOT
cd "$RUSTYNET_ROOT"

gate_fail() {
  echo "GATE FAILED: $*" >&2
  exit 1
}

# Project C++ sources (never build output). Prints one path per line; fails on an empty set so a
# gate can never pass by scanning nothing.
project_sources() {
  local found
  found=$(find libs apps tests bench \( -name build -prune \) -o -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' -o -name '*.cc' \) -print | LC_ALL=C sort)
  [[ -n "$found" ]] || gate_fail "no C++ sources found under $RUSTYNET_ROOT"
  printf '%s\n' "$found"
}

# The build directory the gates share (configured by build.sh).
ci_build_dir() {
  echo "${RUSTYNET_BUILD_DIR:-$RUSTYNET_ROOT/build/ci}"
}

# Compiler cache shared by every checkout on this machine: paths are rewritten relative to the
# checkout, so a fresh clone in another folder reuses objects built from identical sources.
export CCACHE_BASEDIR="$RUSTYNET_ROOT"
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
