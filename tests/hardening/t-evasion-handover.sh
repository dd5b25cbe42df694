#!/bin/bash
# A UDP socket made and connected by an allowed program, then handed to a
# denied one: over a unix socket (SCM_RIGHTS) or kept across exec. A
# connected socket's send() runs no hook, so the judgement must follow the
# sending task: the egress program judges a datagram by the executable of
# the task sending it. Real datagrams through wardd, counted at the peer.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
A=$WK_TMP/allowed/wk-client
refuse_denied_policy
cat >>"$WK_TMP/etc/ward.conf" <<CONF
app "$A" {
    allow out udp port 9000
}
CONF
N=100

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-udp 9000
wk_wait_for "$WK_TMP/srv.log" listening
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
peer() { grep -c '^dgram' "$WK_TMP/srv.log"; }

# The control: the allowed program hands its socket to a copy of itself
# (the same executable), which may send.
out=$(wk_client "$A" handover scm "$A" $IP_B 9000 5)
sleep 1
got=$(peer)
echo "# allowed -> allowed: $out; peer got $got"
wk_check "the allowed program's own socket, handed to itself, sends (peer got $got of 5)" \
    [ "$got" = 5 ]

for how in scm exec; do
    before=$(peer)
    out=$(wk_client "$A" handover $how "$D" $IP_B 9000 $N)
    sleep 1
    got=$(($(peer) - before))
    echo "# allowed -> denied ($how): $out; peer got $got of $N"
    wk_check "0 of $N datagrams of the denied program through a handed socket ($how) reach the peer (got $got)" \
        [ "$got" = 0 ]
done

stop_wardd wardd
no_sanitizer "wardd runs without a sanitizer report" "$WK_TMP/wardd.log"
exit 0
