#!/bin/bash
# ward top's alerts view: a port scan from the peer namespace becomes an
# alert on the event ring, and ward top shows it with its detector and count.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
. "$(dirname "$0")/lib-top.sh"

ward_policy <<CONF
set mode ask
set no-prompter block
set unattributed block
set alert portscan 10/30s
CONF
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
top_start main || { wk_notok "ward top starts"; exit 1; }
wk_check "ward top reads the live event ring" screen_wait main "events: live"
keys main 5
for port in $(seq 7001 7015); do
    wk_in_b "$WK_CLIENT" tcp4 $IP_A "$port" 2 >/dev/null
done
wk_check "alerts view: the port scan shows, with its detector" \
    screen_wait main "ALERT .*from $IP_B|portscan from $IP_B"
wk_check "alerts view: ... and what it counted" screen_wait main "portscan.*: [0-9]+ counted"
save main top-alerts-scan
wk_check "ward top quits" top_quit main
stop_wardd wardd
no_sanitizer "ward top and wardd ran without a sanitizer report" "$WK_TMP"/wardd.log \
    $(ls "$WK_TMP"/asan/* 2>/dev/null) /dev/null
exit 0
