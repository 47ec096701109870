#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate 2 (spec 7.2 "cargo clippy -D warnings"): clang-tidy (.clang-tidy, warnings are errors) over
# every project translation unit in the compile database of the ci preset.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build_dir=$(ci_build_dir)
db="$build_dir/compile_commands.json"
[[ -f $db ]] || gate_fail "lint: no compile database at $db (run scripts/ci/build.sh first)"
if [[ -n ${RUSTYNET_LINT_FILES:-} ]]; then
  read -ra files <<< "$RUSTYNET_LINT_FILES"
else
  mapfile -t files < <(python3 - "$db" "$RUSTYNET_ROOT" <<'PY'
import json, os, sys
db, root = sys.argv[1], os.path.realpath(sys.argv[2])
seen = set()
for entry in json.load(open(db)):
    path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
    rel = os.path.relpath(path, root)
    if rel.split(os.sep)[0] in ("libs", "apps", "tests", "bench") and rel not in seen:
        seen.add(rel)
        print(rel)
PY
  )
fi
((${#files[@]} > 0)) || gate_fail "lint: zero translation units selected"
jobs=${RUSTYNET_JOBS:-$(nproc)}
echo "lint: clang-tidy on ${#files[@]} translation units, $jobs in parallel"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! printf '%s\n' "${files[@]}" | xargs -P "$jobs" -n 1 "$RUSTYNET_ROOT/scripts/ci/tidy_one.sh" "$build_dir" \
    > "$log" 2>&1; then
  grep -E 'error:|warning:' "$log" | sort -u | head -100 >&2 || true
  gate_fail "lint: clang-tidy reported problems"
fi
echo "lint: ok"
