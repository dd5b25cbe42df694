#!/bin/bash
# Deny rules in the kernel and traffic to the host itself, through wardd:
#   - a program under "deny out any" gets EPERM at connect() (the hook's
#     DENY, no trip through the queue) ...
#   - ... but reaches the host itself (loopback and its own addresses, also
#     one added while wardd runs: rtnetlink) with "set self-traffic pass";
#   - with "set self-traffic rules" its rules apply there too; a program
#     without rules still reaches the host unasked; self traffic decided by
#     wardd's rules is logged.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
O=$WK_TMP/other/wk-client
Q=$WK_TMP/asked/wk-client
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
policy() {
    cat >"$WK_TMP/etc/ward.conf" <<CONF
set mode ask
set no-prompter block
set self-traffic $1
app "$D" {
    deny out any
}
app "$O" {
    deny out tcp port 8081 to loopback
}
CONF
    chmod 644 "$WK_TMP/etc/ward.conf"
}
policy pass
wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080
wk_bg local nsenter --net=/run/netns/$NS_A "$WK_CLIENT" listen-tcp 8081
wk_wait_for "$WK_TMP/srv.log" listening
wk_wait_for "$WK_TMP/local.log" listening
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }

out=$(wk_client "$D" tcp4 $IP_B 8080 3)
wk_check "deny out any: EPERM at connect, in the kernel (got '$out')" [ "$out" = "err EPERM" ]
out=$(wk_client "$D" udp-sendto $IP_B 8080 3)
wk_check "deny out any: EPERM at sendto (got '$out')" [ "$out" = "err EPERM" ]
out=$(wk_client "$D" tcp4 127.0.0.1 8081 3)
wk_check "self-traffic pass: it reaches loopback (got '$out')" [ "$out" = ok ]
out=$(wk_client "$D" tcp4 $IP_A 8081 3)
wk_check "self-traffic pass: it reaches the host's own address $IP_A (got '$out')" [ "$out" = ok ]
wk_in_a ip addr add 10.79.0.1/32 dev lo
ok=""
for _ in $(seq 200); do
    out=$(wk_client "$D" tcp4 10.79.0.1 8081 3)
    [ "$out" = ok ] && ok=1 && break
    sleep 0.1
done
wk_check "an address added while wardd runs is the host's at once (rtnetlink; got '$out')" \
    [ -n "$ok" ]
wk_in_a ip addr del 10.79.0.1/32 dev lo
gone=""
for _ in $(seq 200); do
    # Not the host's any more: the address is routed out, and refused.
    wk_in_a ip route replace 10.79.0.1/32 via $IP_B 2>/dev/null
    out=$(wk_client "$D" tcp4 10.79.0.1 8081 3)
    [ "$out" = "err EPERM" ] && gone=1 && break
    sleep 0.1
done
wk_check "an address removed is no longer the host's (got '$out')" [ -n "$gone" ]

policy rules
wk_check "ward reload takes 'set self-traffic rules'" "$WARD" reload
# In force once the kernel's tables have it: the first refusal is waited for.
refuses_lo() { out=$(wk_client "$D" tcp4 127.0.0.1 8081 3); [ "$out" = "err EPERM" ]; }
wk_eventually 20 refuses_lo
wk_check "self-traffic rules: deny out any refuses loopback, EPERM (got '$out')" \
    [ "$out" = "err EPERM" ]
out=$(wk_client "$D" tcp4 $IP_A 8081 3)
wk_check "self-traffic rules: and the host's own address (got '$out')" [ "$out" = "err EPERM" ]
out=$(wk_client "$Q" tcp4 127.0.0.1 8081 3)
wk_check "self-traffic rules: a program without rules reaches the host unasked (got '$out')" \
    [ "$out" = ok ]
out=$(wk_client "$O" tcp4 127.0.0.1 8081 3)
wk_check "self-traffic rules: a rule wardd decides refuses loopback (got '$out')" \
    [ "$out" != ok ]
wk_check "wardd logged that refusal by the rule" \
    bash -c "\"$WARD\" log --program '$O' --json | grep -q '\"verdict\":\"block\".*\"reason\":\"app-rule\"'"

stop_wardd wardd
no_sanitizer "wardd runs without a sanitizer report" "$WK_TMP/wardd.log"
exit 0
