#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fuzz gate (issue 12, spec 9/10): builds the libFuzzer targets of tests/fuzz with the `fuzz` preset
# (clang-14, ASan+UBSan), replays every checked-in seed and crash-regression input, then runs EVERY
# target for RUSTYNET_FUZZ_SECONDS (default 20) seconds, RUSTYNET_FUZZ_JOBS (default 2) at a time.
# Fails on: any crash/leak/timeout/property violation, a target that executed zero inputs, a target
# without a seed corpus, a *_fuzz.cpp source without a built target, or an empty target list: the
# gate never passes vacuously. Crash inputs land in build/fuzz/fuzz-artifacts/<target>/; copy them
# to tests/fuzz/regressions/<target>/ once the parser is fixed (docs/fuzzing.md).
# RUSTYNET_FUZZ_TARGETS (comma or space separated target names) builds, replays and runs only those
# targets (local runs; scripts/ci/selftest.sh's crashing target); the check that every harness
# source has a target still covers all of them. Unset in CI: every target.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
seconds=${RUSTYNET_FUZZ_SECONDS:-20}
jobs=${RUSTYNET_FUZZ_JOBS:-2}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || gate_fail "fuzz: RUSTYNET_FUZZ_SECONDS must be a positive integer"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || gate_fail "fuzz: RUSTYNET_FUZZ_JOBS must be a positive integer"
fuzz_dir=tests/fuzz
build_dir=$RUSTYNET_ROOT/build/fuzz
started=$(date +%s)

command -v clang++-14 > /dev/null || gate_fail "fuzz: clang++-14 missing (scripts/bootstrap.sh installs clang-14 libfuzzer-14-dev)"
echo "fuzz: configure + build (preset fuzz)"
mkdir -p "$RUSTYNET_ROOT/build"
cmake --preset fuzz > "$RUSTYNET_ROOT/build/fuzz-configure.log" 2>&1 ||
  { cat "$RUSTYNET_ROOT/build/fuzz-configure.log" >&2; gate_fail "fuzz: configure failed"; }
selected=()
[[ -n ${RUSTYNET_FUZZ_TARGETS:-} ]] && read -ra selected <<<"${RUSTYNET_FUZZ_TARGETS//,/ }"
if ((${#selected[@]} == 0)); then
  cmake --build --preset fuzz -j "$jobs" || gate_fail "fuzz: build failed"
else
  echo "fuzz: RUSTYNET_FUZZ_TARGETS selects ${selected[*]} (not every target)"
  cmake --build "$build_dir" -j "$jobs" --target "${selected[@]}" || gate_fail "fuzz: build failed"
fi
built=$(date +%s)

list=$build_dir/fuzz_targets.tsv
[[ -s $list ]] || gate_fail "fuzz: no fuzz targets registered ($list is empty)"
# Membership by associative array: `printf | grep -q` under pipefail fails at random when grep
# exits before printf has written everything (SIGPIPE).
declare -A registered=() wanted=()
for name in "${selected[@]}"; do wanted[$name]=1; done
names=()
binaries=()
while IFS=$'\t' read -r name binary; do
  [[ -n $name ]] || continue
  registered[$name]=1
  ((${#selected[@]} == 0)) || [[ -n ${wanted[$name]:-} ]] || continue
  names+=("$name")
  binaries+=("$binary")
done < "$list"
((${#names[@]} > 0)) || gate_fail "fuzz: zero fuzz targets"
for name in "${selected[@]}"; do
  [[ -n ${registered[$name]:-} ]] || gate_fail "fuzz: RUSTYNET_FUZZ_TARGETS names $name, which is not a fuzz target"
done

# Every harness source has a target, and every (selected) target has a non-empty seed corpus.
while IFS= read -r source; do
  stem=$(basename "$source" _fuzz.cpp)
  [[ -n ${registered[fuzz_$stem]:-} ]] || gate_fail "fuzz: $source has no target fuzz_$stem in $fuzz_dir/CMakeLists.txt"
done < <(find "$fuzz_dir" -name '*_fuzz.cpp' | sort)
for i in "${!names[@]}"; do
  name=${names[$i]}
  [[ -x ${binaries[$i]} ]] || gate_fail "fuzz: ${binaries[$i]} was not built"
  corpus=$fuzz_dir/corpus/$name
  [[ -d $corpus ]] || gate_fail "fuzz: seed corpus $corpus is missing"
  [[ -n $(find "$corpus" -type f ! -name '.*' -print -quit) ]] || gate_fail "fuzz: seed corpus $corpus is empty"
  [[ -d $fuzz_dir/regressions/$name ]] || gate_fail "fuzz: regression directory $fuzz_dir/regressions/$name is missing"
done

echo "fuzz: replaying checked-in corpora and regressions (${#names[@]} targets)"
for i in "${!names[@]}"; do
  name=${names[$i]}
  "$fuzz_dir/replay.sh" "${binaries[$i]}" "$fuzz_dir/corpus/$name" "$fuzz_dir/regressions/$name" ||
    gate_fail "fuzz: replay of $name failed"
done

# One bounded run per target; the new inputs go to build/fuzz/fuzz-work/<target> (never into the
# checked-in seeds), crash inputs to build/fuzz/fuzz-artifacts/<target>/.
run_one() {
  local name=$1 binary=$2
  local work=$build_dir/fuzz-work/$name artifacts=$build_dir/fuzz-artifacts/$name log=$build_dir/fuzz-logs/$name.log
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  local status=0
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work" "$fuzz_dir/corpus/$name" > "$log" 2>&1 || status=$?
  local execs rate
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "${execs:-0}" "${rate:-0}" "$(find "$work" -type f | wc -l)"
}
export -f run_one
export build_dir fuzz_dir seconds

echo "fuzz: running each target for ${seconds}s, $jobs at a time"
summary=$build_dir/fuzz-summary.tsv
for i in "${!names[@]}"; do
  printf '%s\t%s\n' "${names[$i]}" "${binaries[$i]}"
done | xargs -P "$jobs" -L 1 bash -c 'run_one "$0" "$1"' | sort > "$summary"

failed=0
printf '%-22s %8s %12s %10s %8s\n' target status executions exec/s corpus
while IFS=$'\t' read -r name status execs rate corpus; do
  printf '%-22s %8s %12s %10s %8s\n' "$name" "$status" "$execs" "$rate" "$corpus"
  if [[ $status != 0 ]]; then
    echo "fuzz: $name FAILED; log $build_dir/fuzz-logs/$name.log, input(s):" >&2
    find "$build_dir/fuzz-artifacts/$name" -type f >&2
    tail -n 40 "$build_dir/fuzz-logs/$name.log" >&2
    failed=1
  elif ! [[ $execs =~ ^[0-9]+$ ]] || ((execs == 0)); then
    echo "fuzz: $name executed zero inputs (log $build_dir/fuzz-logs/$name.log)" >&2
    failed=1
  fi
done < "$summary"
ran=$(wc -l < "$summary")
((ran == ${#names[@]})) || gate_fail "fuzz: $ran of ${#names[@]} targets reported a result"
((failed == 0)) || gate_fail "fuzz: a target crashed, violated a property or did not run (see above)"
finished=$(date +%s)
echo "fuzz: ok (${#names[@]} targets, ${seconds}s each; build $((built - started))s, total $((finished - started))s)"
