#!/bin/bash
# Intrusion detection of UDP and ICMP flows: outbound and inbound filters
# send them to the ids callout, whose rules see each packet alone (no
# reassembly) through the stream queue. A drop rule's datagram never
# reaches the receiver and the flow's clean datagrams still do; reject
# answers the sender with ICMP port unreachable; alerts name the program
# and pid; flow:to_server/to_client follow the first packet's direction,
# flow:established the first reply; dsize is the payload's size. Real
# traffic: a UDP client, one to a server under wardd (inbound), dig against
# a resolver, ping -p (IPv4 and IPv6).
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
command -v dig >/dev/null || wk_skip_all "no dig (dnsutils)"
command -v ping >/dev/null || wk_skip_all "no ping"
[ -x /usr/bin/python3 ] || wk_skip_all "no /usr/bin/python3"
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=$(readlink -f /usr/bin/python3)
DIG=$(readlink -f "$(command -v dig)")
PING=$(readlink -f "$(command -v ping)")
export WARD_IDS_DIR=$WK_TMP/ids
mkdir -p "$WARD_IDS_DIR"
chmod 755 "$WK_TMP"
cat >"$WARD_IDS_DIR/ids.rules" <<RULES
drop udp any any -> any 9001 (msg:"udp attack"; content:"UDP-EVIL"; classtype:attempted-admin; sid:9100101; rev:3;)
drop udp any any -> any 9002 (msg:"inbound udp attack"; flow:to_server; content:"UDP-IN-EVIL"; sid:9100111;)
reject udp any any -> any 9001 (msg:"udp refused"; content:"UDP-REJECT"; sid:9100102;)
alert udp any any -> any 9001 (msg:"to server"; flow:to_server; content:"BOTH-WAYS"; sid:9100103;)
alert udp any any <> any any (msg:"to client"; flow:to_client; content:"BOTH-WAYS"; sid:9100104;)
alert udp any 9001 -> any any (msg:"reply established"; flow:to_client,established; content:"OK"; threshold:type limit, track by_src, count 1, seconds 3600; sid:9100105;)
drop udp any any -> any 9001 (msg:"oversized datagram"; dsize:>1000; sid:9100106;)
drop udp any any -> any 53 (msg:"bad name asked"; content:"|04|evil|07|example"; nocase; sid:9100107;)
drop icmp any any -> any any (msg:"ping with a pattern"; content:"|de ad be ef|"; dsize:>40; sid:9100108;)
alert icmp any any -> any any (msg:"ping seen"; dsize:<100; threshold:type limit, track by_src, count 1, seconds 3600; sid:9100109;)
RULES
ward_policy <<CONF
set mode ask
set no-prompter block
filter "inspect-udp" layer outbound weight 50 proto udp to port 9001 callout ids
filter "inspect-dns" layer outbound weight 50 proto udp to port 53 callout ids
filter "inspect-in" layer inbound weight 50 proto udp to port 9002 callout ids
filter "inspect-ping" layer outbound weight 50 proto icmp callout ids
filter "inspect-ping6" layer outbound weight 50 proto icmp6 callout ids
app "$PY" {
    allow out udp
    allow in udp
}
app "$DIG" {
    allow out udp
}
app "$PING" {
    allow out icmp
    allow out icmp6
    allow out udp
}
CONF
RECV=$WK_TMP/received
: >"$RECV"
wk_bg recv nsenter --net=/run/netns/$NS_B "$PY" "$ROOT/tests/ids/recv.py" $IP_B 9001 "$RECV" udp
wk_wait_for "$WK_TMP/recv.log" listening || { wk_notok "the receiver starts"; exit 1; }
wk_bg dns nsenter --net=/run/netns/$NS_B "$WK_CLIENT" dns-server 53 $IP_B
wk_wait_for "$WK_TMP/dns.log" listening
# ping uses an ICMP socket (not a raw one, which the policy refuses) in A.
wk_in_a sysctl -qw net.ipv4.ping_group_range="0 2147483647"
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
wk_check "wardd loads the rules" wk_wait_for "$WK_TMP/wardd.log" "ids: 10 rules in force"
# A UDP server on A, under wardd, for the inbound layer.
RECV_IN=$WK_TMP/received-in
: >"$RECV_IN"
wk_bg recv_in wk_client "$PY" "$ROOT/tests/ids/recv.py" $IP_A 9002 "$RECV_IN" udp
wk_wait_for "$WK_TMP/recv_in.log" listening || wk_notok "the server on A starts"

# usend DATAGRAM...: one UDP socket, each datagram in turn; the answers
# ("OK", "refused" for ICMP port unreachable, "timeout"). usend_from NS
# ADDR PORT DATAGRAM...: the same from namespace NS.
usend() { usend_from "wk_client" $IP_B 9001 "$@"; }
usend_from() {
    $1 "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], int(sys.argv[2])))
out = []
for p in sys.argv[3:]:
    p = p.encode() if not p.startswith("x") else b"x" * int(p[1:])
    try:
        s.send(p)
        out.append(s.recv(200).decode().strip())
    except ConnectionRefusedError:
        out.append("refused")
    except socket.timeout:
        out.append("timeout")
print(" ".join(out))
' "${@:2}" 2>&1
}
log() { grep -c "alert: ids sid $1 " "$WK_TMP/wardd.log"; }

out=$(usend hello)
wk_check "a clean datagram passes ($out)" [ "$out" = OK ]
out=$(usend first UDP-EVIL after)
wk_check "a drop rule's datagram is dropped, the flow's others pass ($out)" \
    [ "$out" = "OK timeout OK" ]
wk_check "the receiver never saw the attack datagram" bash -c "! grep -q UDP-EVIL '$RECV'"
wk_check "... but what came before and after" grep -q "^after$" "$RECV"
wk_check "the drop is in wardd's log with sid, msg, program and pid" \
    grep -q "alert: ids sid 9100101 rev 3 \[drop\]: udp attack: $PY pid [1-9][0-9]* to $IP_B port 9001" \
    "$WK_TMP/wardd.log"
wk_check "... and in the connection log as an ids alert with the program" \
    wk_eventually 20 bash -c "'$WARD' log --json | grep '\"filter\":\"ids\"' | grep 'sid 9100101' | grep -q '\"exe\":\"$PY\"'"
out=$(usend UDP-REJECT)
wk_check "a reject rule answers ICMP port unreachable ($out)" [ "$out" = refused ]
wk_check "... the receiver never saw it" bash -c "! grep -q UDP-REJECT '$RECV'"
wk_check "... and it is logged" grep -q "alert: ids sid 9100102 rev 0 \[reject\]: udp refused" \
    "$WK_TMP/wardd.log"

out=$(usend BOTH-WAYS)
wk_check "flow:to_server matches the client's datagram, not to_client ($out)" \
    bash -c "[ $(log 9100103) = 1 ] && [ $(log 9100104) = 0 ]"
wk_check "flow:to_client,established matches the server's reply" [ "$(log 9100105)" = 1 ]

out=$(usend x1200 x900)
wk_check "dsize: a datagram of 1200 bytes is dropped, one of 900 passes ($out)" \
    [ "$out" = "timeout OK" ]
wk_check "... logged" grep -q "alert: ids sid 9100106 .*oversized datagram" "$WK_TMP/wardd.log"

# Inbound: B sends to the server on A; the rule sees B as the client.
out=$(usend_from wk_in_b $IP_A 9002 hello-in UDP-IN-EVIL after-in)
wk_check "inbound: the attack datagram is dropped, the others answered ($out)" \
    [ "$out" = "OK timeout OK" ]
wk_check "... the server on A never saw it" bash -c "! grep -q UDP-IN-EVIL '$RECV_IN'"
wk_check "... logged with the server's program" \
    grep -q "alert: ids sid 9100111 rev 0 \[drop\]: inbound udp attack: $PY pid [1-9][0-9]* from $IP_B port" \
    "$WK_TMP/wardd.log"

# DNS through the inspector: the query for a bad name never reaches the
# resolver; others are answered (and the DNS queue still checks them).
short() { wk_client "$DIG" +short +time=2 +tries=1 @$IP_B "$@" 2>&1; }
wk_check "dig: a clean name is answered" [ "$(short www.example.test)" = "$IP_B" ]
out=$(short www.evil.example.test)
wk_check "dig: a query naming evil.example is dropped ($(echo $out | head -c 60))" \
    bash -c "[ '$(echo $out)' != '$IP_B' ] && grep -q 'timed out' <<<'$out'"
wk_check "... logged with dig's path" \
    grep -q "alert: ids sid 9100107 rev 0 \[drop\]: bad name asked: $DIG pid [1-9]" "$WK_TMP/wardd.log"
wk_check "... and an inspected query still goes through the DNS layer (name learned)" \
    wk_eventually 20 bash -c "'$WARD' log --json | grep '\"layer\":\"dns\"' | grep -q '\"domain\":\"www.example.test\"'"

# ICMP: ping's payload with a pattern.
wk_client "$PING" -c 1 -W 2 -n $IP_B >"$WK_TMP/ping1" 2>&1
wk_check "a plain ping is answered" grep -q "1 received" "$WK_TMP/ping1"
wk_check "... and alerted by the ICMP rule with the program" \
    grep -q "alert: ids sid 9100109 rev 0 \[alert\]: ping seen: $PING pid [1-9][0-9]* to $IP_B (icmp)" \
    "$WK_TMP/wardd.log"
wk_client "$PING" -c 2 -W 2 -n -p deadbeef $IP_B >"$WK_TMP/ping2" 2>&1
wk_check "ping -p deadbeef is dropped" grep -q " 0 received" "$WK_TMP/ping2"
wk_check "... logged" grep -q "alert: ids sid 9100108 rev 0 \[drop\]: ping with a pattern" \
    "$WK_TMP/wardd.log"
wk_client "$PING" -6 -c 1 -W 2 -n $IP6_B >"$WK_TMP/ping3" 2>&1
wk_check "ping -6 is answered" grep -q "1 received" "$WK_TMP/ping3"
wk_client "$PING" -6 -c 2 -W 2 -n -p deadbeef $IP6_B >"$WK_TMP/ping4" 2>&1
wk_check "ping -6 -p deadbeef is dropped (icmp rules match ICMPv6)" grep -q " 0 received" "$WK_TMP/ping4"
"$WARD" status >"$WK_TMP/status" 2>&1
sed -n 's/^/# /; /^ids\|^stream/p' "$WK_TMP/status"
wk_check "ward status counts the flows and alerts" \
    grep -Eq "^ids: +10 rules; [1-9][0-9]* flows inspected, [1-9][0-9]* alerts" "$WK_TMP/status"
wk_check "wardd still runs" kill -0 "$WK_PID_wardd"
exit 0
