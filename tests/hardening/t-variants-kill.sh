#!/bin/bash
# wardd SIGKILLed while a program with a deny rule sends over TCP and UDP,
# IPv4 and IPv6: in fail-closed mode nothing of it may reach the peer while
# wardd is down; in fail-open mode what passes is counted and printed (the
# queue's bypass lets queued traffic through: that is what fail-open means).
# After a restart, nothing passes in either mode.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib-variants.sh"

for mode in closed open; do
    hv_policy $mode
    hv_wardd || { wk_notok "$mode: wardd starts"; continue; }
    c0=$(hv_counts)
    hv_storm 2
    hv_storm_wait
    c1=$(hv_counts) n1=$(hv_conns)
    echo "# fail-$mode, wardd running: $(hv_diff "$c0" "$c1")"
    wk_check "fail-$mode: with wardd running, the denied program sends nothing (tcp/udp, v4/v6)" \
        [ "$(hv_sum "$c0" "$c1")" -eq 0 ]
    hv_kill
    hv_storm 3
    hv_storm_wait
    c2=$(hv_counts) n2=$(hv_conns)
    echo "# fail-$mode, wardd killed (3 s): leaked $(hv_diff "$c1" "$c2") packets, $((n2 - n1)) TCP connections accepted"
    if [ $mode = closed ]; then
        wk_check "fail-closed: wardd killed, 0 packets of the denied program leak ($(hv_diff "$c1" "$c2"))" \
            [ "$(hv_sum "$c1" "$c2")" -eq 0 ]
    else
        # A deny rule is compiled into the kernel (EPERM at the hook), so
        # the queue's bypass with wardd gone does not let it out.
        wk_check "fail-open: wardd killed, the program with a deny rule is still refused ($(hv_diff "$c1" "$c2"))" \
            [ "$(hv_sum "$c1" "$c2")" -eq 0 ]
        # What fail-open is for: a program wardd would have asked about passes.
        hv_storm 2 "$WK_TMP/other/wk-client"
        hv_storm_wait
        c2b=$(hv_counts) n2b=$(hv_conns)
        echo "# fail-open, wardd killed (2 s): an unknown program sent $(hv_diff "$c2" "$c2b") packets, $((n2b - n2)) TCP connections accepted"
        wk_check "fail-open: wardd killed, an unknown program's traffic passes ($(hv_diff "$c2" "$c2b"))" \
            [ "$(hv_sum "$c2" "$c2b")" -gt 0 ]
        c2=$c2b
    fi
    hv_wardd || wk_notok "$mode: wardd restarts"
    c3=$(hv_counts)
    hv_storm 2
    hv_storm_wait
    c4=$(hv_counts)
    echo "# fail-$mode, wardd restarted: $(hv_diff "$c3" "$c4")"
    wk_check "fail-$mode: after the restart, 0 packets leak ($(hv_diff "$c3" "$c4"))" \
        [ "$(hv_sum "$c3" "$c4")" -eq 0 ]
    hv_stop
    # The kernel objects outlive wardd: remove them before the other mode.
    wk_in_a nft delete table inet ward 2>/dev/null
done
no_sanitizer "wardd ran without a sanitizer report" "$WK_TMP"/wardd*.log
exit 0
