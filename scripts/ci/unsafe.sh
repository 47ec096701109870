#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate 8 (spec 7.8, "no unsafe"): banned constructs outside the reviewed allowlist.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
python3 "$RUSTYNET_ROOT/scripts/ci/check_unsafe.py" "$RUSTYNET_ROOT" || gate_fail "banned constructs (see above)"
