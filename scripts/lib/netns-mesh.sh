#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Network-namespace topology for the mesh demo and the end-to-end tests: one bridge namespace and
# one namespace per host (control host + nodes), each joined to the bridge by a veth pair.
#
# Usable two ways:
#   source scripts/lib/netns-mesh.sh; mesh_up PREFIX n1 n2 n3; ...; mesh_down PREFIX
#   scripts/lib/netns-mesh.sh up PREFIX n1 n2 n3 | down PREFIX | status PREFIX
#
# Names (PREFIX e.g. "rn"):    namespace      interface   address
#   bridge                     PREFIX-lan     br0          (none)
#   control host               PREFIX-ctl     eth0         10.77.0.1/24
#   node nK (K = 1..200)       PREFIX-nK      eth0         10.77.0.(10+K)/24
#   NAT router rK (K = 1..20)  PREFIX-rK      eth0         10.77.0.(230+K)/24 (its WAN side)
#                                             lan0         192.168.(100+K).1/24 (a bridge)
#   node nK behind router rJ   PREFIX-nK      eth0         192.168.(100+J).(10+K)/24, default via .1
# A router masquerades its LAN to its WAN address with nftables (a home NAT: every host behind it
# reaches the bridge from one address); mesh_nat_router_up / mesh_attach_behind build it.
# Addresses exist ONLY inside these namespaces; the root namespace is never touched (the veth
# pairs are created inside PREFIX-lan and their far ends moved straight into the host namespace).
# mesh_down removes exactly the namespaces matching ^PREFIX-(lan|ctl|n[0-9]+|r[0-9]+)$ after killing every
# process still running in them (`ip netns pids`), so it never touches anyone else's namespaces.
# Both directions are idempotent and safe on a half-created topology.

readonly MESH_SUBNET_PREFIX=10.77.0
readonly MESH_CONTROL_ADDRESS=${MESH_SUBNET_PREFIX}.1

mesh_log() { echo "netns-mesh: $*" >&2; }

mesh_check_prefix() {
  local prefix=$1
  if [[ ! $prefix =~ ^[a-z][a-z0-9]{0,7}$ ]]; then
    mesh_log "prefix '$prefix' must be 1-8 characters [a-z0-9] starting with a letter"
    return 1
  fi
}

mesh_ns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }

# Namespace name of a host: "ctl", "lan" or a node name nK.
mesh_ns() { echo "$1-$2"; }

# Underlay address of a host ("ctl" or nK).
mesh_address() {
  local host=$1
  if [[ $host == ctl ]]; then
    echo "$MESH_CONTROL_ADDRESS"
  elif [[ $host =~ ^n([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 1 && BASH_REMATCH[1] <= 200)); then
    echo "${MESH_SUBNET_PREFIX}.$((10 + BASH_REMATCH[1]))"
  else
    mesh_log "host name '$host' must be ctl or n1..n200"
    return 1
  fi
}

mesh_ensure_ns() {
  local ns=$1
  if ! mesh_ns_exists "$ns"; then
    ip netns add "$ns"
  fi
  ip -n "$ns" link set lo up
}

# Joins host ("ctl" or nK) to the bridge with its underlay address. Idempotent.
mesh_attach() {
  local address
  address=$(mesh_address "$2") || return 1
  mesh_attach_as "$1" "$2" "$address/24"
}

# mesh_plug BRIDGE_NS BRIDGE HOST_NS ADDR/LEN: a veth pair from bridge BRIDGE in BRIDGE_NS (port
# v-<host>) to eth0 in HOST_NS, which gets ADDR. Idempotent.
mesh_plug() {
  local bridge_ns=$1 bridge=$2 ns=$3 address=$4 port
  port="v-${ns##*-}"
  mesh_ensure_ns "$ns"
  if ! ip -n "$bridge_ns" link show "$port" &> /dev/null; then
    # A half-created pair cannot exist (deleting one end deletes both), but a stale eth0 in the
    # host namespace from some other tool would block the move: remove it first.
    ip -n "$ns" link del eth0 &> /dev/null || true
    ip -n "$bridge_ns" link add "$port" type veth peer name eth0 netns "$ns"
  fi
  ip -n "$bridge_ns" link set "$port" master "$bridge"
  ip -n "$bridge_ns" link set "$port" up
  ip -n "$ns" addr replace "$address" dev eth0
  ip -n "$ns" link set eth0 up
}

# mesh_attach_as PREFIX HOST ADDR/LEN: joins HOST's namespace to the bridge with ADDR. Idempotent.
mesh_attach_as() {
  mesh_plug "$(mesh_ns "$1" lan)" br0 "$(mesh_ns "$1" "$2")" "$3"
}

# mesh_nat_router_up PREFIX rK: router rK on the bridge (WAN 10.77.0.(230+K)) with a LAN bridge
# 192.168.(100+K).1/24 that it forwards and masquerades (nftables, its own namespace only).
mesh_nat_router_up() {
  local prefix=$1 router=$2 ns index
  if ! [[ $router =~ ^r([0-9]+)$ ]] || ((BASH_REMATCH[1] < 1 || BASH_REMATCH[1] > 20)); then
    mesh_log "router name '$router' must be r1..r20"
    return 1
  fi
  index=${BASH_REMATCH[1]}
  ns=$(mesh_ns "$prefix" "$router")
  mesh_attach_as "$prefix" "$router" "${MESH_SUBNET_PREFIX}.$((230 + index))/24" || return 1
  if ! ip -n "$ns" link show lan0 &> /dev/null; then
    ip -n "$ns" link add lan0 type bridge
  fi
  ip -n "$ns" link set lan0 type bridge stp_state 0 forward_delay 0
  ip -n "$ns" addr replace "192.168.$((100 + index)).1/24" dev lan0
  ip -n "$ns" link set lan0 up
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$ns" nft -f - << NFT
table ip rustynet_test_nat
delete table ip rustynet_test_nat
table ip rustynet_test_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr 192.168.$((100 + index)).0/24 oifname "eth0" masquerade
  }
}
NFT
}

# mesh_attach_behind PREFIX nK rJ: node nK on router rJ's LAN (192.168.(100+J).(10+K)), default
# route through the router, so everything it sends to the bridge leaves from the router's address.
mesh_attach_behind() {
  local prefix=$1 host=$2 router=$3 ns index node
  [[ $router =~ ^r([0-9]+)$ ]] || { mesh_log "router name '$router' must be rK"; return 1; }
  index=${BASH_REMATCH[1]}
  if ! [[ $host =~ ^n([0-9]+)$ ]] || ((BASH_REMATCH[1] < 1 || BASH_REMATCH[1] > 200)); then
    mesh_log "host name '$host' must be n1..n200"
    return 1
  fi
  node=${BASH_REMATCH[1]}
  ns=$(mesh_ns "$prefix" "$host")
  mesh_plug "$(mesh_ns "$prefix" "$router")" lan0 "$ns" "192.168.$((100 + index)).$((10 + node))/24" || return 1
  ip -n "$ns" route replace default via "192.168.$((100 + index)).1"
}

# mesh_up PREFIX NODE... : bridge namespace, control host and the nodes.
mesh_up() {
  local prefix=$1
  shift
  mesh_check_prefix "$prefix" || return 1
  local lan
  lan=$(mesh_ns "$prefix" lan)
  mesh_ensure_ns "$lan"
  if ! ip -n "$lan" link show br0 &> /dev/null; then
    ip -n "$lan" link add br0 type bridge
  fi
  # No STP, no forwarding delay: ports forward as soon as they are up.
  ip -n "$lan" link set br0 type bridge stp_state 0 forward_delay 0
  ip -n "$lan" link set br0 up
  mesh_attach "$prefix" ctl || return 1
  local node
  for node in "$@"; do
    mesh_attach "$prefix" "$node" || return 1
  done
  for node in "$@"; do
    mesh_wait_reachable "$prefix" "$node" || return 1
  done
}

# Waits (up to ~3 s) until the control host reaches node $2 over the bridge: a fresh bridge port
# can take a moment to forward.
mesh_wait_reachable() {
  local prefix=$1 node=$2 address
  address=$(mesh_address "$node") || return 1
  for _ in $(seq 1 15); do
    if ip netns exec "$(mesh_ns "$prefix" ctl)" ping -c 1 -W 0.2 -q "$address" &> /dev/null; then
      return 0
    fi
  done
  mesh_log "control host cannot reach $node ($address) over the bridge"
  return 1
}

# Namespaces belonging to PREFIX (exact pattern, never a broader glob).
mesh_list() {
  local prefix=$1
  ip netns list | awk '{print $1}' | grep -E "^${prefix}-(lan|ctl|n[0-9]+|r[0-9]+)$" || true
}

# Kills every process in namespace $1: SIGTERM, up to ~3 s grace, then SIGKILL.
mesh_kill_ns_processes() {
  local ns=$1 pids
  pids=$(ip netns pids "$ns" 2> /dev/null || true)
  [[ -z $pids ]] && return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2> /dev/null || true
  for _ in $(seq 1 30); do
    pids=$(ip netns pids "$ns" 2> /dev/null || true)
    [[ -z $pids ]] && return 0
    sleep 0.1
  done
  mesh_log "killing stubborn processes in $ns: $pids"
  # shellcheck disable=SC2086
  kill -KILL $pids 2> /dev/null || true
  for _ in $(seq 1 20); do
    [[ -z $(ip netns pids "$ns" 2> /dev/null || true) ]] && return 0
    sleep 0.1
  done
}

# mesh_down PREFIX: kills the processes in PREFIX's namespaces and deletes the namespaces.
mesh_down() {
  local prefix=$1 ns
  mesh_check_prefix "$prefix" || return 1
  for ns in $(mesh_list "$prefix"); do
    mesh_kill_ns_processes "$ns"
  done
  for ns in $(mesh_list "$prefix"); do
    ip netns del "$ns" 2> /dev/null || mesh_log "could not delete namespace $ns"
  done
  [[ -z $(mesh_list "$prefix") ]]
}

mesh_status() {
  local prefix=$1 ns
  for ns in $(mesh_list "$prefix"); do
    echo "== $ns"
    ip -n "$ns" -brief address
    local pids
    pids=$(ip netns pids "$ns" | tr '\n' ' ')
    [[ -n $pids ]] && echo "processes: $pids"
  done
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  if [[ $(id -u) -ne 0 ]]; then
    mesh_log "must run as root (network namespaces)"
    exit 1
  fi
  command=${1:-}
  prefix=${2:-}
  if [[ -z $command || -z $prefix ]]; then
    echo "usage: $0 up PREFIX NODE... | down PREFIX | status PREFIX" >&2
    exit 64
  fi
  shift 2
  case $command in
    up) mesh_up "$prefix" "$@" ;;
    down) mesh_down "$prefix" ;;
    status) mesh_status "$prefix" ;;
    *)
      echo "usage: $0 up PREFIX NODE... | down PREFIX | status PREFIX" >&2
      exit 64
      ;;
  esac
fi
