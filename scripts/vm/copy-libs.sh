#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copies the shared libraries `ldd BINARY` lists (and the ELF interpreter) into ROOT at the same
# paths, dereferencing symlinks. Usage: copy-libs.sh BINARY ROOT
set -euo pipefail
binary=$1
root=$2
if ! ldd "$binary" > /dev/null 2>&1; then
  exit 0  # static binary
fi
ldd "$binary" | awk '/=> \// {print $3} /^[ \t]*\/[^ ]+ \(/ {print $1}' | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
