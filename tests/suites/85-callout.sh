#!/bin/bash
# The callout platform: the API's unit tests (six results, arbitration, flow
# contexts, shared objects loaded, refused, crashing, hanging) and wardd end
# to end with callouts (tests/callout/t-*.sh), as TAP.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
rc=0
echo "# test_callout"
"$WARD_BUILD"/tests/test_callout 2>&1 | sed -E "s/^(not ok|ok) ([0-9]+) - /\1 \2 - test_callout: /" || rc=1
shopt -s nullglob
scripts=(tests/callout/t-*.sh)
if [ ${#scripts[@]} -gt 0 ]; then
    run_scripts "${scripts[@]}" || rc=1
fi
exit $rc
