#!/bin/bash
# Names learnt over DNS/TCP, mDNS and LLMNR decide domain filters through
# wardd, and the log says where each name came from (name_src).
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
command -v dig >/dev/null || wk_skip_all "no dig (dnsutils)"
command -v dnsmasq >/dev/null || wk_skip_all "no dnsmasq"
command -v python3 >/dev/null || wk_skip_all "no python3"
. "$(dirname "$0")/../kernel/wardd.sh"
RESP=$(cd "$(dirname "$0")/../kernel" && pwd)/nameresp.py
ward_policy <<CONF
set mode ask
set no-prompter pass
filter "no-bad-tcp" layer connect-out weight 100 hard block domain "bad.tcp.test"
filter "no-nas" layer connect-out weight 100 hard block domain "nas"
filter "no-printer" layer connect-out weight 100 hard block domain "printer.local"
CONF
wk_in_a ip route add 224.0.0.0/4 dev wka$WK_ID
wk_in_b ip route add 224.0.0.0/4 dev wkb$WK_ID
wk_bg dns nsenter --net=/run/netns/$NS_B dnsmasq -k -C /dev/null -p 53 --listen-address=$IP_B \
    --bind-interfaces --no-resolv --no-hosts --user=root --pid-file= --address=/#/$IP_B \
    --local-ttl=60 --log-facility=-
wk_bg mdns nsenter --net=/run/netns/$NS_B python3 "$RESP" 5353 224.0.0.251 $IP_B $IP_B
wk_bg llmnr nsenter --net=/run/netns/$NS_B python3 "$RESP" 5355 224.0.0.252 $IP_B $IP_B
serve_b 20
for l in mdns llmnr; do wk_wait_for "$WK_TMP/$l.log" listening; done
wk_wait_for "$WK_TMP/dns.log" started 20
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
P=$WK_TMP/other/wk-client
logged() { "$WARD" log --json | grep "\"domain\":\"$1\"" | grep connect-out | grep -q "$2"; }

tcp() { wk_client /usr/bin/dig +tcp +short +time=8 +tries=1 @$IP_B "$1"; }
wk_check "dig +tcp through wardd: answered" [ "$(tcp shop.tcp.test)" = "$IP_B" ]
wk_check "connect to the name learnt over TCP: allowed" [ "$(conn "$P" 5)" = ok ]
wk_check "log: the name and its source (dns-tcp)" wk_eventually 20 logged shop.tcp.test '"name_src":"dns-tcp"'
wk_check "ward log says where the name came from" \
    wk_eventually 20 bash -c "'$WARD' log | grep -q '(shop.tcp.test from dns-tcp)'"
id=$("$WARD" log --json | grep '"domain":"shop.tcp.test"' | grep connect-out | head -1 |
    sed 's/.*"seq":\([0-9]*\).*/\1/')
wk_check "ward explain --log names the source too" \
    bash -c "'$WARD' explain --log '$id' | grep -q '(shop.tcp.test from dns-tcp)'"
tcp bad.tcp.test >/dev/null
wk_check "a domain filter decides on a name learnt over TCP" [ "$(conn "$P" 5)" != ok ]
wk_check "... logged blocked with its filter and source" \
    logged bad.tcp.test 'no-bad-tcp.*"name_src":"dns-tcp"\|"name_src":"dns-tcp".*no-bad-tcp'

ask() { wk_client /usr/bin/python3 "$RESP" ask "$@"; }
wk_check "LLMNR through wardd: answered" [ "$(ask 5355 224.0.0.252 nas)" = "$IP_B" ]
wk_check "a domain filter decides on a name learnt over LLMNR" [ "$(conn "$P" 5)" != ok ]
wk_check "... logged with source llmnr" wk_eventually 20 logged nas '"name_src":"llmnr"'
wk_check "mDNS through wardd: answered" [ "$(ask 5353 224.0.0.251 printer.local)" = "$IP_B" ]
wk_check "a domain filter decides on a name learnt over mDNS" [ "$(conn "$P" 5)" != ok ]
wk_check "... logged with source mdns" wk_eventually 20 logged printer.local '"name_src":"mdns"'
stop_wardd wardd
no_sanitizer "wardd stopped with no sanitizer report" "$WK_TMP/wardd.log"
exit 0
