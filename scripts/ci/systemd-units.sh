#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate (issue 9 item 7): the systemd units verify with `systemd-analyze verify`, carry every
# required hardening directive, stay under an exposure budget (`systemd-analyze security`), and
# the sysusers.d/tmpfiles.d snippets apply to an empty root. Fails closed: a missing unit, a
# missing tool or any warning about our units fails the gate.
#
# ExecStart points at /usr/local/bin/... (the install location), which does not exist in CI. The
# units are verified as temporary copies whose ExecStart names the built binaries under the CI
# build directory when present, else a stub executable; nothing else in the unit is changed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly DAEMON_DIR=apps/rustynetd/systemd
readonly CONTROL_DIR=apps/rustynet-control/systemd
readonly DAEMON_UNIT=$DAEMON_DIR/rustynetd.service
readonly CONTROL_UNIT=$CONTROL_DIR/rustynet-control.service
readonly SYSUSERS=("$DAEMON_DIR/rustynet.sysusers.conf" "$CONTROL_DIR/rustynet-control.sysusers.conf")
readonly TMPFILES=("$DAEMON_DIR/rustynet.tmpfiles.conf" "$CONTROL_DIR/rustynet-control.tmpfiles.conf")
# Exposure budgets (systemd-analyze security, 0..100 = 0.0..10.0). rustynetd needs the network,
# CAP_NET_ADMIN and /dev/net/tun; rustynet-control needs only the network.
readonly DAEMON_MAX_EXPOSURE=25
readonly CONTROL_MAX_EXPOSURE=15

for file in "$DAEMON_UNIT" "$CONTROL_UNIT" "${SYSUSERS[@]}" "${TMPFILES[@]}"; do
  [[ -f $file ]] || gate_fail "systemd-units: $file is missing"
done
for tool in systemd-analyze systemd-sysusers systemd-tmpfiles; do
  command -v "$tool" > /dev/null || gate_fail "systemd-units: $tool not found (apt-get install systemd)"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/units"

# Prints the binary to verify against: the CI build's, or a stub (only the unit is under test).
binary_for() {
  local name=$1 built
  built="$(ci_build_dir)/apps/$name/$name"
  if [[ -x $built ]]; then
    echo "$built"
  else
    cp /bin/true "$work/bin/$name"
    echo "$work/bin/$name"
  fi
}

# Copies unit $1 to the work dir with ExecStart's /usr/local/bin/NAME replaced; echoes the copy.
staged_copy() {
  local unit=$1 name=$2 binary copy
  binary=$(binary_for "$name")
  copy="$work/units/$(basename "$unit")"
  sed "s|^ExecStart=/usr/local/bin/$name |ExecStart=$binary |" "$unit" > "$copy"
  grep -q "^ExecStart=$binary " "$copy" || gate_fail "systemd-units: $unit: ExecStart is not /usr/local/bin/$name ..."
  echo "$copy"
}

# Runs systemd-analyze verify; any message that names one of our units is a failure (verify
# exits 0 on unknown keys and unparsable values, it only warns).
verify_units() {
  local output status=0
  output=$(systemd-analyze verify "$@" 2>&1) || status=$?
  local ours
  ours=$(grep -E "rustynetd\.service|rustynet-control\.service|$work" <<< "$output" || true)
  if ((status != 0)) || [[ -n $ours ]]; then
    echo "$output" >&2
    return 1
  fi
  [[ -z $output ]] || echo "systemd-units: note (not about our units): $output"
  return 0
}

daemon_copy=$(staged_copy "$DAEMON_UNIT" rustynetd)
control_copy=$(staged_copy "$CONTROL_UNIT" rustynet-control)

# The detector must see an injected mistake, or a passing verify proves nothing.
broken="$work/units/rustynetd-broken-probe.service"
sed 's/^Type=notify$/Type=notfy/' "$daemon_copy" > "$broken"
echo "NoSuchHardening=yes" >> "$broken"
if verify_units "$broken" 2> /dev/null; then
  gate_fail "systemd-units: systemd-analyze verify did not report an injected error (self-check)"
fi
rm -f "$broken"

verify_units "$daemon_copy" "$control_copy" || gate_fail "systemd-units: systemd-analyze verify reported problems (above)"

# Required directives, exact lines.
require_lines() {
  local unit=$1
  shift
  local line missing=()
  for line in "$@"; do
    grep -qxF -- "$line" "$unit" || missing+=("$line")
    # A second assignment of the same key would override (or extend) the required one.
    key=${line%%=*}
    if [[ $key != SystemCallFilter ]] && (($(grep -c -- "^$key=" "$unit") != 1)); then
      gate_fail "systemd-units: $unit assigns $key more than once (a later line overrides the required one)"
    fi
  done
  ((${#missing[@]} == 0)) || gate_fail "systemd-units: $unit lacks: ${missing[*]}"
}

readonly COMMON=(
  "Type=notify" "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes"
  "ProtectKernelTunables=yes" "ProtectKernelModules=yes" "ProtectControlGroups=yes"
  "RestrictNamespaces=yes" "RestrictSUIDSGID=yes" "LockPersonality=yes" "MemoryDenyWriteExecute=yes"
  "SystemCallArchitectures=native" "SystemCallFilter=@system-service" "UMask=0077" "LimitCORE=0"
  "DevicePolicy=closed"
)
require_lines "$DAEMON_UNIT" "${COMMON[@]}" \
  "User=rustynet" "Group=rustynet" "WatchdogSec=30s" \
  "AmbientCapabilities=CAP_NET_ADMIN" "CapabilityBoundingSet=CAP_NET_ADMIN" \
  "StateDirectory=rustynet" "RuntimeDirectory=rustynet wireguard" "ConfigurationDirectory=rustynet" \
  "LoadCredentialEncrypted=rustynet.custody-secret:/etc/credstore.encrypted/rustynet.custody-secret" \
  "DeviceAllow=/dev/net/tun rw" "RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6"
require_lines "$CONTROL_UNIT" "${COMMON[@]}" \
  "User=rustynet-control" "Group=rustynet-control" "WatchdogSec=30s" \
  "CapabilityBoundingSet=" "AmbientCapabilities=" "PrivateDevices=yes" \
  "StateDirectory=rustynet-control" "ConfigurationDirectory=rustynet-control" \
  "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6"

# Nothing may widen what the lines above grant (a later assignment would override them).
forbid_pattern() {
  local unit=$1 pattern=$2 why=$3
  if grep -nE -- "$pattern" "$unit"; then
    gate_fail "systemd-units: $unit: $why"
  fi
}
forbid_pattern "$DAEMON_UNIT" '^(AmbientCapabilities|CapabilityBoundingSet)=.*CAP_(SYS_ADMIN|SYS_MODULE|NET_RAW|DAC_|SETUID|SETGID|SYS_PTRACE)' "capability beyond CAP_NET_ADMIN"
forbid_pattern "$DAEMON_UNIT" '^(User=root|User=0|PrivateDevices=yes|NoNewPrivileges=no)' "runs as root, hides /dev/net/tun or allows privilege gain"
forbid_pattern "$CONTROL_UNIT" '^(AmbientCapabilities|CapabilityBoundingSet)=.+' "rustynet-control must hold no capability"
forbid_pattern "$CONTROL_UNIT" '^(User=root|User=0|NoNewPrivileges=no)' "rustynet-control must not run as root"

# Exposure budget.
exposure_check() {
  local unit=$1 budget=$2 report score
  if ! report=$(systemd-analyze security --offline=yes --threshold="$budget" "$unit" 2>&1); then
    echo "$report" | grep -E "✗|Overall" >&2 || true
    gate_fail "systemd-units: $(basename "$unit") exposure above $budget/100"
  fi
  score=$(grep -oE 'Overall exposure level for [^:]+: [0-9.]+' <<< "$report" | awk '{print $NF}')
  [[ -n $score ]] || gate_fail "systemd-units: no exposure score for $unit"
  echo "systemd-units: $(basename "$unit") exposure $score (budget $((budget / 10)).$((budget % 10)))"
}
exposure_check "$daemon_copy" "$DAEMON_MAX_EXPOSURE"
exposure_check "$control_copy" "$CONTROL_MAX_EXPOSURE"

# sysusers.d and tmpfiles.d apply to an empty root (absolute paths: --root resolves relative ones
# inside the root): users/groups exist, directories get the owners
# the services need (the key directory belongs to rustynet, or custody refuses its files).
root="$work/root"
mkdir -p "$root/etc"
touch "$root/etc/passwd" "$root/etc/group" "$root/etc/shadow" "$root/etc/gshadow"
if ! out=$(systemd-sysusers --root="$root" "${SYSUSERS[@]/#/$RUSTYNET_ROOT/}" 2>&1); then
  echo "$out" >&2
  gate_fail "systemd-units: sysusers.d snippets do not apply"
fi
for name in rustynet rustynet-control; do
  grep -q "^$name:" "$root/etc/passwd" || gate_fail "systemd-units: sysusers.d did not create user $name"
done
grep -q "^rustynet-admin:" "$root/etc/group" || gate_fail "systemd-units: sysusers.d did not create group rustynet-admin"
systemd-tmpfiles --root="$root" --create "${TMPFILES[@]/#/$RUSTYNET_ROOT/}" || gate_fail "systemd-units: tmpfiles.d snippets do not apply"
uid_of() { awk -F: -v n="$1" '$1 == n {print $3}' "$root/etc/passwd"; }
check_dir() {
  local path=$1 mode=$2 user=$3 actual
  [[ -d $root$path ]] || gate_fail "systemd-units: tmpfiles.d did not create $path"
  actual=$(stat -c '%a %u' "$root$path")
  [[ $actual == "$mode $(uid_of "$user")" ]] || gate_fail "systemd-units: $path is '$actual', want '$mode' owned by $user"
}
check_dir /var/lib/rustynet/keys 700 rustynet
check_dir /var/lib/rustynet-control 700 rustynet-control
[[ $(stat -c '%a' "$root/etc/credstore.encrypted") == 700 ]] || gate_fail "systemd-units: /etc/credstore.encrypted must be 0700"

echo "systemd-units: 2 units verified, hardening directives present, sysusers/tmpfiles apply"
