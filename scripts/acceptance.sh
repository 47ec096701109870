#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Phase 1 acceptance (spec section 11, P1-AT-01..P1-AT-18): runs one real command or test selection
# per row against an EXISTING build (never rebuilds), prints a table (id, scope item, command,
# pass/fail, evidence log) and exits non-zero if any row fails. docs/acceptance.md explains each row.
#
#   scripts/acceptance.sh [--build-dir DIR] [--artifacts DIR] [--only P1-AT-NN[,P1-AT-MM...]]
#
# Nothing passes vacuously: ctest selections use --no-tests=error, gtest filters must run at least
# one test, document checklists fail when they find nothing to check.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 2

build_dir="$repo/build/ci"
artifacts="$repo/artifacts/acceptance"
only=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --artifacts) artifacts=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h | --help) sed -n '3,10p' "$0"; exit 0 ;;
    *) echo "acceptance: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $build_dir == /* ]] || build_dir="$repo/$build_dir"
[[ $artifacts == /* ]] || artifacts="$repo/$artifacts"
if [[ ! -f $build_dir/CTestTestfile.cmake || ! -f $build_dir/build.ninja ]]; then
  echo "acceptance: $build_dir is not a configured and built tree (build it first; this script never builds)" >&2
  exit 2
fi
mkdir -p "$artifacts"
export RUSTYNET_ACCEPT_BUILD=$build_dir RUSTYNET_ACCEPT_ARTIFACTS=$artifacts RUSTYNET_ROOT=$repo

# ---- helpers the row commands use (exported so that `bash -c` sees them) ----------------------

# ctest selection by exact test names; an empty selection is an error.
ct() {
  local names=$1
  shift
  ctest --test-dir "$RUSTYNET_ACCEPT_BUILD" --output-on-failure --no-tests=error -R "^(${names})\$" "$@"
}
# Runs one gtest binary of the build with a filter and requires that at least one test ran.
gt() {
  local name=$1 filter=$2 binary out
  binary=$(find "$RUSTYNET_ACCEPT_BUILD" -type f -name "$name" -perm -u+x -not -path '*/CMakeFiles/*' | head -1)
  [[ -n $binary ]] || { echo "acceptance: test binary $name not found in $RUSTYNET_ACCEPT_BUILD" >&2; return 1; }
  out=$(cd "$(dirname "$binary")" && "$binary" --gtest_filter="$filter" 2>&1)
  local rc=$?
  printf '%s\n' "$out"
  [[ $rc -eq 0 ]] || return 1
  local ran
  ran=$(printf '%s\n' "$out" | sed -n 's/^\[==========\] \([0-9][0-9]*\) tests\{0,1\} from .* ran\..*/\1/p' | tail -1)
  [[ -n $ran && $ran -gt 0 ]] || { echo "acceptance: filter '$filter' on $name ran no test" >&2; return 1; }
  # A filter of exact names must run every one of them (a renamed test is not silently dropped).
  if [[ $filter != *[*?]* ]]; then
    local wanted
    wanted=$(tr ':' '\n' <<<"$filter" | grep -c .)
    [[ $ran -eq $wanted ]] || { echo "acceptance: filter names $wanted tests, $ran ran" >&2; return 1; }
  fi
  echo "acceptance: $name --gtest_filter=$filter: $ran tests passed"
}
# P1-AT-15: the short perf harness against this build, unless scripts/ci.sh already ran it in the
# same run (its perf-short gate, RUSTYNET_ACCEPT_PERF_REPORT): then that report is judged, once it
# is shown to be newer than every program it measured, instead of measuring everything twice.
perf_report() {
  local report=${RUSTYNET_ACCEPT_PERF_REPORT:-} binary
  if [[ -z $report ]]; then
    test -x scripts/perf/run_phase1_baseline.sh &&
      scripts/perf/run_phase1_baseline.sh --build-dir "$RUSTYNET_ACCEPT_BUILD" --no-build --short \
        --out "$RUSTYNET_ACCEPT_ARTIFACTS/perf" || return 1
    report=$RUSTYNET_ACCEPT_ARTIFACTS/perf/baseline.json
  else
    [[ -f $report ]] || { echo "acceptance: no perf report at $report" >&2; return 1; }
    for binary in apps/rustynetd/rustynetd apps/rustynet/rustynet apps/rustynet-control/rustynet-control \
      bench/filter/filter_bench_tool; do
      [[ $report -nt $RUSTYNET_ACCEPT_BUILD/$binary ]] ||
        { echo "acceptance: $report is older than $binary of this build: not a measurement of it" >&2; return 1; }
    done
    echo "acceptance: judging the perf-short gate's report of this run: $report"
  fi
  python3 scripts/perf/validate_report.py "$report" --short
}
# The review checklists (P1-AT-07/08/09/18) live in one Python program below.
checklist() { python3 - "$RUSTYNET_ROOT" "$1" <"$RUSTYNET_ACCEPT_CHECKLIST"; }
export -f ct gt checklist perf_report

# ---- the machine checklists for the review-type rows --------------------------------------------
checklist_file=$(mktemp)
trap 'rm -f "$checklist_file"' EXIT
export RUSTYNET_ACCEPT_CHECKLIST=$checklist_file
cat >"$checklist_file" <<'PY'
import os, re, sys
root, which = sys.argv[1], sys.argv[2]
problems, checked = [], []

def read(rel):
    path = os.path.join(root, rel)
    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        problems.append(f"{rel}: missing or empty")
        return ""
    with open(path, encoding="utf-8") as fh:
        return fh.read()

def test_names():
    """Suite.Name of every TEST/TEST_F/TEST_P in tests/ (what a doc may cite)."""
    names = set()
    pattern = re.compile(r'^\s*TEST(?:_F|_P)?\(\s*(\w+)\s*,\s*(\w+)\s*\)', re.M)
    for dirpath, _, files in os.walk(os.path.join(root, "tests")):
        for f in files:
            if f.endswith((".cpp", ".hpp")):
                with open(os.path.join(dirpath, f), encoding="utf-8", errors="replace") as fh:
                    names.update(f"{a}.{b}" for a, b in pattern.findall(fh.read()))
    if not names:
        problems.append("no test names found under tests/")
    return names

def section(doc, heading):
    """Body of the markdown section whose heading contains `heading` (case-insensitive)."""
    lines, out, level = doc.splitlines(), None, 0
    for line in lines:
        m = re.match(r'^(#+)\s+(.*)', line)
        if m:
            if out is not None and len(m.group(1)) <= level:
                break
            if out is None and heading.lower() in m.group(2).lower():
                out, level = [], len(m.group(1))
                continue
        if out is not None:
            out.append(line)
    if out is None:
        problems.append(f"no section '{heading}'")
        return ""
    return "\n".join(out)

def table_rows(body):
    rows = []
    for line in body.splitlines():
        if line.startswith("|") and not re.match(r'^\|[\s\-|:]+\|$', line):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
    return rows[1:]  # drop the header row

if which == "threat-model":
    # P1-AT-09: every threat class the spec's 5.1/5.3 names has a section with a table whose rows
    # each name an enforcement point and at least one test that exists.
    doc = read("docs/threat-model.md")
    tests = test_names()
    classes = ["External abuse", "Credential stuffing", "Replay", "Admin-surface"]
    for cls in classes:
        rows = table_rows(section(doc, cls))
        if not rows:
            problems.append(f"threat class '{cls}': no threat table")
        for row in rows:
            if len(row) < 3 or not row[1]:
                problems.append(f"'{cls}' row '{row[0]}': no enforcement point")
                continue
            cited = re.findall(r'`(\w+\.\w+)`', row[2])
            if not cited:
                problems.append(f"'{cls}' row '{row[0]}': no test named")
            for name in cited:
                if name not in tests:
                    problems.append(f"'{cls}' row '{row[0]}': test {name} does not exist")
                else:
                    checked.append(name)
        checked.append(f"class {cls}: {len(rows)} threats")
    for asset in ["signing key", "token", "audit"]:
        if asset not in doc.lower():
            problems.append(f"threat model does not mention asset '{asset}'")
elif which == "key-hierarchy":
    # P1-AT-07: the documented hierarchy maps onto the crypto module: every KeyPurpose enumerator
    # and its stable name is in the summary table, every type the table names is declared in
    # libs/crypto/include, every file the doc cites exists.
    doc = read("docs/key-hierarchy.md")
    header = read("libs/crypto/include/rustynet/crypto/key_hierarchy.hpp")
    enum = re.search(r'enum class KeyPurpose[^{]*\{(.*?)\};', header, re.S)
    purposes = re.findall(r'\b(k[A-Z]\w+)\s*=', enum.group(1)) if enum else []
    if not purposes:
        problems.append("KeyPurpose enumerators not found")
    summary = section(doc, "Summary")
    for p in purposes:
        stable = re.sub(r'(?<!^)([A-Z])', r'-\1', p[1:]).lower()
        if f"KeyPurpose::{p}" not in summary or f"`{stable}`" not in summary:
            problems.append(f"KeyPurpose::{p} ({stable}) missing from the summary table")
        checked.append(f"KeyPurpose::{p}")
    declared = set()
    for dirpath, _, files in os.walk(os.path.join(root, "libs/crypto/include")):
        for f in files:
            with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                declared.update(re.findall(r'\b(?:class|struct|using)\s+(\w+)', fh.read()))
    types = set()
    for row in table_rows(summary):
        if len(row) > 2:
            types.update(t for t in re.findall(r'`(\w+)`', row[2]))
    if not types:
        problems.append("summary table names no types")
    for t in sorted(types):
        (checked if t in declared else problems).append(t if t in declared else f"type {t} not declared in libs/crypto/include")
    for path in re.findall(r'`((?:libs|apps|docs|tests)/[\w./-]+)`', doc):
        if not os.path.exists(os.path.join(root, path.rstrip("/"))):
            problems.append(f"cited path {path} does not exist")
        else:
            checked.append(path)
elif which == "token-model":
    # P1-AT-08: every wire field of the token is in the documented field table, every rejection
    # kind in the validation table, the versioning, revocation and nonce rules are written down,
    # and fail-closed handling is stated.
    doc = read("docs/token-model.md")
    header = read("libs/control/include/rustynet/control/token.hpp")
    fields = ["version", "iat", "exp", "nonce"] + re.findall(r'//\s*"(\w+)":', header)
    field_rows = {r[0].strip("`") for r in table_rows(section(doc, "What a token is"))}
    for f in fields:
        (checked if f in field_rows else problems).append(f"field {f}" if f in field_rows else f"field {f} not in the field table")
    # The stable names the validator reports (TokenRejection -> to_string in token.cpp).
    enum = re.search(r'enum class TokenRejection[^{]*\{(.*?)\};', header, re.S)
    kinds = re.findall(r'\bk([A-Z]\w+)\s*=', enum.group(1)) if enum else []
    names = dict(re.findall(r'case TokenRejection::k(\w+):\s*return "(\w+)";', read("libs/control/src/token.cpp")))
    if not kinds:
        problems.append("TokenRejection kinds not found")
    for k in kinds:
        name = names.get(k)
        if name is None:
            problems.append(f"rejection k{k} has no stable name in token.cpp")
        elif f"`{name}`" not in doc:
            problems.append(f"rejection {name} not documented")
        else:
            checked.append(f"rejection {name}")
    for heading in ["Versioning", "Validation order", "Revocation", "Nonces and replay", "Clocks"]:
        if section(doc, heading).strip():
            checked.append(f"section {heading}")
    if "fail closed" not in doc.lower():
        problems.append("fail-closed semantics not stated")
elif which == "no-custom-crypto":
    # P1-AT-18: static review checklist. Production code (libs/, apps/) contains no hand-written
    # primitive (tell-tale constants of SHA-2, ChaCha, Curve25519, AES, Keccak, Poly1305), and the
    # crypto module reaches primitives only through libsodium/OpenSSL.
    tells = {
        "SHA-256 IV": r'0x6a09e667', "SHA-512 round constant": r'0x428a2f98', "ChaCha constant": r'expand 32-byte k',
        "Curve25519 a24": r'\b121665\b', "AES S-box": r'0x63\s*,\s*0x7c\s*,\s*0x77', "Keccak RC": r'0x8000000000008080',
        "Poly1305 clamp": r'0x0ffffffc0fffffff', "rotate-left macro": r'#define\s+ROTL',
    }
    files = 0
    for top in ("libs", "apps"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for f in names:
                if not f.endswith((".cpp", ".hpp", ".h", ".cc")):
                    continue
                files += 1
                rel = os.path.relpath(os.path.join(dirpath, f), root)
                with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
                for what, pat in tells.items():
                    if re.search(pat, text, re.I):
                        problems.append(f"{rel}: {what} found (hand-written primitive?)")
    if files < 50:
        problems.append(f"only {files} source files scanned")
    checked.append(f"{files} production source files scanned for primitive constants")
    crypto_src = os.path.join(root, "libs/crypto/src")
    users = 0
    for f in sorted(os.listdir(crypto_src)):
        with open(os.path.join(crypto_src, f), encoding="utf-8") as fh:
            text = fh.read()
        if re.search(r'#include\s*[<"](sodium|openssl/)', text):
            users += 1
    if users == 0:
        problems.append("libs/crypto/src does not use libsodium/OpenSSL at all")
    checked.append(f"{users} libs/crypto/src files call libsodium/OpenSSL")
    deps = read("cmake/dependencies.tsv")
    for lib in ("libsodium", "libssl"):
        (checked if lib in deps.lower() else problems).append(f"{lib} pinned in cmake/dependencies.tsv" if lib in deps.lower() else f"{lib} not in cmake/dependencies.tsv")
else:
    problems.append(f"unknown checklist {which}")

for c in checked:
    print(f"  ok   {c}")
for p in problems:
    print(f"  FAIL {p}")
print(f"checklist {which}: {len(checked)} items ok, {len(problems)} problems")
sys.exit(1 if problems or not checked else 0)
PY

# ---- the rows ------------------------------------------------------------------------------------
# id | scope item (spec section 11) | command (bash)
rows=(
  "P1-AT-01|Workspace/crate baseline: everything compiles|ninja -C \"\$RUSTYNET_ACCEPT_BUILD\" -n | tee /dev/stderr | grep -qx 'ninja: no work to do.' && ls \"\$RUSTYNET_ACCEPT_BUILD\"/apps/rustynetd/rustynetd \"\$RUSTYNET_ACCEPT_BUILD\"/apps/rustynet-control/rustynet-control \"\$RUSTYNET_ACCEPT_BUILD\"/apps/rustynet/rustynet \"\$RUSTYNET_ACCEPT_BUILD\"/apps/rustynet-relay/rustynet-relay"
  "P1-AT-02|Boundary ownership: no disallowed edges|scripts/ci/layering.sh && t=\$(mktemp -d) && cmake -S . -B \"\$t\" -G Ninja -DRUSTYNET_BUILD_BENCH=OFF && rm -rf \"\$t\""
  "P1-AT-03|Backend contract consumable by the daemon|grep -rlq 'rustynet/backend_api/tunnel_backend.hpp' apps/rustynetd/src && ct 'backend_api_test|rustynetd_test'"
  "P1-AT-04|Capability model: unsupported fails closed|gt backend_api_test 'Capabilit*:ReferenceBackend*' && ct 'backend_contract_reference_test'"
  "P1-AT-05|Lifecycle invariants: typed errors|ct 'backend_contract_reference_test|backend_contract_broken_test|backend_wireguard_contract_test'"
  "P1-AT-06|No WireGuard leakage|scripts/ci/leakage.sh"
  "P1-AT-07|Key hierarchy specification|checklist key-hierarchy && gt crypto_test 'KeyHierarchy*:ControlKeyRotation*:KeyLifecycle*'"
  "P1-AT-08|Token/revocation baseline|checklist token-model && gt control_test 'TokenTest.*:NonceStoreTest.*:SqliteStoreTest.*'"
  "P1-AT-09|Threat model v1|checklist threat-model && ct 'control_test|control_server_test'"
  "P1-AT-10|Key custody fallback: negative tests|gt crypto_test 'EncryptedFileCustodyTest.*:SystemdCredentialTest.*:OperatorSecretTest.*:CustodyKeyIdTest.*' && gt rustynetd_test 'DaemonTest.RefusesWrongKeyFileMode:DaemonTest.RefusesWrongKeyDirectoryMode:DaemonTest.RefusesWithoutASecureKeyStore' && gt faults_test 'CustodyFaultTest.*:TrustStateFaultTest.*:ControlStoreFaultTest.*'"
  "P1-AT-11|Crypto policy allow/deny|gt crypto_test 'AlgorithmPolicyTest.RegistryClassifiesSpecLists:AlgorithmPolicyTest.BaselineAllowsAllowlistAndDeniesTheRest:AlgorithmPolicyTest.LoadsValidPolicy:AlgorithmPolicyTest.LoadFailsClosed'"
  "P1-AT-12|Deprecation exceptions expire|gt crypto_test 'AlgorithmPolicyTest.ExceptionsMustBeComplete:AlgorithmPolicyTest.ExceptionWarnsBeforeExpiryAndDeniesAtAndAfter:AlgorithmPolicyTest.StartupCheckUsesInjectedClock'"
  "P1-AT-13|CI security gates (non-building gates + all unit tests)|for g in format layering leakage unsafe docs deps-policy systemd-units; do echo \"== \$g\"; scripts/ci/\$g.sh || exit 1; done && ctest --test-dir \"\$RUSTYNET_ACCEPT_BUILD\" --output-on-failure --no-tests=error -L unit -j \"\$(nproc)\""
  "P1-AT-14|Integration harness runs and reports|ct 'backend_contract_reference_test|backend_contract_broken_test|backend_wireguard_contract_test'"
  "P1-AT-15|Performance harness report|perf_report"
  "P1-AT-16|Secret-handling: redaction|gt crypto_test 'RedactionTest.*' && gt base_test 'SecretBytesTest.*' && gt control_test 'TokenTest.ErrorMessagesNeverContainTheToken:AuthChainTest.EventsNeverContainTokenMaterial'"
  "P1-AT-17|TLS 1.3-only policy declared and validated|gt control_test 'TlsPolicyTest.*:TlsContextTest.*' && gt control_server_test 'ServiceConfigTest.RefusesAnyOlderTlsVersion:ControlServerTest.OlderTlsClientsRefusedByTheServer'"
  "P1-AT-18|No custom crypto|checklist no-custom-crypto && scripts/ci/deps-policy.sh && gt crypto_test 'Ed25519Test.Rfc8032Vectors:X25519Test.Rfc7748*'"
)

results=()
failures=0
selected=0
start_all=$SECONDS
for row in "${rows[@]}"; do
  IFS='|' read -r id scope command <<<"$row"
  # the command may itself contain '|': everything after the second separator is the command
  command=${row#*|}
  command=${command#*|}
  if [[ -n $only && ,$only, != *",$id,"* ]]; then
    continue
  fi
  selected=$((selected + 1))
  log="$artifacts/$id.log"
  echo "==== $id $scope"
  start=$SECONDS
  {
    echo "# $id: $scope"
    echo "# command: $command"
    echo "# build dir: $build_dir"
    echo "# started: $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null)"
  } >"$log"
  if bash -c "cd \"$repo\" && $command" >>"$log" 2>&1; then
    status=pass
  else
    status=FAIL
    failures=$((failures + 1))
    tail -15 "$log" | sed 's/^/    /'
  fi
  echo "# result: $status in $((SECONDS - start)) s" >>"$log"
  results+=("$id|$scope|$command|$status|${log#"$repo"/}|$((SECONDS - start))")
done
[[ $selected -gt 0 ]] || { echo "acceptance: --only selected no row" >&2; exit 2; }

summary="$artifacts/summary.md"
{
  echo "# Phase 1 acceptance $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null), build $build_dir"
  echo
  echo "| id | scope item | command | result | evidence | seconds |"
  echo "|---|---|---|---|---|---|"
  for r in "${results[@]}"; do
    IFS='|' read -r id scope _ <<<"$r"
    rest=${r#*|}
    rest=${rest#*|}
    seconds=${r##*|}
    rest=${rest%|*}
    evidence=${rest##*|}
    rest=${rest%|*}
    status=${rest##*|}
    command=${rest%|*}
    echo "| $id | $scope | \`${command//|/\\|}\` | $status | $evidence | $seconds |"
  done
} >"$summary"

echo
echo "==== acceptance summary (full commands: $summary)"
printf '%-9s %-50s %-5s %5s  %s\n' id "scope item" result secs evidence
for r in "${results[@]}"; do
  IFS='|' read -r id scope _ <<<"$r"
  seconds=${r##*|}
  rest=${r%|*}
  evidence=${rest##*|}
  rest=${rest%|*}
  status=${rest##*|}
  printf '%-9s %-50.50s %-5s %5s  %s\n' "$id" "$scope" "$status" "$seconds" "$evidence"
done
echo "acceptance: $((selected - failures)) passed, $failures failed ($((SECONDS - start_all)) s)"
[[ $failures -eq 0 ]]
