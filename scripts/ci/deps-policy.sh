#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate 6 (spec 7.6 "cargo deny"): licences on the allowlist; sources are Debian packages only
# (no FetchContent/ExternalProject/downloads, no vendored code); every package the build looks up
# is in the manifest.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
manifest=${RUSTYNET_DEPS_MANIFEST:-$RUSTYNET_ROOT/cmake/dependencies.tsv}
readonly ALLOWED_LICENCES=" PSF-2.0 ISC Apache-2.0 LGPL-2.1 LGPL-2.1+ public-domain Expat MIT BSL-1.0 BSD-2-clause BSD-3-clause GPL-2 GPL-3+ "
readonly GPL_ALLOWED_KINDS=" test runtime tool "
problems=0
entries=0
while IFS=$'\t' read -r package _min _bad licence kind _used _why; do
  [[ -z $package || $package == \#* ]] && continue
  entries=$((entries + 1))
  if [[ $ALLOWED_LICENCES != *" $licence "* ]]; then
    echo "deps-policy: $package licence '$licence' is not on the allowlist" >&2
    problems=$((problems + 1))
  fi
  # GPL code may run beside us (tools, separate processes) but is never linked into our binaries.
  if [[ $licence == GPL-* && $GPL_ALLOWED_KINDS != *" $kind "* ]]; then
    echo "deps-policy: $package is $licence and kind '$kind': GPL code must not be linked" >&2
    problems=$((problems + 1))
  fi
  # Debian copyright files name the licence in "License:" stanzas (python3's points to its versioned package).
  if [[ -f /usr/share/doc/$package/copyright && $licence != PSF-* ]] && ! grep -qiE "License: *${licence%%-*}" "/usr/share/doc/$package/copyright"; then
    echo "deps-policy: $package copyright file does not mention licence $licence" >&2
    problems=$((problems + 1))
  fi
done < "$manifest"
((entries > 0)) || gate_fail "deps-policy: empty manifest"

# Sources: no downloading build steps and no vendored trees.
downloads=$(grep -rnE 'FetchContent|ExternalProject_Add|file\s*\(\s*DOWNLOAD|git\s+submodule' \
  --include='CMakeLists.txt' --include='*.cmake' . 2>/dev/null | grep -v '^./build' || true)
if [[ -n $downloads ]]; then
  echo "$downloads" >&2
  echo "deps-policy: build files download code" >&2
  problems=$((problems + 1))
fi
if [[ -f .gitmodules ]]; then
  echo "deps-policy: git submodules are not allowed (vendored sources)" >&2
  problems=$((problems + 1))
fi
vendored=$(find . -path ./build -prune -o -type d \( -name third_party -o -name vendor -o -name external \) -print)
if [[ -n $vendored ]]; then
  echo "deps-policy: vendored source directories: $vendored" >&2
  problems=$((problems + 1))
fi

# Every library the build looks up must be accounted for in the manifest.
declare -A lookup_to_package=(
  [libsodium]=libsodium23 [libmnl]=libmnl0 [libsystemd]=libsystemd0 [OpenSSL]=libssl3
  [Boost]=libboost1.74-dev [nlohmann_json]=nlohmann-json3-dev [fmt]=libfmt9 [spdlog]=libspdlog1.10
  [SQLite3]=libsqlite3-0 [GTest]=libgtest-dev [benchmark]=libbenchmark-dev [Threads]=libc [PkgConfig]=pkg-config
  [Python3]=python3)
mapfile -t lookups < <(find . -path ./build -prune -o \( -name CMakeLists.txt -o -name '*.cmake' \) -print0 \
  | xargs -0 grep -hoE '(find_package\(\s*[A-Za-z0-9_]+|IMPORTED_TARGET\s+[a-z0-9_]+)' \
  | sed -E 's/find_package\(\s*//; s/IMPORTED_TARGET\s+//' | sort -u)
((${#lookups[@]} > 0)) || gate_fail "deps-policy: found no dependency lookups to check"
for name in "${lookups[@]}"; do
  package=${lookup_to_package[$name]:-}
  if [[ -z $package ]]; then
    echo "deps-policy: build looks up '$name' which has no manifest mapping" >&2
    problems=$((problems + 1))
  elif [[ $package != libc && $package != pkg-config ]] && ! grep -q "^$package"$'\t' "$manifest"; then
    echo "deps-policy: '$name' maps to $package which is missing from $manifest" >&2
    problems=$((problems + 1))
  fi
done
((problems == 0)) || gate_fail "deps-policy: $problems problem(s)"
echo "deps-policy: $entries packages, ${#lookups[@]} build lookups, licences and sources ok"
