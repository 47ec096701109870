#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Shared helpers for scripts/demo.sh and tests/e2e: run the three Rustynet programs in the
# namespaces of scripts/lib/netns-mesh.sh, wait for readiness, probe reachability with timing.
# Source it (after setting MR_STATE, MR_PREFIX and the MR_* binary paths); it defines functions only.
#
# Variables the caller sets:
#   MR_PREFIX            namespace prefix (netns-mesh.sh)
#   MR_STATE             state directory (0700): keys, configs, logs, sockets, pids
#   MR_RUSTYNETD, MR_RUSTYNET, MR_CONTROL   absolute paths of the built programs
#   MR_IF_PREFIX         tunnel interface name prefix; interface of node nK is ${MR_IF_PREFIX}K.
#                        Must start with "rn" (the backend only cleans up interfaces it owns) and be
#                        unique per concurrent run: the userspace daemon's control socket lives in
#                        the shared /var/run/wireguard directory, keyed by interface name.
#   MR_CONTROL_PORT      control listen port (inside PREFIX-ctl)

# shellcheck disable=SC2034 # MR_* globals set here are read by the callers
# shellcheck source=scripts/lib/netns-mesh.sh
source "$(dirname "${BASH_SOURCE[0]}")/netns-mesh.sh"

: "${MR_CONTROL_PORT:=8443}"
: "${MR_IF_PREFIX:=rnm}"

mr_now_ms() { date +%s%3N; }

# Mesh (tunnel) address of node nK: 100.64.0.K.
mr_mesh_address() {
  [[ $1 =~ ^n([0-9]+)$ ]] || return 1
  echo "100.64.0.${BASH_REMATCH[1]}"
}

mr_interface() {
  [[ $1 =~ ^n([0-9]+)$ ]] || return 1
  echo "${MR_IF_PREFIX}${BASH_REMATCH[1]}"
}

mr_ns() { mesh_ns "$MR_PREFIX" "$1"; }

# mr_start NAME HOST CMD... : runs CMD inside host HOST's namespace in the background, output to
# $MR_STATE/logs/NAME.log (appended: a restart keeps the earlier run's lines), pid to pids/NAME.
mr_start() {
  local name=$1 host=$2
  shift 2
  mkdir -p "$MR_STATE/logs" "$MR_STATE/pids"
  echo "---- $(date -u +%H:%M:%S.%3N) start: $*" >> "$MR_STATE/logs/$name.log"
  ip netns exec "$(mr_ns "$host")" "$@" >> "$MR_STATE/logs/$name.log" 2>&1 &
  echo $! > "$MR_STATE/pids/$name"
}

mr_pid() { cat "$MR_STATE/pids/$1" 2> /dev/null; }

mr_running() {
  local pid
  pid=$(mr_pid "$1") || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2> /dev/null
}

# mr_stop NAME [SIGNAL] [TIMEOUT_S]: signals the process and waits for it; sets MR_EXIT to its exit
# status (128+N when killed by signal N). SIGKILLs it after the timeout and returns 1. Must run in
# the shell that started it (not in a $(...) subshell: `wait` only knows its own children).
mr_stop() {
  local name=$1 signal=${2:-TERM} timeout=${3:-10} pid deadline
  MR_EXIT=""
  pid=$(mr_pid "$name") || return 0
  [[ -z $pid ]] && return 0
  kill "-$signal" "$pid" 2> /dev/null || true
  deadline=$(($(mr_now_ms) + timeout * 1000))
  while kill -0 "$pid" 2> /dev/null; do
    if (($(mr_now_ms) > deadline)); then
      kill -KILL "$pid" 2> /dev/null || true
      wait "$pid" 2> /dev/null || true
      rm -f "$MR_STATE/pids/$name"
      MR_EXIT=killed
      return 1
    fi
    sleep 0.05
  done
  MR_EXIT=0
  wait "$pid" 2> /dev/null || MR_EXIT=$?
  rm -f "$MR_STATE/pids/$name"
}

# mr_wait_until TIMEOUT_S CMD... : runs CMD every 50 ms until it succeeds; 1 on timeout.
mr_wait_until() {
  local timeout=$1 deadline
  shift
  deadline=$(($(mr_now_ms) + timeout * 1000))
  until "$@" &> /dev/null; do
    (($(mr_now_ms) > deadline)) && return 1
    sleep 0.05
  done
}

# One ICMP echo from HOST to ADDR with a 50 ms reply wait (a probe).
mr_ping_once() {
  ip netns exec "$(mr_ns "$1")" ping -n -q -c 1 -W 0.05 "$2" &> /dev/null
}

# mr_probe_ms HOST ADDR TIMEOUT_S T0_MS: probes every 50 ms until a reply arrives; echoes the
# milliseconds from T0_MS (a mr_now_ms value) to the first reply. Returns 1 on timeout.
mr_probe_ms() {
  local host=$1 address=$2 timeout=$3 t0=$4 deadline slot_start elapsed
  deadline=$((t0 + timeout * 1000))
  while true; do
    slot_start=$(mr_now_ms)
    if mr_ping_once "$host" "$address"; then
      echo $(($(mr_now_ms) - t0))
      return 0
    fi
    ((slot_start > deadline)) && return 1
    # An unreachable destination fails at once: keep the 50 ms cadence anyway.
    elapsed=$(($(mr_now_ms) - slot_start))
    if ((elapsed < 50)); then
      sleep "0.0$(printf '%02d' $((50 - elapsed)))"
    fi
  done
}

# mr_ping_ok HOST ADDR [COUNT]: COUNT echoes (default 3, 0.2 s apart), all must be answered.
mr_ping_ok() {
  local count=${3:-3}
  ip netns exec "$(mr_ns "$1")" ping -n -q -c "$count" -i 0.2 -W 1 "$2" &> /dev/null
}

# mr_ping_fails HOST ADDR: true when none of 3 echoes over ~1.5 s is answered.
mr_ping_fails() {
  ! ip netns exec "$(mr_ns "$1")" ping -n -q -c 3 -i 0.5 -W 1 -w 2 "$2" &> /dev/null
}

# Prints the last lines of every log under the state dir (for failure reports).
mr_dump_logs() {
  local log lines=${1:-40}
  for log in "$MR_STATE"/logs/*.log; do
    [[ -f $log ]] || continue
    echo "===== ${log##*/} (last $lines lines)"
    tail -n "$lines" "$log"
  done
}

# ---------------------------------------------------------------------------------------------
# The Rustynet programs. Layout under $MR_STATE:
#   operator.secret        the operator secret sealing every key store (0600)
#   control/               rustynet-control state dir (keys/, tls/, control.db), control.json
#   admin-keys/            the operator's admin key (encrypted custody) for `rustynet control ...`
#   nK/keys/               node nK's identity and tunnel keys (encrypted custody)
#   nK/rustynetd.json      its daemon config; nK/trust.state; nK/rustynetd.sock (local API)
#   logs/NAME.log, pids/NAME

mr_make_state() {
  umask 077
  mkdir -p "$MR_STATE"
  chmod 0700 "$MR_STATE"
  if [[ ! -s $MR_STATE/operator.secret ]]; then
    # 32 random bytes, base64: the operator secret (never printed).
    head -c 32 /dev/urandom | base64 > "$MR_STATE/operator.secret"
    chmod 0600 "$MR_STATE/operator.secret"
  fi
}

# Value of "KEY value" line $2 in file $1.
mr_field() { awk -v key="$2" '$1 == key {print $2; exit}' "$1"; }

# rustynet-control init; sets MR_CONTROL_PIN, MR_CONTROL_SIGNING_KEY.
mr_control_init() {
  mkdir -p "$MR_STATE/control"
  "$MR_CONTROL" init --state-dir "$MR_STATE/control" --config-out "$MR_STATE/control/control.json" \
    --secret-file "$MR_STATE/operator.secret" --listen "$MESH_CONTROL_ADDRESS:$MR_CONTROL_PORT" \
    --admin-key-dir "$MR_STATE/admin-keys" > "$MR_STATE/control-init.out" || return 1
  MR_CONTROL_PIN=$(mr_field "$MR_STATE/control-init.out" tls_certificate_sha256)
  MR_CONTROL_SIGNING_KEY=$(mr_field "$MR_STATE/control-init.out" control_signing_public_key)
  [[ -n $MR_CONTROL_PIN && -n $MR_CONTROL_SIGNING_KEY ]]
}

mr_control_listening() {
  ip netns exec "$(mr_ns ctl)" bash -c "exec 3<>/dev/tcp/$MESH_CONTROL_ADDRESS/$MR_CONTROL_PORT" 2> /dev/null
}

# Starts rustynet-control in the control host namespace and waits until it accepts connections.
mr_control_start() {
  mr_start control ctl "$MR_CONTROL" --config "$MR_STATE/control/control.json"
  mr_wait_until "${1:-10}" mr_control_listening || return 1
  mr_running control
}

# rustynet control ... as the operator (admin key), run from the control host namespace.
mr_admin() {
  ip netns exec "$(mr_ns ctl)" "$MR_RUSTYNET" control "$@" \
    --control "$MESH_CONTROL_ADDRESS:$MR_CONTROL_PORT" --pin "$MR_CONTROL_PIN" \
    --admin-key-dir "$MR_STATE/admin-keys" --secret-file "$MR_STATE/operator.secret"
}

# Generates node $1's keys; sets MR_IDENTITY_KEY and MR_TUNNEL_KEY (public, base64).
mr_node_keys() {
  local node=$1 out
  mkdir -p "$MR_STATE/$node"
  out="$MR_STATE/$node/keys.out"
  "$MR_RUSTYNET" keys generate --key-dir "$MR_STATE/$node/keys" --secret-file "$MR_STATE/operator.secret" \
    --create-dir > "$out" || return 1
  MR_IDENTITY_KEY=$(awk '$2 == "node-identity" {print $4}' "$out")
  MR_TUNNEL_KEY=$(awk '$2 == "node-tunnel" {print $4}' "$out")
  [[ -n $MR_IDENTITY_KEY && -n $MR_TUNNEL_KEY ]]
}

# Registers node $1 (keys from mr_node_keys) with its mesh address and tag "demo".
mr_node_register() {
  local node=$1
  mr_admin node add "$node" --identity-key "$MR_IDENTITY_KEY" --tunnel-key "$MR_TUNNEL_KEY" \
    --address "$(mr_mesh_address "$node")" --tag demo
}

# Writes node $1's daemon config to $MR_STATE/$1/rustynetd.json.
mr_daemon_config() {
  local node=$1 dir=$MR_STATE/$1
  cat > "$dir/rustynetd.json" << JSON
{
  "version": 1,
  "node_id": "$node",
  "interface": "$(mr_interface "$node")",
  "listen_port": 51820,
  "key_custody": {"key_dir": "$dir/keys", "operator_secret_file": "$MR_STATE/operator.secret"},
  "trust_state": "$dir/trust.state",
  "control": {
    "url": "$MESH_CONTROL_ADDRESS:$MR_CONTROL_PORT",
    "pin_sha256": "$MR_CONTROL_PIN",
    "signing_public_keys": ["$MR_CONTROL_SIGNING_KEY"]
  },
  "backend": {"kind": "wireguard", "driver": "userspace"},
  "local_api": {"socket": "$dir/rustynetd.sock"},
  "persistent_keepalive_seconds": 25
}
JSON
  chmod 0600 "$dir/rustynetd.json"
}

# rustynet (local API) against node $1's daemon.
mr_cli() {
  local node=$1
  shift
  "$MR_RUSTYNET" "$@" --socket "$MR_STATE/$node/rustynetd.sock"
}

# True once node $1's daemon answers status with state running and a verified generation > 0.
mr_daemon_ready() {
  local json
  json=$(mr_cli "$1" status --json 2> /dev/null) || return 1
  python3 - "$json" << 'PY'
import json, sys
status = json.loads(sys.argv[1])
status = status.get("result", status)
sys.exit(0 if status.get("state") == "running" and int(status.get("generation") or 0) > 0 else 1)
PY
}

mr_daemon_start() {
  local node=$1
  mr_start "rustynetd-$node" "$node" "$MR_RUSTYNETD" --config "$MR_STATE/$node/rustynetd.json"
}

# Waits until node $1's daemon is running with a verified state.
mr_daemon_wait_ready() {
  mr_wait_until "${2:-15}" mr_daemon_ready "$1"
}

# Sets the policy document in file $1.
mr_policy_set() {
  mr_admin policy set "$1"
}

# Writes a policy document allowing each "src>dst" pair given (node ids), default deny otherwise.
mr_policy_file() {
  local file=$1 pair first=1
  shift
  {
    echo '{"version": 1, "rules": ['
    for pair in "$@"; do
      ((first)) || echo ','
      first=0
      printf '  {"id": "%s-to-%s", "action": "allow", "src": ["node:%s"], "dst": ["node:%s"]}' \
        "${pair%%>*}" "${pair##*>}" "${pair%%>*}" "${pair##*>}"
    done
    echo
    echo ']}'
  } > "$file"
}
