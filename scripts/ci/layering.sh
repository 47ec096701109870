#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Gate (spec section 3, P1-02/P1-AT-02): the include graph of libs/ and apps/ only uses edges allowed
# by cmake/layering.txt. The link graph is checked by cmake/Layering.cmake at configure time (build gate).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
python3 "$RUSTYNET_ROOT/scripts/ci/check_includes.py" "$RUSTYNET_ROOT" || gate_fail "forbidden include edge (see above)"
