#!/bin/bash
# A program held by the hooks (unknown: its datagrams go to wardd, which
# blocks them with no prompter) clears SO_MARK before each sendto(). The
# mark was what nft held; enforcement now rests on the socket's state in
# the kernel (sk storage written by the hooks), which the program cannot
# change. Real datagrams through wardd, counted at the peer.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
refuse_denied_policy
Q=$WK_TMP/asked/wk-client
N=100

# Can a program without capabilities clear the mark? (SO_MARK needs
# CAP_NET_RAW or CAP_NET_ADMIN in the socket's network namespace.)
unpriv=$(wk_client setpriv --reuid=65534 --regid=65534 --clear-groups "$Q" somark $IP_B 9 1)
echo "# unprivileged: $unpriv"
wk_check "a program without capabilities cannot clear SO_MARK" grep -q 'setmark=ERR' <<<"$unpriv"

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-udp 9000
wk_wait_for "$WK_TMP/srv.log" listening
start_wardd wardd || { wk_notok "wardd starts"; cat $WK_TMP/wardd.log; exit 1; }

out=$(wk_client "$Q" somark $IP_B 9000 $N)
sleep 1
got=$(grep -c '^dgram' "$WK_TMP/srv.log")
echo "# root program clearing SO_MARK before each of $N datagrams: $out; the peer got $got"
wk_check "a root program can clear SO_MARK (the attack is real)" grep -q 'setmark=OK' <<<"$out"
wk_check "0 of $N datagrams with the mark cleared reach the peer (got $got)" [ "$got" = 0 ]

# The same program without the trick is held and refused as before.
out=$(wk_client "$Q" udp-sendto $IP_B 9000 2)
sleep 1
got=$(grep -c '^dgram' "$WK_TMP/srv.log")
wk_check "its plain datagrams are still held and refused (peer got $got)" [ "$got" = 0 ]

stop_wardd wardd
no_sanitizer "wardd runs without a sanitizer report" "$WK_TMP/wardd.log"
exit 0
