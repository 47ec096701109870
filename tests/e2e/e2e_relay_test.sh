#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end relay test (issue 10): n1 and n2 cannot route to each other (blackhole routes on the
# underlay) but both reach the control host, which runs rustynet-control and rustynet-relay. The
# daemons get their peer marked relayed, fetch tickets, and the tunnel runs through the relay.
# Root only (ctest label netns). Bounded time; a trap removes every namespace on any exit.
#
# usage: tests/e2e/e2e_relay_test.sh [--build-dir DIR] [--keep] [--bench]
#   DIR: a built tree (default $RUSTYNET_BUILD_DIR, else build/ci); or RUSTYNETD=... RUSTYNET=...
#        RUSTYNET_CONTROL=... RUSTYNET_RELAY=... one by one.
#   --bench: also measure TCP throughput (iperf3) through the tunnel, relayed vs direct, alternating
#            (order flipped every round) BENCH_ROUNDS times (default 5), BENCH_SECONDS each (default
#            6) after BENCH_SETTLE s (default 1); medians, spread, per-process CPU of every round.
# Steps: relayed ping both ways (peers show "via relay r1", relay counters forward), relay restart
# survived (links re-allocate with fresh tickets), unmark (relays removed from control, routes
# restored) -> direct endpoint and ping, and back to relayed.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO
bench=0
build_dir=${RUSTYNET_BUILD_DIR:-$REPO/build/ci}
keep=0
while (($#)); do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --bench) bench=1; shift ;;
    -h | --help) sed -n '3,17p' "$0"; exit 0 ;;
    *) echo "e2e-relay: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
readonly BENCH_ROUNDS=${BENCH_ROUNDS:-5} BENCH_SECONDS=${BENCH_SECONDS:-6} BENCH_SETTLE=${BENCH_SETTLE:-1}
budget=${E2E_BUDGET_SECONDS:-240}
((bench)) && budget=$((budget + BENCH_ROUNDS * (2 * (BENCH_SECONDS + BENCH_SETTLE) + 50)))
readonly budget

if [[ $(id -u) -ne 0 ]]; then
  echo "e2e-relay: must run as root (network namespaces); this test is never skipped" >&2
  exit 1
fi

export MR_PREFIX=rnrly MR_IF_PREFIX=rnr MR_CONTROL_PORT=8443
MR_RUSTYNETD=${RUSTYNETD:-$build_dir/apps/rustynetd/rustynetd}
MR_RUSTYNET=${RUSTYNET:-$build_dir/apps/rustynet/rustynet}
MR_CONTROL=${RUSTYNET_CONTROL:-$build_dir/apps/rustynet-control/rustynet-control}
RELAY_BIN=${RUSTYNET_RELAY:-$build_dir/apps/rustynet-relay/rustynet-relay}
for binary in "$MR_RUSTYNETD" "$MR_RUSTYNET" "$MR_CONTROL" "$RELAY_BIN"; do
  if [[ ! -x $binary ]]; then
    echo "e2e-relay: $binary is not built (build dir $build_dir)" >&2
    exit 1
  fi
done
tools=(wireguard-go ip ping python3)
((bench)) && tools+=(iperf3)
for tool in "${tools[@]}"; do
  command -v "$tool" > /dev/null || { echo "e2e-relay: $tool missing (scripts/bootstrap.sh installs it)" >&2; exit 1; }
done

# shellcheck source=scripts/lib/mesh-run.sh
source "$REPO/scripts/lib/mesh-run.sh"

MR_STATE=$(mktemp -d /tmp/rustynet-e2e-relay.XXXXXX)
export MR_STATE
readonly RELAY_ADDRESS=$MESH_CONTROL_ADDRESS:3478
N1=$(mr_mesh_address n1)
N2=$(mr_mesh_address n2)
U1=$(mesh_address n1)
U2=$(mesh_address n2)
FIGURES=()
failures=0
# shellcheck source=tests/e2e/e2e_guard_lib.sh
source "$REPO/tests/e2e/e2e_guard_lib.sh"

e2e_guard e2e-relay "$budget" 60

# shellcheck source=tests/e2e/relay_e2e_lib.sh
source "$REPO/tests/e2e/relay_e2e_lib.sh"

# ---- relay, control config, peers ------------------------------------------------------------

control_restart() {
  mr_stop control TERM 10
  mr_control_start 15
}

# Relayed mode: no underlay route between the nodes, control marks the pair relayed.
use_relay() {
  underlay_blocked
  control_relays on
  control_restart || return 1
  mr_wait_until 20 endpoint_matches n1 '^127\.0\.0\.1:[0-9]+ via relay r1$' || return 1
  mr_wait_until 20 endpoint_matches n2 '^127\.0\.0\.1:[0-9]+ via relay r1$' || return 1
  mr_probe_ms n1 "$N2" 30 "$(mr_now_ms)" > /dev/null
}
# Direct mode: routes restored, the pair unmarked; the peers point at each other's underlay.
use_direct() {
  underlay_open
  control_relays off
  control_restart || return 1
  mr_wait_until 20 endpoint_matches n1 "^$U2:51820\$" || return 1
  mr_wait_until 20 endpoint_matches n2 "^$U1:51820\$" || return 1
  mr_probe_ms n1 "$N2" 30 "$(mr_now_ms)" > /dev/null
}

iperf_listening() { ip netns exec "$(mr_ns n2)" ss -Hltn "sport = :5201" | grep -q .; }

# CPU accounting for the bench: a snapshot of utime+stime of every thread of every process in the
# mesh namespaces (tunnel daemons, rustynetd and their link threads, the relay, iperf3), /proc/stat
# and the UDP/TCP drop counters of each namespace. cpu_report prints the differences per process
# (and per busy thread) so the relay path's cost is visible next to the tunnel's.
cpu_snapshot() {
  local out=$1 host pid
  {
    for host in n1 n2 ctl; do
      for pid in $(ip netns pids "$(mr_ns "$host")" 2> /dev/null); do
        echo "proc $host $pid"
      done
      echo "snmp $host $(ip netns exec "$(mr_ns "$host")" nstat -asz UdpInDatagrams UdpRcvbufErrors UdpSndbufErrors TcpRetransSegs 2> /dev/null | awk '$1 !~ /^#/ {printf "%s=%s ", $1, $2}')"
    done
  } | python3 -c '
import os, sys, json
snap = {"threads": {}, "snmp": {}, "stat": open("/proc/stat").readline().split()[1:8],
        "softnet_dropped": sum(int(l.split()[1], 16) for l in open("/proc/net/softnet_stat"))}
for line in sys.stdin:
    kind, host, rest = (line.rstrip("\n").split(" ", 2) + [""])[:3]
    if kind == "snmp":
        snap["snmp"][host] = dict(kv.split("=") for kv in rest.split())
        continue
    pid = rest
    try:
        comm = open(f"/proc/{pid}/comm").read().strip()
        for tid in os.listdir(f"/proc/{pid}/task"):
            fields = open(f"/proc/{pid}/task/{tid}/stat").read().rsplit(")", 1)[1].split()
            snap["threads"][f"{host}/{comm}/{pid}/{tid}"] = int(fields[11]) + int(fields[12])
    except OSError:
        pass
json.dump(snap, sys.stdout)' > "$out"
}
# cpu_report BEFORE AFTER SECONDS GBIT: CPU seconds per process (and busy threads) between the snapshots.
cpu_report() {
  python3 - "$@" << 'PY'
import json, os, sys
before, after = (json.load(open(p)) for p in sys.argv[1:3])
seconds, gbit = float(sys.argv[3]), float(sys.argv[4])
tick = os.sysconf("SC_CLK_TCK")
procs, threads = {}, {}
for key, ticks in after["threads"].items():
    host, comm, pid, tid = key.split("/")
    used = (ticks - before["threads"].get(key, 0)) / tick
    procs[(host, comm, pid)] = procs.get((host, comm, pid), 0.0) + used
    threads[(host, comm, pid, tid)] = used
stat = [int(a) - int(b) for a, b in zip(after["stat"], before["stat"])]
total = sum(stat) or 1
names = ["user", "nice", "system", "idle", "iowait", "irq", "softirq"]
machine = ", ".join(f"{n} {100.0 * v / total:.0f}%" for n, v in zip(names, stat) if n in ("user", "system", "softirq", "idle"))
print(f"    machine over {seconds:.0f} s: {machine}")
for (host, comm, pid), used in sorted(procs.items(), key=lambda kv: -kv[1]):
    if used < 0.01:
        continue
    busy = sorted(((u, t) for (h, c, p, t), u in threads.items() if (h, c, p) == (host, comm, pid) and u >= 0.05), reverse=True)
    detail = " (threads: " + ", ".join(f"{u:.2f}" for u, _ in busy[:4]) + ")" if len(busy) > 1 else ""
    print(f"    {host:3} {comm:14} {used:6.2f} CPU-s {100.0 * used / seconds:5.1f}%{detail}")
relay = sum(u for (h, c, p), u in procs.items() if c == "rustynet-relay")
links = sum(u for (h, c, p), u in procs.items() if c == "rustynetd")
if gbit > 0:
    per = seconds * gbit
    print(f"    per Gbit carried: relay {relay / per:.2f} CPU-s, both rustynetd {links / per:.2f} CPU-s")
drops = []
for host, counters in after["snmp"].items():
    for name, value in counters.items():
        delta = int(value) - int(before["snmp"].get(host, {}).get(name, 0))
        if delta and name != "UdpInDatagrams":
            drops.append(f"{host} {name} +{delta}")
        if name == "UdpInDatagrams":
            drops.append(f"{host} UdpIn +{delta}")
drops.append(f"softnet dropped +{after['softnet_dropped'] - before['softnet_dropped']}")
print("    counters: " + ", ".join(drops))
PY
}

# Gbit/s of one TCP stream n1 -> n2 through the tunnel; with $1 = a label, also the CPU breakdown.
iperf_gbit() {
  local label=${1:-} result
  ip netns exec "$(mr_ns n2)" iperf3 -s -1 -B "$N2" > /dev/null 2>&1 &
  local server=$!
  mr_wait_until 5 iperf_listening
  [[ -n $label ]] && cpu_snapshot "$MR_STATE/cpu.before"
  result=$(ip netns exec "$(mr_ns n1)" iperf3 -c "$N2" -t "$BENCH_SECONDS" -J 2> /dev/null |
    python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))')
  [[ -n $label ]] && cpu_snapshot "$MR_STATE/cpu.after"
  wait "$server" 2> /dev/null || true
  echo "$result"
  if [[ -n $label ]]; then
    echo "  $label: $result Gbit/s" >> "$MR_STATE/cpu.log"
    cpu_report "$MR_STATE/cpu.before" "$MR_STATE/cpu.after" "$BENCH_SECONDS" "${result:-0}" >> "$MR_STATE/cpu.log" 2>&1
  fi
}

# ---- the run ---------------------------------------------------------------------------------
echo "e2e-relay: state $MR_STATE, budget ${budget}s"
check "leftovers of an earlier run removed" mesh_down "$MR_PREFIX"
check "topology up (control/relay host + n1 n2)" mesh_up "$MR_PREFIX" n1 n2
require
underlay_blocked
check "n1 cannot reach n2's underlay address" mr_ping_fails n1 "$U2"
check "n2 cannot reach n1's underlay address" mr_ping_fails n2 "$U1"
check "n1 reaches the relay host" mr_ping_ok n1 "$MESH_CONTROL_ADDRESS" 1
check "n2 reaches the relay host" mr_ping_ok n2 "$MESH_CONTROL_ADDRESS" 1
require

mr_make_state
check "rustynet-control init" mr_control_init
require
control_relays on
relay_config
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
t_start=$(mr_now_ms)
mr_daemon_start n1
mr_daemon_start n2
check "n1: daemon running with a verified state" mr_daemon_wait_ready n1 20
check "n2: daemon running with a verified state" mr_daemon_wait_ready n2 20
require

# 1. Relayed.
if elapsed=$(mr_probe_ms n1 "$N2" 30 "$t_start"); then
  figure "relayed tunnel: first n1->n2 reply ${elapsed} ms after the daemons were started"
fi
check "n1 -> n2 through the tunnel via the relay" mr_ping_ok n1 "$N2"
check "n2 -> n1 through the tunnel via the relay" mr_ping_ok n2 "$N1"
check "n1 shows its peer via relay r1" endpoint_matches n1 '^127\.0\.0\.1:[0-9]+ via relay r1$'
check "n2 shows its peer via relay r1" endpoint_matches n2 '^127\.0\.0\.1:[0-9]+ via relay r1$'
check "the relay counted forwarded datagrams" mr_wait_until 5 relay_forwarded_above 5
log "relay counters: forwarded_datagrams=$(relay_forwarded)"
require

# 2. Relay restart: the sessions are gone; the links notice the silence (dead_after, 15 s), fetch
# fresh tickets and allocate again from the same local sockets; the tunnel endpoints never change.
endpoint_before=$(peer_endpoint n1)
mr_stop relay TERM 10
check "relay restarted" relay_start
t_restart=$(mr_now_ms)
if elapsed=$(mr_probe_ms n1 "$N2" 45 "$t_restart"); then
  figure "relay restart: first n1->n2 reply ${elapsed} ms after the new relay started (link dead_after 15 s)"
else
  check "n1 -> n2 again within 45 s of the relay restart" false
fi
check "n2 -> n1 after the relay restart" mr_ping_ok n2 "$N1"
check "the tunnel endpoint did not change" test "$(peer_endpoint n1)" = "$endpoint_before"
check "the new relay process forwards" mr_wait_until 5 relay_forwarded_above 5
check "n1's link allocated again" grep -q "via relay r1 active (allocation 2" "$MR_STATE/logs/rustynetd-n1.log"
require

# 3. Unmark -> direct (routes restored, relays removed from control), then back to relayed.
t0=$(mr_now_ms)
check "unmarked: both daemons move to the direct endpoint and ping" use_direct
figure "relayed -> direct (control restart + new state): $(($(mr_now_ms) - t0)) ms"
check "n2 -> n1 direct" mr_ping_ok n2 "$N1"
t0=$(mr_now_ms)
check "marked again: both daemons back via relay r1 and ping" use_relay
figure "direct -> relayed (control restart + new state + ticket + allocate): $(($(mr_now_ms) - t0)) ms"
require

# 4. Throughput, alternating relayed/direct so the shared machine's noise hits both alike. The order
# flips every round (R D, D R, R D, ...) so neither mode always runs right after a mode switch or
# first in a round; each measurement starts BENCH_SETTLE seconds after its switch settled (both
# modes alike). Medians, spread and a per-process CPU breakdown of every round are reported.
if ((bench)); then
  relayed_all=() direct_all=()
  : > "$MR_STATE/cpu.log"
  measure() {
    local mode=$1 round=$2 value
    if [[ $mode == relayed ]]; then
      use_relay || check "round $round: relayed mode" false
    else
      use_direct || check "round $round: direct mode" false
    fi
    sleep "$BENCH_SETTLE"
    value=$(iperf_gbit "round $round $mode")
    if [[ $mode == relayed ]]; then relayed_all+=("$value"); else direct_all+=("$value"); fi
  }
  log "bench: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for round in $(seq "$BENCH_ROUNDS"); do
    if ((round % 2)); then
      measure relayed "$round"
      measure direct "$round"
    else
      measure direct "$round"
      measure relayed "$round"
    fi
    log "bench round $round: relayed ${relayed_all[-1]} Gbit/s, direct ${direct_all[-1]} Gbit/s (load $(cut -d' ' -f1 /proc/loadavg))"
  done
  median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
  spread() { printf '%s\n' "$@" | sort -g | awk 'NR==1 {lo=$1} {hi=$1} END {print lo "-" hi}'; }
  relayed=$(median "${relayed_all[@]}")
  direct=$(median "${direct_all[@]}")
  echo "---- CPU per round (CPU-seconds over ${BENCH_SECONDS} s; threads listed when several were busy) ----"
  cat "$MR_STATE/cpu.log"
  figure "TCP through the tunnel (${BENCH_SECONDS} s x ${BENCH_ROUNDS}): relayed ${relayed_all[*]} Gbit/s, direct ${direct_all[*]} Gbit/s"
  figure "$(python3 -c "print('medians: relayed $relayed ($(spread "${relayed_all[@]}")), direct $direct ($(spread "${direct_all[@]}")) Gbit/s = %.1f%%' % (100.0 * $relayed / $direct if $direct > 0 else 0))")"
  ratios=()
  for i in "${!relayed_all[@]}"; do
    ratios+=("$(python3 -c "print('%.0f%%' % (100.0 * ${relayed_all[$i]} / ${direct_all[$i]} if ${direct_all[$i]} > 0 else 0))")")
  done
  figure "relayed/direct per round: ${ratios[*]}; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

echo "---- figures ----"
printf '  %s\n' "${FIGURES[@]}"
if ((failures)); then
  echo "e2e-relay: FAIL ($failures)"
  exit 1
fi
echo "e2e-relay: PASS"
