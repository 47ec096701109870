#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ThreadSanitizer gate (issue 12): builds only the concurrency-heavy tests (daemon, control server,
# relay) in the `tsan` preset and runs them. Fails on any TSan report, on any test failure and when
# the selection matches fewer tests than listed (never passes vacuously).
#   RUSTYNET_TSAN_BUILD_DIR  build directory (default build/tsan, the preset's)
#   RUSTYNET_JOBS            parallel jobs (default nproc)
#   RUSTYNET_TSAN_TESTS      test names (comma or space separated) instead of the gate's list; for
#                            scripts/ci/selftest.sh (a deliberately racy test) and local runs
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Daemon (state loop, local API, long-poll client, runtime, relay links), control server (Asio threads, shared
# limiter/lockout/store), relay (server loop, sessions). The control load test is left out: it is a
# throughput test whose rates TSan's 5-15x slowdown would distort; its code paths are the server's.
tests=(rustynetd_test rustynetd_local_api_server_test rustynetd_https_client_test rustynetd_relay_test control_server_test relay_test)
if [[ -n ${RUSTYNET_TSAN_TESTS:-} ]]; then
  read -ra tests <<<"${RUSTYNET_TSAN_TESTS//,/ }"
  ((${#tests[@]} > 0)) || gate_fail "tsan: RUSTYNET_TSAN_TESTS selects no test"
  echo "tsan: RUSTYNET_TSAN_TESTS replaces the gate's test list with: ${tests[*]}"
fi
build_dir=${RUSTYNET_TSAN_BUILD_DIR:-$RUSTYNET_ROOT/build/tsan}
jobs=${RUSTYNET_JOBS:-$(nproc)}
log_dir="$RUSTYNET_ROOT/build/ci-logs"
mkdir -p "$log_dir"
start=$SECONDS

echo "tsan: configure preset tsan in $build_dir"
# -Wno-tsan: GCC 12 warns (-Werror) that TSan does not model std::atomic_thread_fence, which
# Boost.Asio's std_fenced_block uses (third-party code; a report it causes would be a suppression
# candidate in tests/tsan.supp, with its reason). Our own code has no standalone fences.
cmake --preset tsan -B "$build_dir" -DCMAKE_CXX_FLAGS=-Wno-tsan >"$log_dir/tsan-configure.log" 2>&1 || {
  tail -40 "$log_dir/tsan-configure.log" >&2
  gate_fail "tsan: configure failed"
}
grep -q '^RUSTYNET_SANITIZERS:STRING=thread$' "$build_dir/CMakeCache.txt" ||
  gate_fail "tsan: $build_dir is not configured with RUSTYNET_SANITIZERS=thread"
echo "tsan: build ${tests[*]}"
cmake --build "$build_dir" -j "$jobs" --target "${tests[@]}" || gate_fail "tsan: build failed"
build_seconds=$((SECONDS - start))

# halt_on_error + exitcode: the first report fails the test binary; the log is scanned as well in
# case a report comes from a child process whose exit status a test does not check.
suppressions="$RUSTYNET_ROOT/tests/tsan.supp"
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 history_size=4${TSAN_OPTIONS:+ $TSAN_OPTIONS}"
[[ -f $suppressions ]] && TSAN_OPTIONS+=" suppressions=$suppressions"
regex="^($(IFS='|'; echo "${tests[*]}"))\$"
run_log="$log_dir/tsan-ctest.log"
echo "tsan: run (TSAN_OPTIONS=$TSAN_OPTIONS)"
# setarch -R: TSan's fixed shadow layout conflicts with high mmap randomisation on newer kernels.
runner=()
if command -v setarch >/dev/null && setarch "$(uname -m)" -R true 2>/dev/null; then
  runner=(setarch "$(uname -m)" -R)
fi
"${runner[@]}" ctest --test-dir "$build_dir" --output-on-failure --no-tests=error -R "$regex" -j "$jobs" \
  --timeout 600 --output-log "$run_log"
status=$?
ran=$(sed -n 's/.*tests passed, [0-9]* tests\{0,1\} failed out of \([0-9]*\).*/\1/p' "$run_log" | tail -1)
reports=$(grep -c 'WARNING: ThreadSanitizer' "$run_log" || true)
echo "tsan: ${ran:-0} of ${#tests[@]} tests ran, $reports reports, build ${build_seconds}s, total $((SECONDS - start))s"
[[ $reports -eq 0 ]] || { grep -A30 'WARNING: ThreadSanitizer' "$run_log" | head -80 >&2; gate_fail "tsan: data race or other TSan report"; }
[[ $status -eq 0 ]] || gate_fail "tsan: tests failed"
[[ ${ran:-0} -eq ${#tests[@]} ]] || gate_fail "tsan: selection ran ${ran:-0} tests, expected ${#tests[@]}"
echo "tsan: ok"
