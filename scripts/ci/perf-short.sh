#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CI gate: the short form of the Phase 1 performance harness (issue 11) against the CI build, then the
# report validator (and its own negative tests). Fails closed: a missing binary, a metric that could
# not be measured, too few samples or a broken budget fails the gate. Root only (network namespaces).
# Report: artifacts/perf/phase1-short/ (the full baseline in artifacts/perf/phase1/ is left alone).
# RUSTYNET_PERF_SHORT_REPORT=DIR/baseline.json skips the harness and judges that existing report
# (with its raw sample files) exactly as a fresh one: scripts/ci/selftest.sh feeds it broken reports,
# and a saved run can be re-checked. Unset in CI.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_dir=$(ci_build_dir)
out_dir=$RUSTYNET_ROOT/artifacts/perf/phase1-short
report=${RUSTYNET_PERF_SHORT_REPORT:-}

echo "perf-short: validator self-test"
(cd "$RUSTYNET_ROOT/scripts/perf" && python3 test_validate_report.py 2>&1) || gate_fail "perf-short: validator tests failed"

if [[ -n $report ]]; then
  echo "perf-short: RUSTYNET_PERF_SHORT_REPORT set: judging $report (the harness does not run)"
  [[ -f $report ]] || gate_fail "perf-short: no report at $report"
else
  for binary in apps/rustynetd/rustynetd apps/rustynet/rustynet apps/rustynet-control/rustynet-control \
    bench/filter/filter_bench_tool; do
    [[ -x $build_dir/$binary ]] || gate_fail "perf-short: $build_dir/$binary is not built (run the build gate first)"
  done
  echo "perf-short: short harness run against $build_dir"
  "$RUSTYNET_ROOT/scripts/perf/run_phase1_baseline.sh" --short --no-build --build-dir "$build_dir" --out "$out_dir" ||
    gate_fail "perf-short: the harness failed (a metric could not be measured)"
  report=$out_dir/baseline.json
  [[ -f $report ]] || gate_fail "perf-short: no report written"
fi
python3 "$RUSTYNET_ROOT/scripts/perf/validate_report.py" "$report" --short ||
  gate_fail "perf-short: the report does not validate"
echo "perf-short: ok ($report)"
