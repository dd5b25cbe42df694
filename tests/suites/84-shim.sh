#!/bin/bash
# libward-shim.so, the user-mode layer (docs/SHIM.md): the shim in real
# programs (curl, python3, nc) with wardd and the kernel hooks, and
# `ward shim` (tests/shim/t-*.sh), as TAP.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
run_scripts tests/shim/t-*.sh
