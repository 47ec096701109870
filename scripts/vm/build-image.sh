#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds (and caches) the kernel-test VM image from Debian packages only:
#   - the kernel of this Debian release (the package linux-image-amd64 depends on), fetched with
#     `apt-get download` and unpacked with `dpkg-deb -x` (never installed);
#   - a base initramfs: busybox-static, iproute2's ip and nftables' nft with their libraries,
#     netbase's /etc/protocols, /init (init.sh), and the wireguard, veth, nf_tables and nft_ct
#     modules plus their dependencies (modules.dep, modules.softdep), dependencies first.
# Prints shell assignments VM_KERNEL=... VM_BASE_INITRAMFS=... VM_KERNEL_VERSION=... on stdout.
# Cache: build/vm/<kernel-version>/ (not committed). Usage: build-image.sh [--cache DIR]
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache_root="$repo_root/build/vm"
if [[ ${1:-} == --cache ]]; then
  cache_root=$2
fi

fail() {
  echo "build-image: FAIL: $*" >&2
  exit 1
}
log() { echo "build-image: $*" >&2; }

for tool in apt-get apt-cache dpkg-deb depmod cpio gzip ldd find sort; do
  command -v "$tool" > /dev/null || fail "required tool '$tool' is not installed (run scripts/bootstrap.sh)"
done
[[ -x /bin/busybox ]] || fail "/bin/busybox missing (install busybox-static)"
if ldd /bin/busybox > /dev/null 2>&1; then
  fail "/bin/busybox is dynamically linked; the VM needs busybox-static"
fi
ip_binary=$(command -v ip || true)
[[ -n $ip_binary ]] || fail "iproute2's ip is not installed"
# The packet filter runs nft at this path (NftablesFilterOptions::nft_binary's default); nft
# resolves protocol names such as "ipv6-icmp" through /etc/protocols.
nft_binary=/usr/sbin/nft
[[ -x $nft_binary ]] || fail "$nft_binary missing (install nftables)"
[[ -f /etc/protocols ]] || fail "/etc/protocols missing (install netbase)"

# The kernel package of the running Debian release, e.g. linux-image-6.1.0-56-amd64. apt-cache
# takes ~10 s on a busy 2-core machine, so the answer is cached until the apt lists change.
mkdir -p "$cache_root"
resolved="$cache_root/kernel-package"
if [[ ! -s $resolved || /var/lib/apt/lists -nt $resolved ]]; then
  apt-cache depends linux-image-amd64 2> /dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}' > "$resolved"
fi
kernel_package=$(cat "$resolved")
[[ -n $kernel_package ]] || { rm -f "$resolved"; fail "cannot resolve linux-image-amd64's kernel package (run apt-get update)"; }
kernel_version=${kernel_package#linux-image-}
image_dir="$cache_root/$kernel_version"
kernel="$image_dir/vmlinuz"
base_initramfs="$image_dir/base.cpio.gz"
stamp="$image_dir/inputs.sha256"

# The base image depends on these scripts, busybox, ip, nft, the libraries they load and
# /etc/protocols: rebuild when any changes.
mapfile -t userland_libs < <(ldd "$ip_binary" "$nft_binary" | awk '/=> \// {print $3}' | LC_ALL=C sort -u)
inputs_hash=$(cat "${BASH_SOURCE[0]}" "$repo_root/scripts/vm/init.sh" "$repo_root/scripts/vm/copy-libs.sh" \
  /bin/busybox "$ip_binary" "$nft_binary" /etc/protocols "${userland_libs[@]}" | sha256sum | cut -d' ' -f1)
if [[ -f $kernel && -f $base_initramfs && -f $stamp && $(cat "$stamp") == "$inputs_hash" ]]; then
  log "cached image for $kernel_version"
else
  started=$(date +%s)
  mkdir -p "$image_dir"
  work=$(mktemp -d "$image_dir/work.XXXXXX")
  trap 'rm -rf "$work"' EXIT

  deb=$(ls "$image_dir"/"${kernel_package}"_*.deb 2> /dev/null | head -n1 || true)
  if [[ -z $deb ]]; then
    log "downloading $kernel_package"
    (cd "$image_dir" && apt-get download "$kernel_package" > /dev/null 2>&1) ||
      fail "apt-get download $kernel_package failed (network to the Debian mirror?)"
    deb=$(ls "$image_dir"/"${kernel_package}"_*.deb | head -n1)
  fi
  log "unpacking $(basename "$deb")"
  dpkg-deb -x "$deb" "$work/pkg"
  [[ -f $work/pkg/boot/vmlinuz-$kernel_version ]] || fail "package has no boot/vmlinuz-$kernel_version"
  moddir="$work/pkg/lib/modules/$kernel_version"
  # The package ships no modules.dep (its postinst runs depmod): generate it in the unpacked tree.
  if [[ ! -f $moddir/modules.dep ]]; then
    depmod -b "$work/pkg" "$kernel_version"
  fi

  # Dependencies first, each module once, read from modules.dep and modules.softdep (never
  # hard-coded). The image has no /sbin/modprobe, so the kernel's on-demand request_module()
  # loads nothing: every module a test needs is in this list.
  module_path() {  # module name (- and _ alike) -> its path in modules.dep, or nothing
    grep -E "/${1//[-_]/[-_]}\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | cut -d: -f1 | head -n1
  }
  # A soft dependency names a module or an alias ("softdep libcrc32c pre: crc32c": libcrc32c's
  # init allocates the crc32c hash, which modprobe would have loaded first). An alias with several
  # providers resolves to the portable *_generic one (crc32c_intel needs SSE4.2).
  softdep_path() {
    local name=$1 path provider providers
    path=$(module_path "$name")
    if [[ -z $path ]]; then
      mapfile -t providers < <(awk -v a="$name" '$1 == "alias" && $2 == a {print $3}' "$moddir/modules.alias" | LC_ALL=C sort -u)
      if ((${#providers[@]} == 1)); then
        path=$(module_path "${providers[0]}")
      else
        for provider in "${providers[@]}"; do
          [[ $provider == *_generic ]] && path=$(module_path "$provider")
        done
      fi
    fi
    [[ -n $path ]] || fail "cannot resolve soft dependency '$name' (providers: ${providers[*]:-none})"
    echo "$path"
  }
  declare -A loaded=()
  order=()
  add_module() {
    local path=$1 dep name soft soft_path
    [[ -n ${loaded[$path]:-} ]] && return
    loaded[$path]=1
    local line
    line=$(grep -E "^${path}:" "$moddir/modules.dep" || true)
    [[ -n $line ]] || fail "module $path not in modules.dep"
    for dep in ${line#*:}; do
      add_module "$dep"
    done
    name=$(basename "$path")
    name=${name%%.ko*}
    name=${name//-/_}
    for soft in $(awk -v m="$name" '$1 == "softdep" && $2 == m {
        for (i = 3; i <= NF; i++) { if ($i == "pre:") pre = 1; else if ($i == "post:") pre = 0; else if (pre) print $i } }' \
        "$moddir/modules.softdep"); do
      soft_path=$(softdep_path "$soft") || exit 1
      add_module "$soft_path"
    done
    order+=("$path")
  }
  # wireguard and veth for the tunnel tests; nf_tables (tables, interval/pipapo sets, meta,
  # payload, lookup, counter) and nft_ct (ct state/direction; pulls in nf_conntrack and
  # nf_defrag_ipv4/ipv6) for the packet filter's ruleset (docs/packet-filter.md).
  for name in wireguard veth nf_tables nft_ct; do
    path=$(module_path "$name")
    [[ -n $path ]] || fail "kernel $kernel_version has no $name module"
    add_module "$path"
  done

  root="$work/root"
  mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,var,lib/modules,lib64,test}
  ln -s ../run "$root/var/run"  # fixtures name namespaces /var/run/netns/NAME
  : > "$root/etc/vm-modules"
  for path in "${order[@]}"; do
    name=$(basename "$path")
    case $name in
      *.xz) xz -dc "$moddir/$path" > "$root/lib/modules/${name%.xz}"; name=${name%.xz} ;;
      *.zst) zstd -dcq "$moddir/$path" > "$root/lib/modules/${name%.zst}"; name=${name%.zst} ;;
      *.gz) gzip -dc "$moddir/$path" > "$root/lib/modules/${name%.gz}"; name=${name%.gz} ;;
      *) cp "$moddir/$path" "$root/lib/modules/$name" ;;
    esac
    echo "$name" >> "$root/etc/vm-modules"
  done
  log "modules: $(tr '\n' ' ' < "$root/etc/vm-modules")"

  cp /bin/busybox "$root/bin/busybox"
  # Every applet except "busybox" itself (a link named busybox loops) and "ip" (iproute2's ip is
  # needed for `ip netns`; busybox's applet lacks it).
  for applet in $(/bin/busybox --list); do
    case $applet in busybox | ip) continue ;; esac
    ln -sf busybox "$root/bin/$applet"
  done
  cp "$ip_binary" "$root/sbin/ip"
  mkdir -p "$root/usr/bin"
  ln -s ../../sbin/ip "$root/usr/bin/ip"  # where Debian has it; the netns fixtures exec it there
  "$repo_root/scripts/vm/copy-libs.sh" "$ip_binary" "$root"
  mkdir -p "$root/usr/sbin"
  cp "$nft_binary" "$root/usr/sbin/nft"
  "$repo_root/scripts/vm/copy-libs.sh" "$nft_binary" "$root"
  cp /etc/protocols "$root/etc/protocols"
  install -m 0755 "$repo_root/scripts/vm/init.sh" "$root/init"

  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$work/base.cpio.gz"
  cp "$work/pkg/boot/vmlinuz-$kernel_version" "$work/vmlinuz"
  mv "$work/vmlinuz" "$kernel"
  mv "$work/base.cpio.gz" "$base_initramfs"
  echo "$inputs_hash" > "$stamp"
  log "built image for $kernel_version in $(($(date +%s) - started)) s"
fi

echo "VM_KERNEL_VERSION=$kernel_version"
echo "VM_KERNEL=$kernel"
echo "VM_BASE_INITRAMFS=$base_initramfs"
