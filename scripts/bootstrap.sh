#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs exactly the Debian 12 packages Rustynet needs to build, test and demo. Idempotent.
set -euo pipefail

readonly PACKAGES=(
  # toolchain and gates
  build-essential cmake ninja-build pkg-config git python3 ripgrep ccache
  clang-14 clang-format clang-tidy libfuzzer-14-dev libclang-rt-14-dev python3-cryptography
  # Debian packages (scripts/package.sh, gate packages; docs/packaging.md)
  dpkg-dev debhelper lintian help2man systemd
  # libraries (see docs/dependencies.md for why each is here)
  libsodium-dev libssl-dev libboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libmnl-dev libsqlite3-dev libsystemd-dev
  # data plane and test/bench hosts
  wireguard-go wireguard-tools iproute2 iputils-ping iperf3 procps psmisc kmod openssl nftables
  # kernel-driver VM
  qemu-system-x86 busybox-static xz-utils cpio netbase
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "bootstrap: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "bootstrap: missing packages (${missing[*]}) and not root; run as root" >&2
  exit 1
fi

echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
