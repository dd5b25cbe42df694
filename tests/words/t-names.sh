#!/bin/bash
# Zones, named lists, the built-in zones and includes (docs/POLICY.md,
# "Zones and named lists", "Includes") on real traffic through wardd.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
P1=$(prog p1) P2=$(prog p2) P3=$(prog p3) P4=$(prog p4) P5=$(prog p5) P6=$(prog p6)
P7=$(prog p7) P8=$(prog p8) P9=$(prog p9) P10=$(prog p10) P11=$(prog p11)
mkdir -p "$WK_TMP/etc/rules.d"
chmod 755 "$WK_TMP/etc/rules.d"
cat >"$WK_TMP/etc/rules.d/p9.rules" <<CONF
app "$P9" {
    allow out tcp port 9090
}
CONF
chmod 644 "$WK_TMP/etc/rules.d/p9.rules"
pol <<CONF
set mode ask
set no-prompter block
zone peer = { 10.77.0.2 }
zone both = { peer, $IP_NET_B }
ports web = { 8080, 8081 }
domains blocked = { "*.bad.test", "exact.test" }
filter "blocked" layer dns hard block domain \$blocked
filter "lo" layer outbound weight 5 hard block tcp app "$P8" to loopback
filter "self" layer outbound weight 5 hard block tcp app "$P8" to self
app "/usr/bin/dig" {
    allow out udp port 53
}
app "$P1" {
    allow out tcp port \$web to peer
}
app "$P2" {
    allow out tcp to both
}
app "$P3" {
    allow out tcp to lan
}
app "$P4" {
    allow out tcp to internet
}
app "$P5" {
    allow out tcp to any
}
app "$P6" {
    deny out tcp to any
    allow out any
}
app "$P7" {
    deny out udp to multicast
    allow out udp
}
filter "notlan" layer outbound hard permit tcp app "$P10" to ! lan
app "$P10" {
    deny out any
}
app "$P11" {
    allow out tcp to { 10.77.0.0/24, fd77::/64 } port 8080
}
include "rules.d/*.rules"
CONF
start_wardd || { wk_notok "wardd starts"; sed "s/^/# /" "$WD_LOG"; exit 1; }

# words: zone ports port to $web
passes "zone + ports: allowed to the zone on a listed port" "$P1" tcp4 $IP_B 8081
refused "zone + ports: a port not in the list is refused (opposite of the last rule)" "$P1" tcp4 $IP_B 9090
refused "zone: an address outside the zone is refused" "$P1" tcp4 $IP_NET_B 8080
passes "zone of zones: an address of the inner zone" "$P2" tcp4 $IP_B 9090
passes "zone of zones: the zone's own address" "$P2" tcp4 $IP_NET_B 9090
# words: lan internet any
passes "lan: a private address is lan" "$P3" tcp4 $IP_B 8080
passes "lan: fd77::/64 (fc00::/7) is lan" "$P3" tcp6 $IP6_B 8080
refused "lan: a public address is not" "$P3" tcp4 $IP_NET_B 8080
passes "internet: a public address is internet" "$P4" tcp4 $IP_NET_B 8080
refused "internet: a lan address is not" "$P4" tcp4 $IP_B 8080
passes "any: every address (lan)" "$P5" tcp4 $IP_B 8080
passes "any: every address (internet)" "$P5" tcp4 $IP_NET_B 8080
refused "deny ... to any: refused everywhere" "$P6" tcp4 $IP_NET_B 8080
refused "negation: a filter to ! lan does not hold for lan" "$P10" tcp4 $IP_B 8080
passes "negation: ... and permits the rest" "$P10" tcp4 $IP_NET_B 8080
passes "address list: an address of a listed prefix (v4)" "$P11" tcp4 $IP_B 8080
passes "address list: an address of a listed prefix (v6)" "$P11" tcp6 $IP6_B 8080
refused "address list: another address" "$P11" tcp4 $IP_NET_B 8080
# words: multicast udp
wk_client "$P7" udp-sendto 239.1.1.1 5300 2 >/dev/null 2>&1
wk_check "multicast: a datagram to 239.1.1.1 is blocked by 'deny out udp to multicast'" wk_eventually 20 logged "$P7" block
wk_check "multicast: unicast UDP of the same program is allowed" udp_arrives "$P7" $IP_B
# words: loopback self
wk_bg lo7070 wk_in_a "$WK_CLIENT" listen-tcp 7070
wk_wait_for "$WK_TMP/lo7070.log" listening
# A hard block filter holds for the host itself under either self-traffic
# setting: refused by the hook (EPERM), and logged as the filter's.
self_blocks() {
    local how=$1 out
    out=$(conn "$P8" tcp4 127.0.0.1 7070)
    wk_check "loopback ($how): a hard block filter to loopback refuses 127.0.0.1 ($out)" \
        grep -q "EPERM" <<<"$out"
    out=$(conn "$P8" tcp4 $IP_A 7070)
    wk_check "self ($how): a hard block filter to self refuses the host's own address ($out)" \
        grep -q "EPERM" <<<"$out"
    wk_check "loopback ($how): the filter is not for others: another program reaches 127.0.0.1" \
        [ "$(conn "$P5" tcp4 127.0.0.1 7070)" = ok ]
    wk_check "loopback ($how): the refusal is logged as the filter's" blocked_by_filter "$P8"
}
# blocked_by_filter PROG: the log soon holds a block of PROG by a filter.
blocked_by_filter() {
    local i
    for ((i = 0; i < 200; i++)); do
        "$WARD" log --program "$1" --verdict block --json 2>/dev/null | grep -q '"reason":"filter"' &&
            return 0
        sleep 0.1
    done
    "$WARD" log --program "$1" --json 2>&1 | sed 's/^/# /' | head -5
    return 1
}
self_blocks "self-traffic pass"
sed '1a set self-traffic rules' "$WK_TMP/etc/ward.conf" >"$WK_TMP/rules.conf"
pol <"$WK_TMP/rules.conf"
self_blocks "self-traffic rules"
# words: domains domain
ans=$(wk_client /usr/bin/dig +short +time=2 +tries=1 @$IP_B www.bad.test 2>&1)
wk_check "domains: a name under *.bad.test gets no answer" bash -c "! grep -qx '$IP_B' <<<'$ans'"
ans=$(wk_client /usr/bin/dig +short +time=2 +tries=1 @$IP_B bad.test 2>&1)
wk_check "domains: *.bad.test does not cover bad.test itself ($ans)" [ "$ans" = "$IP_B" ]
ans=$(wk_client /usr/bin/dig +short +time=2 +tries=1 @$IP_B EXACT.test. 2>&1)
wk_check "domains: an exact name, in any case and with a trailing dot" bash -c "! grep -qx '$IP_B' <<<'$ans'"
# words: include
passes "include: a rule of rules.d/*.rules decides" "$P9" tcp4 $IP_B 9090
refused "include: ... and its opposite holds" "$P9" tcp4 $IP_B 8080

rejects "app rules have no negation" 'ward.conf:2:[0-9]+' <<<$'app "/bin/x" {\n    allow out to ! lan\n}'
rejects "a built-in zone cannot be redefined" 'ward.conf:1:[0-9]+' <<<'zone lan = { 10.0.0.0/8 }'
rejects "a zone used before it is defined" 'ward.conf:1:[0-9]+' \
    <<<$'zone a = { b }\nzone b = { 10.0.0.0/8 }'
rejects "host bits beyond the prefix" 'ward.conf:1:[0-9]+' <<<'zone a = { 10.0.0.1/8 }'
rejects "a misspelt zone, with a suggestion" 'ward.conf:3:[0-9]+' \
    <<<$'zone office = { 10.0.0.0/8 }\napp "/bin/x" {\n    allow out to ofice\n}' 
rejects "a list mixing zones and addresses" 'ward.conf:2:[0-9]+' \
    <<<$'app "/bin/x" {\n    allow out to { lan, 10.0.0.1 }\n}'
rejects "an unknown named list" 'ward.conf:2:[0-9]+' <<<$'app "/bin/x" {\n    allow out port $nope\n}'
printf 'include "loop.rules"\n' >"$WK_TMP/etc/loop.rules"
chmod 644 "$WK_TMP/etc/loop.rules"
rejects "an include loop" 'loop.rules:1:[0-9]+' <<<'include "loop.rules"'
stop_wardd
sanitizer_clean
exit 0
