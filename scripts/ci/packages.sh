#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate (issue 21): builds the Debian packages with scripts/package.sh (after the build gate every
# compile is a ccache hit) and checks them: lintian reports no error and no warning, every program
# is stripped (debug symbols in -dbgsym) and at most 5 MB, each package holds exactly its
# programs (no test or benchmark binary), its unit, sysusers/tmpfiles, example config as conffile
# and man pages, `--version` equals the package version, the Depends/Recommends the daemon needs,
# and no maintainer script enables a service. docs/packaging.md.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly OUT="$RUSTYNET_ROOT/build/packages"
readonly MAX_PROGRAM_BYTES=$((5 * 1024 * 1024))

start=$SECONDS
"$RUSTYNET_ROOT/scripts/package.sh" > "$RUSTYNET_ROOT/build/package.log" 2>&1 || {
  tail -60 "$RUSTYNET_ROOT/build/package.log" >&2
  gate_fail "packages: scripts/package.sh failed (build/package.log)"
}
echo "packages: built in $((SECONDS - start)) s"

version=$(cat "$RUSTYNET_ROOT/build/package/rustynet-version.txt")
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# deb_of PACKAGE: the package file (fails if missing).
deb_of() {
  local deb="$OUT/$1_${version}_${arch}.deb"
  [[ -f $deb ]] || gate_fail "packages: $deb is missing"
  echo "$deb"
}

echo "packages: lintian"
lintian --fail-on error,warning "$OUT/rustynet_${version}_${arch}.changes" > "$work/lintian.txt" 2>&1 || {
  cat "$work/lintian.txt" >&2
  gate_fail "packages: lintian reports errors or warnings"
}
grep -v '^running with root privileges' "$work/lintian.txt" || true

# check_package PACKAGE PROGRAM... -- FILE...: the programs (stripped, <= 5 MB, --version), the
# listed files, and no ELF file beyond the programs.
check_package() {
  local pkg=$1 deb root
  shift
  deb=$(deb_of "$pkg")
  root="$work/$pkg"
  dpkg-deb -x "$deb" "$root"
  dpkg-deb -c "$deb" > "$work/$pkg.contents"
  local programs=() files=() in_files=0
  for arg in "$@"; do
    if [[ $arg == -- ]]; then
      in_files=1
    elif ((in_files)); then
      files+=("$arg")
    else
      programs+=("$arg")
    fi
  done
  local expected_elves=()
  for program in "${programs[@]}"; do
    local path="$root$program" size name sections
    [[ -x $path ]] || gate_fail "packages: $pkg has no $program"
    expected_elves+=("$program")
    size=$(stat -c %s "$path")
    # (Captured first: `readelf | grep -q` under pipefail fails when grep stops reading early.)
    sections=$(readelf -S "$path") || gate_fail "packages: readelf $program failed"
    [[ $sections != *.symtab* ]] || gate_fail "packages: $program in $pkg is not stripped"
    [[ $sections == *.gnu_debuglink* ]] || gate_fail "packages: $program in $pkg has no debug link"
    ((size <= MAX_PROGRAM_BYTES)) || gate_fail "packages: $program is $size bytes (> $MAX_PROGRAM_BYTES)"
    name=$(basename "$program")
    [[ $("$path" --version) == "$name $version" ]] ||
      gate_fail "packages: $program --version is '$("$path" --version)', package version $version"
    echo "packages: $pkg $program $size bytes, stripped, --version $version"
  done
  for file in "${files[@]}"; do
    grep -qE " \.${file//./\\.}( |$)" "$work/$pkg.contents" || gate_fail "packages: $pkg lacks $file"
  done
  # No test, benchmark or other binary: the only ELF files are the programs.
  local elf
  while IFS= read -r -d '' elf; do
    if [[ $(od -An -N4 -tx1 "$elf" | tr -d ' \n') == 7f454c46 ]]; then
      local rel=${elf#"$root"}
      printf '%s\n' "${expected_elves[@]}" | grep -qx "$rel" || gate_fail "packages: $pkg ships an unexpected binary $rel"
    fi
  done < <(find "$root" -type f -print0)
  # No maintainer script may enable a unit (an unconfigured service must never start). The only
  # `deb-systemd-helper enable` allowed is dh_installsystemd --no-enable's: it re-creates the
  # links of a unit the admin had enabled, guarded by `debian-installed` + `was-enabled`; and
  # deb-systemd-invoke starts only enabled units.
  dpkg-deb -e "$deb" "$work/$pkg.control"
  if grep -l 'systemctl.* enable\|systemctl.* start' "$work/$pkg.control"/* 2> /dev/null; then
    gate_fail "packages: a maintainer script of $pkg enables or starts a unit"
  fi
  if [[ -f $work/$pkg.control/postinst ]] && grep -q 'deb-systemd-helper enable' "$work/$pkg.control/postinst"; then
    grep -q 'deb-systemd-helper debian-installed' "$work/$pkg.control/postinst" ||
      gate_fail "packages: the postinst of $pkg enables its unit on installation"
  fi
}

conffiles_of() { dpkg-deb -e "$(deb_of "$1")" "$work/$1.ctl" && cat "$work/$1.ctl/conffiles" 2> /dev/null; }

check_package rustynet /usr/sbin/rustynetd /usr/bin/rustynet -- \
  /lib/systemd/system/rustynetd.service /usr/lib/sysusers.d/rustynet.conf /usr/lib/tmpfiles.d/rustynet.conf \
  /etc/rustynet/rustynetd.json.example /usr/share/man/man8/rustynetd.8.gz /usr/share/man/man1/rustynet.1.gz \
  /usr/share/doc/rustynet/operations.md /usr/share/doc/rustynet/copyright
check_package rustynet-control /usr/sbin/rustynet-control -- \
  /lib/systemd/system/rustynet-control.service /usr/lib/sysusers.d/rustynet-control.conf \
  /usr/lib/tmpfiles.d/rustynet-control.conf /usr/share/man/man8/rustynet-control.8.gz \
  /usr/share/doc/rustynet-control/operations.md /usr/share/doc/rustynet-control/copyright
check_package rustynet-relay /usr/sbin/rustynet-relay -- \
  /lib/systemd/system/rustynet-relay.service /etc/rustynet-relay/relay.json.example \
  /usr/share/man/man8/rustynet-relay.8.gz /usr/share/doc/rustynet-relay/relay.md /usr/share/doc/rustynet-relay/copyright

conffiles_of rustynet | grep -qx /etc/rustynet/rustynetd.json.example || gate_fail "packages: rustynetd.json.example is not a conffile"
conffiles_of rustynet-relay | grep -qx /etc/rustynet-relay/relay.json.example || gate_fail "packages: relay.json.example is not a conffile"

# Installed units must name the installed programs.
grep -q '^ExecStart=/usr/sbin/rustynetd ' "$work/rustynet/lib/systemd/system/rustynetd.service" ||
  gate_fail "packages: rustynetd.service does not run /usr/sbin/rustynetd"

# Runtime relations: nft is run by the daemon; wireguard-go where the kernel module is missing;
# shared libraries from dpkg-shlibdeps.
depends=$(dpkg-deb -f "$(deb_of rustynet)" Depends)
recommends=$(dpkg-deb -f "$(deb_of rustynet)" Recommends)
[[ $depends == *nftables* ]] || gate_fail "packages: rustynet does not depend on nftables ($depends)"
[[ $depends == *libsodium* ]] || gate_fail "packages: rustynet Depends has no shlibs ($depends)"
[[ $recommends == *wireguard-go* ]] || gate_fail "packages: rustynet does not recommend wireguard-go"
for pkg in rustynet rustynet-control rustynet-relay; do
  echo "packages: $pkg Depends: $(dpkg-deb -f "$(deb_of "$pkg")" Depends)"
  [[ -f "$OUT/${pkg}-dbgsym_${version}_${arch}.deb" || -f "$OUT/${pkg}-dbgsym_${version}_${arch}.ddeb" ]] ||
    gate_fail "packages: no ${pkg}-dbgsym package"
done
ls -l "$OUT"
echo "packages: ok ($version, $((SECONDS - start)) s)"
