#!/bin/bash
# ICMP, raw and packet sockets decided per program, through the real wardd:
# a program whose rules allow icmp pings from a ping socket and from a raw
# socket; one whose rules deny it gets EPERM and a log row naming it; an
# unknown program's ping is held and asked with its real path and pid; a
# raw socket of an allowed protocol cannot send another one (IP_HDRINCL);
# a packet socket is logged with its program, and alerted when denied.
# Real pings and datagrams, replies and arrivals counted.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"

ward_policy <<CONF
set mode ask
set prompt-timeout 20s default deny
set no-prompter block
set unattributed block
app "$A" {
    allow out icmp
    allow out icmp6
    allow out proto 2
}
app "$D" {
    deny out icmp
    deny out icmp6
    allow out tcp
}
app "$O" {
    allow out icmp port 8
}
CONF
wk_in_a sysctl -qw net.ipv4.ping_group_range="0 2147483647"
wk_bg udp nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-udp 5300
wk_wait_for "$WK_TMP/udp.log" listening
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
silent p0 # a prompter is registered: unknown programs are asked
# rows PROGRAM VERDICT PROTO: log rows of PROGRAM with that verdict and protocol.
rows() {
    "$WARD" log --program "$1" --verdict "$2" --json 2>/dev/null | grep -c "\"proto\":$3,"
}
# logged PROGRAM VERDICT PROTO [WHAT]: such a row arrives (the hooks' ring is
# read on wardd's clock); WHAT must be in it too.
logged() {
    local i
    for i in $(seq 200); do
        "$WARD" log --program "$1" --verdict "$2" --json 2>/dev/null |
            grep "\"proto\":$3," | grep -q -- "${4:-}" && return 0
        sleep 0.1
    done
    return 1
}

# Allowed: ping sockets and raw sockets of the protocols its rules name.
out=$(wk_client "$A" ping $IP_B 5)
echo "# allowed, ping socket: $out"
wk_check "allow out icmp: a ping socket gets its echo replies" grep -q "replies=5" <<<"$out"
out=$(wk_client "$A" rawping $IP_B 3)
echo "# allowed, raw ICMP socket: $out"
wk_check "allow out icmp: a raw ICMP socket is allowed and gets its echo replies" \
    grep -q "socket=OK .*replies=3" <<<"$out"
out=$(wk_client "$A" rawping $IP6_B 3)
echo "# allowed, raw ICMPv6 socket: $out"
wk_check "allow out icmp6: a raw ICMPv6 socket is allowed and gets its echo replies" \
    grep -q "socket=OK .*replies=3" <<<"$out"
wk_check "allow out proto 2: a raw IGMP socket is allowed" \
    [ "$(wk_client "$A" rawsock 4 2)" = ok ]
wk_check "... a raw socket of a protocol its rules do not name is refused (EPERM)" \
    [ "$(wk_client "$A" rawsock 4 47)" = "err EPERM" ]
wk_check "the raw socket allowed is in the log (permit, raw-socket, the program)" \
    logged "$A" permit 1 raw-socket
b=$(grep -c '^dgram' "$WK_TMP/udp.log")
out=$(wk_client "$A" hdrincl $IP_B 5300)
sleep 0.5
a=$(grep -c '^dgram' "$WK_TMP/udp.log")
echo "# allowed icmp, UDP written through IP_HDRINCL: $out; datagrams arrived: $((a - b))"
wk_check "a raw ICMP socket cannot send UDP it writes itself (EPERM, nothing arrives)" \
    bash -c "[ '$out' = 'err EPERM' ] && [ $a -eq $b ]"

# By ICMP type (the port of an icmp rule): echo requests only. The socket's
# birth is denied (no type yet): its echoes are judged at egress by type.
out=$(wk_client "$O" ping $IP_B 3)
echo "# allowed icmp port 8 only: $out"
wk_check "allow out icmp port 8: the echo requests of a ping socket pass" \
    grep -q "replies=3" <<<"$out"
wk_check "... and are logged as permitted (type 8) with the program" logged "$O" permit 1 '"rport":8,'
wk_check "... but not a raw ICMP socket (other types)" \
    grep -q "socket=ERR EPERM" <<<"$(wk_client "$O" rawping $IP_B 1)"

# Denied: EPERM, and a row naming the program.
out=$(wk_client "$D" ping $IP_B 5)
echo "# denied, ping socket: $out"
wk_check "deny out icmp: the ping socket's echoes fail with EPERM, no reply" \
    grep -q "eperm=5 other=0 replies=0" <<<"$out"
wk_check "... and the log names the program (block, icmp, the peer)" logged "$D" block 1 "$IP_B"
out=$(wk_client "$D" ping $IP6_B 5)
echo "# denied, ping6 socket: $out"
# The IPv6 ping path drops the error of its output (ping_v6_sendmsg): the
# echo is dropped all the same, but sendto() reports success.
wk_check "deny out icmp6: the ping6 socket's echoes do not leave, no reply" \
    grep -q "socket=OK .*replies=0" <<<"$out"
wk_check "... and the log names the program (block, icmpv6, the peer)" logged "$D" block 58 "$IP6_B"
out=$(wk_client "$D" rawping $IP_B 1)
echo "# denied, raw ICMP socket: $out"
wk_check "deny out icmp: a raw ICMP socket is refused (EPERM)" grep -q "socket=ERR EPERM" <<<"$out"
wk_check "... logged as a refused raw socket of the program" logged "$D" block 1 raw-socket
wk_check "a raw IGMP socket of a program whose rules do not name it is refused" \
    [ "$(wk_client "$D" rawsock 4 2)" = "err EPERM" ]

# Unknown: held and asked, with the program's own path and pid.
mkdir -p "$WK_TMP/newping"
cp /usr/bin/ping "$WK_TMP/newping/ping"
P=$WK_TMP/newping/ping
wk_signal TERM p0
prompter p1 --answer allow --duration once --count 2
wk_client sh -c "echo \$\$ >'$WK_TMP/ping.pid'; exec '$P' -c1 -W10 $IP_B" >"$WK_TMP/ping.out" 2>&1
rc=$?
sed 's/^/# ping: /' "$WK_TMP/ping.out" | head -3
wk_check "an unknown program's ping is held, asked, allowed and answered (exit $rc)" [ $rc -eq 0 ]
wk_check "the prompt names the program" grep -q "program:  $P\$" "$WK_TMP/p1.log"
wk_check "the prompt names its pid ($(cat "$WK_TMP/ping.pid"))" \
    grep -q "pid:      $(cat "$WK_TMP/ping.pid")\$" "$WK_TMP/p1.log"
wk_client sh -c "echo \$\$ >'$WK_TMP/ping6.pid'; exec '$P' -6 -c1 -W10 $IP6_B" >"$WK_TMP/ping6.out" 2>&1
rc=$?
wk_check "... and over IPv6 (exit $rc), its pid in the prompt" \
    bash -c "[ $rc -eq 0 ] && grep -q 'pid:      $(cat "$WK_TMP/ping6.pid")\$' '$WK_TMP/p1.log'"
finish p1 20
wk_check "the answer is logged with the program and its pid" \
    bash -c "\"$WARD\" log --program '$P' --verdict permit --json | grep -q '\"pid\":$(cat "$WK_TMP/ping.pid"),'"
sed -n '/--- prompt/,/^to:/p' "$WK_TMP/p1.log" | sed 's/^/# prompt: /' | head -7

# AF_PACKET: no cgroup hook runs for packet sockets and BPF-LSM / fentry
# do not load here (docs/KERNEL.md, "Packet sockets"): a tracepoint at
# socket(2)'s exit reports each one, so the program is logged, and alerted
# when its rules do not give it raw access.
# alerted PROGRAM: wardd raised the packet socket alert naming PROGRAM.
alerted() {
    local i
    for i in $(seq 200); do
        "$WARD" log --program "$1" --json 2>/dev/null | grep '"kind":"alert"' |
            grep -q '"filter":"packet-socket-not-allowed"' && return 0
        sleep 0.1
    done
    return 1
}
wk_check "a status field says what is done with packet sockets (logged)" \
    bash -c "'$WARD' status --json | grep -q '\"packet_sockets\":\"logged\"'"
out=$(wk_client "$D" packet)
echo "# denied program, packet socket: $out"
wk_check "a packet socket made by a program is logged: permit, its path, packet-socket" \
    logged "$D" permit 0 "packet-socket: not enforceable here"
wk_check "... with the pid of the process that made it" \
    wk_eventually 20 bash -c "'$WARD' log --program '$D' --verdict permit --json | grep 'packet-socket' | grep -q '\"pid\":[1-9]'"
wk_check "... and, its rules not allowing raw access, an alert naming the program" alerted "$D"
grep "alert: packet-socket" "$WK_TMP/wardd.log" | head -1 | sed 's/^/# wardd: /'
wk_todo "a packet socket (AF_PACKET) of a denied program is refused" \
    "no hook that can refuse it loads here" [ "$out" = "err EPERM" ]

stop_wardd wardd
no_sanitizer "wardd runs without a sanitizer report" "$WK_TMP/wardd.log"
exit 0
