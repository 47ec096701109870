#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every gate and test of Rustynet (spec section 7 and the project's own), then prints a summary
# table. Self-sufficient on a fresh Debian 12 machine as root: installs what it needs first.
# Every gate runs even after a failure, so one run shows everything; any failure fails the whole run.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

"$repo/scripts/bootstrap.sh" || { echo "ci: bootstrap failed" >&2; exit 1; }

# Order matters only where a gate needs another's output: lint needs the compile database from
# build, test needs the build.
gates=(
  "format:scripts/ci/format.sh"
  "layering:scripts/ci/layering.sh"
  "leakage:scripts/ci/leakage.sh"
  "unsafe:scripts/ci/unsafe.sh"
  "docs:scripts/ci/docs.sh"
  "deps-audit:scripts/ci/deps-audit.sh"
  "deps-policy:scripts/ci/deps-policy.sh"
  "build:scripts/ci/build.sh"
  "packages:scripts/ci/packages.sh"
  "systemd-units:scripts/ci/systemd-units.sh"
  "lint:scripts/ci/lint.sh"
  "test:scripts/ci/test.sh"
  "tsan:scripts/ci/tsan.sh"
  "fuzz:scripts/ci/fuzz.sh"
  "selftest:scripts/ci/selftest.sh"
  "perf-short:scripts/ci/perf-short.sh"
  "acceptance:scripts/acceptance.sh"
)
[[ -n ${RUSTYNET_CI_ONLY:-} ]] && mapfile -t gates < <(printf '%s\n' "${gates[@]}" | grep -E "^(${RUSTYNET_CI_ONLY//,/|}):")

mkdir -p "$repo/build/ci-logs"
results=()
failures=0
total_start=$SECONDS
record() {
  local name=$1 status=$2 seconds=$3
  [[ $status == pass ]] || failures=$((failures + 1))
  results+=("$(printf '%-14s %-5s %6ds' "$name" "$status" "$seconds")")
}

# lint is CPU-bound while the namespace tests mostly wait on the network, so lint runs in the
# background from the moment the compile database exists. It is joined before the gates that
# measure time (perf-short and acceptance's P1-AT-15: idle CPU, reconnect, throughput) and before
# the summary.
lint_pid=""
join_lint() {
  [[ -n $lint_pid ]] || return 0
  wait "$lint_pid" || true
  lint_pid=""
  echo "==== gate: lint (output)"
  cat "$repo/build/ci-logs/lint.log"
  if [[ $(cat "$repo/build/ci-logs/lint.rc" 2>/dev/null) == 0 ]]; then
    record lint pass "$(cat "$repo/build/ci-logs/lint.seconds")"
  else
    record lint FAIL "$(cat "$repo/build/ci-logs/lint.seconds" 2>/dev/null || echo 0)"
  fi
}
for entry in "${gates[@]}"; do
  name=${entry%%:*}
  script=${entry#*:}
  if [[ $name == lint ]]; then
    echo "==== gate: lint ($script) started in the background"
    lint_start=$SECONDS
    ( "$repo/$script" > "$repo/build/ci-logs/lint.log" 2>&1; echo $? > "$repo/build/ci-logs/lint.rc"
      echo $((SECONDS - lint_start)) > "$repo/build/ci-logs/lint.seconds" ) &
    lint_pid=$!
    continue
  fi
  [[ $name == perf-short || $name == acceptance ]] && join_lint
  echo "==== gate: $name ($script)"
  start=$SECONDS
  if "$repo/$script" 2>&1 | tee "$repo/build/ci-logs/$name.log"; then
    record "$name" pass $((SECONDS - start))
    # acceptance's P1-AT-15 judges this run's short perf report instead of measuring again
    [[ $name == perf-short ]] && export RUSTYNET_ACCEPT_PERF_REPORT="$repo/artifacts/perf/phase1-short/baseline.json"
  else
    record "$name" FAIL $((SECONDS - start))
  fi
done
join_lint

echo
echo "==== summary"
printf '%-14s %-5s %7s\n' gate status time
printf '%s\n' "${results[@]}"
printf 'total: %ds\n' $((SECONDS - total_start))
passed=$((${#gates[@]} - failures))
# The plain closing line CI reads: gates passed and failed.
echo "gates: $passed passed, $failures failed"
((failures == 0))
