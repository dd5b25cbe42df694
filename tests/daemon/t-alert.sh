#!/bin/bash
# A port scan from the peer namespace: each probe is refused by wardd, and
# the scan becomes one alert in the log, on the event ring and in wardd's log.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
ward_policy <<CONF
set mode ask
set no-prompter block
set unattributed block
set alert portscan 10/30s
CONF
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
wk_bg w "$WARD" watch --count 40
watching w
open=0
for port in $(seq 7001 7015); do
    [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_A "$port" 2)" = ok ] && open=$((open + 1))
done
wk_check "every probe of the scan is refused" [ "$open" -eq 0 ]
wk_check "the scan raises an alert in wardd's log" \
    wk_wait_for "$WK_TMP/wardd.log" "alert: portscan from $IP_B" 20
wk_check "the alert is on the event ring" wk_wait_for "$WK_TMP/w.log" "ALERT portscan from $IP_B" 20
wk_check "the alert is in the connection log" \
    wk_eventually 20 bash -c "'$WARD' log --json | grep -q '\"kind\":\"alert\"'"
wk_check "one scan, one alert (the cooldown holds the rest)" \
    [ "$(grep -c 'alert: portscan' "$WK_TMP/wardd.log")" -eq 1 ]
exit 0
