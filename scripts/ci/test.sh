#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate 4 (spec 7.4 "cargo test --all-targets"): every test of the ci preset (hermetic unit tests in
# parallel, then the root-only network-namespace tests one at a time, then the kernel-driver tests in
# a qemu VM), and the unit tests again under ASan+UBSan. A selection that matches zero tests fails (--no-tests=error).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
presets=${RUSTYNET_TEST_PRESETS:-"ci asan"}
regex=${RUSTYNET_TEST_REGEX:-}
jobs=${RUSTYNET_JOBS:-$(nproc)}
run_ctest() {
  local dir=$1
  shift
  local args=(--test-dir "$dir" --output-on-failure --no-tests=error "$@")
  [[ -n $regex ]] && args+=(-R "$regex")
  ctest "${args[@]}"
}
for preset in $presets; do
  dir="$RUSTYNET_ROOT/build/$preset"
  [[ -d $dir ]] || gate_fail "test: preset $preset is not built (run scripts/ci/build.sh)"
  echo "test: preset $preset, label unit"
  run_ctest "$dir" -L unit -j "$jobs" || gate_fail "test: unit tests failed in preset $preset"
  if [[ $preset == ci && -z $regex ]]; then
    if [[ $(id -u) -ne 0 ]]; then
      gate_fail "test: the netns tests need root; run the gates as root (they are never skipped)"
    fi
    # Root-only tests are never skipped: if the label selects nothing, --no-tests=error fails it.
    echo "test: preset $preset, label netns (serial, root)"
    run_ctest "$dir" -L netns -j 1 || gate_fail "test: network-namespace tests failed"
    echo "test: preset $preset, label vm (kernel WireGuard in qemu with Debian's kernel)"
    run_ctest "$dir" -L vm -j 1 || gate_fail "test: kernel-driver VM tests failed"
  fi
done
echo "test: ok ($presets)"
