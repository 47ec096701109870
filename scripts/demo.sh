#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job. Today: installs dependencies, builds the release preset and shows each of the four
# programs answering. The live mesh demo (control host + three nodes in network namespaces) replaces
# this body when the end-to-end issue lands.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
"$repo/scripts/bootstrap.sh"
cmake --preset release > /dev/null
cmake --build --preset release -j "$(nproc)"
for program in rustynetd rustynet rustynet-control rustynet-relay; do
  binary=$(find "$repo/build/release/apps" -type f -name "$program" -perm -u+x | head -1)
  [[ -x $binary ]] || { echo "demo: $program was not built" >&2; exit 1; }
  echo "==== $program"
  "$binary" --version
  "$binary" --help
done
