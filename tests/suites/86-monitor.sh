#!/bin/bash
# Process and file monitoring (docs/MONITOR.md): wardd end to end in network
# namespaces (tests/monitor/t-*.sh), as TAP.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
shopt -s nullglob
scripts=(tests/monitor/t-*.sh)
[ ${#scripts[@]} -gt 0 ] || exit 0
run_scripts "${scripts[@]}"
