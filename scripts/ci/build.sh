#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate 3 (spec 7.3 "cargo check --all-targets"): configure (which runs the CMake layering check),
# build every target of every preset CI uses, and compile each public header on its own.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
presets=${RUSTYNET_BUILD_PRESETS:-"ci asan"}
jobs=${RUSTYNET_JOBS:-$(nproc)}
for preset in $presets; do
  echo "build: configure preset $preset"
  mkdir -p "$RUSTYNET_ROOT/build"
  cmake --preset "$preset" > "$RUSTYNET_ROOT/build/configure-$preset.log" 2>&1 || {
    tail -40 "$RUSTYNET_ROOT/build/configure-$preset.log" >&2
    gate_fail "build: configure of preset $preset failed"
  }
  if [[ -n ${RUSTYNET_BUILD_TARGETS:-} ]]; then
    # shellcheck disable=SC2086 # word splitting of the target list is intended
    cmake --build --preset "$preset" -j "$jobs" --target $RUSTYNET_BUILD_TARGETS || gate_fail "build: preset $preset failed"
  else
    cmake --build --preset "$preset" -j "$jobs" || gate_fail "build: preset $preset failed"
    # Header self-containment does not depend on the preset's flags: check it once (first preset).
    if [[ $preset == "${presets%% *}" ]]; then
      cmake --build --preset "$preset" -j "$jobs" --target check_headers ||
        gate_fail "build: a public header does not compile on its own"
    fi
  fi
done
echo "build: ok ($presets)"
