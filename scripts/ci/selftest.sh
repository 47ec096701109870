#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Negative self-tests: each gate, run on a temporary copy of the tree with one injected violation,
# must fail and name the violation. A gate that cannot fail proves nothing.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d /tmp/rustynet-selftest-XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

fresh_copy() {
  local dest="$work/$1"
  mkdir -p "$dest"
  tar -C "$repo" --exclude=./build --exclude=./.git --exclude=./artifacts -cf - . | tar -C "$dest" -xf -
  echo "$dest"
}

# expect_failure NAME EXPECTED-TEXT COMMAND...: the command must exit non-zero and print EXPECTED-TEXT.
expect_failure() {
  local name=$1 expected=$2
  shift 2
  local output status=0
  output=$("$@" 2>&1) || status=$?
  if ((status != 0)) && grep -qF -- "$expected" <<< "$output"; then
    printf 'selftest: %-34s ok (failed as expected: %s)\n' "$name" "$expected"
    passed=$((passed + 1))
  else
    printf 'selftest: %-34s BROKEN (exit %d, expected failure mentioning "%s")\n' "$name" "$status" "$expected" >&2
    tail -20 <<< "$output" >&2
    failed=$((failed + 1))
  fi
}

gate() { RUSTYNET_ROOT=$1 "$repo/scripts/ci/$2"; }

# 1 format
t=$(fresh_copy format)
printf 'int   badly_formatted( ) {return 0 ;}\n' >> "$t/libs/policy/src/decision.cpp"
expect_failure format "formatting differences" gate "$t" format.sh

# 7 leakage
t=$(fresh_copy leakage)
printf '// uses a WireGuard peer here\n' >> "$t/libs/policy/src/decision.cpp"
expect_failure leakage "WireGuard-specific names" gate "$t" leakage.sh

# 8 unsafe: a banned construct, then a stale allowlist entry
t=$(fresh_copy unsafe)
printf 'static const char* p = reinterpret_cast<const char*>(&p);\n' >> "$t/libs/policy/src/decision.cpp"
expect_failure unsafe-banned "[reinterpret_cast]" gate "$t" unsafe.sh
t=$(fresh_copy unsafe-stale)
printf 'libs/policy/src/decision.cpp | raw-new | new Foo | no longer there\n' >> "$t/scripts/ci/unsafe_allowlist.txt"
expect_failure unsafe-stale "stale entry" gate "$t" unsafe.sh

# 9 docs: unresolved marker, broken link
t=$(fresh_copy docs)
printf '\nTo do: [[UNRESOLVED]]\n' >> "$t/docs/architecture.md"
expect_failure docs-marker "unresolved markers" gate "$t" docs.sh
t=$(fresh_copy docs-link)
printf '\nSee [missing](no-such-file.md).\n' >> "$t/docs/architecture.md"
expect_failure docs-link "no-such-file.md" gate "$t" docs.sh

# layering: include edge, then link edge (CMake configure check)
t=$(fresh_copy layering-include)
printf '#include "rustynet/backend_wireguard/driver_kind.hpp"\n' >> "$t/libs/policy/src/decision.cpp"
expect_failure layering-include "forbidden edge policy -> backend_wireguard" gate "$t" layering.sh
t=$(fresh_copy layering-link)
sed -i 's|^    rustynet::base$|    rustynet::base\n    rustynet::backend_wireguard|' "$t/libs/policy/CMakeLists.txt"
expect_failure layering-link "forbidden edge policy -> backend_wireguard" \
  cmake -S "$t" -B "$t/build/layering" -G Ninja -DRUSTYNET_BUILD_TESTS=OFF -DRUSTYNET_BUILD_BENCH=OFF

# 5 deps-audit: a minimum above what is installed; a known-bad range that covers the installed version
t=$(fresh_copy deps-audit)
sed -i -E 's/^(libsodium23)\t[^\t]+/\1\t99.0/' "$t/cmake/dependencies.tsv"
expect_failure deps-audit-min "below the minimum safe version" gate "$t" deps-audit.sh
t=$(fresh_copy deps-audit-bad)
sed -i -E 's/^(libmnl0\t[^\t]+)\t-/\1\t1.0.0..9.9.9/' "$t/cmake/dependencies.tsv"
expect_failure deps-audit-bad "known-vulnerable range" gate "$t" deps-audit.sh

# 6 deps-policy: a download at configure time; a licence off the allowlist
t=$(fresh_copy deps-policy)
printf 'include(FetchContent)\n' >> "$t/cmake/Dependencies.cmake"
expect_failure deps-policy-download "build files download code" gate "$t" deps-policy.sh
t=$(fresh_copy deps-policy-licence)
sed -i -E 's/^(libmnl0\t[^\t]+\t[^\t]+)\tLGPL-2.1/\1\tSSPL-1.0/' "$t/cmake/dependencies.tsv"
expect_failure deps-policy-licence "not on the allowlist" gate "$t" deps-policy.sh

# systemd units: a dropped hardening directive fails the gate
t=$(fresh_copy systemd-units)
sed -i '/^NoNewPrivileges=yes$/d' "$t/apps/rustynetd/systemd/rustynetd.service"
expect_failure systemd-units "NoNewPrivileges" gate "$t" systemd-units.sh

# 3 build: a conversion warning is an error
t=$(fresh_copy build)
printf 'int rustynet_narrowing(double d);\nint rustynet_narrowing(double d) { return d; }\n' >> "$t/libs/base/src/sys_error.cpp"
expect_failure build "rustynet_narrowing" env RUSTYNET_ROOT="$t" RUSTYNET_BUILD_PRESETS=ci \
  RUSTYNET_BUILD_TARGETS=rustynet_base "$repo/scripts/ci/build.sh"

# 4 test: a failing assertion fails the gate
t=$(fresh_copy test)
printf 'TEST(SelfTestInjected, Fails) { EXPECT_EQ(1, 2); }\n' >> "$t/tests/base/result_test.cpp"
RUSTYNET_ROOT="$t" RUSTYNET_BUILD_PRESETS=ci RUSTYNET_BUILD_TARGETS=base_test "$repo/scripts/ci/build.sh" > /dev/null 2>&1 || true
expect_failure test "SelfTestInjected.Fails" env RUSTYNET_ROOT="$t" RUSTYNET_TEST_PRESETS=ci RUSTYNET_TEST_REGEX=base_test \
  "$repo/scripts/ci/test.sh"

# 2 lint: a clang-tidy finding is an error (configure only, then tidy one file)
t=$(fresh_copy lint)
printf 'namespace rustynet::base {\nint BadlyNamedFunction() { return 0; }\n}  // namespace rustynet::base\n' >> "$t/libs/base/src/sys_error.cpp"
cmake --preset ci -S "$t" > /dev/null 2>&1 || (cd "$t" && cmake --preset ci > /dev/null 2>&1) || true
expect_failure lint "BadlyNamedFunction" env RUSTYNET_ROOT="$t" RUSTYNET_LINT_FILES=libs/base/src/sys_error.cpp \
  "$repo/scripts/ci/lint.sh"

echo "selftest: $passed passed, $failed failed"
((failed == 0))
