#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end automatic relay test (issue 10 item 4): n1 and n2 cannot route to each other
# (blackhole routes on the underlay) and control does NOT mark the pair relayed; it only offers
# relay r1 as a candidate (relays[].candidate_nodes). The daemons try direct, see no handshake
# within 15 s, fall back to the relay on their own (tickets from control), and ping each other
# through it; once the blackhole is removed their direct probes (every 60 s) move them back.
# Root only (ctest label netns). Bounded time; a trap removes every namespace on any exit.
#
# usage: tests/e2e/e2e_auto_relay_test.sh [--build-dir DIR] [--keep]
#   DIR: a built tree (default $RUSTYNET_BUILD_DIR, else build/ci); or RUSTYNETD=... RUSTYNET=...
#        RUSTYNET_CONTROL=... RUSTYNET_RELAY=... one by one.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO
build_dir=${RUSTYNET_BUILD_DIR:-$REPO/build/ci}
keep=0
while (($#)); do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '3,12p' "$0"; exit 0 ;;
    *) echo "e2e-auto-relay: unknown argument '$1'" >&2; exit 64 ;;
  esac
done
readonly budget=${E2E_BUDGET_SECONDS:-330}

if [[ $(id -u) -ne 0 ]]; then
  echo "e2e-auto-relay: must run as root (network namespaces); this test is never skipped" >&2
  exit 1
fi

export MR_PREFIX=rnarl MR_IF_PREFIX=rna MR_CONTROL_PORT=8443
MR_RUSTYNETD=${RUSTYNETD:-$build_dir/apps/rustynetd/rustynetd}
MR_RUSTYNET=${RUSTYNET:-$build_dir/apps/rustynet/rustynet}
MR_CONTROL=${RUSTYNET_CONTROL:-$build_dir/apps/rustynet-control/rustynet-control}
RELAY_BIN=${RUSTYNET_RELAY:-$build_dir/apps/rustynet-relay/rustynet-relay}
for binary in "$MR_RUSTYNETD" "$MR_RUSTYNET" "$MR_CONTROL" "$RELAY_BIN"; do
  if [[ ! -x $binary ]]; then
    echo "e2e-auto-relay: $binary is not built (build dir $build_dir)" >&2
    exit 1
  fi
done
for tool in wireguard-go ip ping python3; do
  command -v "$tool" > /dev/null || { echo "e2e-auto-relay: $tool missing (scripts/bootstrap.sh installs it)" >&2; exit 1; }
done

# shellcheck source=scripts/lib/mesh-run.sh
source "$REPO/scripts/lib/mesh-run.sh"

MR_STATE=$(mktemp -d /tmp/rustynet-e2e-auto-relay.XXXXXX)
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
traffic_pids=()

stop_traffic() {
  local pid
  for pid in "${traffic_pids[@]}"; do
    kill "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
  done
  traffic_pids=()
}

e2e_before_cleanup() { stop_traffic; }
e2e_guard e2e-auto-relay "$budget" 60

# shellcheck source=tests/e2e/relay_e2e_lib.sh
source "$REPO/tests/e2e/relay_e2e_lib.sh"

# Control offers r1 as a candidate for every pair with n2; it marks nothing.
control_candidates() {
  python3 - "$MR_STATE/control/control.json" "$RELAY_ADDRESS" << 'PY'
import json, sys
path, address = sys.argv[1:3]
with open(path) as f:
    config = json.load(f)
config["relays"] = [{"relay_id": "r1", "address": address, "candidate_nodes": ["n2"]}]
with open(path, "w") as f:
    json.dump(config, f, indent=2)
PY
}

both_relayed() {
  endpoint_matches n1 '^127\.0\.0\.1:[0-9]+ via relay r1$' && endpoint_matches n2 '^127\.0\.0\.1:[0-9]+ via relay r1$'
}
# Direct and confirmed: a probing peer also shows its direct endpoint, so the decision is read from
# the daemons' logs as well (a probe that succeeded says so and closes the link).
probe_confirmed() { grep -q "peer $2: direct path works again" "$MR_STATE/logs/rustynetd-$1.log"; }
both_direct() {
  endpoint_matches n1 "^$U2:51820\$" && endpoint_matches n2 "^$U1:51820\$" && probe_confirmed n1 n2 &&
    probe_confirmed n2 n1
}

# Background pings through the tunnel both ways (the traffic a direct probe sees), bounded.
start_traffic() {
  ip netns exec "$(mr_ns n1)" ping -q -i 0.5 -w 200 "$N2" > /dev/null 2>&1 &
  traffic_pids+=($!)
  ip netns exec "$(mr_ns n2)" ping -q -i 0.5 -w 200 "$N1" > /dev/null 2>&1 &
  traffic_pids+=($!)
}

# ---- the run ---------------------------------------------------------------------------------
echo "e2e-auto-relay: state $MR_STATE, budget ${budget}s"
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
control_candidates
relay_config
check "rustynet-relay starts" relay_start
check "rustynet-control starts with a candidate relay (no marked pair)" mr_control_start
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

# 1. Direct first: the candidate is not a mark, so the peers start at the direct endpoints.
check "n1 starts direct (candidate, not marked)" endpoint_matches n1 "^$U2:51820\$"
check "n2 starts direct (candidate, not marked)" endpoint_matches n2 "^$U1:51820\$"
require

# 2. No handshake within 15 s -> both relay through r1 on their own decision.
if mr_wait_until 45 both_relayed; then
  figure "no direct handshake -> both peers via relay r1 $(($(mr_now_ms) - t_start)) ms after the daemons started"
else
  check "both peers relayed within 45 s of the start" false
fi
if elapsed=$(mr_probe_ms n1 "$N2" 30 "$t_start"); then
  figure "first n1->n2 reply through the relay ${elapsed} ms after the daemons started (15 s direct timeout inside)"
else
  check "n1 -> n2 through the relay within 30 s" false
fi
check "n1 -> n2 through the tunnel via the relay" mr_ping_ok n1 "$N2"
check "n2 -> n1 through the tunnel via the relay" mr_ping_ok n2 "$N1"
check "the relay counted forwarded datagrams" mr_wait_until 5 relay_forwarded_above 5
check "n1 decided to relay on its own" grep -q "relaying via candidate relay r1" "$MR_STATE/logs/rustynetd-n1.log"
check "n2 decided to relay on its own" grep -q "relaying via candidate relay r1" "$MR_STATE/logs/rustynetd-n2.log"
log "relay counters: forwarded_datagrams=$(relay_forwarded)"
require

# 3. The blackhole goes away: the next direct probe (every 60 s) finds the direct path and the
# peers move back; the ping traffic is what a probe sees arrive at the direct endpoint.
underlay_open
check "n1 reaches n2's underlay address again" mr_ping_ok n1 "$U2" 2
t_open=$(mr_now_ms)
start_traffic
if mr_wait_until 150 both_direct; then
  figure "blackhole removed -> both peers direct (probes confirmed) $(($(mr_now_ms) - t_open)) ms later (probe interval 60 s)"
else
  check "both peers back to direct within 150 s of removing the blackhole" false
fi
stop_traffic
check "n1 -> n2 direct" mr_ping_ok n1 "$N2"
check "n2 -> n1 direct" mr_ping_ok n2 "$N1"
check "n1 logged the successful probe" probe_confirmed n1 n2
check "n2 logged the successful probe" probe_confirmed n2 n1
check "n1's relay link closed" grep -q "relay link for peer n2 closed" "$MR_STATE/logs/rustynetd-n1.log"
check "n2's relay link closed" grep -q "relay link for peer n1 closed" "$MR_STATE/logs/rustynetd-n2.log"

echo "---- figures ----"
printf '  %s\n' "${FIGURES[@]}"
if ((failures)); then
  echo "e2e-auto-relay: FAIL ($failures)"
  exit 1
fi
echo "e2e-auto-relay: PASS"
