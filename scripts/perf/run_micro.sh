#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every Google Benchmark micro-benchmark of the libraries (target bench_all: policy, signed-state
# verify, token validation, limiter, key custody unlock, backend contract and tunnel-driver operations)
# and writes each one's JSON beside the Phase 1 report: artifacts/perf/phase1/micro/<bench>.json,
# plus micro/summary.txt (name, real time, unit of every benchmark). See docs/performance.md.
#
# usage: scripts/perf/run_micro.sh [--build-dir DIR] [--no-build] [--out DIR] [--filter REGEX] [--min-time S]
#   --build-dir DIR  default build/release (release preset; built first unless --no-build)
#   --out DIR        report directory (default artifacts/perf/phase1); JSON goes to DIR/micro/
#   --filter REGEX   passed as --benchmark_filter to every binary
#   --min-time S     --benchmark_min_time (default: the library default)
# Some benchmarks (backend_wireguard) start a real userspace tunnel: run as root.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=$REPO/build/release
out_dir=$REPO/artifacts/perf/phase1
no_build=0
filter=""
min_time=""
while (($#)); do
  case $1 in
    --build-dir) build_dir=$(cd "$2" && pwd) || exit 64; shift 2 ;;
    --no-build) no_build=1; shift ;;
    --out) out_dir=$2; shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    --min-time) min_time=$2; shift 2 ;;
    -h | --help) sed -n '3,13p' "$0"; exit 0 ;;
    *) echo "micro: unknown argument '$1' (try --help)" >&2; exit 64 ;;
  esac
done

if ((!no_build)); then
  if [[ $build_dir == "$REPO/build/release" ]]; then
    (cd "$REPO" && cmake --preset release > /dev/null && cmake --build --preset release -j2 --target bench_all) ||
      { echo "micro: building bench_all failed" >&2; exit 1; }
  else
    cmake --build "$build_dir" -j2 --target bench_all || { echo "micro: building bench_all failed" >&2; exit 1; }
  fi
fi

mapfile -t benches < <(find "$build_dir/bench" -type f -name 'bench_*' -perm -u+x | LC_ALL=C sort)
if ((${#benches[@]} == 0)); then
  echo "micro: no benchmark binaries under $build_dir/bench (is RUSTYNET_BUILD_BENCH on?)" >&2
  exit 1
fi
mkdir -p "$out_dir/micro"
rm -f "$out_dir"/micro/*.json "$out_dir/micro/summary.txt"
failures=0
for bench in "${benches[@]}"; do
  name=${bench##*/}
  args=(--benchmark_out="$out_dir/micro/$name.json" --benchmark_out_format=json)
  [[ -n $filter ]] && args+=(--benchmark_filter="$filter")
  [[ -n $min_time ]] && args+=(--benchmark_min_time="$min_time")
  echo "micro: $name"
  if ! "$bench" "${args[@]}" > "$out_dir/micro/$name.log" 2>&1; then
    echo "micro: $name FAILED:" >&2
    tail -20 "$out_dir/micro/$name.log" >&2
    failures=$((failures + 1))
  fi
done
# One line per benchmark; an errored benchmark (SkipWithError) is a failure too.
python3 - "$out_dir/micro" << 'PY' || failures=$((failures + 1))
import glob, json, os, sys
directory = sys.argv[1]
errors = 0
with open(os.path.join(directory, "summary.txt"), "w") as out:
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        for b in json.load(open(path)).get("benchmarks", []):
            if b.get("error_occurred"):
                errors += 1
                line = f"{b['name']:60s} ERROR {b.get('error_message', '')}"
            else:
                line = f"{b['name']:60s} {b['real_time']:14.3f} {b['time_unit']}"
            out.write(line + "\n")
            print(line)
sys.exit(1 if errors else 0)
PY
if ((failures)); then
  echo "micro: $failures failure(s)" >&2
  exit 1
fi
echo "micro: JSON in $out_dir/micro/"
