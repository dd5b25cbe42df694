#!/bin/bash
# DNS through wardd: a name answered by a trusted DNS answer is known before
# the connect that uses it (the log shows it), and a domain filter in the
# policy's dns layer blocks a name.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
command -v dig >/dev/null || wk_skip_all "no dig (dnsutils)"
. "$(dirname "$0")/../kernel/wardd.sh"
ward_policy <<CONF
set mode ask
set no-prompter pass
filter "no-ads" layer dns weight 100 hard block domain "*.ads.test"
CONF
wk_bg dns nsenter --net=/run/netns/$NS_B "$WK_CLIENT" dns-server 53 $IP_B
serve_b 20
wk_wait_for "$WK_TMP/dns.log" listening
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }

ans=$(wk_client /usr/bin/dig +short +time=8 +tries=1 @$IP_B shop.example.test)
wk_check "a name is answered through wardd" [ "$ans" = "$IP_B" ]
wk_check "the connection to its address is allowed" \
    [ "$(wk_client "$WK_TMP/other/wk-client" tcp4 $IP_B 8080 5)" = ok ]
wk_check "the log names the connection's remote by the DNS answer" \
    wk_eventually 20 bash -c "'$WARD' log --json | grep '\"domain\":\"shop.example.test\"' | grep -q connect-out"
wk_check "the allowed answer is logged too (layer dns)" \
    wk_eventually 20 bash -c "'$WARD' log --verdict permit --json | grep '\"domain\":\"shop.example.test\"' | grep -q '\"layer\":\"dns\"'"
ans=$(wk_client /usr/bin/dig +short +time=2 +tries=1 @$IP_B tracker.ads.test)
wk_check "a name the dns layer blocks gets no answer" bash -c "! grep -qx '$IP_B' <<<'$ans'"
wk_check "the blocked name is logged with its filter" \
    wk_eventually 20 bash -c "'$WARD' log --verdict block --json | grep '\"domain\":\"tracker.ads.test\"' | grep -q no-ads"
exit 0
