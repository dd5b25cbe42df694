#!/bin/bash
# The callout platform: the API's unit tests (six results, arbitration, flow
# contexts, shared objects loaded, refused, crashing, hanging; the dnsfilter
# blocklist and its fuzzer; limits, quotas and the accounting callout; the
# stream layer; urlfilter and its parsers) and wardd end to end with callouts
# (tests/callout/t-*.sh), as TAP.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
rc=0
for t in test_callout test_dnsfilter test_stream test_limits test_urlfilter; do
    echo "# $t"
    "$WARD_BUILD/tests/$t" 2>&1 | sed -E "s/^(not ok|ok) ([0-9]+) - /\1 \2 - $t: /" || rc=1
done
# The blocklist parser's fuzzer, as the fuzz suites run theirs.
(. tests/suites/fuzz.lib && fuzz_run dnsfilter -max_len=4096) || rc=1
shopt -s nullglob
scripts=(tests/callout/t-*.sh)
if [ ${#scripts[@]} -gt 0 ]; then
    run_scripts "${scripts[@]}" || rc=1
fi
exit $rc
