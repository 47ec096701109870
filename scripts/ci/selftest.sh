#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Negative self-tests: each gate, run on a temporary copy of the tree with one injected violation,
# must fail and name the violation. A gate that cannot fail proves nothing.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d /tmp/rustynet-selftest-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
# Seconds each self-test took, its copy and set-up included (printed on its line).
last=$SECONDS
lap=0
take_lap() {
  lap=$((SECONDS - last))
  last=$SECONDS
}

fresh_copy() {
  local dest="$work/$1"
  mkdir -p "$dest"
  tar -C "$repo" --exclude=./build --exclude=./.git --exclude=./artifacts -cf - . | tar -C "$dest" -xf -
  echo "$dest"
}

# expect_failure NAME EXPECTED-TEXT COMMAND...: the command must exit non-zero and print EXPECTED-TEXT.
expect_failure() {
  local name=$1 expected=$2
  shift 2
  local output status=0
  output=$("$@" 2>&1) || status=$?
  take_lap
  if ((status != 0)) && grep -qF -- "$expected" <<< "$output"; then
    printf 'selftest: %-34s ok %5s (failed as expected: %s)\n' "$name" "${lap}s" "$expected"
    passed=$((passed + 1))
  else
    printf 'selftest: %-34s BROKEN %5s (exit %d, expected failure mentioning "%s")\n' "$name" "${lap}s" "$status" "$expected" >&2
    tail -20 <<< "$output" >&2
    failed=$((failed + 1))
  fi
}

# expect_success NAME COMMAND...: the positive control before an injection (the unmodified input
# passes), so the failure that follows is caused by the injected violation and nothing else.
expect_success() {
  local name=$1
  shift
  local output status=0
  output=$("$@" 2>&1) || status=$?
  take_lap
  if ((status == 0)); then
    printf 'selftest: %-34s ok %5s (passes before the injection)\n' "$name" "${lap}s"
    passed=$((passed + 1))
  else
    printf 'selftest: %-34s BROKEN %5s (exit %d on the unmodified input)\n' "$name" "${lap}s" "$status" >&2
    tail -20 <<< "$output" >&2
    failed=$((failed + 1))
  fi
}

gate() { RUSTYNET_ROOT=$1 "$repo/scripts/ci/$2"; }

# 1 format
t=$(fresh_copy format)
printf 'int   badly_formatted( ) {return 0 ;}\n' >> "$t/libs/policy/src/decision.cpp"
expect_failure format "formatting differences" gate "$t" format.sh

# 7 leakage
t=$(fresh_copy leakage)
printf '// uses a WireGuard peer here\n' >> "$t/libs/policy/src/decision.cpp"
expect_failure leakage "WireGuard-specific names" gate "$t" leakage.sh

# 8 unsafe: a banned construct, then a stale allowlist entry
t=$(fresh_copy unsafe)
printf 'static const char* p = reinterpret_cast<const char*>(&p);\n' >> "$t/libs/policy/src/decision.cpp"
expect_failure unsafe-banned "[reinterpret_cast]" gate "$t" unsafe.sh
t=$(fresh_copy unsafe-stale)
printf 'libs/policy/src/decision.cpp | raw-new | new Foo | no longer there\n' >> "$t/scripts/ci/unsafe_allowlist.txt"
expect_failure unsafe-stale "stale entry" gate "$t" unsafe.sh

# 9 docs: unresolved marker, broken link
t=$(fresh_copy docs)
printf '\nTo do: [[UNRESOLVED]]\n' >> "$t/docs/architecture.md"
expect_failure docs-marker "unresolved markers" gate "$t" docs.sh
t=$(fresh_copy docs-link)
printf '\nSee [missing](no-such-file.md).\n' >> "$t/docs/architecture.md"
expect_failure docs-link "no-such-file.md" gate "$t" docs.sh

# 9c docs: a traceability row removed
t=$(fresh_copy docs-trace)
sed -i '/^| P1-17 |/d' "$t/docs/traceability.md"
expect_failure docs-traceability "row P1-17 is missing" gate "$t" docs.sh

# layering: include edge, then link edge (CMake configure check)
t=$(fresh_copy layering-include)
printf '#include "rustynet/backend_wireguard/driver_kind.hpp"\n' >> "$t/libs/policy/src/decision.cpp"
expect_failure layering-include "forbidden edge policy -> backend_wireguard" gate "$t" layering.sh
t=$(fresh_copy layering-link)
sed -i 's|^    rustynet::base$|    rustynet::base\n    rustynet::backend_wireguard|' "$t/libs/policy/CMakeLists.txt"
expect_failure layering-link "forbidden edge policy -> backend_wireguard" \
  cmake -S "$t" -B "$t/build/layering" -G Ninja -DRUSTYNET_BUILD_TESTS=OFF -DRUSTYNET_BUILD_BENCH=OFF

# 5 deps-audit: a minimum above what is installed; a known-bad range that covers the installed version
t=$(fresh_copy deps-audit)
sed -i -E 's/^(libsodium23)\t[^\t]+/\1\t99.0/' "$t/cmake/dependencies.tsv"
expect_failure deps-audit-min "below the minimum safe version" gate "$t" deps-audit.sh
t=$(fresh_copy deps-audit-bad)
sed -i -E 's/^(libmnl0\t[^\t]+)\t-/\1\t1.0.0..9.9.9/' "$t/cmake/dependencies.tsv"
expect_failure deps-audit-bad "known-vulnerable range" gate "$t" deps-audit.sh

# 6 deps-policy: a download at configure time; a licence off the allowlist
t=$(fresh_copy deps-policy)
printf 'include(FetchContent)\n' >> "$t/cmake/Dependencies.cmake"
expect_failure deps-policy-download "build files download code" gate "$t" deps-policy.sh
t=$(fresh_copy deps-policy-licence)
sed -i -E 's/^(libmnl0\t[^\t]+\t[^\t]+)\tLGPL-2.1/\1\tSSPL-1.0/' "$t/cmake/dependencies.tsv"
expect_failure deps-policy-licence "not on the allowlist" gate "$t" deps-policy.sh

# systemd units: a dropped hardening directive fails the gate
t=$(fresh_copy systemd-units)
sed -i '/^NoNewPrivileges=yes$/d' "$t/apps/rustynetd/systemd/rustynetd.service"
expect_failure systemd-units "NoNewPrivileges" gate "$t" systemd-units.sh

# 3 build: a conversion warning is an error
t=$(fresh_copy build)
printf 'int rustynet_narrowing(double d);\nint rustynet_narrowing(double d) { return d; }\n' >> "$t/libs/base/src/sys_error.cpp"
expect_failure build "rustynet_narrowing" env RUSTYNET_ROOT="$t" RUSTYNET_BUILD_PRESETS=ci \
  RUSTYNET_BUILD_TARGETS=rustynet_base "$repo/scripts/ci/build.sh"

# 4 test: a failing assertion fails the gate
t=$(fresh_copy test)
printf 'TEST(SelfTestInjected, Fails) { EXPECT_EQ(1, 2); }\n' >> "$t/tests/base/result_test.cpp"
RUSTYNET_ROOT="$t" RUSTYNET_BUILD_PRESETS=ci RUSTYNET_BUILD_TARGETS=base_test "$repo/scripts/ci/build.sh" > /dev/null 2>&1 || true
expect_failure test "SelfTestInjected.Fails" env RUSTYNET_ROOT="$t" RUSTYNET_TEST_PRESETS=ci RUSTYNET_TEST_REGEX=base_test \
  "$repo/scripts/ci/test.sh"

# 2 lint: a clang-tidy finding is an error (configure only, then tidy one file)
t=$(fresh_copy lint)
printf 'namespace rustynet::base {\nint BadlyNamedFunction() { return 0; }\n}  // namespace rustynet::base\n' >> "$t/libs/base/src/sys_error.cpp"
cmake --preset ci -S "$t" > /dev/null 2>&1 || (cd "$t" && cmake --preset ci > /dev/null 2>&1) || true
expect_failure lint "BadlyNamedFunction" env RUSTYNET_ROOT="$t" RUSTYNET_LINT_FILES=libs/base/src/sys_error.cpp \
  "$repo/scripts/ci/lint.sh"

# ---- the gates added for issue 12: tsan, fuzz, perf-short, acceptance ---------------------------
# Each needs a build; none reuses build/ci, build/tsan or build/fuzz (a temporary copy cannot share
# their CMake caches), so each builds one tiny extra target in its copy and injects the violation
# there. The copies configure their presets once (~10 s each) and compile a few small files.

# tsan: a test with an unsynchronised counter, selected through RUSTYNET_TSAN_TESTS. Two threads
# write without any happens-before edge between them, so TSan reports it on every run.
t=$(fresh_copy tsan)
cat > "$t/tests/selftest_race_test.cpp" << 'CPP'
// SPDX-License-Identifier: Apache-2.0
// Injected by scripts/ci/selftest.sh: a deliberate data race the tsan gate must report.
#include <gtest/gtest.h>

#include <thread>

namespace {
int racy_counter = 0;  // written by two threads without synchronisation

TEST(SelfTestInjectedRace, UnsynchronisedIncrement) {
  const auto bump = [] {
    for (int i = 0; i < 10000; ++i) {
      racy_counter = racy_counter + 1;
    }
  };
  std::thread first(bump);
  std::thread second(bump);
  first.join();
  second.join();
  EXPECT_GT(racy_counter, 0);
}
}  // namespace
CPP
printf 'rustynet_add_test(selftest_race_test SOURCES selftest_race_test.cpp)\n' >> "$t/tests/CMakeLists.txt"
expect_failure tsan-race "WARNING: ThreadSanitizer: data race" env RUSTYNET_ROOT="$t" \
  RUSTYNET_TSAN_TESTS=selftest_race_test RUSTYNET_JOBS=2 "$repo/scripts/ci/tsan.sh"

# fuzz: a target that aborts on inputs starting with "BOOM", selected through RUSTYNET_FUZZ_TARGETS
# (the copy builds only it). First a checked-in regression input crashes it during the replay; then,
# without that input, the fuzzer itself must find the crash from the seed "BOO" and the gate must
# report the target; last, a harness source without a target.
t=$(fresh_copy fuzz)
cat > "$t/tests/fuzz/selftest_crash_fuzz.cpp" << 'CPP'
// SPDX-License-Identifier: Apache-2.0
// Injected by scripts/ci/selftest.sh: a parser that crashes on inputs starting with "BOOM".
#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size >= 4 && data[0] == 'B' && data[1] == 'O' && data[2] == 'O' && data[3] == 'M') {
    std::abort();
  }
  return 0;
}
CPP
mkdir -p "$t/tests/fuzz/corpus/fuzz_selftest_crash" "$t/tests/fuzz/regressions/fuzz_selftest_crash"
printf 'BOO' > "$t/tests/fuzz/corpus/fuzz_selftest_crash/seed"
printf 'BOOM' > "$t/tests/fuzz/regressions/fuzz_selftest_crash/crash-boom"
sed -i '/^file(GENERATE OUTPUT/i rustynet_add_fuzzer(fuzz_selftest_crash SOURCES selftest_crash_fuzz.cpp)' \
  "$t/tests/fuzz/CMakeLists.txt"
fuzz_gate() { env RUSTYNET_ROOT="$t" RUSTYNET_FUZZ_TARGETS=fuzz_selftest_crash RUSTYNET_FUZZ_SECONDS=30 "$repo/scripts/ci/fuzz.sh"; }
expect_failure fuzz-regression "fuzz: replay of fuzz_selftest_crash failed" fuzz_gate
rm "$t/tests/fuzz/regressions/fuzz_selftest_crash/crash-boom"
expect_failure fuzz-crash-found "fuzz: fuzz_selftest_crash FAILED" fuzz_gate
printf '// no target registered for this harness\n' > "$t/tests/fuzz/orphan_fuzz.cpp"
expect_failure fuzz-orphan-harness "has no target fuzz_orphan" fuzz_gate

# perf-short: a report the validator accepts (built from the validator tests' good report, short
# form) passes the gate's validation path; the same report without one metric, and with one value
# over its budget, fail it naming the metric. RUSTYNET_PERF_SHORT_REPORT skips the harness.
t=$(fresh_copy perf-short)
mkdir -p "$work/perf-report"
python3 - "$t/scripts/perf" "$work/perf-report" << 'PY'
import json, os, sys
sys.path.insert(0, sys.argv[1])
import test_validate_report
report = test_validate_report.good_report(sys.argv[2])
report["mode"] = "short"
with open(os.path.join(sys.argv[2], "baseline.json"), "w", encoding="utf-8") as fh:
    json.dump(report, fh)
PY
perf_gate() { env RUSTYNET_ROOT="$t" RUSTYNET_PERF_SHORT_REPORT="$work/perf-report/baseline.json" "$repo/scripts/ci/perf-short.sh"; }
expect_success perf-short-good-report perf_gate
cp "$work/perf-report/baseline.json" "$work/perf-report/good.json"
python3 - "$work/perf-report/baseline.json" << 'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
report["metrics"] = [m for m in report["metrics"] if m["key"] != "reconnect_seconds"]
json.dump(report, open(sys.argv[1], "w", encoding="utf-8"))
PY
expect_failure perf-short-missing-metric "reconnect_seconds: required metric is missing" perf_gate
python3 - "$work/perf-report/good.json" "$work/perf-report/baseline.json" << 'PY'
import json, sys
report = json.load(open(sys.argv[1], encoding="utf-8"))
metric = next(m for m in report["metrics"] if m["key"] == "idle_cpu_percent")
metric.update({"value": 3.5, "p95": 3.5, "max": 3.5, "pass": False})  # consistent: only the budget is broken
json.dump(report, open(sys.argv[2], "w", encoding="utf-8"))
PY
expect_failure perf-short-over-budget "idle_cpu_percent: 3.5 percent exceeds the threshold 2.0" perf_gate

# acceptance: a row whose evidence is broken (the threat model cites a test that does not exist),
# a gtest filter that runs zero tests while the binary exits 0 (a stub binary in a stub build
# directory), and an --only that selects no row. No row here needs a real build.
t=$(fresh_copy acceptance)
stub="$work/acceptance-build"
mkdir -p "$stub/tests/crypto"
touch "$stub/CTestTestfile.cmake" "$stub/build.ninja"
cat > "$stub/tests/crypto/crypto_test" << 'SH'
#!/bin/sh
# stub gtest binary: exits 0 having run nothing (what a filter matching no test must not pass as)
echo "[==========] 0 tests from 0 test suites ran. (0 ms total)"
echo "[  PASSED  ] 0 tests."
SH
chmod +x "$stub/tests/crypto/crypto_test"
accept() { "$t/scripts/acceptance.sh" --build-dir "$stub" --artifacts "$work/acceptance-artifacts" "$@"; }
sed -i 's/`ControlServerTest.SlowClientCutOffAfterRequestTimeout`/`ControlServerTest.SelfTestInjectedMissing`/' \
  "$t/docs/threat-model.md"
expect_failure acceptance-broken-evidence "test ControlServerTest.SelfTestInjectedMissing does not exist" \
  accept --only P1-AT-09
expect_failure acceptance-zero-tests "on crypto_test ran no test" accept --only P1-AT-11
expect_failure acceptance-no-row "--only selected no row" accept --only P1-AT-99

echo "selftest: $passed passed, $failed failed (${SECONDS}s)"
((failed == 0))
