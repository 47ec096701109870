#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: on a fresh Debian 12 machine, as root, install dependencies, build, and run a live
# Rustynet mesh in network namespaces: rustynet-control and rustynet-relay on a control host and
# four rustynetd nodes (n1..n4) on one bridge. Shows n1 <-> n2 over the encrypted tunnel, n1 <-> n4
# through the relay (no underlay route between them; the relay forwards ciphertext only), n3 kept
# out by policy, then a policy change letting n3 reach n2 (time measured), and `rustynet status`.
# See docs/demo.md.
#
# usage: scripts/demo.sh [--keep] [--build-dir DIR]   run the demo (cleans up on exit unless --keep)
#        scripts/demo.sh --down                       remove what a kept or interrupted demo left behind
# --build-dir DIR uses the programs already built in DIR (e.g. build/dev) instead of building the
# release preset into build/release.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo
keep=0
build_dir=""
mode_down=0
while (($#)); do
  case $1 in
    --keep) keep=1 ;;
    --build-dir)
      [[ $# -ge 2 ]] || { echo "demo: --build-dir needs a directory" >&2; exit 64; }
      build_dir=$(cd "$2" && pwd) || exit 64
      shift
      ;;
    --down) mode_down=1 ;;
    -h | --help) sed -n '3,13p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument '$1' (try --help)" >&2; exit 64 ;;
  esac
  shift
done

if [[ $(id -u) -ne 0 ]]; then
  echo "demo: run as root (it installs packages and creates network namespaces)" >&2
  exit 1
fi

export MR_PREFIX=rn MR_IF_PREFIX=rnd MR_CONTROL_PORT=8443
# shellcheck source=scripts/lib/mesh-run.sh
source "$repo/scripts/lib/mesh-run.sh"

if ((mode_down)); then
  mesh_down "$MR_PREFIX"
  for dir in /tmp/rustynet-demo.*; do
    [[ -d $dir ]] && rm -rf "$dir"
  done
  echo "demo: removed namespaces ${MR_PREFIX}-* and demo state"
  exit 0
fi

step_number=0
step() {
  step_number=$((step_number + 1))
  printf '\n\033[1m[%d] %s\033[0m\n' "$step_number" "$*"
}
say() { echo "    $*"; }
die() {
  printf '\033[31mdemo: FAILED: %s\033[0m\n' "$*" >&2
  exit 1
}
# Runs a command, echoing it first (the commands are the point of the demo).
show() {
  case $1 in
    mr_cli) echo "    \$ rustynet ${*:3}   # on $2, via its local API socket" ;;
    mr_admin) echo "    \$ rustynet control ${*:2}   # as the operator, admin key, TLS 1.3 to control" ;;
    *) echo "    \$ $*" ;;
  esac
  "$@" 2>&1 | sed 's/^/      /'
  return "${PIPESTATUS[0]}"
}

step "Install dependencies (scripts/bootstrap.sh, idempotent)"
"$repo/scripts/bootstrap.sh"

if [[ -z $build_dir ]]; then
  step "Build the release preset (the four programs; later runs are incremental)"
  (cd "$repo" && cmake --preset release > /dev/null &&
    cmake --build --preset release -j "$(nproc)" --target rustynetd rustynet rustynet-control rustynet-relay flow_probe)
  build_dir=$repo/build/release
fi
bin_dir=$build_dir/apps
MR_RUSTYNETD=$bin_dir/rustynetd/rustynetd
MR_RUSTYNET=$bin_dir/rustynet/rustynet
MR_CONTROL=$bin_dir/rustynet-control/rustynet-control
RELAY_BIN=$bin_dir/rustynet-relay/rustynet-relay
FLOW_PROBE=$build_dir/tests/e2e/flow_probe  # a tiny TCP/UDP listener and prober for the filter step
for binary in "$MR_RUSTYNETD" "$MR_RUSTYNET" "$MR_CONTROL" "$RELAY_BIN" "$FLOW_PROBE"; do
  [[ -x $binary ]] || die "$binary is not built"
done

MR_STATE=$(mktemp -d /tmp/rustynet-demo.XXXXXX)
export MR_STATE
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if ((status != 0)); then
    echo "---- last log lines ----"
    mr_dump_logs 25
  fi
  if ((keep)); then
    printf '\nThe mesh stays up (--keep). State: %s. Remove it with: scripts/demo.sh --down\n' "$MR_STATE"
  else
    step "Clean up (namespaces, processes, state)"
    mesh_down "$MR_PREFIX" || true
    rm -rf "$MR_STATE"
    say "done"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Network namespaces: control host and nodes n1..n4 on a bridge (10.77.0.0/24, inside the namespaces only)"
mesh_down "$MR_PREFIX" > /dev/null 2>&1 || true
mesh_up "$MR_PREFIX" n1 n2 n3 n4 || die "topology"
say "${MR_PREFIX}-ctl 10.77.0.1   ${MR_PREFIX}-n1 10.77.0.11   ${MR_PREFIX}-n2 10.77.0.12   ${MR_PREFIX}-n3 10.77.0.13   ${MR_PREFIX}-n4 10.77.0.14"
# n4 stands for a node behind a NAT that n1 cannot reach: no underlay route either way.
ip -n "$(mr_ns n1)" route replace blackhole "$(mesh_address n4)/32"
ip -n "$(mr_ns n4)" route replace blackhole "$(mesh_address n1)/32"
if show ip netns exec "$(mr_ns n1)" ping -n -c 1 -W 1 "$(mesh_address n4)"; then
  die "n1 reached n4's underlay address although the route is a blackhole"
fi
say "=> n1 and n4 cannot reach each other directly; both reach the control host"

step "rustynet-control init: control signing key (encrypted custody), TLS certificate, admin key"
mr_make_state
say "operator secret: $MR_STATE/operator.secret (0600, never printed)"
mr_control_init || die "rustynet-control init"
say "control signing public key: $MR_CONTROL_SIGNING_KEY"
say "TLS certificate pin (SHA-256): $MR_CONTROL_PIN"

step "Start rustynet-relay in ${MR_PREFIX}-ctl (UDP $MESH_CONTROL_ADDRESS:3478): it verifies control-signed tickets and holds no tunnel key"
relay_address=$MESH_CONTROL_ADDRESS:3478
cat > "$MR_STATE/relay.json" << JSON
{"version": 1, "relay_id": "r1", "listen": "$relay_address", "control_public_key": "$MR_CONTROL_SIGNING_KEY",
 "stats_interval_seconds": 1}
JSON
chmod 0600 "$MR_STATE/relay.json"
relay_bound() { ip netns exec "$(mr_ns ctl)" ss -Hlun "sport = :3478" | grep -q .; }
mr_start relay ctl "$RELAY_BIN" --config "$MR_STATE/relay.json"
{ mr_wait_until 10 relay_bound && mr_running relay; } || die "rustynet-relay did not start (log: $MR_STATE/logs/relay.log)"
say "relay r1 running (pid $(mr_pid relay)); control marks every pair with n4 as relayed through it"
python3 - "$MR_STATE/control/control.json" "$relay_address" << 'PY'
import json, sys
path, address = sys.argv[1:3]
with open(path) as f:
    config = json.load(f)
config["relays"] = [{"relay_id": "r1", "address": address, "nodes": ["n4"]}]
with open(path, "w") as f:
    json.dump(config, f, indent=2)
PY

step "Start rustynet-control in ${MR_PREFIX}-ctl (TLS 1.3 on $MESH_CONTROL_ADDRESS:$MR_CONTROL_PORT)"
mr_control_start 10 || die "rustynet-control did not start (log: $MR_STATE/logs/control.log)"
say "listening (pid $(mr_pid control))"

step "Per node: generate keys, register with control (rustynet control node add), write the daemon config"
for node in n1 n2 n3 n4; do
  mr_node_keys "$node" || die "$node: rustynet keys generate"
  mr_node_register "$node" > /dev/null || die "$node: rustynet control node add"
  mr_daemon_config "$node"
  say "$node  mesh $(mr_mesh_address "$node")  identity ${MR_IDENTITY_KEY:0:12}...  tunnel ${MR_TUNNEL_KEY:0:12}..."
done
show mr_admin node list || die "rustynet control node list"

step "Policy: n1 <-> n2 and n1 <-> n4 allowed, n3 nothing (default deny)"
mr_policy_file "$MR_STATE/policy-1.json" 'n1>n2' 'n2>n1' 'n1>n4' 'n4>n1'
sed 's/^/      /' "$MR_STATE/policy-1.json"
mr_policy_set "$MR_STATE/policy-1.json" > /dev/null || die "rustynet control policy set"

step "Start rustynetd on n1..n4 (userspace tunnel backend), wait for their signed peer maps"
for node in n1 n2 n3 n4; do
  mr_daemon_start "$node"
done
for node in n1 n2 n3 n4; do
  mr_daemon_wait_ready "$node" 20 || die "$node daemon did not reach running (log: $MR_STATE/logs/rustynetd-$node.log)"
  say "$node running, interface $(mr_interface "$node"), generation $(mr_cli "$node" status --json |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("result", d)["generation"])')"
done

step "n1 and n2 ping each other over their mesh addresses (through the tunnel)"
# The first handshake can need the tunnel's 5 s retry when all daemons start at once.
mr_probe_ms n1 100.64.0.2 15 "$(mr_now_ms)" > /dev/null || die "n1 -> n2: no tunnel within 15 s"
show ip netns exec "${MR_PREFIX}-n1" ping -n -c 3 -i 0.2 -W 1 100.64.0.2 || die "n1 -> n2"
show ip netns exec "${MR_PREFIX}-n2" ping -n -c 3 -i 0.2 -W 1 100.64.0.1 || die "n2 -> n1"

step "n1 and n4 ping each other through the relay (each daemon got a ticket from control and allocated a relay session)"
t0=$(mr_now_ms)
elapsed=$(mr_probe_ms n1 100.64.0.4 30 "$t0") || die "n1 -> n4: no tunnel through the relay within 30 s"
show ip netns exec "${MR_PREFIX}-n1" ping -n -c 3 -i 0.2 -W 1 100.64.0.4 || die "n1 -> n4"
show ip netns exec "${MR_PREFIX}-n4" ping -n -c 3 -i 0.2 -W 1 100.64.0.1 || die "n4 -> n1"
show mr_cli n4 peers || die "rustynet peers on n4"
grep -q "via relay r1" <<< "$(mr_cli n4 peers)" || die "n4's peer n1 is not shown via relay r1"
forwarded=$(grep '"event":"counters"' "$MR_STATE/logs/relay.log" | tail -n 1 |
  python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["forwarded_datagrams"])' 2> /dev/null || echo "?")
say "=> relayed: n4 sees n1 via relay r1; the relay has forwarded $forwarded encrypted datagrams so far"

step "n3 cannot reach n2: policy gives n3 no peer"
show mr_cli n3 peers || true
if show ip netns exec "${MR_PREFIX}-n3" ping -n -c 2 -i 0.5 -W 1 100.64.0.2; then
  die "n3 reached n2 although policy denies it"
fi
say "=> no reply, as intended"

step "Policy change: allow n3 -> n2; measure until n3's ping to n2 succeeds (probe every 50 ms)"
mr_policy_file "$MR_STATE/policy-2.json" 'n1>n2' 'n2>n1' 'n1>n4' 'n4>n1' 'n3>n2'
t0=$(mr_now_ms)
mr_policy_set "$MR_STATE/policy-2.json" > /dev/null || die "rustynet control policy set"
elapsed=$(mr_probe_ms n3 100.64.0.2 20 "$t0") || die "n3 could not reach n2 within 20 s of the policy change"
printf '    \033[1m=> n3 reached n2 %d ms after the policy change\033[0m (from the start of "rustynet control policy set")\n' "$elapsed"
show ip netns exec "${MR_PREFIX}-n3" ping -n -c 2 -i 0.2 -W 1 100.64.0.2 || die "n3 -> n2"

step "Policy on packets: n1 may open tcp/22 on n2 (one way), nothing else between them; every node filters inbound"
cat > "$MR_STATE/policy-3.json" << 'JSON'
{"version": 1, "rules": [
 {"id": "n1-ssh-n2", "action": "allow", "src": ["node:n1"], "dst": ["node:n2"], "protocol": "tcp", "ports": ["22"]},
 {"id": "n1-to-n4", "action": "allow", "src": ["node:n1"], "dst": ["node:n4"]},
 {"id": "n4-to-n1", "action": "allow", "src": ["node:n4"], "dst": ["node:n1"]},
 {"id": "n3-to-n2", "action": "allow", "src": ["node:n3"], "dst": ["node:n2"]}
]}
JSON
sed 's/^/      /' "$MR_STATE/policy-3.json"
mr_start probe-n2-22 n2 "$FLOW_PROBE" serve tcp 22
mr_start probe-n2-8080 n2 "$FLOW_PROBE" serve tcp 8080
mr_start probe-n1-8080 n1 "$FLOW_PROBE" serve tcp 8080
mr_policy_set "$MR_STATE/policy-3.json" > /dev/null || die "rustynet control policy set"
demo_flow() { ip netns exec "$(mr_ns "$1")" "$FLOW_PROBE" connect tcp "$2" "$3" 700 > /dev/null 2>&1; }
mr_wait_until 10 demo_flow n1 100.64.0.2 22 || die "n1 -> n2 tcp/22 refused although the policy allows it"
say "n1 -> n2 tcp/22: answered (allowed by rule n1-ssh-n2)"
demo_flow n1 100.64.0.2 8080 && die "n1 -> n2 tcp/8080 passed although the policy does not allow it"
say "n1 -> n2 tcp/8080: no answer (dropped by n2's filter: default deny)"
demo_flow n2 100.64.0.1 8080 && die "n2 -> n1 tcp/8080 passed: the one-way rule let the server into the laptop"
say "n2 -> n1 tcp/8080: no answer (one-way rule: n2 may not open connections to n1)"
show mr_cli n2 policy check n1 n2 tcp 8080 --explain || true
for probe in probe-n2-22 probe-n2-8080 probe-n1-8080; do mr_stop "$probe" TERM 2 || true; done

step "rustynet status and rustynet peers on n1"
show mr_cli n1 status || die "rustynet status"
show mr_cli n1 peers || die "rustynet peers"

printf '\n\033[1mdemo: all steps passed\033[0m\n'
if ((keep)); then
  cat << EOF

Poke at it (docs/demo.md):
  ip netns exec ${MR_PREFIX}-n1 ping 100.64.0.2
  $MR_RUSTYNET status --socket $MR_STATE/n1/rustynetd.sock
  $MR_RUSTYNET netmap --socket $MR_STATE/n1/rustynetd.sock
  logs: $MR_STATE/logs/
EOF
fi
