#!/bin/bash
# DNS over TCP/53 teaches names like UDP: an answer segment holding a whole
# message goes through user space, matched to its query, and a blocked
# domain's answer is dropped. The resolver is dnsmasq in the peer namespace.
. "$(dirname "$0")/lib.sh"
wk_setup
command -v dig >/dev/null || wk_skip_all "no dig (dnsutils)"
command -v dnsmasq >/dev/null || wk_skip_all "no dnsmasq"

wk_bg dns nsenter --net=/run/netns/$NS_B dnsmasq -k -C /dev/null -p 53 --listen-address=$IP_B \
    --bind-interfaces --no-resolv --no-hosts --user=root --pid-file= --address=/#/$IP_B --log-facility=-
wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 2
wk_wait_for "$WK_TMP/srv.log" listening
wk_wait_for "$WK_TMP/dns.log" started
mkfifo "$WK_TMP/ctl"
wk_driver --ask-mode hold --control "$WK_TMP/ctl" --dns-block bad.example ||
    { wk_notok "driver starts"; exit 1; }
dig_tcp() { nsenter --net=/run/netns/$NS_A dig +tcp +short +time=2 +tries=1 @$IP_B "$1" A 2>&1; }

wk_check "dig +tcp: the answer reaches the client" [ "$(dig_tcp www.tcp.example)" = "$IP_B" ]
wk_check "the TCP answer went through user space, matched its query (trusted)" \
    grep -q "dns answer qname=www.tcp.example .*trusted=1 addrs=$IP_B -> allow" "$WK_TMP/kdrv.log"
Q=$WK_TMP/asked/wk-client
wk_bg c1 wk_client "$Q" tcp4 $IP_B 8080 20
wk_check "the next connect is held with the name learnt over TCP" \
    wk_wait_for "$WK_TMP/kdrv.log" "remote=$IP_B:8080 domain=www.tcp.example .*-> hold" 20
echo allow >"$WK_TMP/ctl"
wait $WK_PID_c1
wk_check "then allowed, it completes" grep -qx ok "$WK_TMP/c1.log"

wk_check "blocked domain over TCP: the client gets no address" \
    sh -c "! nsenter --net=/run/netns/$NS_A dig +tcp +short +time=2 +tries=1 @$IP_B bad.example A | grep -qx $IP_B"
wk_check "blocked domain over TCP: dropped in user space" \
    grep -q "dns answer qname=bad.example .*-> deny" "$WK_TMP/kdrv.log"
wk_check "UDP still works beside it" \
    [ "$(nsenter --net=/run/netns/$NS_A dig +short +time=2 +tries=1 @$IP_B udp.example A)" = "$IP_B" ]
wk_stop_driver
sed 's/^/# /' "$WK_TMP/kdrv.log" | grep -v libxtables
exit 0
