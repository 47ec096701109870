#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end test (issue 9): rustynet-control + three rustynetd + the rustynet CLI in network
# namespaces, with assertions. Root only (ctest label netns). Bounded time, cleans up on any exit.
#
# usage: tests/e2e/e2e_mesh_test.sh [--build-dir DIR] [--keep] [--only CASE[,CASE...]]
#   DIR: a configured and built tree holding apps/*/ (default $RUSTYNET_BUILD_DIR, else build/ci).
#   Binaries can also be given one by one: RUSTYNETD=... RUSTYNET=... RUSTYNET_CONTROL=...
#   --keep leaves namespaces, processes and the state dir up for inspection
#          (remove later with: scripts/lib/netns-mesh.sh down rne2e).
# Cases (run in this order; the first, "mesh", is the setup every other case needs):
#   mesh policy status filter control-restart daemon-restart refused-state startup-refusals shutdown
#   logscan (scripts/ci/log_scan.py: no key, secret or token of the run in any log it wrote)
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO
readonly BUDGET_SECONDS=${E2E_BUDGET_SECONDS:-540}
readonly ALL_CASES="mesh policy status filter control-restart daemon-restart refused-state startup-refusals shutdown logscan"

build_dir=${RUSTYNET_BUILD_DIR:-$REPO/build/ci}
keep=0
only=""
while (($#)); do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --only) only=$2; shift 2 ;;
    -h | --help) sed -n '3,14p' "$0"; exit 0 ;;
    *) echo "e2e: unknown argument '$1'" >&2; exit 64 ;;
  esac
done

if [[ $(id -u) -ne 0 ]]; then
  echo "e2e: must run as root (network namespaces); this test is never skipped" >&2
  exit 1
fi

export MR_PREFIX=rne2e MR_IF_PREFIX=rne MR_CONTROL_PORT=8443
MR_RUSTYNETD=${RUSTYNETD:-$build_dir/apps/rustynetd/rustynetd}
MR_RUSTYNET=${RUSTYNET:-$build_dir/apps/rustynet/rustynet}
MR_CONTROL=${RUSTYNET_CONTROL:-$build_dir/apps/rustynet-control/rustynet-control}
FLOW_PROBE=${FLOW_PROBE:-$build_dir/tests/e2e/flow_probe}
for binary in "$MR_RUSTYNETD" "$MR_RUSTYNET" "$MR_CONTROL" "$FLOW_PROBE"; do
  if [[ ! -x $binary ]]; then
    echo "e2e: $binary is not built (build dir $build_dir)" >&2
    exit 1
  fi
done
for tool in wireguard-go ip ping python3 nft; do
  command -v "$tool" > /dev/null || { echo "e2e: $tool missing (scripts/bootstrap.sh installs it)" >&2; exit 1; }
done

# shellcheck source=scripts/lib/mesh-run.sh
source "$REPO/scripts/lib/mesh-run.sh"
# shellcheck source=tests/e2e/log_scan_lib.sh
source "$REPO/tests/e2e/log_scan_lib.sh"

MR_STATE=$(mktemp -d /tmp/rustynet-e2e.XXXXXX)
export MR_STATE
FIGURES=()
RESULTS=()
failures=0
# shellcheck source=tests/e2e/e2e_guard_lib.sh
source "$REPO/tests/e2e/e2e_guard_lib.sh"

e2e_guard e2e "$BUDGET_SECONDS" 60

# ---- assertion helpers -----------------------------------------------------------------------
current_case=""
case_failed=0

log() { echo "  $(date -u +%H:%M:%S.%3N) $*"; }

# check DESCRIPTION CMD... : the command must succeed.
check() {
  local description=$1
  shift
  if "$@"; then
    log "ok: $description"
  else
    log "FAIL: $description"
    case_failed=1
  fi
}

# check_not DESCRIPTION CMD... : the command must fail.
check_not() {
  local description=$1
  shift
  if "$@"; then
    log "FAIL: $description"
    case_failed=1
  else
    log "ok: $description"
  fi
}

# check_exit EXPECTED DESCRIPTION CMD... : exit status must equal EXPECTED; the output goes to
# $MR_STATE/last.out for follow-up checks.
check_exit() {
  local expected=$1 description=$2 status=0
  shift 2
  "$@" > "$MR_STATE/last.out" 2>&1 || status=$?
  if ((status == expected)); then
    log "ok: $description (exit $status)"
  else
    log "FAIL: $description: exit $status, expected $expected; output:"
    sed 's/^/      /' "$MR_STATE/last.out" | head -20
    case_failed=1
  fi
}

# check_output PATTERN DESCRIPTION: $MR_STATE/last.out must match the extended regex.
check_output() {
  if grep -Eq -- "$1" "$MR_STATE/last.out"; then
    log "ok: $2"
  else
    log "FAIL: $2: output does not match /$1/:"
    sed 's/^/      /' "$MR_STATE/last.out" | head -20
    case_failed=1
  fi
}

# require: stop the case here (later steps of this case depend on it).
require() {
  if ((case_failed)); then
    return 1
  fi
}

figure() {
  FIGURES+=("$1")
  log "figure: $1"
}

# Runs python on the JSON of `rustynet ... --json` given in $1: expression $2 must be true.
json_true() {
  python3 - "$1" "$2" << 'PY'
import json, sys
doc = json.loads(sys.argv[1])
r = doc.get("result", doc) if isinstance(doc, dict) else doc
sys.exit(0 if eval(sys.argv[2], {"r": r, "doc": doc}) else 1)
PY
}

# cli_json NODE COMMAND... : `rustynet COMMAND --json` against NODE's daemon.
cli_json() {
  local node=$1
  shift
  mr_cli "$node" "$@" --json 2> /dev/null
}

# Peer node ids that NODE's daemon has configured (sorted, space separated).
peer_ids() {
  local json
  json=$(cli_json "$1" peers) || return 1
  python3 - "$json" << 'PY'
import json, sys
doc = json.loads(sys.argv[1])
r = doc.get("result", doc)
print(" ".join(sorted(p["node_id"] for p in r["peers"])))
PY
}

peers_are() {
  [[ $(peer_ids "$1") == "$2" ]]
}

generation_of() {
  local json
  json=$(cli_json "$1" status) || return 1
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d.get("result", d)["generation"])' "$json"
}

interface_exists() {
  ip -n "$(mr_ns "$1")" link show "$(mr_interface "$1")" &> /dev/null
}

# ---- cases -----------------------------------------------------------------------------------
N1=$(mr_mesh_address n1)
N2=$(mr_mesh_address n2)

case_mesh() {
  check "leftovers of an earlier run removed" mesh_down "$MR_PREFIX"
  check "topology up (control host + n1 n2 n3 on a bridge)" mesh_up "$MR_PREFIX" n1 n2 n3
  check "no 10.77.0.0/24 address in the root namespace" bash -c '! ip -o addr | grep -q "10\.77\.0\."'
  require || return
  mr_make_state
  check "rustynet-control init" mr_control_init
  require || return
  check "rustynet-control starts and listens" mr_control_start
  require || return
  local node
  for node in n1 n2 n3; do
    check "$node: keys generated" mr_node_keys "$node"
    check "$node: registered with control" mr_node_register "$node"
    mr_daemon_config "$node"
  done
  require || return
  mr_policy_file "$MR_STATE/policy-1.json" 'n1>n2' 'n2>n1'
  check "policy set: n1<->n2 only" mr_policy_set "$MR_STATE/policy-1.json"
  require || return
  for node in n1 n2 n3; do
    mr_daemon_start "$node"
  done
  for node in n1 n2 n3; do
    check "$node: daemon running with a verified state" mr_daemon_wait_ready "$node" 20
  done
  require || return
  # Daemons started together: a handshake initiation that reaches a peer before that peer has
  # applied its own map is dropped, and the tunnel retries after 5 s; so allow up to 15 s here.
  local t0 elapsed
  t0=$(mr_now_ms)
  if elapsed=$(mr_probe_ms n1 "$N2" 15 "$t0"); then
    figure "initial mesh (all daemons started together): first n1->n2 reply ${elapsed} ms after all reported running"
  fi
  check "n1 -> n2 over the mesh" mr_ping_ok n1 "$N2"
  check "n2 -> n1 over the mesh" mr_ping_ok n2 "$N1"
  check "n1 peers are exactly n2" peers_are n1 "n2"
  check "n2 peers are exactly n1" peers_are n2 "n1"
  check "n3 has no peers (default deny)" peers_are n3 ""
  check "n3 -> n2 fails (no peer)" mr_ping_fails n3 "$N2"
  # The tunnel keys the data plane runs with, for the secrets scan of case logscan.
  for node in n1 n2 n3; do
    check "$node: tunnel key read from its wireguard-go" scan_tunnel_key "$(mr_interface "$node")" "$MR_STATE/secrets/$node.tunnel"
  done
  # n1's verified state as of now: replayed later (case refused-state) once it is outdated.
  OLD_GENERATION=$(generation_of n1)
  cp "$MR_STATE/n1/trust.state.last" "$MR_STATE/n1-old.last"
}

case_policy() {
  mr_policy_file "$MR_STATE/policy-2.json" 'n1>n2' 'n2>n1' 'n3>n2'
  local t0 elapsed
  t0=$(mr_now_ms)
  check "policy set: also n3 -> n2" mr_policy_set "$MR_STATE/policy-2.json"
  require || return
  if elapsed=$(mr_probe_ms n3 "$N2" 10 "$t0"); then
    figure "policy change -> first n3->n2 reply: ${elapsed} ms (probe every 50 ms, from the start of 'rustynet control policy set')"
    check "policy change reaches n3 within 3 s" test "$elapsed" -lt 3000
  else
    check "n3 -> n2 works within 10 s of the policy change" false
  fi
  check "n3 peers are exactly n2" peers_are n3 "n2"
  check "n2 peers are n1 n3" peers_are n2 "n1 n3"
  check "n1 still has only n2 (n3 may not reach n1)" peers_are n1 "n2"
  check "n3 -> n1 still fails" mr_ping_fails n3 "$N1"
}

case_status() {
  check_exit 0 "rustynet status (n1)" mr_cli n1 status
  check_output "n1" "status names the node"
  check_output "running" "status says running"
  check_exit 0 "rustynet peers (n1)" mr_cli n1 peers
  check_output "n2" "peers lists n2"
  local json
  json=$(cli_json n1 status)
  check "status --json: running, connected to control, generation > 0, 1 peer" \
    json_true "$json" 'r["state"] == "running" and r["control"]["connected"] and int(r["generation"]) > 0 and int(r["peers_total"]) == 1'
  json=$(cli_json n1 netmap)
  check "netmap --json: signer and expiry present, peers [n2]" \
    json_true "$json" 'r["signer_key_id"] and int(r["expires_at"]) > int(r["issued_at"]) and r["peers"] == ["n2"]'
  json=$(cli_json n1 peers)
  check "peers --json: n2 has a handshake and traffic" \
    json_true "$json" 'any(p["node_id"] == "n2" and int(p["last_handshake_unix"]) > 0 and int(p["rx_bytes"]) > 0 for p in r["peers"])'
  check_exit 0 "rustynet policy check n1 -> n2 icmp" mr_cli n1 policy check n1 n2 icmp 0
  check_output "allow" "policy check answers allow"
}

# ---- case filter: the policy enforced on packets (issue 17) ------------------------------------
# flow NODE PROTO ADDR PORT: one request/answer from NODE's namespace through the tunnel.
flow() { ip netns exec "$(mr_ns "$1")" "$FLOW_PROBE" connect "$2" "$3" "$4" 700 > /dev/null 2>&1; }
serve() { mr_start "probe-$1-$2-$3" "$1" "$FLOW_PROBE" serve "$2" "$3"; }
filter_table() { echo "rustynet_$(mr_interface "$1")"; }
filter_generation() {
  json_true "$(cli_json "$1" status)" "int(r['filter']['generation']) ${2}"
}
filter_restored() { json_true "$(cli_json "$1" status)" "int(r['filter']['restores']) >= 1"; }
N3=$(mr_mesh_address n3)

# The policy of the filter case: one-way ssh and dns from n1 to n2, ping from every demo node to
# n3 only, web ports to n2 from group ops (n3) with 8080 denied to everyone.
filter_policy() {
  cat > "$1" << JSON
{"version": 1, "groups": {"ops": ["n3"]}, "rules": [
 {"id": "ssh", "action": "allow", "src": ["node:n1"], "dst": ["node:n2"], "protocol": "tcp", "ports": ["22"]},
 {"id": "dns", "action": "allow", "src": ["node:n1"], "dst": ["node:n2"], "protocol": "udp", "ports": ["53"]},
 {"id": "ping-n3", "action": "allow", "src": ["tag:demo"], "dst": ["node:n3"], "protocol": "icmp"},
 {"id": "web", "action": "allow", "src": ["group:ops"], "dst": ["node:n2"], "protocol": "tcp", "ports": ["8000-8080"]},
 {"id": "no-8080", "action": "deny", "src": ["*"], "dst": ["node:n2"], "protocol": "tcp", "ports": ["8080"]}
 $2
]}
JSON
}

case_filter() {
  local t0 elapsed gen_before
  serve n2 tcp 22
  serve n2 tcp 8000
  serve n2 tcp 8080
  serve n2 udp 53
  serve n2 udp 54
  serve n1 tcp 22
  serve n1 tcp 8080
  filter_policy "$MR_STATE/policy-filter.json" ""
  t0=$(mr_now_ms)
  check "policy set: ports, protocols, one-way rules" mr_policy_set "$MR_STATE/policy-filter.json"
  require || return
  check "n1 -> n2 tcp/22 passes (ssh)" mr_wait_until 10 flow n1 tcp "$N2" 22
  elapsed=$(($(mr_now_ms) - t0))
  figure "policy with ports set -> first allowed tcp/22 exchange: ${elapsed} ms"
  check_not "n2 -> n1 tcp/22: the reverse SYN is dropped (one-way rule)" flow n2 tcp "$N1" 22
  check_not "n2 -> n1 tcp/8080 dropped (the server may not open the laptop)" flow n2 tcp "$N1" 8080
  check_not "n1 -> n2 tcp/8000 dropped (not in ssh's ports)" flow n1 tcp "$N2" 8000
  check "n1 -> n2 udp/53 passes (dns)" flow n1 udp "$N2" 53
  check_not "n1 -> n2 udp/54 dropped" flow n1 udp "$N2" 54
  check "n1 -> n3 ping passes (icmp to n3)" mr_ping_ok n1 "$N3"
  check "n1 -> n2 ping dropped (no icmp rule to n2)" mr_ping_fails n1 "$N2"
  check "n3 -> n2 tcp/8000 passes (group ops)" flow n3 tcp "$N2" 8000
  check_not "n3 -> n2 tcp/8080 dropped (deny overrides allow)" flow n3 tcp "$N2" 8080
  check_not "n3 -> n2 tcp/22 dropped (ssh is n1's only)" flow n3 tcp "$N2" 22
  check "n2 status shows a filter generation" filter_generation n2 "> 0"
  check_exit 0 "policy check --explain n1 -> n2 tcp 22 on n2: allow, filter passes" mr_cli n2 policy check n1 n2 tcp 22 --explain
  check_output "kernel filter +passes \(inbound" "the kernel filter holds the allow"
  check_exit 1 "policy check --explain n3 -> n2 tcp 8080 on n2: deny, filter drops" mr_cli n2 policy check n3 n2 tcp 8080 --explain
  check_output "rule +no-8080" "the deny names its rule"
  check_output "kernel filter +drops" "the kernel filter holds the deny"
  require || return

  # An open flow that the new policy no longer allows is cut at once.
  mr_start stream-n1 n1 "$FLOW_PROBE" stream "$N2" 22 15000
  check "an ssh stream n1 -> n2 is open" mr_wait_until 5 grep -q connected "$MR_STATE/logs/stream-n1.log"
  filter_policy "$MR_STATE/policy-filter-2.json" ""
  sed -i '/"id": "ssh"/d' "$MR_STATE/policy-filter-2.json"
  t0=$(mr_now_ms)
  check "policy set: ssh rule removed" mr_policy_set "$MR_STATE/policy-filter-2.json"
  # The stream ends by itself when an exchange goes unanswered (500 ms), at most 15 s.
  mr_wait_until 16 bash -c "! kill -0 $(mr_pid stream-n1) 2> /dev/null"
  elapsed=$(($(mr_now_ms) - t0))
  mr_stop stream-n1 TERM 2 || true
  if grep -q "cut after" "$MR_STATE/logs/stream-n1.log"; then
    figure "policy change -> open ssh flow cut: stream ended ${elapsed} ms after 'policy set' started (500 ms of that is the probe's answer timeout)"
    check "the open flow was cut" true
  else
    check "the open flow was cut after the policy change" false
  fi
  check_not "a new n1 -> n2 tcp/22 connection is dropped" flow n1 tcp "$N2" 22
  check "n1 -> n2 udp/53 still passes" flow n1 udp "$N2" 53

  # A table altered behind the daemon's back is found and restored.
  gen_before=$(cli_json n2 status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("result", d)["filter"]["generation"])')
  check "tamper: an accept-all rule inserted into n2's table" \
    ip netns exec "$(mr_ns n2)" nft insert rule inet "$(filter_table n2)" input accept
  check "n2 restores the tampered filter within 10 s" mr_wait_until 10 filter_restored n2
  check "the restored filter is a new generation" filter_generation n2 "> $gen_before"
  check_not "n3 -> n2 tcp/8080 dropped again after the restore" flow n3 tcp "$N2" 8080

  # A daemon that crashes leaves its filter in force until its successor replaces it.
  mr_stop rustynetd-n2 KILL 5 || true
  check "n2's filter table survives the crash" ip netns exec "$(mr_ns n2)" nft list table inet "$(filter_table n2)"
  # The tunnel outlives the daemon (wireguard-go is not killed with it), so this is the crashed
  # daemon's table at work, not a dead tunnel: the allowed flow still passes.
  check "n3 -> n2 tcp/8000 still passes while n2's daemon is down (tunnel up)" flow n3 tcp "$N2" 8000
  check_not "n3 -> n2 tcp/8080 still dropped while n2's daemon is down" flow n3 tcp "$N2" 8080
  mr_daemon_start n2
  check "n2 daemon running again" mr_daemon_wait_ready n2 20
  check "n3 -> n2 tcp/8000 passes after the restart" mr_wait_until 10 flow n3 tcp "$N2" 8000
  check_not "n3 -> n2 tcp/8080 dropped after the restart" flow n3 tcp "$N2" 8080

  # A rule the data plane cannot honour is refused, and nothing changes.
  local generation_before
  generation_before=$(generation_of n1)
  filter_policy "$MR_STATE/policy-lan.json" ', {"id": "lan", "action": "allow", "src": ["node:n1"], "dst": ["192.168.1.0/24"]}'
  check_exit 1 "policy with a destination prefix refused" mr_policy_set "$MR_STATE/policy-lan.json"
  check_output "unenforceable" "the refusal is typed"
  check_output "lan" "the refusal names the rule"
  sleep 1
  check "n1's generation unchanged" test "$(generation_of n1)" = "$generation_before"

  # Back to the policy the later cases expect.
  mr_policy_file "$MR_STATE/policy-2.json" 'n1>n2' 'n2>n1' 'n3>n2'
  check "policy set back: n1<->n2, n3 -> n2" mr_policy_set "$MR_STATE/policy-2.json"
  check "n3 -> n2 ping passes again" mr_wait_until 10 mr_ping_once n3 "$N2"
  check "n1 -> n2 ping passes again" mr_wait_until 10 mr_ping_once n1 "$N2"
  local probe
  for probe in n2-tcp-22 n2-tcp-8000 n2-tcp-8080 n2-udp-53 n2-udp-54 n1-tcp-22 n1-tcp-8080; do
    mr_stop "probe-$probe" TERM 2 || true
  done
}

# stop_check NAME DESCRIPTION: SIGTERM, the process must exit 0 within 10 s.
stop_check() {
  mr_stop "$1" TERM 10
  check "$2 (exit ${MR_EXIT:-none})" test "${MR_EXIT:-none}" = 0
}

control_connected() {
  json_true "$(cli_json "$1" status)" 'r["control"]["connected"]'
}

control_disconnected() {
  json_true "$(cli_json "$1" status)" 'not r["control"]["connected"]'
}

case_control_restart() {
  stop_check control "control stops on SIGTERM"
  check "n1 <-> n2 keep working while control is down" mr_ping_ok n1 "$N2" 10
  check "n3 -> n2 keeps working while control is down" mr_ping_ok n3 "$N2" 5
  check "n1 status reports control disconnected" mr_wait_until 5 control_disconnected n1
  check "n1 still running with control down" mr_daemon_ready n1
  check "control restarts" mr_control_start
  require || return
  # A policy change after the restart must still arrive: drop n3 -> n2 again.
  local t0 elapsed
  t0=$(mr_now_ms)
  check "policy set after restart: n1<->n2 only" mr_policy_set "$MR_STATE/policy-1.json"
  # Each daemon reconnects on its own backoff schedule (jittered, growing while control was down).
  if mr_wait_until 45 peers_are n3 "" && mr_wait_until 45 peers_are n2 "n1"; then
    elapsed=$(($(mr_now_ms) - t0))
    figure "policy change after a control restart -> applied on n2 and n3: ${elapsed} ms (includes the daemons' reconnect backoff)"
    check "resync after the control restart" true
  else
    check "n3 loses peer n2 and n2 loses n3 within 45 s after the control restart (resync)" false
  fi
  check "n3 -> n2 fails again" mr_ping_fails n3 "$N2"
  check "n1 -> n2 still works" mr_ping_ok n1 "$N2"
  check "n1 status reports control connected again" control_connected n1
}

case_daemon_restart() {
  local t0 elapsed ready_ms
  stop_check rustynetd-n1 "n1 daemon stops on SIGTERM"
  check_not "n1 tunnel interface removed on shutdown" interface_exists n1
  check "n1 -> n2 fails while n1's daemon is down" mr_ping_fails n1 "$N2"
  t0=$(mr_now_ms)
  mr_daemon_start n1
  if elapsed=$(mr_probe_ms n1 "$N2" 15 "$t0"); then
    figure "daemon restart -> first n1->n2 reply: ${elapsed} ms from process start (probe every 50 ms)"
    check "tunnel back within 1 s of the daemon restart" test "$elapsed" -lt 1000
  else
    check "tunnel back within 15 s of the daemon restart" false
  fi
  if mr_daemon_wait_ready n1 10; then
    ready_ms=$(($(mr_now_ms) - t0))
    log "n1 daemon reported running ${ready_ms} ms after start (status polled every 50 ms)"
  else
    check "n1 daemon running again" false
  fi
  check "n2 -> n1 works after the restart" mr_ping_ok n2 "$N1"
}

# Lines logged by node $1's daemon since the mark taken by log_mark.
log_mark() { wc -l < "$MR_STATE/logs/rustynetd-$1.log" > "$MR_STATE/mark-$1"; }
log_since_mark() { tail -n "+$(($(cat "$MR_STATE/mark-$1") + 1))" "$MR_STATE/logs/rustynetd-$1.log"; }
logged_since_mark() { log_since_mark "$1" | grep -Eq -- "$2"; }

# The daemons must refuse (a) a replayed old state from a control impersonator holding the TLS
# key, (b) a state signed by a different control key, (c) a rolled-back last-state file on disk,
# and keep what they run.
case_refused_state() {
  local generation_before peers_before node
  generation_before=$(generation_of n1)
  peers_before=$(peer_ids n1)
  check "n1 generation ($generation_before) newer than the saved old state ($OLD_GENERATION)" \
    test "${generation_before:-0}" -gt "${OLD_GENERATION:-0}"
  require || return

  # (a) Replay of n1's old, genuinely signed state (rollback) by an impersonator.
  stop_check control "control stops"
  for node in n1 n2 n3; do log_mark "$node"; done
  local tls_cert tls_key
  tls_cert=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tls"]["certificate_file"])' "$MR_STATE/control/control.json")
  tls_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tls"]["private_key_file"])' "$MR_STATE/control/control.json")
  mr_start fake-control ctl python3 "$REPO/tests/e2e/fake_control.py" --listen "$MESH_CONTROL_ADDRESS:$MR_CONTROL_PORT" \
    --cert "$tls_cert" --key "$tls_key" --state "$MR_STATE/n1-old.last" --generation "$OLD_GENERATION" \
    --requests-log "$MR_STATE/fake-requests.log"
  check "replaying impersonator listens" mr_wait_until 10 mr_control_listening
  check "n1 fetched the replayed state" mr_wait_until 15 logged_since_mark n1 "not applied"
  check "n1 refused it as a rollback" logged_since_mark n1 "rollback"
  log "n1: $(log_since_mark n1 | grep -m1 "not applied")"
  check "n2 refused n1's state (wrong subject)" mr_wait_until 10 logged_since_mark n2 "not applied.*(subject|rollback)"
  check "n1 generation unchanged" test "$(generation_of n1)" = "$generation_before"
  check "n1 peers unchanged" test "$(peer_ids n1)" = "$peers_before"
  check "n1 -> n2 still works" mr_ping_ok n1 "$N2"
  mr_stop fake-control TERM 5

  # (b) A control with a different signing key behind the real TLS certificate.
  local rogue=$MR_STATE/rogue
  mkdir -p "$rogue"
  for node in n1 n2 n3; do log_mark "$node"; done
  check "rogue control init (new signing key)" rogue_init "$rogue"
  require || return
  check "rogue control serves the real TLS certificate" python3 - "$rogue/control.json" "$tls_cert" "$tls_key" << 'PY'
import json, sys
path, cert, key = sys.argv[1:4]
config = json.load(open(path))
config["tls"]["certificate_file"] = cert
config["tls"]["private_key_file"] = key
with open(path, "w") as f:
    json.dump(config, f, indent=2)
PY
  mr_start rogue-control ctl "$MR_CONTROL" --config "$rogue/control.json"
  check "rogue control listens" mr_wait_until 10 mr_control_listening
  for node in n1 n2 n3; do
    mr_node_keys_public "$node"
    check "$node registered with the rogue control" mr_node_register "$node"
  done
  mr_policy_file "$MR_STATE/policy-rogue.json" 'n1>n2' 'n2>n1' 'n1>n3' 'n3>n1'
  check "rogue policy set (would add n3 to n1)" mr_policy_set "$MR_STATE/policy-rogue.json"
  # An attacker runs their own server: its generations are as high as it likes (a control only
  # answers a sync when its generation is above the daemon's, so jump far ahead).
  stop_check rogue-control "rogue control stops"
  check "rogue generation counter set far ahead" python3 -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE counters SET value = 1000000 WHERE name = ?", ("signing_generation",))
db.commit()' "$rogue/control.db"
  mr_start rogue-control ctl "$MR_CONTROL" --config "$rogue/control.json"
  check "rogue control listens again" mr_wait_until 10 mr_control_listening
  check "n1 refused the rogue state" mr_wait_until 45 logged_since_mark n1 "not applied"
  check "n1 names the signer problem" logged_since_mark n1 "unknown_signer|bad_signature|signer"
  log "n1: $(log_since_mark n1 | grep -m1 "not applied")"
  check "n1 generation unchanged" test "$(generation_of n1)" = "$generation_before"
  check "n1 peers unchanged" test "$(peer_ids n1)" = "$peers_before"
  check "n1 -> n2 still works" mr_ping_ok n1 "$N2"
  check "n3 -> n1 still fails" mr_ping_fails n3 "$N1"
  stop_check rogue-control "rogue control stops"

  # Back to the real control.
  check "real control restarts" mr_control_start
  check "n1 -> n2 works with the real control back" mr_ping_ok n1 "$N2"
  check "n1 reconnects to the real control" mr_wait_until 40 control_connected n1
  log "n1 status after the refusals: $(cli_json n1 status | python3 -c 'import json,sys; d=json.load(sys.stdin); r=d.get("result", d); print(r["state"], "last_error:", r["control"]["last_error"])')"

  # (c) A rolled-back last-state file: n1 restarts with its old saved state on disk.
  stop_check rustynetd-n1 "n1 daemon stops"
  cp "$MR_STATE/n1-old.last" "$MR_STATE/n1/trust.state.last"
  chmod 0600 "$MR_STATE/n1/trust.state.last"
  log_mark n1
  mr_daemon_start n1
  check "n1 running again" mr_daemon_wait_ready n1 20
  check "n1 refused the rolled-back state file" logged_since_mark n1 "last verified state not used.*rollback"
  check "n1 never ran the old generation" test "$(generation_of n1)" -ge "$generation_before"
  check "n1 -> n2 works" mr_wait_until 5 mr_ping_once n1 "$N2"
}

rogue_init() {
  "$MR_CONTROL" init --state-dir "$1" --config-out "$1/control.json" \
    --secret-file "$MR_STATE/operator.secret" --listen "$MESH_CONTROL_ADDRESS:$MR_CONTROL_PORT" \
    --admin-key-dir "$MR_STATE/admin-keys" > "$1/init.out"
}

# Public keys of node $1 from its key store (for re-registering it elsewhere).
mr_node_keys_public() {
  local out=$MR_STATE/$1/keys.out
  MR_IDENTITY_KEY=$(awk '$2 == "node-identity" {print $4}' "$out")
  MR_TUNNEL_KEY=$(awk '$2 == "node-tunnel" {print $4}' "$out")
}

# rustynetd --config FILE in n3's namespace (refusals happen before any interface is created).
refusal_run() {
  ip netns exec "$(mr_ns n3)" timeout 20 "$MR_RUSTYNETD" --config "$1"
}

# Writes a variant of n3's config to $2 with python expression $1 applied to dict `c`.
config_variant() {
  python3 - "$MR_STATE/n3/rustynetd.json" "$2" "$1" << 'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["interface"] = "rnerefuse"
c["local_api"]["socket"] = sys.argv[2] + ".sock"
exec(sys.argv[3])
with open(sys.argv[2], "w") as f:
    json.dump(c, f)
PY
  chmod 0600 "$2"
}

case_startup_refusals() {
  local dir=$MR_STATE/refusals
  mkdir -p "$dir"
  # Bad config: unknown major version, malformed JSON, unknown field.
  config_variant 'c["version"] = 2' "$dir/version.json"
  check_exit 10 "config with unknown version refused" refusal_run "$dir/version.json"
  check_output "version" "the error names the version"
  printf '{"version": 1, "node_id": "n3",' > "$dir/truncated.json"
  chmod 0600 "$dir/truncated.json"
  check_exit 10 "malformed config refused" refusal_run "$dir/truncated.json"
  config_variant 'c["surprise"] = True' "$dir/unknown.json"
  check_exit 10 "config with an unknown field refused" refusal_run "$dir/unknown.json"
  check_output "surprise" "the error names the unknown field"

  # Wrong key file mode: a copy of n3's key store with a group-readable key file.
  cp -a "$MR_STATE/n3/keys" "$dir/keys"
  chmod 0644 "$dir/keys/node-identity.key"
  config_variant "c['key_custody']['key_dir'] = '$dir/keys'" "$dir/keymode.json"
  check_exit 12 "group/world-readable key file refused" refusal_run "$dir/keymode.json"
  check_output "node-identity|mode|permission" "the error names the key file or its mode"

  # Denied algorithms in the crypto policy.
  printf '{"version": 1, "allow": ["tls1.3", "ed25519", "x25519", "md5"]}\n' > "$dir/denied.json"
  config_variant "c['crypto_policy_file'] = '$dir/denied.json'" "$dir/crypto-denied.json"
  check_exit 11 "crypto policy naming a hard-denied algorithm refused" refusal_run "$dir/crypto-denied.json"
  check_output "md5" "the error names md5"
  printf '{"version": 1, "allow": ["tls1.3", "ed25519", "argon2id", "xchacha20-poly1305"]}\n' > "$dir/no-x25519.json"
  config_variant "c['crypto_policy_file'] = '$dir/no-x25519.json'" "$dir/crypto-missing.json"
  check_exit 11 "crypto policy not allowing an algorithm the daemon uses refused" refusal_run "$dir/crypto-missing.json"
  check_output "blake2b|x25519|noise|chacha20|blake2s|hmac-sha512-256" "the error names the missing algorithm"

  check_not "no refused run left an interface behind" ip -n "$(mr_ns n3)" link show rnerefuse
  check "n3's real daemon still running" mr_running rustynetd-n3
  check "n3's tunnel interface still up" interface_exists n3
}

case_shutdown() {
  local node
  for node in n1 n2 n3; do
    stop_check "rustynetd-$node" "$node daemon exits on SIGTERM"
    check_not "$node interface removed" interface_exists "$node"
  done
  stop_check control "control exits on SIGTERM"
}

# Every log and CLI output of the run against the run's key material (after shutdown: complete).
case_logscan() {
  check "no private key, secret or token of the run in any log" scan_run_logs
  check "the scan finds a tunnel key planted in a copy of the logs" scan_catches_plant n1
}

# ---- main ------------------------------------------------------------------------------------
echo "e2e: state $MR_STATE, namespaces ${MR_PREFIX}-*, binaries from $(dirname "$(dirname "$MR_RUSTYNETD")")"
start_ms=$(mr_now_ms)
for name in $ALL_CASES; do
  if [[ -n $only && $name != mesh && ",$only," != *",$name,"* ]]; then
    continue
  fi
  current_case=$name
  case_failed=0
  echo "== $current_case"
  case_start=$(mr_now_ms)
  "case_${name//-/_}"
  duration=$(($(mr_now_ms) - case_start))
  if ((case_failed)); then
    RESULTS+=("FAIL  $current_case (${duration} ms)")
    failures=$((failures + 1))
    if [[ $name == mesh ]]; then
      echo "e2e: setup failed; skipping the other cases"
      break
    fi
  else
    RESULTS+=("pass  $current_case (${duration} ms)")
  fi
done

echo
echo "== summary ($(($(mr_now_ms) - start_ms)) ms)"
printf '  %s\n' "${RESULTS[@]}"
if ((${#FIGURES[@]})); then
  echo "== figures"
  printf '  %s\n' "${FIGURES[@]}"
fi
if ((failures)); then
  echo "e2e: $failures case(s) failed"
  exit 1
fi
echo "e2e: all cases passed"
