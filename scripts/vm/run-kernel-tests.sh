#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Single entry point for the kernel-WireGuard tests: boots Debian's kernel (which has
# wireguard.ko) under qemu with a busybox initramfs and runs the kernel-driver test binaries
# inside it. Passes only if the guest printed "RESULT: PASS" AND qemu exited through
# isa-debug-exit with the pass code. Anything missing (qemu, kernel package, binary) FAILS.
#
# Usage: run-kernel-tests.sh [--binary PATH]... [--timeout SECONDS] [--gtest-filter FILTER]
#   --binary   test binary to run in the VM (repeatable). Default: build
#              backend_wireguard_kernel_vm_test, backend_wireguard_kernel_contract_vm_test and
#              backend_wireguard_kernel_filter_vm_test in build/vm-host with cmake.
#   --timeout  wall-clock bound for qemu (default 600 s, env RUSTYNET_VM_TIMEOUT; ~40 s on an
#              idle 2-core machine, but TCG slows down 5-10x when the host is saturated).
# Serial log of the last run: build/vm/last-run.log. See docs/kernel-vm.md.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache_root="$repo_root/build/vm"
vm_timeout=${RUSTYNET_VM_TIMEOUT:-600}
gtest_filter=""
binaries=()
while (($#)); do
  case $1 in
    --binary) binaries+=("$(realpath "$2")"); shift 2 ;;
    --timeout) vm_timeout=$2; shift 2 ;;
    --gtest-filter) gtest_filter=$2; shift 2 ;;
    *) echo "usage: $0 [--binary PATH]... [--timeout SECONDS] [--gtest-filter FILTER]" >&2; exit 2 ;;
  esac
done

fail() {
  echo "run-kernel-tests: FAIL: $*" >&2
  exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }

started=$(now)
for tool in qemu-system-x86_64 timeout cpio gzip ldd awk; do
  command -v "$tool" > /dev/null || fail "required tool '$tool' is not installed (run scripts/bootstrap.sh)"
done

if ((${#binaries[@]} == 0)); then
  host_build="$repo_root/build/vm-host"
  echo "run-kernel-tests: building the test binaries in $host_build" >&2
  cmake -S "$repo_root" -B "$host_build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRUSTYNET_BUILD_BENCH=OFF \
    > "$cache_root.host-configure.log" 2>&1 || fail "cmake configure failed (see $cache_root.host-configure.log)"
  cmake --build "$host_build" -j2 --target backend_wireguard_kernel_vm_test backend_wireguard_kernel_contract_vm_test \
    backend_wireguard_kernel_filter_vm_test >&2 ||
    fail "building the test binaries failed"
  binaries=("$host_build/tests/backend_wireguard/kernel/backend_wireguard_kernel_vm_test"
    "$host_build/tests/backend_wireguard/kernel/backend_wireguard_kernel_contract_vm_test"
    "$host_build/tests/backend_wireguard/kernel/backend_wireguard_kernel_filter_vm_test")
fi
for binary in "${binaries[@]}"; do
  [[ -x $binary ]] || fail "test binary $binary does not exist or is not executable"
done
build_done=$(now)

mkdir -p "$cache_root"
image_vars=$("$repo_root/scripts/vm/build-image.sh" --cache "$cache_root") || fail "building the VM image failed"
eval "$image_vars"
image_done=$(now)

# The test payload: a second gzip'd cpio appended to the base initramfs (the kernel unpacks both).
work=$(mktemp -d "$cache_root/run.XXXXXX")
trap 'rm -rf "$work"' EXIT
payload="$work/root"
mkdir -p "$payload/test"
{
  echo "#!/bin/sh"
  echo "status=0"
  for binary in "${binaries[@]}"; do
    name=$(basename "$binary")
    cp "$binary" "$payload/test/$name"
    "$repo_root/scripts/vm/copy-libs.sh" "$binary" "$payload"
    filter=""
    [[ -n $gtest_filter ]] && filter=" --gtest_filter='$gtest_filter'"
    echo "echo \"vm: running $name\""
    echo "/test/$name --gtest_color=no$filter || status=1"
  done
  echo 'exit $status'
} > "$payload/test/run.sh"
(cd "$payload" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$work/payload.cpio.gz"
cat "$VM_BASE_INITRAMFS" "$work/payload.cpio.gz" > "$work/initrd.gz"

# /dev/kvm may exist as a nested software KVM that cannot run a stock kernel (qemu then hangs
# with "KVM internal error"): use KVM only when the CPU advertises vmx/svm.
accel=(-accel tcg -cpu max)
if grep -qwE 'vmx|svm' /proc/cpuinfo && [[ -w /dev/kvm ]]; then
  accel=(-accel kvm -cpu host)
fi

log="$cache_root/last-run.log"
echo "run-kernel-tests: booting $VM_KERNEL_VERSION (${accel[1]}), timeout ${vm_timeout}s" >&2
vm_started=$(now)
set +e
timeout --kill-after=10 "$vm_timeout" qemu-system-x86_64 "${accel[@]}" -m 512 -smp 1 \
  -nodefaults -no-user-config -display none -serial stdio -no-reboot \
  -kernel "$VM_KERNEL" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 panic=-1 quiet loglevel=4" \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 < /dev/null 2>&1 | tr -d '\r' | tee "$log"
statuses=("${PIPESTATUS[@]}")
set -e
qemu_status=${statuses[0]}
vm_seconds=$(elapsed "$vm_started")

result=$(grep -E '^RESULT: ' "$log" | tail -n1 || true)
summary="build $(awk -v a="$started" -v b="$build_done" 'BEGIN {printf "%.1f", b - a}') s, image $(awk -v a="$build_done" -v b="$image_done" 'BEGIN {printf "%.1f", b - a}') s, vm ${vm_seconds} s, total $(elapsed "$started") s"
if [[ $qemu_status -eq 124 || $qemu_status -eq 137 ]]; then
  fail "qemu timed out after ${vm_timeout}s ($summary); log: $log"
fi
if [[ -z $result ]]; then
  fail "no RESULT line on the serial console (qemu exit $qemu_status; $summary); log: $log"
fi
if [[ $qemu_status -ne 1 || $result != "RESULT: PASS" ]]; then
  fail "guest reported '$result', qemu exit $qemu_status ($summary); log: $log"
fi
echo "run-kernel-tests: PASS ($result; qemu exit $qemu_status; $summary)"
