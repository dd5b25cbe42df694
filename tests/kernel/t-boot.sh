#!/bin/bash
# Boot-time ruleset: loaded before the driver exists; the driver takes over
# in one transaction, restarts (also after SIGKILL) replace the table in one
# transaction: a probe loop never sees a gap or a wrong verdict.
. "$(dirname "$0")/lib.sh"
wk_setup

wk_bg s1 nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080
wk_bg s2 nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 9999
for l in s1 s2; do wk_wait_for "$WK_TMP/$l.log" listening; done
printf '# boot-time filters\nout tcp dport 9999 counter reject with tcp reset\n' >"$WK_TMP/static.rules"
"$WK_KDRV" --boot-ruleset --static-rules "$WK_TMP/static.rules" >"$WK_TMP/boot.nft"
wk_check "boot ruleset loads (nft -f) in the test netns" wk_in_a nft -f "$WK_TMP/boot.nft"
unit=$(dirname "$0")/../../src/kernel/boot/ward-boot.service
wk_check "the boot unit is ordered before network-pre.target" \
    grep -q '^Before=network-pre.target' "$unit"

wk_bg p1 wk_in_a "$WK_CLIENT" probe tcp4 $IP_B 8080 9
wk_bg p2 wk_in_a "$WK_CLIENT" probe tcp4 $IP_B 9999 9
sleep 1.5
wk_driver --ask-mode deny --static-rules "$WK_TMP/static.rules" || wk_notok "driver starts"
sleep 1.5
kill -9 $WK_PID_kdrv
wait $WK_PID_kdrv 2>/dev/null
sleep 1
wk_driver --ask-mode deny --static-rules "$WK_TMP/static.rules" || wk_notok "driver restarts"
sleep 1.5
wk_stop_driver
wk_driver --ask-mode deny --static-rules "$WK_TMP/static.rules" || wk_notok "driver restarts"
wait $WK_PID_p1 $WK_PID_p2
sed 's/^/# port 8080 (allowed): /' "$WK_TMP/p1.log"
sed 's/^/# port 9999 (boot-time block): /' "$WK_TMP/p2.log"
wk_check "hand-overs under probing: every probe to the allowed port passed" \
    grep -qE 'probe ok=[1-9][0-9]* eperm=0 other=0' "$WK_TMP/p1.log"
wk_check "hand-overs under probing: every probe to the blocked port was refused" \
    grep -qE 'probe ok=0 eperm=0 other=[1-9]' "$WK_TMP/p2.log"
wk_check "the blocked port's server never saw a connection" \
    [ "$(grep -c '^conn' "$WK_TMP/s2.log")" -eq 0 ]
wk_stop_driver
exit 0
