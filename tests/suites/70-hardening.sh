#!/bin/bash
# Ward under attack (tests/hardening/t-*.sh): identity spoofs, disarming the
# hooks or the nft table, stalling wardd, leaks of data. Each script runs in
# network namespaces and a cgroup of its own and prints TAP. One sequence.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
run_scripts tests/hardening/t-*.sh
