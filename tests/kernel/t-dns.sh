#!/bin/bash
# DNS answers pass through user space before the application sees them:
# the IP -> name map is filled before the connect that uses it, domains can
# be blocked, and an answer matching no outstanding query is dropped.
. "$(dirname "$0")/lib.sh"
wk_setup
command -v dig >/dev/null || wk_skip_all "no dig (dnsutils)"

wk_bg dns nsenter --net=/run/netns/$NS_B "$WK_CLIENT" dns-server 53 $IP_B
wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 6
wk_bg usrv nsenter --net=/run/netns/$NS_A "$WK_CLIENT" listen-udp 5555
for l in dns srv usrv; do wk_wait_for "$WK_TMP/$l.log" listening; done
mkfifo "$WK_TMP/ctl"
wk_driver --ask-mode hold --control "$WK_TMP/ctl" --dns-block bad.example \
    --dns-block '*.blocked.test' || { wk_notok "driver starts"; exit 1; }
dig_a() { nsenter --net=/run/netns/$NS_A dig +short +time=2 +tries=1 @$IP_B "$1" A 2>&1; }

wk_check "dns answer reaches the resolver client" [ "$(dig_a www.example.com)" = "$IP_B" ]
wk_check "the answer went through user space, matched its query (trusted)" \
    grep -q "dns answer qname=www.example.com .*trusted=1 addrs=$IP_B -> allow" "$WK_TMP/kdrv.log"
Q=$WK_TMP/asked/wk-client
wk_bg c1 wk_client "$Q" tcp4 $IP_B 8080 20
wk_check "the next connect to that address is held, its name already known" \
    wk_wait_for "$WK_TMP/kdrv.log" "remote=$IP_B:8080 domain=www.example.com .*-> hold" 20
echo allow >"$WK_TMP/ctl"
wait $WK_PID_c1
wk_check "then allowed, it completes" grep -qx ok "$WK_TMP/c1.log"

no_answer() { ! dig_a "$1" | grep -qx "$IP_B"; }
wk_check "blocked domain: the client gets no answer" no_answer bad.example
wk_check "blocked domain: dropped in user space" \
    grep -q "dns answer qname=bad.example .*-> deny" "$WK_TMP/kdrv.log"
wk_check "blocked wildcard (*.blocked.test): no answer" no_answer x.blocked.test
wk_check "a name outside the wildcard still resolves" [ "$(dig_a blocked.test)" = "$IP_B" ]

wk_in_b "$WK_CLIENT" dns-spoof $IP_B $IP_A 5555 >/dev/null
wk_check "unsolicited answer: not trusted, dropped" \
    wk_wait_for "$WK_TMP/kdrv.log" "qname=evilx.com .*trusted=0 .*drop" 20
sleep 0.5
wk_check "unsolicited answer: never delivered" [ "$(grep -c dgram "$WK_TMP/usrv.log")" -eq 0 ]
wk_bg c2 wk_client "$Q" tcp4 $IP_B 8080 20
wk_check "unsolicited answer: the name map was not changed by it" \
    wk_wait_for "$WK_TMP/kdrv.log" "id=.*remote=$IP_B:8080 domain=blocked.test .*-> hold" 20
echo deny >"$WK_TMP/ctl"
wait $WK_PID_c2
wk_stop_driver
sed 's/^/# /' "$WK_TMP/kdrv.log" | grep -v libxtables
exit 0
