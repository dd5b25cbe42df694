#!/bin/bash
# libward-shim.so, the user-mode layer (docs/SHIM.md): the shim in real
# programs (curl, python3, nc) with wardd and the kernel hooks, and
# `ward shim` (tests/shim/t-*.sh); the question's checks (test_shimwire); as TAP.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
rc=0
echo "# test_shimwire"
"$WARD_BUILD/tests/test_shimwire" 2>&1 | sed -E "s/^(not ok|ok) ([0-9]+) - /\1 \2 - test_shimwire: /" || rc=1
run_scripts tests/shim/t-*.sh || rc=1
exit $rc
