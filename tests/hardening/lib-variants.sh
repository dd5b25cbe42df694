# tests/hardening/lib-variants.sh — the attacks of t-hooks/t-nft/
# t-lost-decisions again over IPv6, UDP and fail-open mode (sourced after
# tests/kernel/lib.sh and wk_setup).
#
# wardd runs in netns A; "$D" has a deny rule for everything. What reaches
# netns B is counted by nft counters in B's input hook (B's own table, in
# B's namespace), one per variant: tcp4, tcp6 (port 8080), udp4, udp6 (port
# 5300), from A's addresses. A leak is a packet of a variant arriving.
# wardd is started and stopped as every kernel test does (tests/kernel/wardd.sh).
. "$(dirname "${BASH_SOURCE[0]}")/../kernel/wardd.sh"
VARIANTS="tcp4 tcp6 udp4 udp6"

# hv_policy MODE [EXTRA]: fail-mode MODE, the denied program, EXTRA lines.
hv_policy() {
    ward_policy <<CONF
set mode ask
set no-prompter block
set unattributed block
set fail-mode $1
${2:-}
app "$D" {
    deny out any
}
CONF
}
# hv_wardd: a new wardd (its log: $HV_LOG); hv_kill: SIGKILL; hv_stop: SIGTERM.
HV_N=0
hv_wardd() {
    HV_N=$((HV_N + 1))
    HV_LOG=$WK_TMP/wardd$HV_N.log
    start_wardd "wardd$HV_N"
}
hv_kill() { kill9_wardd "wardd$HV_N"; }
hv_stop() { stop_wardd "wardd$HV_N"; }

# The peers and the counters in B.
wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 6
wk_bg usrv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-udp 5300
wk_wait_for "$WK_TMP/srv.log" listening
wk_wait_for "$WK_TMP/usrv.log" listening
wk_in_b nft -f - <<NFT || exit 1
table inet leaks {
    counter tcp4 { }
    counter tcp6 { }
    counter udp4 { }
    counter udp6 { }
    chain in {
        type filter hook input priority -300; policy accept;
        ip saddr $IP_A tcp dport 8080 counter name tcp4
        ip6 saddr $IP6_A tcp dport 8080 counter name tcp6
        ip saddr $IP_A udp dport 5300 counter name udp4
        ip6 saddr $IP6_A udp dport 5300 counter name udp6
    }
}
NFT
# hv_count VARIANT: packets of that variant that reached B so far.
hv_count() {
    wk_in_b nft list counter inet leaks "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
# hv_counts: "tcp4 tcp6 udp4 udp6" counts on one line.
hv_counts() {
    local v out=""
    for v in $VARIANTS; do out+="$(hv_count $v) "; done
    echo $out
}
# hv_diff "BEFORE" "AFTER": per-variant differences, "v=N ..." and the sum.
hv_diff() {
    local -a a=($1) b=($2)
    local i s=0 out="" v=($VARIANTS)
    for i in 0 1 2 3; do
        out+="${v[$i]}=$((b[i] - a[i])) "
        s=$((s + b[i] - a[i]))
    done
    echo "$out(total $s)"
}
hv_sum() { local -a a=($1) b=($2); echo $((b[0] + b[1] + b[2] + b[3] - a[0] - a[1] - a[2] - a[3])); }

# hv_mode VARIANT: the test client's mode and address for a variant.
hv_args() {
    case $1 in
    tcp4) echo "tcp4 $IP_B 8080" ;;
    tcp6) echo "tcp6 $IP6_B 8080" ;;
    udp4) echo "udp-sendto $IP_B 5300" ;;
    udp6) echo "udp6-sendto $IP6_B 5300" ;;
    esac
}
# hv_storm SECONDS [PROG]: every variant at once, in a loop, for SECONDS;
# the attempts are in $WK_TMP/storm_VARIANT.log.
hv_storm() {
    local v
    for v in $VARIANTS; do
        # shellcheck disable=SC2046
        wk_bg storm_$v wk_client "${2:-$D}" probe $(hv_args $v) "$1"
    done
}
hv_storm_wait() {
    local v
    for v in $VARIANTS; do eval "wait \$WK_PID_storm_$v 2>/dev/null"; done
    for v in $VARIANTS; do echo "# $v: $(cat "$WK_TMP/storm_$v.log")"; done
}
# hv_conns: TCP connections the peer accepted (v4 and v6) so far.
hv_conns() { grep -c '^conn' "$WK_TMP/srv.log"; }
