#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate 7 (spec 7.7, P1-05/P1-AT-06): no WireGuard-specific symbol outside the adapter library and
# the daemon's composition. Same regex as the spec, over the C++ equivalents of the spec's crates.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
readonly PATTERN='(Wireguard|WireGuard|wg[-_]|wgctrl)'
readonly SCANNED=(libs/control libs/policy libs/crypto libs/backend_api libs/relay libs/base
                  apps/rustynet apps/rustynet-control apps/rustynet-relay
                  tests/control tests/policy tests/crypto tests/backend_api tests/backend_contract tests/relay)
present=()
for dir in "${SCANNED[@]}"; do
  [[ -d $dir ]] && present+=("$dir")
done
((${#present[@]} >= 10)) || gate_fail "leakage: expected directories are missing (${present[*]})"
count=$(find "${present[@]}" -type f | wc -l)
((count > 0)) || gate_fail "leakage: scanned zero files"
if command -v rg > /dev/null; then
  matches=$(rg -n "$PATTERN" "${present[@]}" || true)
else
  matches=$(grep -rnE "$PATTERN" "${present[@]}" || true)
fi
if [[ -n $matches ]]; then
  echo "$matches" >&2
  gate_fail "leakage: WireGuard-specific names outside libs/backend_wireguard"
fi
echo "leakage: $count files in ${#present[@]} directories, no matches"
