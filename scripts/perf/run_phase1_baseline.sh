#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Phase 1 performance harness (issue 11, spec section 8): measures the Phase 1 metrics for real on a
# live mesh in network namespaces and writes artifacts/perf/phase1/baseline.json plus the raw samples
# beside it. Root only. Cleans up namespaces and processes on any exit. See docs/performance.md.
#
# usage: scripts/perf/run_phase1_baseline.sh [--build-dir DIR] [--no-build] [--short] [--out DIR] [--keep]
#   --build-dir DIR  tree holding apps/*/ (default build/release, built with the release preset)
#   --no-build       use the binaries already in DIR (otherwise the four programs are (re)built, niced)
#   --short          CI form: fewer samples, shorter idle window and iperf runs (<= 4 min on 2 cores)
#   --out DIR        report directory (default artifacts/perf/phase1)
#   --with-1000-peers / --no-1000-peers   the 1,000-peer idle RSS data point (default: full mode only)
#   --keep           leave namespaces rnperf-* and the state dir up (remove: scripts/lib/netns-mesh.sh down rnperf)
# Environment: PERF_RECONNECT_SAMPLES, PERF_ENDPOINT_SAMPLES, PERF_POLICY_SAMPLES, PERF_ADDRESS_MOVES,
#   PERF_FILTER_REPETITIONS, PERF_AB_PAIRS (sample counts), PERF_BUDGET_SECONDS (watchdog), PERF_ONLY (a
#   comma list of sections to run after the mesh is up: idle,reconnect,endpoint,policy,filter,throughput,
#   address; for chasing one figure; such a run writes no baseline.json, only the raw files).
# Topology: rustynet-control (rnperf-ctl) + rustynetd on n1..n4 (rnperf-n1..4, tunnels rnp1..4), full
# mesh policy, so n1 has 3 live peers. The throughput baseline is a hand-configured wireguard-go
# tunnel between n1 and n2 (interfaces rnpb1/rnpb2, 10.99.0.0/24) in the same namespaces. The packet
# filter figures (extras, not spec metrics) come from bench/filter/filter_bench_tool: build + apply time
# of a node's filter for 1,000 / 10,000 rules, and the throughput cost of a 1,000-rule filter on rnpb2.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO
build_dir=$REPO/build/release
out_dir=$REPO/artifacts/perf/phase1
short=0
no_build=0
keep=0
bulk=""
while (($#)); do
  case $1 in
    --build-dir) build_dir=$(cd "$2" && pwd) || exit 64; shift 2 ;;
    --no-build) no_build=1; shift ;;
    --short) short=1; shift ;;
    --out) out_dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --no-1000-peers) bulk=0; shift ;;
    --with-1000-peers) bulk=1; shift ;;
    -h | --help) sed -n '3,22p' "$0"; exit 0 ;;
    *) echo "perf: unknown argument '$1' (try --help)" >&2; exit 64 ;;
  esac
done

# Sample counts and durations. Full: the issue's minimums with margin; short: what CI can afford
# (validate_report.py --short scales the minimum sample counts by 0.3).
# Throughput: 5 pairs of 4 s, not 3 of 3 s: on 2 cores one CI run of 3 x 3 s read -4.7/22.8/27.0 %
# per pair (mean 15.1 %, over the 15 % threshold) where the same tree's perf-short read 1.5 %.
# PERF_*_SAMPLES / PERF_ADDRESS_MOVES override a count (e.g. more policy changes to chase a rare stall);
# the validator's minimums still apply to the report.
if ((short)); then
  MODE=short IDLE_SECONDS=15 RECONNECT_SAMPLES=3 ENDPOINT_SAMPLES=3 POLICY_SAMPLES=6 AB_PAIRS=5 IPERF_SECONDS=4
  ADDRESS_MOVES=4 ADDRESS_MOVE_TIMEOUT=15 BUDGET_SECONDS=${PERF_BUDGET_SECONDS:-240}
  FILTER_REPETITIONS=4 FILTER_BREAKDOWN=1
else
  MODE=full IDLE_SECONDS=60 RECONNECT_SAMPLES=12 ENDPOINT_SAMPLES=12 POLICY_SAMPLES=24 AB_PAIRS=8 IPERF_SECONDS=6
  ADDRESS_MOVES=12 ADDRESS_MOVE_TIMEOUT=45 BUDGET_SECONDS=${PERF_BUDGET_SECONDS:-1200}
  FILTER_REPETITIONS=10 FILTER_BREAKDOWN=4
fi
RECONNECT_SAMPLES=${PERF_RECONNECT_SAMPLES:-$RECONNECT_SAMPLES}
ENDPOINT_SAMPLES=${PERF_ENDPOINT_SAMPLES:-$ENDPOINT_SAMPLES}
POLICY_SAMPLES=${PERF_POLICY_SAMPLES:-$POLICY_SAMPLES}
ADDRESS_MOVES=${PERF_ADDRESS_MOVES:-$ADDRESS_MOVES}
FILTER_REPETITIONS=${PERF_FILTER_REPETITIONS:-$FILTER_REPETITIONS}
AB_PAIRS=${PERF_AB_PAIRS:-$AB_PAIRS}
# PERF_ONLY=a,b: run only those sections (after the mesh is up) and write no report.
readonly PERF_ONLY=${PERF_ONLY:-}
want() { [[ -z $PERF_ONLY || ",$PERF_ONLY," == *",$1,"* ]]; }
# The 1,000-peer data point (idle RSS/CPU of n1 with 1,003 peers) runs in full mode by default.
if [[ -z $bulk ]]; then bulk=$((1 - short)); fi
[[ -n $PERF_ONLY ]] && bulk=0
BULK_PEERS=$((bulk ? 1000 : 0)) BULK_IDLE_SECONDS=$((short ? 10 : 30))
readonly MODE IDLE_SECONDS BULK_PEERS BULK_IDLE_SECONDS RECONNECT_SAMPLES ENDPOINT_SAMPLES POLICY_SAMPLES AB_PAIRS IPERF_SECONDS
readonly ADDRESS_MOVES ADDRESS_MOVE_TIMEOUT BUDGET_SECONDS FILTER_REPETITIONS FILTER_BREAKDOWN
readonly NODES="n1 n2 n3 n4"
readonly WG_GO=/usr/bin/wireguard-go
TOOL="python3 $REPO/scripts/perf/perf_tool.py"

log() { echo "perf: $(date -u +%H:%M:%S.%3N) $*"; }
fail() {
  log "FAILED: $*" >&2
  exit 1
}

if [[ $(id -u) -ne 0 ]]; then
  echo "perf: must run as root (network namespaces)" >&2
  exit 1
fi
for tool in wireguard-go wg ip ping iperf3 python3 nft; do
  command -v "$tool" > /dev/null || fail "$tool missing (scripts/bootstrap.sh installs it)"
done

harness_start=$(date +%s)
if ((!no_build)); then
  if [[ $build_dir == "$REPO/build/release" ]]; then
    log "building the release preset (rustynetd rustynet rustynet-control filter_bench_tool)"
    # Niced: the build shares the machine's cores with others; the measurements below run un-niced
    # (the daemons inherit this shell's priority, not the build's).
    (cd "$REPO" && nice -n 10 cmake --preset release > /dev/null && nice -n 10 cmake --build --preset release -j2 \
      --target rustynetd rustynet rustynet-control filter_bench_tool) || fail "release build failed"
  else
    nice -n 10 cmake --build "$build_dir" -j2 --target rustynetd rustynet rustynet-control filter_bench_tool ||
      fail "build in $build_dir failed"
  fi
fi

export MR_PREFIX=rnperf MR_IF_PREFIX=rnp MR_CONTROL_PORT=8443
MR_RUSTYNETD=$build_dir/apps/rustynetd/rustynetd
MR_RUSTYNET=$build_dir/apps/rustynet/rustynet
MR_CONTROL=$build_dir/apps/rustynet-control/rustynet-control
FILTER_TOOL=$build_dir/bench/filter/filter_bench_tool
for binary in "$MR_RUSTYNETD" "$MR_RUSTYNET" "$MR_CONTROL" "$FILTER_TOOL"; do
  [[ -x $binary ]] || fail "$binary is not built"
done
build_type=$(awk -F= '/^CMAKE_BUILD_TYPE:/ {print $2}' "$build_dir/CMakeCache.txt" 2> /dev/null)

# shellcheck source=scripts/lib/mesh-run.sh
source "$REPO/scripts/lib/mesh-run.sh"

MR_STATE=$(mktemp -d /tmp/rustynet-perf.XXXXXX)
export MR_STATE
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
# A fresh report directory: nothing of an earlier run can leak into this report.
rm -f "$out_dir"/baseline.json "$out_dir"/*.samples.txt "$out_dir"/*.txt "$out_dir"/extras.json "$out_dir"/filter_*.json
rm -rf "$out_dir/iperf"
mkdir -p "$out_dir/iperf"
watchdog_pid=""

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [[ -n $watchdog_pid ]] && kill "$watchdog_pid" 2> /dev/null
  if ((status != 0)); then
    echo "---- logs (failure) ----"
    mr_dump_logs 30
    rm -f "$out_dir/baseline.json"
  fi
  if ((keep)); then
    echo "perf: --keep: namespaces ${MR_PREFIX}-*, state $MR_STATE left up"
  else
    mesh_down "$MR_PREFIX" || echo "perf: WARNING: leftover namespaces: $(mesh_list "$MR_PREFIX")"
    rm -rf "$MR_STATE"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'echo "perf: interrupted" >&2; exit 130' INT TERM
# shellcheck disable=SC2217 # sleep gets /dev/null so an orphaned sleep holds no caller pipe
(sleep "$BUDGET_SECONDS" > /dev/null 2>&1 < /dev/null && echo "perf: time budget of ${BUDGET_SECONDS}s exceeded" >&2 && kill -TERM $$) &
watchdog_pid=$!

ns() { mr_ns "$1"; }
mesh_ip() { mr_mesh_address "$1"; }
json_field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); r=d.get("result", d); print(eval(sys.argv[2], {"r": r}))' "$@"; }
seconds_of_ms() { awk -v ms="$1" 'BEGIN {printf "%.3f\n", ms / 1000}'; }

# Pid of the wireguard-go child of a process (the daemon's userspace tunnel driver).
child_wg_pid() {
  local pid
  for pid in $(pgrep -P "$1" 2> /dev/null); do
    [[ $(cat "/proc/$pid/comm" 2> /dev/null) == wireguard-go ]] && echo "$pid" && return 0
  done
  return 1
}

# ---- 1. the mesh ----------------------------------------------------------------------------------
log "mode $MODE: state $MR_STATE, report $out_dir, binaries $build_dir ($build_type)"
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
mesh_down "$MR_PREFIX" > /dev/null 2>&1
# shellcheck disable=SC2086
mesh_up "$MR_PREFIX" $NODES || fail "topology up"
mr_make_state
mr_control_init || fail "rustynet-control init"
# shellcheck disable=SC2119 # default readiness timeout
mr_control_start || fail "rustynet-control start"
declare -A TUNNEL_KEY
for node in $NODES; do
  mr_node_keys "$node" || fail "$node keys"
  TUNNEL_KEY[$node]=$MR_TUNNEL_KEY
  mr_node_register "$node" > /dev/null || fail "$node register"
  mr_daemon_config "$node"
done
# Full mesh (every ordered pair) and the same without n3 <-> n4 (for the policy-apply samples).
all_pairs=() without_34=()
for a in $NODES; do
  for b in $NODES; do
    [[ $a == "$b" ]] && continue
    all_pairs+=("$a>$b")
    [[ "$a$b" == n3n4 || "$a$b" == n4n3 ]] || without_34+=("$a>$b")
  done
done
mr_policy_file "$MR_STATE/policy-full.json" "${all_pairs[@]}"
mr_policy_file "$MR_STATE/policy-without-34.json" "${without_34[@]}"
mr_policy_set "$MR_STATE/policy-full.json" > /dev/null || fail "policy set (full mesh)"
# rustynet-control allows one admin identity 10 requests back to back, then one per 3 minutes (spec
# 5.3; in-memory buckets, docs/control-server.md "Rate limits"). Setup used 5: restart control now,
# before any daemon connects, so the policy samples start with a full budget; later batches of
# POLICY_BATCH samples each follow another restart (once every daemon is connected again).
readonly POLICY_BATCH=9
admin_used=0
mr_stop control TERM 10 || fail "control did not stop on SIGTERM"
# shellcheck disable=SC2119 # default readiness timeout
mr_control_start || fail "control restart"
for node in $NODES; do mr_daemon_start "$node"; done
for node in $NODES; do mr_daemon_wait_ready "$node" 20 || fail "$node daemon not running"; done
# Every pair must pass traffic (cold start: crossed first handshakes may take a retry).
for a in $NODES; do
  for b in $NODES; do
    [[ $a == "$b" ]] && continue
    mr_wait_until 20 mr_ping_once "$a" "$(mesh_ip "$b")" || fail "$a cannot reach $b over the mesh"
  done
done
n1_peers=$(json_field "$(mr_cli n1 peers --json)" 'len(r["peers"])') || fail "rustynet peers (n1)"
((n1_peers >= 3)) || fail "n1 has $n1_peers peers, need at least 3"
log "mesh up: 4 daemons, full mesh, n1 has $n1_peers live peers"

# ---- 2. idle CPU and RSS --------------------------------------------------------------------------
control_connected() { [[ $(json_field "$(mr_cli "$1" status --json)" 'r["control"]["connected"]') == True ]]; }
mr_wait_until 10 control_connected n1 || fail "n1 is not connected to control"
sleep 3 # let the last handshakes and state fetches of the start settle
if want idle; then
targets=()
for node in $NODES; do
  daemon_pid=$(mr_pid "rustynetd-$node")
  [[ $(cat "/proc/$daemon_pid/comm") == rustynetd ]] || fail "pid $daemon_pid of $node is not rustynetd"
  wg_pid=$(child_wg_pid "$daemon_pid") || fail "$node: no wireguard-go child of rustynetd"
  targets+=("rustynetd-$node=$daemon_pid" "wireguard-go-$node=$wg_pid")
done
log "idle window ${IDLE_SECONDS} s (1 s readings of /proc/PID/stat and /proc/PID/status)"
$TOOL proc-sample --out "$out_dir/idle.proc.txt" --seconds "$IDLE_SECONDS" "${targets[@]}" || fail "idle sampling"
control_connected n1 || fail "n1 lost its control session during the idle window"
n1_peers_after=$(json_field "$(mr_cli n1 peers --json)" 'sum(1 for p in r["peers"] if int(p["last_handshake_unix"]) > 0)')
((n1_peers_after >= 3)) || fail "n1 has $n1_peers_after peers with a handshake after the idle window"
echo "{\"idle_cpu_percent\": {\"live_peers\": $n1_peers_after, \"control_connected\": true}," \
  "\"idle_rss_mb\": {\"live_peers\": $n1_peers_after}}" > "$out_dir/extras.idle.json"
fi

# ---- 3. reconnect after a daemon restart ----------------------------------------------------------
if want reconnect; then
log "reconnect: $RECONNECT_SAMPLES daemon restarts of n1, probe n1 -> n2 every 50 ms"
: > "$out_dir/reconnect_seconds.samples.txt"
for i in $(seq 1 "$RECONNECT_SAMPLES"); do
  mr_stop rustynetd-n1 TERM 10 || fail "n1 daemon did not stop on SIGTERM"
  [[ $MR_EXIT == 0 ]] || fail "n1 daemon exited with $MR_EXIT"
  t0=$(mr_now_ms)
  mr_daemon_start n1
  elapsed=$(mr_probe_ms n1 "$(mesh_ip n2)" 15 "$t0") || fail "no reply n1 -> n2 within 15 s of restart $i"
  seconds_of_ms "$elapsed" >> "$out_dir/reconnect_seconds.samples.txt"
  log "  restart $i: first reply after ${elapsed} ms"
  mr_daemon_wait_ready n1 10 || fail "n1 daemon not running after restart $i"
  sleep 0.3
done
fi

# ---- 3b. reconnect after a peer's endpoint change -----------------------------------------------
# n2's tunnel endpoint moves to another UDP port (51830 and 51820 alternately): its daemon is stopped
# and started with the new listen_port. The new endpoint reaches n1 two ways, as they happen: n2's
# first handshake initiation arrives from the new port (WireGuard roaming), and control records
# <source address>:<new port> on n2's first sync and publishes it to n1. t0 = the start of n2's
# daemon on the new port; n1 -> n2 is probed every 50 ms. A sample only counts if control's registry
# and n1's device both hold the new endpoint afterwards (the change really happened and was
# published), else the run fails. Section 5b measures an underlay address move as a detail.
readonly CONTROL_DB=$MR_STATE/control/control.db
[[ -f $CONTROL_DB ]] || fail "control database $CONTROL_DB not found"
# Polls CMD every 50 ms until it succeeds; echoes the wall-clock ms of success. 1 after TIMEOUT_S.
poll_until_ms() {
  local timeout=$1 slot elapsed deadline
  shift
  deadline=$(($(mr_now_ms) + timeout * 1000))
  while true; do
    slot=$(mr_now_ms)
    if "$@"; then
      mr_now_ms
      return 0
    fi
    ((slot > deadline)) && return 1
    elapsed=$(($(mr_now_ms) - slot))
    ((elapsed < 50)) && sleep "0.0$(printf '%02d' $((50 - elapsed)))"
  done
}
set_listen_port() {
  python3 - "$MR_STATE/$1/rustynetd.json" "$2" << 'PY'
import json, os, sys
path, port = sys.argv[1], int(sys.argv[2])
with open(path, encoding="utf-8") as fh:
    config = json.load(fh)
config["listen_port"] = port
with open(path + ".tmp", "w", encoding="utf-8") as fh:
    json.dump(config, fh, indent=2)
os.chmod(path + ".tmp", 0o600)
os.replace(path + ".tmp", path)
PY
}
# device_endpoint NODE PEER: PEER's endpoint on NODE's tunnel device.
device_endpoint() {
  ip netns exec "$(ns "$1")" wg show "$(mr_interface "$1")" endpoints 2> /dev/null |
    awk -v key="${TUNNEL_KEY[$2]}" '$1 == key {print $2}'
}
registry_endpoints() { $TOOL node-endpoints --db "$CONTROL_DB" --node "$1"; }
# endpoint_published PEER ENDPOINT: control's registry and n1's device both hold ENDPOINT for PEER.
endpoint_published() {
  [[ $(registry_endpoints "$1") == "$2" && $(device_endpoint n1 "$1") == "$2" ]]
}
n2_port=51820
if want endpoint; then
log "endpoint change: $ENDPOINT_SAMPLES moves of n2's listen port (daemon restarted on it), probe n1 -> n2 every 50 ms"
: > "$out_dir/reconnect_endpoint_change_seconds.samples.txt"
echo "# sample new_endpoint start_to_first_reply_ms start_to_published_ms" > "$out_dir/endpoint_change.detail.txt"
for i in $(seq 1 "$ENDPOINT_SAMPLES"); do
  n2_port=$((i % 2 ? 51830 : 51820))
  endpoint="$(mesh_address n2):$n2_port"
  mr_stop rustynetd-n2 TERM 10 || fail "n2 daemon did not stop on SIGTERM"
  [[ $MR_EXIT == 0 ]] || fail "n2 daemon exited with $MR_EXIT"
  set_listen_port n2 "$n2_port"
  t0=$(mr_now_ms)
  mr_daemon_start n2
  elapsed=$(mr_probe_ms n1 "$(mesh_ip n2)" 15 "$t0") || fail "no reply n1 -> n2 within 15 s of endpoint change $i"
  published=$(poll_until_ms 10 endpoint_published n2 "$endpoint") ||
    fail "endpoint change $i: $endpoint not published within 10 s (registry: $(registry_endpoints n2), n1 device: $(device_endpoint n1 n2))"
  seconds_of_ms "$elapsed" >> "$out_dir/reconnect_endpoint_change_seconds.samples.txt"
  echo "$i $endpoint $elapsed $((published - t0))" >> "$out_dir/endpoint_change.detail.txt"
  log "  endpoint change $i (n2 -> $endpoint): first reply after ${elapsed} ms, published $((published - t0)) ms"
  mr_daemon_wait_ready n2 10 || fail "n2 daemon not running after endpoint change $i"
  sleep 0.3
done
fi

# ---- 4. policy change -> in force on the node -----------------------------------------------------
# t0 = the moment rustynet-control commits the new policy generation (its database polled every
# 5 ms, read-only); in force = observed in n3's namespace: removal when n4's key is gone from n3's
# device and n3's packet filter (read back from the kernel) no longer lets n4 start a ping, addition
# when the filter lets n4 ping n3 again, n4 is a peer of the device and the route to n4 leads into
# the tunnel (docs/packet-filter.md: the filter goes in before the peer). For additions the first
# n3 -> n4 ping reply is recorded as well (a detail: it also needs n4 to have applied its own change
# and the two to handshake).
n3_peers() { ip netns exec "$(ns n3)" wg show "$(mr_interface n3)" peers 2> /dev/null; }
n3_has_n4() { n3_peers | grep -qxF "${TUNNEL_KEY[n4]}"; }
n3_filter_lets_n4_in() {
  ip netns exec "$(ns n3)" nft get element inet "rustynet_$(mr_interface n3)" in4_icmp \
    "{ $(mesh_ip n4) . $(mesh_ip n3) }" &> /dev/null
}
n3_lacks_n4() {
  local peers
  peers=$(n3_peers) || return 1
  ! grep -qxF "${TUNNEL_KEY[n4]}" <<< "$peers" && ! n3_filter_lets_n4_in
}
n3_routes_n4() {
  n3_filter_lets_n4_in && n3_has_n4 &&
    ip -n "$(ns n3)" route get "$(mesh_ip n4)" 2> /dev/null | grep -q " dev $(mr_interface n3) "
}
if want policy; then
log "policy apply: $POLICY_SAMPLES changes at control (alternately remove / restore n3 <-> n4), observed in rnperf-n3"
: > "$out_dir/route_policy_apply_p95_seconds.samples.txt"
echo "# sample kind commit_to_in_force_ms cli_start_to_in_force_ms cli_ms commit_to_first_ping_reply_ms(late:ms if over 10 s)" > "$out_dir/policy.detail.txt"
n3_routes_n4 || fail "n3 does not have n4 as a peer before the policy samples"
no_reply=0 add_samples=0
all_connected() {
  local node
  for node in $NODES; do control_connected "$node" || return 1; done
}
restart_control() {
  mr_stop control TERM 10 || fail "control did not stop on SIGTERM"
  # shellcheck disable=SC2119 # default readiness timeout
  mr_control_start || fail "control restart"
  admin_used=0
  mr_wait_until 60 all_connected || fail "daemons did not reconnect to the restarted control within 60 s"
  sleep 1
}
for i in $(seq 1 "$POLICY_SAMPLES"); do
  if ((admin_used >= POLICY_BATCH)); then
    log "  (control restart: fresh admin rate-limit budget for the next $POLICY_BATCH changes)"
    restart_control
  fi
  if ((i % 2)); then
    kind=remove file=$MR_STATE/policy-without-34.json check=n3_lacks_n4
  else
    kind=add file=$MR_STATE/policy-full.json check=n3_routes_n4
  fi
  rm -f "$MR_STATE/commit.ready"
  $TOOL watch-commit --db "$CONTROL_DB" --ready "$MR_STATE/commit.ready" --timeout 15 > "$MR_STATE/commit.ms" &
  watcher_pid=$!
  mr_wait_until 5 test -s "$MR_STATE/commit.ready" || fail "policy sample $i: commit watcher not ready"
  t0=$(mr_now_ms)
  mr_policy_set "$file" > "$MR_STATE/policy-set.out" 2>&1 &
  admin_used=$((admin_used + 1))
  cli_pid=$!
  if ! in_force=$(poll_until_ms 10 $check); then
    wait "$cli_pid"
    cat "$MR_STATE/policy-set.out" >&2
    fail "policy sample $i ($kind): not in force on n3 within 10 s"
  fi
  wait "$cli_pid" || { cat "$MR_STATE/policy-set.out" >&2; fail "policy sample $i: policy set failed"; }
  cli_ms=$(($(mr_now_ms) - t0))
  wait "$watcher_pid" || fail "policy sample $i: no commit observed at control"
  commit=$(cat "$MR_STATE/commit.ms")
  elapsed=$((in_force - commit))
  ((elapsed >= 0)) || fail "policy sample $i: in force ($in_force) before the observed commit ($commit)"
  reply="-"
  if [[ $kind == add ]]; then
    add_samples=$((add_samples + 1))
    if reply=$(mr_probe_ms n3 "$(mesh_ip n4)" 10 "$commit"); then :; else
      reply="none-within-10s" no_reply=$((no_reply + 1))
      # Evidence for the stall (docs/performance.md "Known findings"): both devices' view of the pair.
      {
        echo "== sample $i ($(date -u +%H:%M:%S)): no n3 -> n4 reply within 10 s of the commit"
        for node in n3 n4; do
          echo "-- $node: wg show $(mr_interface "$node") (peer lines of the other node)"
          ip netns exec "$(ns "$node")" wg show "$(mr_interface "$node")" dump 2> /dev/null |
            awk -v a="${TUNNEL_KEY[n3]}" -v b="${TUNNEL_KEY[n4]}" '$1 == a || $1 == b {print $1, "endpoint", $3, "latest_handshake", $5, "rx", $6, "tx", $7}'
          tail -n 6 "$MR_STATE/logs/rustynetd-$node.log"
        done
      } >> "$out_dir/policy.stalls.txt"
      # How long the stall lasts: keep probing (same cadence) up to 30 s after the commit.
      late=$(mr_probe_ms n3 "$(mesh_ip n4)" 30 "$commit") || late=none-within-30s
      echo "-- first reply after the stall: $late ms after the commit" >> "$out_dir/policy.stalls.txt"
      reply="$reply(late:$late)"
    fi
  fi
  seconds_of_ms "$elapsed" >> "$out_dir/route_policy_apply_p95_seconds.samples.txt"
  echo "$i $kind $elapsed $((in_force - t0)) $cli_ms $reply" >> "$out_dir/policy.detail.txt"
  log "  change $i ($kind n3<->n4): in force ${elapsed} ms after the commit (${cli_ms} ms policy set command; first ping reply: $reply ms)"
  sleep 0.3
done
echo "{\"add_samples\": $add_samples, \"add_samples_without_ping_reply_within_10s\": $no_reply}" > "$out_dir/extras.policy.json"
fi

# ---- 4b. packet filter build + apply time (extra of route_policy_apply_p95_seconds) ---------------
# filter_bench_tool moves itself into a private network namespace with one real wireguard-go interface
# and, for policies of 1,000 and 10,000 rules (bench/policy/policy_workload.hpp, 1,001 nodes), times
# what a node does for a new state: parse, compile, plan_node_filter, filter_spec_from and
# NftablesPacketFilter::apply, alternating two policy contents so every apply changes the table (each
# checked with verify() and a flow only that content allows). Then the breakdown: the captured nft
# scripts re-run directly (check only, apply step, read-back, fixed cost) with their CPU times.
if want filter; then
log "packet filter: build + apply for 1,000 and 10,000 rules, $FILTER_REPETITIONS each (private namespace)"
"$FILTER_TOOL" apply-time --rules 1000,10000 --repetitions "$FILTER_REPETITIONS" \
  --breakdown-repetitions "$FILTER_BREAKDOWN" > "$out_dir/filter_apply.json" 2> "$MR_STATE/logs/filter-apply.log" ||
  fail "filter_bench_tool apply-time: $(tail -c 600 "$MR_STATE/logs/filter-apply.log")"
$TOOL filter-summary "$out_dir/filter_apply.json" | while read -r line; do log "  $line"; done
fi

# ---- 5. throughput: managed tunnel vs hand-configured wireguard-go --------------------------------
if want throughput; then
managed_mtu=$(ip -n "$(ns n1)" -o link show "$(mr_interface n1)" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
[[ -n $managed_mtu ]] || fail "cannot read the managed tunnel MTU"
# The baseline wireguard-go is started the way rustynetd starts its own (libs/backend_wireguard
# userspace_process.cpp): same session as the daemons (this shell's), its own process group, this
# cgroup, inside the namespace, env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=error only, stdin/stdout
# /dev/null. A different session (setsid) lands in another autogroup and shifts throughput ~20 %.
baseline_start() {
  local node=$1 k=${1#n}
  local ifname=rnpb$k
  ip netns exec "$(ns "$node")" env -i WG_PROCESS_FOREGROUND=1 LOG_LEVEL=error \
    python3 -c 'import os, sys; os.setpgid(0, 0); os.execve(sys.argv[1], sys.argv[1:], os.environ)' \
    "$WG_GO" -f "$ifname" < /dev/null > /dev/null 2>> "$MR_STATE/logs/baseline-$node.log" &
  echo $! > "$MR_STATE/pids/baseline-$node"
  mr_wait_until 5 test -S "/var/run/wireguard/$ifname.sock" || fail "baseline wireguard-go on $node did not start"
  wg genkey > "$MR_STATE/baseline-$node.key"
  chmod 0600 "$MR_STATE/baseline-$node.key"
  wg pubkey < "$MR_STATE/baseline-$node.key" > "$MR_STATE/baseline-$node.pub"
}
baseline_configure() {
  local node=$1 peer=$2 k=${1#n} pk=${2#n}
  ip netns exec "$(ns "$node")" wg set "rnpb$k" private-key "$MR_STATE/baseline-$node.key" listen-port 51821 \
    peer "$(cat "$MR_STATE/baseline-$peer.pub")" endpoint "$(mesh_address "$peer"):51821" allowed-ips "10.99.0.$pk/32" ||
    fail "wg set on $node"
  ip -n "$(ns "$node")" link set "rnpb$k" mtu "$managed_mtu" up
  ip -n "$(ns "$node")" addr replace "10.99.0.$k/24" dev "rnpb$k"
}
baseline_start n1
baseline_start n2
baseline_configure n1 n2
baseline_configure n2 n1
mr_wait_until 10 mr_ping_once n1 10.99.0.2 || fail "hand-configured baseline tunnel n1 -> n2 does not pass traffic"
managed_wg=$(child_wg_pid "$(mr_pid rustynetd-n1)") || fail "no managed wireguard-go on n1"
baseline_wg=$(mr_pid baseline-n1)
managed_identity=$($TOOL proc-identity "$managed_wg")
baseline_identity=$($TOOL proc-identity "$baseline_wg")
read -r m_sid m_pgid m_cgroup <<< "$managed_identity"
read -r b_sid b_pgid b_cgroup <<< "$baseline_identity"
[[ $m_sid == "$b_sid" && $m_cgroup == "$b_cgroup" ]] ||
  fail "baseline wireguard-go not in the managed one's session/cgroup ($baseline_identity vs $managed_identity)"
[[ $m_pgid == "$managed_wg" && $b_pgid == "$baseline_wg" ]] || fail "a wireguard-go is not its own process group leader"
log "throughput: $AB_PAIRS alternating pairs of ${IPERF_SECONDS} s iperf3 runs n1 -> n2 (mtu $managed_mtu, both wireguard-go in session $m_sid)"
mr_start iperf3-server n2 iperf3 -s
mr_wait_until 5 ip netns exec "$(ns n2)" bash -c 'exec 3<>/dev/tcp/127.0.0.1/5201' || fail "iperf3 server did not start"
iperf_run() {
  local target=$1 file=$2
  ip netns exec "$(ns n1)" iperf3 -c "$target" -t "$IPERF_SECONDS" -O 1 -J > "$file" 2> "$file.err" ||
    fail "iperf3 to $target failed: $(head -c 300 "$file.err") $(grep -m1 '"error"' "$file")"
  $TOOL iperf-bps "$file"
}
echo "# pair managed_bps baseline_bps (order alternates: odd pairs managed first)" > "$out_dir/throughput.pairs.txt"
for i in $(seq 1 "$AB_PAIRS"); do
  if ((i % 2)); then
    managed=$(iperf_run "$(mesh_ip n2)" "$out_dir/iperf/pair$i-managed.json") || exit 1
    baseline=$(iperf_run 10.99.0.2 "$out_dir/iperf/pair$i-baseline.json") || exit 1
  else
    baseline=$(iperf_run 10.99.0.2 "$out_dir/iperf/pair$i-baseline.json") || exit 1
    managed=$(iperf_run "$(mesh_ip n2)" "$out_dir/iperf/pair$i-managed.json") || exit 1
  fi
  echo "$i $managed $baseline" >> "$out_dir/throughput.pairs.txt"
  log "  pair $i: managed $((managed / 1000000)) Mbit/s, baseline $((baseline / 1000000)) Mbit/s"
done

# The packet filter's data-path cost (extra of throughput_overhead_percent): the same baseline tunnel,
# iperf3 n1 -> n2, with the filter a 1,000-rule policy gives n2 (filter_bench_tool install: workload
# node-0 at 10.99.0.2 with 1,000 peers, node-1 = n1 at 10.99.0.1, plus "allow node-1 -> node-0 tcp
# 5201") on rnpb2, and without it; alternating order (odd pairs filtered first). Both sides already
# pay conntrack: rustynetd's own filter on rnp2 uses it in this namespace. Before every run the
# harness proves which state is in force: a tcp connect n1 -> a port the filter drops (the tool names
# one) times out (1 s) with the filter and is refused (RST) without it. Single runs vary by 10-20 % on
# this shared machine, so the report gives the standard error of the mean beside the overhead.
FILTER_NETNS=/var/run/netns/$(ns n2)
readonly FILTER_NETNS FILTER_RULES=1000
# filter_install GENERATION
filter_install() {
  "$FILTER_TOOL" install --netns "$FILTER_NETNS" --interface rnpb2 --rules "$FILTER_RULES" --self-address 10.99.0.2 \
    --peer-address 10.99.0.1 --allow-tcp-port 5201 --generation "$1" > "$MR_STATE/filter-install.json" \
    2>> "$MR_STATE/logs/filter-tool.log" || fail "filter_bench_tool install: $(tail -c 400 "$MR_STATE/logs/filter-tool.log")"
}
filter_remove() {
  "$FILTER_TOOL" remove --netns "$FILTER_NETNS" --interface rnpb2 > /dev/null 2>> "$MR_STATE/logs/filter-tool.log" ||
    fail "filter_bench_tool remove: $(tail -c 400 "$MR_STATE/logs/filter-tool.log")"
}
# Exit status of a tcp connect n1 -> 10.99.0.2:PORT bounded to 1 s: 124 dropped (timeout), 1 refused.
probe_connect() {
  ip netns exec "$(ns n1)" timeout 1 bash -c "exec 3<>/dev/tcp/10.99.0.2/$1" 2> /dev/null
  echo $?
}
filter_install 1
cp "$MR_STATE/filter-install.json" "$out_dir/filter_throughput.install.json"
drop_port=$(json_field "$(cat "$MR_STATE/filter-install.json")" 'r["dropped_probe_tcp_port"]') || fail "filter install report"
filtered_run() {
  filter_install $(($1 + 1))
  [[ $(probe_connect "$drop_port") == 124 ]] || fail "pair $1: the filter on rnpb2 does not drop tcp/$drop_port"
  iperf_run 10.99.0.2 "$out_dir/iperf/filter-pair$1-filtered.json" || exit 1
  filter_remove
}
unfiltered_run() {
  [[ $(probe_connect "$drop_port") == 1 ]] || fail "pair $1: rnpb2 without filter does not refuse tcp/$drop_port"
  sleep 1 # the filtered side's probe waits 1 s for its timeout: both runs start after the same pause
  iperf_run 10.99.0.2 "$out_dir/iperf/filter-pair$1-unfiltered.json" || exit 1
}
filter_remove
log "packet filter overhead: $AB_PAIRS alternating pairs on the baseline tunnel, rnpb2 with / without the filter of a $FILTER_RULES-rule policy (tcp/$drop_port proves which)"
echo "# pair filtered_bps unfiltered_bps (order alternates: odd pairs filtered first)" > "$out_dir/filter_throughput.pairs.txt"
for i in $(seq 1 "$AB_PAIRS"); do
  if ((i % 2)); then
    filtered=$(filtered_run "$i") || exit 1
    unfiltered=$(unfiltered_run "$i") || exit 1
  else
    unfiltered=$(unfiltered_run "$i") || exit 1
    filtered=$(filtered_run "$i") || exit 1
  fi
  echo "$i $filtered $unfiltered" >> "$out_dir/filter_throughput.pairs.txt"
  log "  pair $i: filtered $((filtered / 1000000)) Mbit/s, unfiltered $((unfiltered / 1000000)) Mbit/s"
done
python3 - "$out_dir/extras.idle.json" "$out_dir/extras.json" "$managed_mtu" "$IPERF_SECONDS" "$m_sid" "$m_cgroup" << 'PY'
import json, sys
extras = json.load(open(sys.argv[1]))
extras["route_policy_apply_p95_seconds"] = json.load(open(sys.argv[1].replace("idle", "policy")))
extras["throughput_overhead_percent"] = {
    "path": "n1 -> n2, iperf3 TCP, first second omitted", "iperf_seconds": int(sys.argv[4]), "mtu": int(sys.argv[3]),
    "baseline": "wireguard-go configured with wg/ip, same namespaces, session " + sys.argv[5] + ", cgroup " + sys.argv[6]}
with open(sys.argv[2], "w") as fh:
    json.dump(extras, fh)
PY
rm -f "$out_dir/extras.idle.json" "$out_dir/extras.policy.json"
fi

# ---- 5b. reconnect after an underlay address move (reconnect_address_change_seconds) --------------
# n2's eth0 address alternates between 10.77.0.12 and 10.77.0.112 (same bridge, same /24;
# promote_secondaries so deleting the old primary keeps the new one) while every daemon keeps running,
# like a laptop that changes networks. t0 = both address changes done; n1 -> n2 is probed every 50 ms;
# the sample is the first reply (no reply within ADDRESS_MOVE_TIMEOUT counts as the timeout, so it fails
# the 5 s budget instead of vanishing). Control's registry is watched for n2's new endpoint (detail).
# rustynetd's address monitor (docs/daemon.md "Underlay address changes") interrupts n2's parked
# long-poll and announces the move to n2's peers. An even count ends on .12.
readonly MOVED_ADDRESS=${MESH_SUBNET_PREFIX}.112
((ADDRESS_MOVES > 0)) || fail "PERF_ADDRESS_MOVES must be > 0 (reconnect_address_change_seconds is a gated metric)"
((ADDRESS_MOVES % 2 == 0)) || fail "PERF_ADDRESS_MOVES must be even (n2 must end on its own address)"
if want address; then
log "address move: $ADDRESS_MOVES moves of n2's underlay address, probe n1 -> n2 every 50 ms (<= ${ADDRESS_MOVE_TIMEOUT} s)"
ip netns exec "$(ns n2)" sysctl -q -w net.ipv4.conf.eth0.promote_secondaries=1 || fail "promote_secondaries in n2"
: > "$out_dir/reconnect_address_change_seconds.samples.txt"
echo "# sample new_address move_to_first_reply_ms move_to_registry_ms (none: not within ${ADDRESS_MOVE_TIMEOUT} s)" \
  > "$out_dir/address_move.detail.txt"
registry_has() { [[ $(registry_endpoints n2) == "$1" ]]; }
for i in $(seq 1 "$ADDRESS_MOVES"); do
  if ((i % 2)); then from=$(mesh_address n2) to=$MOVED_ADDRESS; else from=$MOVED_ADDRESS to=$(mesh_address n2); fi
  ip -n "$(ns n2)" addr add "$to/24" dev eth0 || fail "address move $i: add $to on n2"
  ip -n "$(ns n2)" addr del "$from/24" dev eth0 || fail "address move $i: delete $from on n2"
  t0=$(mr_now_ms)
  # Watch control's registry in the background while probing.
  (poll_until_ms "$ADDRESS_MOVE_TIMEOUT" registry_has "$to:$n2_port" > "$MR_STATE/registry.ms") &
  watcher=$!
  if reply=$(mr_probe_ms n1 "$(mesh_ip n2)" "$ADDRESS_MOVE_TIMEOUT" "$t0"); then
    seconds_of_ms "$reply" >> "$out_dir/reconnect_address_change_seconds.samples.txt"
  else
    reply=none
    echo "$ADDRESS_MOVE_TIMEOUT.000 no reply within the probe timeout" >> "$out_dir/reconnect_address_change_seconds.samples.txt"
  fi
  registry=none
  if wait "$watcher"; then registry=$(($(cat "$MR_STATE/registry.ms") - t0)); fi
  echo "$i $to $reply $registry" >> "$out_dir/address_move.detail.txt"
  log "  address move $i (n2 -> $to): first reply n1 -> n2 after $reply ms, registry after $registry ms"
  mr_wait_until 45 mr_ping_once n1 "$(mesh_ip n2)" || fail "n1 -> n2 not back after address move $i"
  sleep 0.3
done
fi

# ---- 6. extra: n1 with 1,000 more peers in its peer map --------------------------------------------
if ((BULK_PEERS > 0)); then
  log "1,000-peer data point: $BULK_PEERS more nodes in control's registry, policy n1 -> tag:bulk"
  mr_stop control TERM 10 || fail "control did not stop on SIGTERM"
  $TOOL bulk-nodes --db "$CONTROL_DB" --count "$BULK_PEERS" --tag bulk --like n4 > /dev/null || fail "bulk registration"
  # shellcheck disable=SC2119 # default readiness timeout
  mr_control_start || fail "control restart"
  mr_wait_until 60 all_connected || fail "daemons did not reconnect to control within 60 s"
  python3 - "$MR_STATE/policy-full.json" "$MR_STATE/policy-bulk.json" << 'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["rules"].append({"id": "n1-to-bulk", "action": "allow", "src": ["node:n1"], "dst": ["tag:bulk"]})
json.dump(doc, open(sys.argv[2], "w"))
PY
  n1_device_peers() { ip netns exec "$(ns n1)" wg show "$(mr_interface n1)" peers 2> /dev/null | wc -l; }
  n1_has_bulk() { (($(n1_device_peers) >= BULK_PEERS + 3)); }
  t0=$(mr_now_ms)
  mr_policy_set "$MR_STATE/policy-bulk.json" > "$MR_STATE/policy-set.out" 2>&1 || {
    cat "$MR_STATE/policy-set.out" >&2
    fail "policy set (n1 -> tag:bulk)"
  }
  done_ms=$(poll_until_ms 60 n1_has_bulk) || fail "n1 does not have $((BULK_PEERS + 3)) peers within 60 s (has $(n1_device_peers))"
  log "  n1 has $(n1_device_peers) peers on its device $((done_ms - t0)) ms after the start of policy set"
  mr_ping_ok n1 "$(mesh_ip n2)" || fail "n1 -> n2 broken with 1,000 more peers"
  sleep 3
  $TOOL proc-sample --out "$out_dir/idle_1000_peers.proc.txt" --seconds "$BULK_IDLE_SECONDS" \
    "rustynetd-n1=$(mr_pid rustynetd-n1)" "wireguard-go-n1=$(child_wg_pid "$(mr_pid rustynetd-n1)")" ||
    fail "idle sampling with 1,000 more peers"
  python3 - "$out_dir/extras.json" "$((done_ms - t0))" "$(n1_device_peers)" << 'PY'
import json, sys
extras = json.load(open(sys.argv[1]))
extras.setdefault("idle_rss_mb", {})["bulk_apply"] = {
    "policy_set_start_to_all_peers_on_device_ms": int(sys.argv[2]), "device_peers": int(sys.argv[3]),
    "note": "1,000 nodes written into the stopped control's registry (admin API rate limit), policy n1 -> tag:bulk"}
json.dump(extras, open(sys.argv[1], "w"))
PY
fi

# ---- 7. the report --------------------------------------------------------------------------------
if [[ -n $PERF_ONLY ]]; then
  log "PERF_ONLY=$PERF_ONLY: raw files in $out_dir, no baseline.json (done in $(($(date +%s) - harness_start)) s)"
  exit 0
fi
commit=$(git -C "$REPO" rev-parse HEAD 2> /dev/null || echo unknown)
[[ -n $(git -C "$REPO" status --porcelain --untracked-files=no 2> /dev/null) ]] && commit="$commit-dirty"
log "writing $out_dir/baseline.json"
$TOOL report --dir "$out_dir" --mode "$MODE" --driver userspace --implementation "$("$WG_GO" --version | head -1)" \
  --commit "$commit" --build-dir "$build_dir" --build-type "$build_type" --load-at-start "$load_at_start" ||
  fail "report assembly"
log "done in $(($(date +%s) - harness_start)) s"
