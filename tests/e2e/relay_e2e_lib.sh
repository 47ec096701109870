#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared steps of the relay end-to-end tests (e2e_relay_test.sh, e2e_auto_relay_test.sh,
# e2e_faults_test.sh): logging and checks, control's relays config, the relay process on the control
# host and its counters, a peer's endpoint as the CLI shows it, and the blackhole routes that cut
# the underlay between n1 and n2. Sourced after scripts/lib/mesh-run.sh; uses the caller's
# failures, FIGURES, MR_STATE, RELAY_ADDRESS, RELAY_BIN, U1 and U2 (read when a function runs).

log() { echo "  $(date -u +%H:%M:%S.%3N) $*"; }
check() {
  local description=$1
  shift
  if "$@"; then
    log "ok: $description"
  else
    log "FAIL: $description"
    failures=$((failures + 1))
  fi
}
figure() {
  FIGURES+=("$1")
  log "figure: $1"
}
# Control config with or without the relayed pair (n2 is "behind" relay r1: every pair with n2).
control_relays() {
  python3 - "$MR_STATE/control/control.json" "$1" "$RELAY_ADDRESS" << 'PY'
import json, sys
path, mode, address = sys.argv[1:4]
with open(path) as f:
    config = json.load(f)
if mode == "on":
    config["relays"] = [{"relay_id": "r1", "address": address, "nodes": ["n2"]}]
else:
    config.pop("relays", None)
with open(path, "w") as f:
    json.dump(config, f, indent=2)
PY
}
relay_config() {
  cat > "$MR_STATE/relay.json" << JSON
{"version": 1, "relay_id": "r1", "listen": "$RELAY_ADDRESS", "control_public_key": "$MR_CONTROL_SIGNING_KEY",
 "stats_interval_seconds": 1}
JSON
  chmod 0600 "$MR_STATE/relay.json"
}
relay_start() {
  local before
  before=$(relay_counters_lines)
  mr_start relay ctl "$RELAY_BIN" --config "$MR_STATE/relay.json"
  # UDP: no connect probe; the relay writes a counters line every second once it runs.
  mr_wait_until 10 relay_counters_lines_at_least $((before + 1)) && mr_running relay
}
relay_counters_lines() {
  local n
  n=$(grep -c '"event":"counters"' "$MR_STATE/logs/relay.log" 2> /dev/null)
  echo "${n:-0}"
}
relay_counters_lines_at_least() { (($(relay_counters_lines) >= $1)); }
# Field $1 of the relay's latest counters line (this process: the log is appended).
relay_counter() {
  grep '"event":"counters"' "$MR_STATE/logs/relay.log" | tail -n 1 |
    python3 -c 'import json,sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"
}
relay_forwarded() { relay_counter forwarded_datagrams; }
relay_forwarded_above() { (($(relay_forwarded) > $1)); }
# The endpoint NODE's daemon reports for its only peer.
peer_endpoint() {
  local json
  json=$(mr_cli "$1" peers --json 2> /dev/null) || return 1
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); r=d.get("result", d); print(r["peers"][0]["endpoint"] or "")' "$json"
}
endpoint_matches() { [[ $(peer_endpoint "$1") =~ $2 ]]; }
underlay_blocked() {
  ip -n "$(mr_ns n1)" route replace blackhole "$U2/32"
  ip -n "$(mr_ns n2)" route replace blackhole "$U1/32"
}
underlay_open() {
  ip -n "$(mr_ns n1)" route del blackhole "$U2/32" 2> /dev/null || true
  ip -n "$(mr_ns n2)" route del blackhole "$U1/32" 2> /dev/null || true
}
