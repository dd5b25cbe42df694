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
more() { [ "$(peer)" -gt "$1" ]; }
no_prompt() { [ "$(status prompts_pending)" = 0 ]; }
# marked [ADDR]: one datagram of the allowed program, waited for at the peer:
# what was sent before it (on the same path) has arrived by then. Counts 1.
marked() {
    local m
    m=$(peer)
    wk_client "$A" "$([[ ${1:-$IP_B} == *:* ]] && echo udp6-sendto || echo udp-sendto)" "${1:-$IP_B}" 9000 2 >/dev/null
    wk_eventually 20 more "$m"
}

# The control: the allowed program hands its socket to a copy of itself
# (the same executable), which may send.
out=$(wk_client "$A" handover scm "$A" $IP_B 9000 5)
wk_eventually 20 more 4
got=$(peer)
echo "# allowed -> allowed: $out; peer got $got"
wk_check "the allowed program's own socket, handed to itself, sends (peer got $got of 5)" \
    [ "$got" = 5 ]

for how in scm exec; do
    before=$(peer)
    out=$(wk_client "$A" handover $how "$D" $IP_B 9000 $N)
    marked
    got=$(($(peer) - before - 1))
    echo "# allowed -> denied ($how): $out; peer got $got of $N"
    wk_check "0 of $N datagrams of the denied program through a handed socket ($how) reach the peer (got $got)" \
        [ "$got" = 0 ]
done

# A program with no ALLOW entry of its own (no rules: asked) that gets the
# socket is asked, not refused: the prompt names it (not the program that
# made the socket), its datagram waits for the answer, an allow sends it on,
# a deny does not.
keyed px
asked() { # asked HOW PROG ANSWER-KEYS [ADDR]: the peer's count before the answer, after it
    local how=$1 prog=$2 keys=$3 addr=${4:-$IP_B} before at after i
    before=$(peer)
    : >"$WK_TMP/px.log.mark"
        # One datagram, and the program stays while asked about: only the
    # held copy can arrive.
    wk_bg "ho$how" wk_client "$A" handover "$how" "$prog" "$addr" 9000 1 6
    if ! wk_wait_for "$WK_TMP/px.log" "program:  $prog" 20; then
        echo "- -"
        tail -n 12 "$WK_TMP/px.log" "$WK_TMP/ho$how.log" | sed 's/^/# /' >&2
        return
    fi
    marked "$addr" # what would leave without the answer has left by now
    at=$(peer)
    before=$((before + 1))
    printf '%s' "$keys" >&8
    if [ "${keys:0:1}" = a ]; then
        wk_eventually 20 more "$at" # the held datagram, sent on
        after=$(peer)
    else
        # The deny is applied once no prompt waits; then nothing may follow.
        wk_eventually 20 no_prompt
        marked "$addr"
        after=$(($(peer) - 1))
    fi
    echo "$((at - before)) $((after - at))"
}
r=$(asked scm "$Q" $'a\n\no\n')
echo "# handed to an asked program (scm), allowed: before the answer, after it: $r"
wk_check "handed to a program without rules: the prompt names it, nothing leaves before the answer ($r)" \
    [ "${r%% *}" = 0 ]
wk_check "... the allow answer sends the held datagram on: it arrives ($r)" [ "${r##* }" = 1 ]
wk_check "... and the log names the receiving program" \
    wk_eventually 20 bash -c "'$WARD' log --program '$Q' --json | grep -q '\"verdict\":\"permit\"'"
R=$WK_TMP/asked6/wk-client
mkdir -p "$WK_TMP/asked6" && cp "$WK_CLIENT" "$R"
r=$(asked scm "$R" $'a\n\no\n' $IP6_B)
echo "# handed to an asked program (scm, IPv6), allowed: before the answer, after it: $r"
wk_check "IPv6: handed to a program without rules, asked: nothing leaves before the answer ($r)" \
    [ "${r%% *}" = 0 ]
wk_check "IPv6: ... the allow answer sends the held datagram on: it arrives ($r)" [ "${r##* }" = 1 ]
r=$(asked exec "$O" $'d\n\no\n')
echo "# handed to an asked program (exec), denied: before the answer, after it: $r"
wk_check "handed (exec) to a program without rules: asked, nothing leaves before the answer ($r)" \
    [ "${r%% *}" = 0 ]
wk_check "... the deny answer: nothing arrives ($r)" [ "${r##* }" = 0 ]

stop_wardd wardd
no_sanitizer "wardd runs without a sanitizer report" "$WK_TMP/wardd.log"
exit 0
