#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate 1 (spec 7.1 "cargo fmt --check"): clang-format reports no diffs on any project source.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mapfile -t files < <(project_sources)
echo "format: checking ${#files[@]} files with $(clang-format --version | head -1)"
clang-format --dry-run -Werror "${files[@]}" || gate_fail "clang-format found formatting differences (run: clang-format -i <files>)"
echo "format: ok"
