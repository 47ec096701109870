#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The guard every end-to-end test runs under: on any exit the logs are dumped if it failed, then
# its namespaces and state directory are removed (unless --keep); an interrupt exits 130; a
# watchdog TERMs the test when its time budget is spent, so a hung step cannot hang ctest.
# Sourced after scripts/lib/mesh-run.sh; uses the caller's MR_PREFIX, MR_STATE, `keep` and
# `failures` (read when the test exits). A test with work of its own to stop first defines
# e2e_before_cleanup.

# e2e_guard NAME BUDGET_SECONDS [LOG_LINES]: installs the traps and starts the watchdog.
e2e_guard() {
  E2E_NAME=$1
  E2E_LOG_LINES=${3:-40}
  trap e2e_cleanup EXIT
  trap 'echo "$E2E_NAME: interrupted" >&2; exit 130' INT TERM
  # The watchdog's sleep gets /dev/null: killing the subshell leaves sleep orphaned, and an orphan
  # holding ctest's output pipe made ctest wait for it (a 40 s test reported as 7 minutes).
  # shellcheck disable=SC2217
  (sleep "$2" > /dev/null 2>&1 < /dev/null && echo "$E2E_NAME: time budget of ${2}s exceeded" >&2 && kill -TERM $$) &
  E2E_WATCHDOG=$!
}

# Stops the test at a failed step that everything after it needs.
require() {
  if ((${failures:-0})); then
    echo "$E2E_NAME: FAIL ($failures)"
    exit 1
  fi
}

e2e_cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [[ -n ${E2E_WATCHDOG:-} ]] && kill "$E2E_WATCHDOG" 2> /dev/null
  if declare -F e2e_before_cleanup > /dev/null; then
    e2e_before_cleanup
  fi
  if ((status != 0 || ${failures:-0} > 0)); then
    echo "---- logs (failure) ----"
    mr_dump_logs "$E2E_LOG_LINES"
  fi
  if ((${keep:-0})); then
    echo "$E2E_NAME: --keep: namespaces ${MR_PREFIX}-*, state $MR_STATE left up"
  else
    mesh_down "$MR_PREFIX" || echo "$E2E_NAME: WARNING: leftover namespaces: $(mesh_list "$MR_PREFIX")"
    rm -rf "$MR_STATE"
  fi
  exit "$status"
}
