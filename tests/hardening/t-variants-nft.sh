#!/bin/bash
# `nft flush table inet ward` in wardd's namespace while a program with a
# deny rule sends over TCP and UDP, IPv4 and IPv6, in fail-closed and in
# fail-open mode (where the egress backstop is off): wardd repairs the
# table; what reached the peer in the repair window and after it is counted.
# After the repair nothing may pass.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib-variants.sh"
table() { wk_in_a nft list table inet ward 2>/dev/null; }
# repaired: the hold chain queues again (20 s at most).
repaired() {
    local i
    for ((i = 0; i < 200; i++)); do
        wk_in_a nft list chain inet ward hold 2>/dev/null | grep -qi queue && return 0
        sleep 0.1
    done
    return 1
}

for mode in closed open; do
    hv_policy $mode
    hv_wardd || { wk_notok "$mode: wardd starts"; continue; }
    c0=$(hv_counts)
    hv_storm 4
    sleep 1
    c1=$(hv_counts) n1=$(hv_conns)
    wk_in_a nft flush table inet ward
    wk_check "fail-$mode: the flushed table is repaired" repaired
    c2=$(wk_settled hv_counts) n2=$(hv_conns) # once what was in flight has landed
    hv_storm_wait
    c3=$(hv_counts)
    echo "# fail-$mode, before the flush: $(hv_diff "$c0" "$c1")"
    echo "# fail-$mode, flush to repair: leaked $(hv_diff "$c1" "$c2") packets, $((n2 - n1)) TCP connections accepted"
    echo "# fail-$mode, after the repair: leaked $(hv_diff "$c2" "$c3")"
    wk_check "fail-$mode: 0 packets before the flush" [ "$(hv_sum "$c0" "$c1")" -eq 0 ]
    wk_check "fail-$mode: 0 packets leak after the repair ($(hv_diff "$c2" "$c3"))" \
        [ "$(hv_sum "$c2" "$c3")" -eq 0 ]
    if [ $mode = closed ]; then
        wk_check "fail-closed: 0 packets leak in the repair window (backstop; $(hv_diff "$c1" "$c2"))" \
            [ "$(hv_sum "$c1" "$c2")" -eq 0 ]
    fi
    wk_check "fail-$mode: wardd raised an alert" wk_wait_for "$HV_LOG" "alert: nft-tampered"
    hv_stop
    wk_in_a nft delete table inet ward 2>/dev/null
done
no_sanitizer "wardd ran without a sanitizer report" "$WK_TMP"/wardd*.log
exit 0
