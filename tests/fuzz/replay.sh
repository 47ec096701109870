#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Replays a fuzz target's checked-in inputs (seed corpus and crash regressions), each file once.
# Usage: replay.sh FUZZ_BINARY CORPUS_DIR REGRESSIONS_DIR
# Fails if the binary fails on any input, if the corpus is missing or empty (no vacuous pass), or
# if libFuzzer reports a different number of executed inputs than files given.
set -euo pipefail
binary=$1
corpus=$2
regressions=$3
[[ -x $binary ]] || { echo "replay: $binary is not an executable" >&2; exit 1; }
[[ -d $corpus ]] || { echo "replay: corpus directory $corpus is missing" >&2; exit 1; }
mapfile -t files < <(find "$corpus" -type f ! -name '.*' | sort)
((${#files[@]} > 0)) || { echo "replay: corpus $corpus is empty" >&2; exit 1; }
seeds=${#files[@]}
if [[ -d $regressions ]]; then
  mapfile -t -O "${#files[@]}" files < <(find "$regressions" -type f ! -name '.*' | sort)
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Given files (not directories), libFuzzer runs each input once and exits non-zero on a crash.
if ! "$binary" -runs=1 "${files[@]}" > "$log" 2>&1; then
  cat "$log" >&2
  echo "replay: $(basename "$binary") FAILED on a checked-in input (see above)" >&2
  exit 1
fi
ran=$(grep -c '^Running: ' "$log" || true)
if ((ran != ${#files[@]})); then
  cat "$log" >&2
  echo "replay: expected ${#files[@]} inputs to run, libFuzzer ran $ran" >&2
  exit 1
fi
echo "replay: $(basename "$binary"): $ran inputs ($seeds seeds, $((ran - seeds)) regressions) pass"
