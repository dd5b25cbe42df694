#!/bin/bash
# Every word of the policy language on real traffic through wardd
# (tests/words/t-*.sh), and the coverage check: every keyword of
# docs/POLICY.md is named by a test, here or in a script another suite runs
# (tests/words/elsewhere; tests/words/coverage.sh). One TAP sequence;
# "# TODO" lines are known gaps.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
run_scripts tests/words/t-*.sh tests/words/coverage.sh
