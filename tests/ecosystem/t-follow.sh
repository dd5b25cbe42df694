#!/bin/bash
# `ward log --follow --json`: the log's rows, then each new decision as it
# happens, once each, filtered like the log; it follows wardd across a
# restart.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
ward_policy <<CONF
set mode ask
set no-prompter block
set unattributed block
app "$A" {
    allow out tcp port 8080
}
app "$D" {
    deny out any
}
CONF
serve_b 1000
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
wk_check "a first connection before following" [ "$(conn "$D")" = "err EPERM" ]
wk_eventually 20 bash -c "'$WARD' log --json | grep -q '\"exe\":\"$D\"'" # in the log
wk_bg all "$WARD" log --follow --json
wk_bg denied "$WARD" log --follow --json --program "$D"
wk_bg text "$WARD" log --follow --verdict permit
for f in all denied text; do watching $f; done
wk_check "the log's rows come first" wk_wait_for "$WK_TMP/all.log" "\"exe\":\"$D\"" 20
wk_check "a new allowed connection" [ "$(conn "$A")" = ok ]
wk_check "a new refused connection" [ "$(wk_client "$D" tcp4 $IP_B 9001 2)" = "err EPERM" ]
wk_check "the new connections follow as JSON lines" wk_wait_for "$WK_TMP/all.log" '"rport":9001' 20
wk_check "every line is one JSON object" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    json.loads(l)' "$WK_TMP/all.log"
wk_check "each decision once (the log's and the ring's are not doubled)" \
    [ "$(grep -c "\"exe\":\"$D\"" "$WK_TMP/all.log")" -eq 2 ]
wk_check "--program filters live events" wk_eventually 20 bash -c \
    "grep -q '\"rport\":9001' '$WK_TMP/denied.log' && ! grep -q '\"exe\":\"$A\"' '$WK_TMP/denied.log'"
wk_check "--verdict filters live events; text has no row id yet" wk_eventually 20 bash -c \
    "grep -q '^-  *.*$A' '$WK_TMP/text.log' && ! grep -q '$D' '$WK_TMP/text.log'"
stop_wardd wardd
start_wardd wardd2 || { wk_notok "wardd starts again"; exit 1; }
# At once: the followers are still waiting to reconnect (they back off).
wk_check "after a restart" [ "$(wk_client "$D" tcp4 $IP_B 9002 2)" = "err EPERM" ]
wk_check "--follow follows the new run, from its first event" \
    wk_wait_for "$WK_TMP/all.log" '"rport":9002' 15
wk_check "... once" [ "$(grep -c '"rport":9002' "$WK_TMP/all.log")" -eq 1 ]
wk_check "--follow with --until or --gaps is a usage error" bash -c \
    "'$WARD' log --follow --gaps 2>/dev/null; [ \$? -eq 2 ] &&
     { '$WARD' log --follow --until 1h 2>/dev/null; [ \$? -eq 2 ]; }"
stop_wardd wardd2
exit 0
