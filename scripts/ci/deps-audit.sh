#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate 5 (spec 7.5 "cargo audit"): every dependency in cmake/dependencies.tsv is installed at or
# above its minimum safe version and not inside a known-vulnerable range.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
manifest=${RUSTYNET_DEPS_MANIFEST:-$RUSTYNET_ROOT/cmake/dependencies.tsv}
checked=0
failures=0
native=$(dpkg --print-architecture)
# The build host's own package: with foreign architectures added (scripts/bootstrap.sh --cross),
# a bare name matches every architecture's copy and dpkg-query prints their fields run together.
# Architecture-independent packages (nlohmann-json3-dev) have no :native form.
host_package() {
  if dpkg-query -W -f='${Status}' "$1:$native" > /dev/null 2>&1; then
    printf '%s:%s' "$1" "$native"
  else
    printf '%s' "$1"
  fi
}
while IFS=$'\t' read -r package min_version bad_ranges _rest; do
  [[ -z $package || $package == \#* ]] && continue
  queried=$(host_package "$package")
  installed=$(dpkg-query -W -f='${Version}' "$queried" 2>/dev/null || true)
  status=$(dpkg-query -W -f='${Status}' "$queried" 2>/dev/null || true)
  checked=$((checked + 1))
  if [[ $status != "install ok installed" || -z $installed ]]; then
    echo "deps-audit: $package is not installed (need >= $min_version)" >&2
    failures=$((failures + 1))
    continue
  fi
  if ! dpkg --compare-versions "$installed" ge "$min_version"; then
    echo "deps-audit: $package $installed is below the minimum safe version $min_version" >&2
    failures=$((failures + 1))
    continue
  fi
  if [[ $bad_ranges != "-" ]]; then
    IFS=',' read -ra ranges <<< "$bad_ranges"
    for range in "${ranges[@]}"; do
      lo=${range%%..*}
      hi=${range##*..}
      upstream=${installed#*:}
      upstream=${upstream%%-*}
      if dpkg --compare-versions "$upstream" ge "$lo" && dpkg --compare-versions "$upstream" le "$hi"; then
        echo "deps-audit: $package $installed is in the known-vulnerable range $range" >&2
        failures=$((failures + 1))
      fi
    done
  fi
  printf 'deps-audit: %-22s %-24s >= %s ok\n' "$package" "$installed" "$min_version"
done < "$manifest"
((checked > 0)) || gate_fail "deps-audit: manifest $manifest lists no packages"
((failures == 0)) || gate_fail "deps-audit: $failures problem(s) in $checked packages"
echo "deps-audit: $checked packages ok"
