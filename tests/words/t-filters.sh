#!/bin/bash
# Filters, the WFP model (docs/POLICY.md, "Providers and sublayers",
# "Filters"): every part and condition on real traffic through wardd, and
# the layers and callouts wardd refuses, refused at file:line:col.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
for i in $(seq 1 30); do eval "F$i=\$(prog f$i)"; done
mkdir -p "$WK_TMP/p/globbed"
cp "$WK_CLIENT" "$WK_TMP/p/globbed/wk-client"
G=$WK_TMP/p/globbed/wk-client
SHA=$(sha256sum "$F11" | cut -d' ' -f1)
# Time windows around now (wardd and date(1) share the local time zone).
days=(sun mon tue wed thu fri sat)
dow=$(date +%w)
today=${days[$dow]}
other=${days[$(((dow + 3) % 7))]}
if [ "$dow" -ge 1 ] && [ "$dow" -le 5 ]; then inwk=weekdays outwk=weekends; else
    inwk=weekends outwk=weekdays
fi
h=$((10#$(date +%H)))
later=$(printf '%02d:00-%02d:00' $(((h + 2) % 24)) $(((h + 3) % 24)))
# Inbound: listeners of programs of their own in A, in the test cgroup.
for p in 7071 7072 7073; do
    wk_bg in$p wk_client "$(prog lst$p)" listen-tcp $p
    wk_wait_for "$WK_TMP/in$p.log" listening
done
ip netns exec "$NS_A" true 2>/dev/null # (unused: nsenter is used throughout)
wk_in_a sysctl -qw net.ipv4.ping_group_range="0 2147483647"
CGNAME=/$(basename "$WK_CG")
pol <<CONF
set mode ask
set no-prompter block
set unattributed block
provider "fleet"
sublayer "corp" weight 0x9000
sublayer low weight 0x100
filter "f1" layer outbound hard permit app "$F1" tcp port 8080
filter "w-hi" layer outbound weight 20 block app "$F2"
filter "w-lo" layer outbound weight 10 hard permit app "$F2"
filter "w-hi3" layer outbound weight 20 hard permit app "$F3"
filter "w-lo3" layer outbound weight 10 block app "$F3"
filter "soft" layer outbound soft block app "$F4" tcp
filter "hard" layer outbound hard block app "$F5" tcp
filter "corp" layer outbound sublayer corp provider fleet weight 20 hard permit app "$F6" tcp to lan port { 8080, 8081 }
filter "learned" layer outbound provider learned sublayer admin hard permit app "$F7"
filter "blk" layer outbound hard block app "$F8" tcp port 8080
filter "udp" layer outbound hard permit app "$F9" udp
filter "p6" layer outbound hard permit app "$F9" proto 6 port 9090
filter "glob" layer outbound hard permit app "$WK_TMP/p/glob*/wk-client"
filter "sha" layer outbound hard permit app "$F11" sha256 $SHA
filter "cmd" layer outbound hard permit cmdline "* 8080 *" app "$F12"
filter "uid" layer outbound hard permit user 65534 app "$F13"
filter "gid" layer outbound hard permit group { 65534 } app "$F14"
filter "notroot" layer outbound hard permit user ! { 0, 1000-1999 } app "$F15"
filter "cg" layer outbound hard permit cgroup "$CGNAME" app "$F16"
filter "if" layer outbound hard permit iface { wka$WK_ID, lo } app "$F17"
filter "daily" layer outbound hard permit app "$F18" daily
filter "today" layer outbound hard permit app "$F19" mon,$today
filter "other" layer outbound hard permit app "$F20" $other
filter "inwk" layer outbound hard permit app "$F21" $inwk 00:00-24:00
filter "outwk" layer outbound hard permit app "$F22" $outwk
filter "later" layer outbound hard permit app "$F23" daily $later
filter "boot" layer outbound weight 1000 hard permit tcp to lan port 8082 boot
filter "lowsub" layer outbound sublayer low permit app "$F25"
filter "from" layer outbound hard permit app "$F26" from 10.77.0.0/24 port 1024-65535 to port 8080
filter "alias" layer connect-out hard permit app "$F28" tcp
filter "in1" layer inbound weight 10 hard permit tcp to port 7071
filter "in3" layer inbound hard permit tcp to port 7073 from 10.77.0.0/24
filter "ping" layer outbound hard permit icmp icmp-type 8 app "/usr/bin/ping"
filter "ping6" layer outbound hard permit icmp6 icmp-type 128 app "/usr/bin/ping"
filter "noecho" layer outbound hard block icmp icmp-type 8 app "$F27"
app "$F4" {
    allow out tcp
}
app "$F5" {
    allow out tcp
}
app "$F8" {
    allow out tcp
}
app "$F25" {
    deny out any
}
CONF
start_wardd || { wk_notok "wardd starts"; sed 's/^/# /' "$WD_LOG"; exit 1; }

# words: filter layer outbound permit app tcp port
passes "permit: a filter lets its program out" "$F1" tcp4 $IP_B 8080
refused "permit: its conditions bound it (another port: no-prompter block)" "$F1" tcp4 $IP_B 9090
# words: weight block
refused "weight: the heavier filter (block 20) wins over permit 10" "$F2" tcp4 $IP_B 8080
passes "weight: the heavier filter (permit 20) wins over block 10" "$F3" tcp4 $IP_B 8080
# words: soft hard
passes "soft: a soft admin block is overridden by the program's allow rule" "$F4" tcp4 $IP_B 8080
refused "hard: a hard admin block stands over the program's allow rule" "$F5" tcp4 $IP_B 8080
refused "block: a hard block filter refuses its port" "$F8" tcp4 $IP_B 8080
passes "block: ... and only its port" "$F8" tcp4 $IP_B 9090
# words: sublayer provider admin learned
passes "sublayer corp + provider fleet: its permit lets the program out" "$F6" tcp4 $IP_B 8081
refused "... bounded by its ports" "$F6" tcp4 $IP_B 9090
passes "provider learned in sublayer admin: its permit holds" "$F7" tcp4 $IP_B 8080
# ENGINE.md: a soft block (the program's deny) is overridden by a lower permit.
passes "a permit in a sublayer under the applications one overrides the program's soft deny" "$F25" tcp4 $IP_B 8080
# words: proto udp
wk_check "udp: a udp filter lets the datagram out" udp_arrives "$F9" $IP_B
passes "proto 6: a filter by protocol number" "$F9" tcp4 $IP_B 9090
refused "proto 6 ... port 9090: not another port" "$F9" tcp4 $IP_B 8080
passes "app glob: a path pattern names the program" "$G" tcp4 $IP_B 8080
# words: sha256 cmdline user group cgroup iface
passes "sha256: a filter on the program's digest holds" "$F11" tcp4 $IP_B 8080
passes "cmdline: a glob on the command line holds" "$F12" tcp4 $IP_B 8080
refused "cmdline: another command line does not" "$F12" tcp4 $IP_B 9090
asnobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
wk_check "user: a filter on the uid holds for that user" \
    [ "$(wk_client setpriv --reuid 65534 --regid 65534 --clear-groups "$F13" tcp4 $IP_B 8080 4)" = ok ]
refused "user: ... not for root" "$F13" tcp4 $IP_B 8080
wk_check "group: a filter on the gid holds for that group" \
    [ "$(wk_client setpriv --reuid 65534 --regid 65534 --clear-groups "$F14" tcp4 $IP_B 8080 4)" = ok ]
refused "group: ... not for root's group" "$F14" tcp4 $IP_B 8080
wk_check "user ! { 0, 1000-1999 }: holds for nobody" \
    [ "$(wk_client setpriv --reuid 65534 --regid 65534 --clear-groups "$F15" tcp4 $IP_B 8080 4)" = ok ]
refused "user ! { 0, ... }: not for root" "$F15" tcp4 $IP_B 8080
wk_check "cgroup: a filter on the client's cgroup holds" \
    [ "$(conn "$F16" tcp4 $IP_B 8080)" = ok ]
wk_check "iface: a filter on the outgoing interface holds" \
    [ "$(conn "$F17" tcp4 $IP_B 8080)" = ok ]
# words: daily weekdays weekends mon wed fri sat
passes "daily: a daily filter holds now" "$F18" tcp4 $IP_B 8080
passes "days: 'mon,$today' holds today" "$F19" tcp4 $IP_B 8080
refused "days: '$other' does not hold today" "$F20" tcp4 $IP_B 8080
passes "$inwk 00:00-24:00 holds today" "$F21" tcp4 $IP_B 8080
refused "$outwk does not hold today" "$F22" tcp4 $IP_B 8080
refused "daily $later (not now) does not hold" "$F23" tcp4 $IP_B 8080
# words: boot
passes "boot: a boot filter is in force while wardd runs (a program with no rules)" "$F24" tcp4 $IP_B 8082
wk_check "boot: the boot filter is in the kernel's static chain" \
    bash -c "nsenter --net=/run/netns/$NS_A nft list chain inet ward static_out | grep -qE \"accept|static_permit\""
# words: from
passes "from ADDR port P: the local side of an outbound filter" "$F26" tcp4 $IP_B 8080
refused "from: another local address (11.77.0.1) does not hold" "$F26" tcp4 $IP_NET_B 8080
# words: inbound
wk_check "inbound: a hard permit lets the peer reach a listener" \
    [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_A 7071 4)" = ok ]
wk_check "inbound: a listener no filter permits is refused" \
    [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_A 7072 4)" != ok ]
wk_check "inbound from 10.77.0.0/24: the peer's lan address gets in" \
    [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_A 7073 4)" = ok ]
wk_check "inbound from: another source (11.77.0.2) does not" \
    [ "$(wk_in_b "$WK_CLIENT" tcp4 $IP_NET_A 7073 4)" != ok ]
# words: icmp icmp6 icmp-type
pingok() { wk_client "$@" >"$WK_TMP/ping.out" 2>&1; }
export -f pingok wk_client
export WK_CG NS_A WK_TMP
wk_check "icmp icmp-type 8: a permitted ping gets its echo" \
    pingok /usr/bin/ping -c1 -W2 $IP_B
wk_check "icmp6 icmp-type 128: a permitted ping -6 gets its echo" \
    pingok /usr/bin/ping -6 -c1 -W2 $IP6_B
sed 's/^/# ping: /' "$WK_TMP/ping.out" | head -3
cp /usr/bin/ping "$WK_TMP/p/f27/ping" 2>/dev/null
sed -i "s|app \"$F27\"|app \"$WK_TMP/p/f27/ping\"|" "$WK_TMP/etc/ward.conf"
"$WARD" reload >/dev/null 2>&1
wk_check "icmp-type 8 hard block: the ping is refused" bash -c "! pingok '$WK_TMP/p/f27/ping' -c1 -W2 $IP_B"

# The parser's other spellings (not in docs/POLICY.md): the engine's layer
# names, more protocol names, the other days.
# words: connect-out connect accept accept-in igmp gre esp sctp ipv6-icmp tue thu sun
passes "layer connect-out (the engine's name for outbound)" "$F28" tcp4 $IP_B 8080
accepts "layer connect / accept / accept-in, protocols igmp gre esp sctp ipv6-icmp, tue thu sun" <<'CONF'
filter "a" layer connect hard permit tcp port 1 tue
filter "b" layer accept hard permit udp port 2 thu
filter "c" layer accept-in hard permit tcp port 3 sun
filter "d" layer outbound block proto { igmp, gre, esp, sctp, ipv6-icmp }
CONF

# words: bind packet-in packet-out callout dns
rejects "layer bind is refused (wardd decides no such layer)" 'ward.conf:1:[0-9]+' \
    <<<'filter "x" layer bind block tcp port 22'
rejects "layer packet-in is refused" 'ward.conf:1:[0-9]+' <<<'filter "x" layer packet-in block tcp'
rejects "layer packet-out is refused" 'ward.conf:1:[0-9]+' <<<'filter "x" layer packet-out block tcp'
rejects "a callout wardd does not register is refused" 'ward.conf:1:[0-9]+' \
    <<<'filter "x" layer outbound callout nosuch tcp'
rejects "two actions are refused" 'ward.conf:1:[0-9]+' <<<'filter "x" permit block tcp'
rejects "a condition its layer does not offer (icmp-type on dns)" 'ward.conf:1:[0-9]+' \
    <<<'filter "x" layer dns block icmp-type 8'
rejects "weight beyond 0xffffffff" 'ward.conf:1:[0-9]+' <<<'filter "x" weight 0x100000000 block'
rejects "an unknown sublayer" 'ward.conf:1:[0-9]+' <<<'filter "x" sublayer nosuch block'
rejects "an unknown provider" 'ward.conf:1:[0-9]+' <<<'filter "x" provider nosuch block'
rejects "a sha256 that is not 64 hex digits" 'ward.conf:1:[0-9]+' <<<'filter "x" sha256 1234 block'
rejects "hours beyond 24:00" 'ward.conf:1:[0-9]+' <<<'filter "x" block daily 08:00-25:00'
stop_wardd
sanitizer_clean
exit 0
