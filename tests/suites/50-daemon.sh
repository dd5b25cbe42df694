#!/bin/bash
# wardd end to end in network namespaces (tests/daemon/t-*.sh), as TAP.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
run_scripts tests/daemon/t-*.sh
