#!/bin/bash
# `ward top`'s domain scopes: a prompt about a connection whose name wardd
# knows from a trusted DNS answer is answered "allow, *.domain, forever":
# ward top adds the learned rule for the name's parent domain and lets the
# waiting connection through; the rule is listed and decides the next one.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
command -v dig >/dev/null || wk_skip_all "no dig (dnsutils)"
. "$(dirname "$0")/../kernel/wardd.sh"
. "$(dirname "$0")/lib-top.sh"

ward_policy <<CONF
set mode ask
set prompt-timeout 60s default deny
app "/usr/bin/dig" {
    allow out udp port 53
}
CONF
wk_bg dns nsenter --net=/run/netns/$NS_B "$WK_CLIENT" dns-server 53 $IP_B
serve_b 20
wk_wait_for "$WK_TMP/dns.log" listening
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
top_start main || { wk_notok "ward top starts"; exit 1; }
screen_wait main "connected \(admin\)" >/dev/null

ans=$(wk_client /usr/bin/dig +short +time=8 +tries=1 @$IP_B shop.example.test)
wk_check "the name is answered through wardd" [ "$ans" = "$IP_B" ]
wk_bg c1 wk_client "$O" tcp4 $IP_B 8080 50
wk_check "the prompt shows the destination's name" \
    screen_wait main "prompt [0-9]+ +$O .*to $IP_B \(shop.example.test\) port 8080"
keys main 2 a w f
wk_check "answer form: allow, *.domain, forever" \
    screen_wait main "answer prompt [0-9]+: ALLOW, \*.domain, forever"
keys main Enter
wait "$WK_PID_c1" 2>/dev/null
wk_check "the waiting connection went through" grep -qx ok "$WK_TMP/c1.log"
wk_check "the rule for *.example.test is in force, learned" \
    bash -c "'$WARD' rules list --provider learned | grep '$O' | grep -q 'example.test'"
wk_check "... and written to the learned rules" grep -q '"\*.example.test"' "$WK_TMP/state/learned.rules"
keys main 3
wk_check "rules view: the domain rule is listed" \
    screen_wait main "$O +allow out tcp domain \"\*.example.test\""
save main top-domain-rule
wk_check "the next connection to the name passes without a prompt" [ "$(conn "$O" 5)" = ok ]
wk_check "ward top quits" top_quit main
stop_wardd wardd
no_sanitizer "ward top and wardd ran without a sanitizer report" "$WK_TMP"/wardd.log \
    $(ls "$WK_TMP"/asan/* 2>/dev/null) /dev/null
exit 0
