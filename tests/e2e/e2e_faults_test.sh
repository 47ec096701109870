#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fault and flood test (issue 19 item 4): a relayed pair (n1, n2: no underlay route between them,
# through rustynet-relay on the control host) under attack and under kill -9 of each process it
# depends on, then a secrets scan of every log the run wrote. Root only (ctest label netns).
# Bounded time; a trap removes every namespace on any exit.
#
# usage: tests/e2e/e2e_faults_test.sh [--build-dir DIR] [--keep]
#   DIR: a built tree (default $RUSTYNET_BUILD_DIR, else build/ci); or RUSTYNETD=... RUSTYNET=...
#        RUSTYNET_CONTROL=... RUSTYNET_RELAY=... one by one.
#   FLOOD_SECONDS (default 10), FLOOD_RATE (datagrams/s per attacker address, default 2500; four
#   addresses), TUNNEL_KILLS (default 5). FLOOD_BLAST_TOOL=<build>/tests/relay/relay_netns_tool adds
#   an unpaced blast (two C++ senders in a tight loop, junk and cookie-less hellos) after the flood:
#   its loss is reported, not asserted (it measures this machine, not the relay).
# Steps:
#   flood    n3 (an attacker that captured the pair's relay tickets on the relay host's link) floods
#            the relay port with random datagrams, malformed control messages, forged and replayed
#            tickets while n1 pings n2 every 100 ms: no ping lost, relay up, sessions/replay store
#            unchanged, memory flat, every forged/replayed ticket refused and counted
#   tunnel   kill -9 of the wireguard-go child, TUNNEL_KILLS times alternating n1/n2: kill -> first
#            n1->n2 reply (median, max; goal <= 1 s)
#   control  kill -9 of rustynet-control: pings keep flowing while it is down; the SQLite registry
#            passes integrity_check with every node and the policy; after a restart a node added and
#            a policy set reach the daemons
#   relay    kill -9 of rustynet-relay and restart: time to the relayed pair's recovery
#   logscan  scripts/ci/log_scan.py over every log of the run against the run's real key material
#            (key stores, operator secret, TLS key, tunnel keys read from wireguard-go, captured
#            tickets); and once more with a tunnel key planted, which must be found
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO
build_dir=${RUSTYNET_BUILD_DIR:-$REPO/build/ci}
keep=0
while (($#)); do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '3,31p' "$0"; exit 0 ;;
    *) echo "e2e-faults: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
readonly FLOOD_SECONDS=${FLOOD_SECONDS:-10} FLOOD_RATE=${FLOOD_RATE:-2500} TUNNEL_KILLS=${TUNNEL_KILLS:-5}
readonly budget=${E2E_BUDGET_SECONDS:-300}

if [[ $(id -u) -ne 0 ]]; then
  echo "e2e-faults: must run as root (network namespaces); this test is never skipped" >&2
  exit 1
fi

export MR_PREFIX=rnflt MR_IF_PREFIX=rnf MR_CONTROL_PORT=8443
MR_RUSTYNETD=${RUSTYNETD:-$build_dir/apps/rustynetd/rustynetd}
MR_RUSTYNET=${RUSTYNET:-$build_dir/apps/rustynet/rustynet}
MR_CONTROL=${RUSTYNET_CONTROL:-$build_dir/apps/rustynet-control/rustynet-control}
RELAY_BIN=${RUSTYNET_RELAY:-$build_dir/apps/rustynet-relay/rustynet-relay}
for binary in "$MR_RUSTYNETD" "$MR_RUSTYNET" "$MR_CONTROL" "$RELAY_BIN"; do
  if [[ ! -x $binary ]]; then
    echo "e2e-faults: $binary is not built (build dir $build_dir)" >&2
    exit 1
  fi
done
for tool in wireguard-go ip ping python3 sqlite3; do
  command -v "$tool" > /dev/null || { echo "e2e-faults: $tool missing (scripts/bootstrap.sh installs it)" >&2; exit 1; }
done

# shellcheck source=scripts/lib/mesh-run.sh
source "$REPO/scripts/lib/mesh-run.sh"

MR_STATE=$(mktemp -d /tmp/rustynet-e2e-faults.XXXXXX)
export MR_STATE
readonly RELAY_ADDRESS=$MESH_CONTROL_ADDRESS:3478
readonly FLOOD=$REPO/tests/e2e/relay_flood.py
N1=$(mr_mesh_address n1)
N2=$(mr_mesh_address n2)
U1=$(mesh_address n1)
U2=$(mesh_address n2)
# The attacker's addresses (inside n3's namespace only): one per-source hello budget each.
readonly ATTACKERS=10.77.0.101,10.77.0.102,10.77.0.103,10.77.0.104
FIGURES=()
failures=0
# shellcheck source=tests/e2e/e2e_guard_lib.sh
source "$REPO/tests/e2e/e2e_guard_lib.sh"

e2e_guard e2e-faults "$budget" 40

# shellcheck source=tests/e2e/relay_e2e_lib.sh
source "$REPO/tests/e2e/relay_e2e_lib.sh"
# shellcheck source=tests/e2e/log_scan_lib.sh
source "$REPO/tests/e2e/log_scan_lib.sh"

relay_rss_kib() { awk '$1 == "VmRSS:" {print $2}' "/proc/$(mr_pid relay)/status"; }
# Pid of the wireguard-go process in node $1's namespace.
tunnel_pid() {
  local pid
  for pid in $(ip netns pids "$(mr_ns "$1")"); do
    [[ $(cat "/proc/$pid/comm" 2> /dev/null) == wireguard-go ]] && echo "$pid" && return 0
  done
  return 1
}
tunnel_pid_not() { local pid; pid=$(tunnel_pid "$1") && [[ $pid != "$2" ]]; }
# "transmitted received" of a ping output file.
ping_counts() { sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$1"; }
# Median and maximum of integers.
median_max() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:int((v[NR/2]+v[NR/2+1])/2); print m, v[NR]}'; }
json_field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"; }
peer_ids() {
  mr_cli "$1" peers --json 2> /dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); r=d.get("result", d); print(" ".join(sorted(p["node_id"] for p in r["peers"])))'
}
peers_are() { [[ $(peer_ids "$1") == "$2" ]]; }

# ---- setup: the relayed pair, the attacker's capture ------------------------------------------
echo "e2e-faults: state $MR_STATE, budget ${budget}s"
t_test=$(mr_now_ms)
check "leftovers of an earlier run removed" mesh_down "$MR_PREFIX"
check "topology up (control/relay host + n1 n2, attacker n3)" mesh_up "$MR_PREFIX" n1 n2 n3
require
for address in ${ATTACKERS//,/ }; do
  ip -n "$(mr_ns n3)" addr add "$address/24" dev eth0
done
underlay_blocked
check "n1 cannot reach n2's underlay address" mr_ping_fails n1 "$U2"
mr_make_state
check "rustynet-control init" mr_control_init
require
control_relays on
relay_config
# The attacker watches the relay host's link from before the first allocation (an on-path
# observer: the bridge does not show n3 the pair's unicast traffic).
mr_start capture ctl python3 "$FLOOD" capture --iface eth0 --port 3478 --out "$MR_STATE/captured.tickets" --count 2 --seconds 60
check "rustynet-relay starts" relay_start
check "rustynet-control starts with relays config" mr_control_start
require
for node in n1 n2; do
  check "$node: keys generated" mr_node_keys "$node"
  check "$node: registered with control" mr_node_register "$node"
  mr_daemon_config "$node"
done
mr_policy_file "$MR_STATE/policy.json" 'n1>n2' 'n2>n1'
check "policy set: n1<->n2" mr_policy_set "$MR_STATE/policy.json"
require
mr_daemon_start n1
mr_daemon_start n2
check "n1: daemon running with a verified state" mr_daemon_wait_ready n1 20
check "n2: daemon running with a verified state" mr_daemon_wait_ready n2 20
require
check "n1 -> n2 through the relay" mr_probe_ms n1 "$N2" 30 "$(mr_now_ms)" > /dev/null
check "n1 shows its peer via relay r1" endpoint_matches n1 '^127\.0\.0\.1:[0-9]+ via relay r1$'
check "the attacker captured both tickets of the pair" mr_wait_until 20 bash -c "! kill -0 $(mr_pid capture) 2> /dev/null"
mr_stop capture TERM 2 || true
check "two captured tickets" test "$(wc -l < "$MR_STATE/captured.tickets" 2> /dev/null)" = 2
check "n1 -> n2 pings" mr_ping_ok n1 "$N2"
require

# ---- 1. flood ----------------------------------------------------------------------------------
echo "== flood"
mr_wait_until 3 relay_counters_lines_at_least $(($(relay_counters_lines) + 1))
declare -A before
for field in sessions replay_entries tickets_replayed tickets_rejected dropped_unknown_source dropped_malformed \
  dropped_hello_rate tickets_verified forwarded_datagrams events_suppressed; do
  before[$field]=$(relay_counter "$field")
done
relay_pid=$(mr_pid relay)
rss_before=$(relay_rss_kib)
ping_count=$(((FLOOD_SECONDS + 2) * 10))
ip netns exec "$(mr_ns n1)" ping -n -i 0.1 -W 1 -c "$ping_count" "$N2" > "$MR_STATE/flood-ping.out" 2>&1 &
ping_pid=$!
sleep 1
ip netns exec "$(mr_ns n3)" python3 "$FLOOD" flood --relay "$RELAY_ADDRESS" --sources "$ATTACKERS" \
  --seconds "$FLOOD_SECONDS" --rate "$FLOOD_RATE" --tickets "$MR_STATE/captured.tickets" \
  --summary "$MR_STATE/flood.json" 2>> "$MR_STATE/logs/flood.log"
flood_status=$?
wait "$ping_pid"
check "the flood ran (exit $flood_status)" test "$flood_status" = 0
read -r transmitted received <<< "$(ping_counts "$MR_STATE/flood-ping.out")"
figure "flood: $(json_field "$MR_STATE/flood.json" 'd["sent_total"]') datagrams in $(json_field "$MR_STATE/flood.json" 'd["seconds"]') s ($(json_field "$MR_STATE/flood.json" 'd["rate_per_second"]')/s from 4 addresses); relayed ping n1->n2 every 100 ms: ${received:-0}/${transmitted:-0} answered"
check "no relayed ping lost during the flood" test "${received:-0}" = "${transmitted:-x}"
check "the relay is still up (same process)" test "$(mr_pid relay)" = "$relay_pid"
check "the relay is running" mr_running relay
mr_wait_until 3 relay_counters_lines_at_least $(($(relay_counters_lines) + 1))
declare -A after
for field in "${!before[@]}"; do after[$field]=$(relay_counter "$field"); done
rss_after=$(relay_rss_kib)
log "relay counters (before -> after): $(for f in "${!before[@]}"; do printf '%s %s->%s, ' "$f" "${before[$f]}" "${after[$f]}"; done)"
log "flood answers: $(json_field "$MR_STATE/flood.json" 'd["answers"]') rejects: $(json_field "$MR_STATE/flood.json" 'd["rejects"]')"
figure "flood: relay RSS ${rss_before} -> ${rss_after} KiB; sessions ${before[sessions]} -> ${after[sessions]}; replay entries ${before[replay_entries]} -> ${after[replay_entries]}; tickets verified +$((after[tickets_verified] - before[tickets_verified])), refused +$((after[tickets_rejected] - before[tickets_rejected])) (replayed +$((after[tickets_replayed] - before[tickets_replayed])))"
check "the attacker was never accepted" test "$(json_field "$MR_STATE/flood.json" 'd["answers"]["accept"]')" = 0
check "forged tickets refused as bad-ticket (attacker's view)" test "$(json_field "$MR_STATE/flood.json" 'd["rejects"].get("bad-ticket", 0)')" -gt 0
check "replayed tickets refused as replayed (attacker's view)" test "$(json_field "$MR_STATE/flood.json" 'd["rejects"].get("replayed", 0)')" -gt 0
check "relay counted the replays" test "${after[tickets_replayed]}" -gt "${before[tickets_replayed]}"
check "relay counted refusals beyond the replays (forgeries)" \
  test $((after[tickets_rejected] - before[tickets_rejected])) -gt $((after[tickets_replayed] - before[tickets_replayed]))
check "relay logged reject:replayed events" grep -q '"decision":"reject:replayed"' "$MR_STATE/logs/relay.log"
check "relay logged reject:bad_signature events (forged)" grep -q '"decision":"reject:bad_signature"' "$MR_STATE/logs/relay.log"
# The hello-rate noise is budgeted (suppressed events), but never at the refusals' expense.
refusal_events=$(grep '"decision":"reject:' "$MR_STATE/logs/relay.log" | grep -Ec '"source":"10\.77\.0\.10[1-4]:[0-9]+"')
check "events suppressed (the hello-rate noise is budgeted)" test "${after[events_suppressed]}" -gt "${before[events_suppressed]}"
check "every refused ticket has its security event ($refusal_events of $((after[tickets_rejected] - before[tickets_rejected])))" \
  test "$refusal_events" = $((after[tickets_rejected] - before[tickets_rejected]))
check "malformed hellos dropped as malformed" test "${after[dropped_malformed]}" -gt "${before[dropped_malformed]}"
check "random datagrams dropped as unknown source" test "${after[dropped_unknown_source]}" -gt "${before[dropped_unknown_source]}"
check "per-source hello limit engaged" test "${after[dropped_hello_rate]}" -gt "${before[dropped_hello_rate]}"
check "sessions unchanged (bounded: nothing stored for the attacker)" test "${after[sessions]}" = "${before[sessions]}"
check "replay store unchanged (refused tickets are never stored)" test "${after[replay_entries]}" = "${before[replay_entries]}"
check "relay memory flat (RSS grew < 2 MiB)" test $((rss_after - rss_before)) -lt 2048
check "the relayed pair still forwards" test "${after[forwarded_datagrams]}" -gt "${before[forwarded_datagrams]}"

# UDP receive-buffer drops in the relay host's namespace (the kernel's, before the relay reads).
rcvbuf_errors() { ip netns exec "$(mr_ns ctl)" awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ {print $6}' /proc/net/snmp; }
if [[ -n ${FLOOD_BLAST_TOOL:-} ]]; then
  rx_before=$(relay_counter rx_datagrams)
  drops_before=$(rcvbuf_errors)
  ip netns exec "$(mr_ns n1)" ping -n -i 0.1 -W 1 -c 100 "$N2" > "$MR_STATE/blast-ping.out" 2>&1 &
  ping_pid=$!
  blasters=()
  for _ in 1 2; do
    ip netns exec "$(mr_ns n3)" "$FLOOD_BLAST_TOOL" flood "$RELAY_ADDRESS" 8 2>> "$MR_STATE/logs/flood.log" &
    blasters+=($!)
  done
  wait "${blasters[@]}" "$ping_pid"
  mr_wait_until 3 relay_counters_lines_at_least $(($(relay_counters_lines) + 1))
  read -r transmitted received <<< "$(ping_counts "$MR_STATE/blast-ping.out")"
  figure "blast (2 tight-loop senders, 8 s): relay received $(($(relay_counter rx_datagrams) - rx_before)) datagrams of $(grep -o 'sent [0-9]*' "$MR_STATE/logs/flood.log" | tail -n 2 | awk '{n += $2} END {print n}') sent, kernel receive-buffer drops +$(($(rcvbuf_errors) - drops_before)); relayed ping ${received:-0}/${transmitted:-0}; sessions $(relay_counter sessions), RSS $(relay_rss_kib) KiB"
  check "the relay survived the blast" test "$(mr_pid relay)" = "$relay_pid"
  check "sessions unchanged after the blast" test "$(relay_counter sessions)" = "${before[sessions]}"
fi

# ---- 2. kill -9 of the tunnel child ------------------------------------------------------------
echo "== tunnel"
recoveries=()
for kill_round in $(seq "$TUNNEL_KILLS"); do
  node=n$((2 - kill_round % 2))
  mr_wait_until 10 mr_ping_once n1 "$N2"
  old=$(tunnel_pid "$node") || { check "$node: wireguard-go found" false; break; }
  t_kill=$(mr_now_ms)
  kill -KILL "$old"
  if elapsed=$(mr_probe_ms n1 "$N2" 30 "$t_kill"); then
    recoveries+=("$elapsed")
    log "kill $kill_round: $node's wireguard-go (pid $old) killed; first n1->n2 reply after ${elapsed} ms"
  else
    check "kill $kill_round ($node): n1 -> n2 again within 30 s" false
  fi
  check "kill $kill_round: $node runs a new wireguard-go" mr_wait_until 5 tunnel_pid_not "$node" "$old"
  sleep 1
done
if ((${#recoveries[@]})); then
  read -r median max <<< "$(median_max "${recoveries[@]}")"
  figure "kill -9 wireguard-go -> first relayed n1->n2 reply: ${recoveries[*]} ms (median $median, max $max; goal <= 1000)"
  check "tunnel back within 1 s of every kill (median $median ms, max $max ms)" test "$max" -le 1000
fi
check "n1 and n2 daemons survived the tunnel kills" bash -c "kill -0 $(mr_pid rustynetd-n1) && kill -0 $(mr_pid rustynetd-n2)"
check "n2 -> n1 after the tunnel kills" mr_ping_ok n2 "$N1"

# ---- 3. kill -9 of rustynet-control ------------------------------------------------------------
echo "== control"
policy_generation() { sqlite3 "file:$1?mode=ro" "SELECT generation FROM policy WHERE id = 1"; }
generation_before=$(policy_generation "$MR_STATE/control/control.db")
ip netns exec "$(mr_ns n1)" ping -n -i 0.1 -W 1 -c 50 "$N2" > "$MR_STATE/control-ping.out" 2>&1 &
ping_pid=$!
sleep 0.5
mr_stop control KILL 5
check "control killed by SIGKILL (exit ${MR_EXIT:-none})" test "${MR_EXIT:-none}" = 137
# The registry as the crash left it, checked on a copy (database + WAL): opening the original
# would let the checker, not the control, recover it.
mkdir -p "$MR_STATE/crashed-db"
cp "$MR_STATE"/control/control.db* "$MR_STATE/crashed-db/"
db=$MR_STATE/crashed-db/control.db
check "registry passes integrity_check" test "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok
check "registry holds n1 and n2" test "$(sqlite3 "$db" 'SELECT group_concat(node_id, " ") FROM (SELECT node_id FROM nodes ORDER BY node_id)')" = "n1 n2"
check "registry holds the policy generation ($generation_before)" test "$(sqlite3 "$db" 'SELECT generation FROM policy WHERE id = 1')" = "$generation_before"
wait "$ping_pid"
read -r transmitted received <<< "$(ping_counts "$MR_STATE/control-ping.out")"
figure "kill -9 control: relayed ping n1->n2 every 100 ms while control was down: ${received:-0}/${transmitted:-0} answered"
check "no ping lost while control was down" test "${received:-0}" = "${transmitted:-x}"
check "n1 still running with a verified state" mr_daemon_ready n1
t0=$(mr_now_ms)
check "control restarts on the crashed store" mr_control_start 15
require
mr_admin node list > "$MR_STATE/node-list.out" 2>&1
check "the restarted control lists n1 and n2" grep -q n2 "$MR_STATE/node-list.out"
check "n4: keys generated" mr_node_keys n4
check "n4 registered after the restart" mr_node_register n4
mr_policy_file "$MR_STATE/policy-2.json" 'n1>n2' 'n2>n1' 'n1>n4' 'n4>n1'
check "policy set after the restart: also n1<->n4" mr_policy_set "$MR_STATE/policy-2.json"
if mr_wait_until 45 peers_are n1 "n2 n4"; then
  figure "control kill -9 + restart -> a node added and a policy set after it reached n1 after $(($(mr_now_ms) - t0)) ms from the restart (includes the daemon's reconnect backoff)"
else
  check "n1 resyncs: peers n2 n4 within 45 s" false
fi
check "n2 still has only n1" peers_are n2 "n1"
check "n1 -> n2 after the control restart" mr_ping_ok n1 "$N2"

# ---- 4. kill -9 of rustynet-relay --------------------------------------------------------------
echo "== relay"
mr_stop relay KILL 5
t_kill=$(mr_now_ms)
check "relay killed by SIGKILL (exit ${MR_EXIT:-none})" test "${MR_EXIT:-none}" = 137
check "relay restarted" relay_start
t_restart=$(mr_now_ms)
if elapsed=$(mr_probe_ms n1 "$N2" 60 "$t_kill"); then
  figure "kill -9 relay + restart: first relayed n1->n2 reply ${elapsed} ms after the kill, $((elapsed - (t_restart - t_kill))) ms after the new relay started (link dead_after 15 s)"
  check "relayed pair recovered within 30 s of the relay kill" test "$elapsed" -le 30000
else
  check "n1 -> n2 again within 60 s of the relay kill" false
fi
check "n2 -> n1 after the relay kill" mr_ping_ok n2 "$N1"
check "the new relay process forwards" mr_wait_until 5 relay_forwarded_above 5

# ---- 5. secrets in the logs --------------------------------------------------------------------
echo "== logscan"
for node in n1 n2; do
  check "$node: tunnel key read from its wireguard-go (UAPI)" scan_tunnel_key "$(mr_interface "$node")" "$MR_STATE/secrets/$node.tunnel"
done
for node in n1 n2; do
  mr_stop "rustynetd-$node" TERM 10
  check "$node daemon exits 0 on SIGTERM (exit ${MR_EXIT:-none})" test "${MR_EXIT:-none}" = 0
done
mr_stop control TERM 10
mr_stop relay TERM 10
check "no private key, secret or token of the run in any log" scan_run_logs
check "the scan finds a tunnel key planted in a copy of the logs" scan_catches_plant n1

echo "---- figures ----"
printf '  %s\n' "${FIGURES[@]}"
echo "e2e-faults: run time $((($(mr_now_ms) - t_test) / 1000)) s"
if ((failures)); then
  echo "e2e-faults: FAIL ($failures)"
  exit 1
fi
echo "e2e-faults: PASS"
