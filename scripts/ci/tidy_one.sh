#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs clang-tidy on one translation unit, skipping it when an identical input already passed.
# The cache key hashes the clang-tidy version, every .clang-tidy file, and the TU preprocessed with
# comments kept (so NOLINT markers count) and without line markers (so the checkout's folder does not).
# Only passes are cached: a finding is always re-reported.
set -euo pipefail
build_dir=$1
file=$2
cache_dir=${RUSTYNET_TIDY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rustynet-tidy}
mkdir -p "$cache_dir"

key=""
if preprocessed=$(python3 - "$build_dir/compile_commands.json" "$RUSTYNET_ROOT" "$file" <<'PY'
import json, os, shlex, subprocess, sys
db, root, target = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3]
want = os.path.realpath(os.path.join(root, target))
for entry in json.load(open(db)):
    if os.path.realpath(os.path.join(entry["directory"], entry["file"])) != want:
        continue
    args = entry.get("arguments") or shlex.split(entry["command"])
    if os.path.basename(args[0]) == "ccache":
        args = args[1:]
    out, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
            continue
        if arg in ("-c", "-MD", "-MMD"):
            continue
        out.append(arg)
    result = subprocess.run(out + ["-E", "-P", "-C"], cwd=entry["directory"], capture_output=True)
    if result.returncode != 0:
        sys.exit(1)
    sys.stdout.buffer.write(result.stdout)
    sys.exit(0)
sys.exit(1)
PY
); then
  key=$( { clang-tidy --version; find "$RUSTYNET_ROOT" -name .clang-tidy -not -path '*/build/*' -print0 | sort -z | xargs -0 cat;
           echo "$file"; printf '%s' "$preprocessed"; } | sha256sum | cut -d' ' -f1)
  if [[ -f $cache_dir/$key ]]; then
    exit 0
  fi
fi
clang-tidy -p "$build_dir" --quiet --extra-arg=-Wno-unknown-warning-option "$file"
[[ -n $key ]] && touch "$cache_dir/$key"
exit 0
