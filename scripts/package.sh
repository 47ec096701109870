#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian packages rustynet, rustynet-control and rustynet-relay (+ their -dbgsym) for
# this machine's architecture from a clean clone, as root: installs its own build dependencies
# (scripts/bootstrap.sh), writes debian/changelog with the version cmake/Version.cmake derives from
# git, and runs dpkg-buildpackage (debian/rules: the `package` CMake preset). Output:
# build/packages/*.deb, *.ddeb, .changes and .buildinfo. docs/packaging.md.
# RUSTYNET_JOBS (default 2) parallel jobs; RUSTYNET_PACKAGE_ALLOW_DIRTY=1 packages uncommitted
# changes (the version then ends in .dirty; never for a release).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
jobs=${RUSTYNET_JOBS:-2}
out="$repo/build/packages"

"$repo/scripts/bootstrap.sh"

# Same compiler-cache settings as the gates (scripts/ci/lib.sh): objects of the ci build are reused.
export CCACHE_BASEDIR="$repo"
export CCACHE_NOHASHDIR=1

# The version: configure once (no compile) and read what CMake derived from git.
mkdir -p "$repo/build"
cmake --preset package --fresh > "$repo/build/package-version.log" 2>&1 || {
  tail -30 "$repo/build/package-version.log" >&2
  echo "package: configure of the package preset failed" >&2
  exit 1
}
version=$(cat "$repo/build/package/rustynet-version.txt")
if [[ $version == *.dirty && ${RUSTYNET_PACKAGE_ALLOW_DIRTY:-} != 1 ]]; then
  echo "package: the tree has uncommitted changes (version $version); commit them, or set RUSTYNET_PACKAGE_ALLOW_DIRTY=1" >&2
  exit 1
fi

# debian/changelog is generated (not tracked): one entry naming the commit, dated by the commit so
# that two builds of one commit produce the same packages.
commit=$(git -C "$repo" rev-parse HEAD)
date=$(git -C "$repo" log -1 --format=%cD HEAD)
cat > "$repo/debian/changelog" << CHANGELOG
rustynet ($version) unstable; urgency=medium

  * Built from commit $commit.

 -- Rustynet developers <rustynet@example.org>  $date
CHANGELOG

dpkg-checkbuilddeps

rm -rf "$out"
mkdir -p "$out"
start=$SECONDS
arch=$(dpkg --print-architecture)
dpkg-buildpackage -b -us -uc "-j$jobs" \
  "--changes-file=$out/rustynet_${version}_${arch}.changes" \
  "--buildinfo-file=$out/rustynet_${version}_${arch}.buildinfo" \
  "--changes-option=-u$out" "--buildinfo-option=-u$out"
echo "package: built in $((SECONDS - start)) s (version $version):"
ls -l "$out"
