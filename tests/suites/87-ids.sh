#!/bin/bash
# Intrusion detection: the library's unit tests (every option of the rule
# subset, errors, reassembly, the starter rules) and the scripts of
# tests/ids (signed updates over HTTP in a test namespace), as TAP. The
# parser's and the reassembler's fuzzers are suites 43 and 44.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
rc=0
echo "# test_ids"
"$WARD_BUILD/tests/test_ids" 2>&1 | sed -E "s/^(not ok|ok) ([0-9]+) - /\1 \2 - test_ids: /" || rc=1
shopt -s nullglob
scripts=(tests/ids/t-*.sh)
if [ ${#scripts[@]} -gt 0 ]; then
    run_scripts "${scripts[@]}" || rc=1
fi
exit $rc
