# tests/words/lib.sh — one word of the policy at a time, on real traffic
# (sourced by tests/words/t-*.sh after tests/kernel/lib.sh and wk_setup).
#
# wardd runs in netns A with its hooks on the test cgroup; netns B holds the
# peers: TCP listeners on 8080, 8081 and 9090 (IPv4 and IPv6) and a UDP
# listener on 5300, each counting what reaches it, and a DNS server on 53.
# B also answers on 11.77.0.2, an address of the `internet` zone. Each test
# writes a policy (pol), reloads wardd and runs programs of its own (prog).
#
# Each test names the policy words it covers on a line "# words: ...";
# tests/words/elsewhere names those that a script of another suite covers;
# tests/words/coverage.sh checks that every word of docs/POLICY.md has one.
WARD=$WK_BUILD/bin/ward
WARDD=$WK_BUILD/bin/wardd
[ -x "$WARDD" ] || wk_skip_all "no $WARDD"
export WARD_SOCKET=$WK_TMP/run/control.sock
IP_NET_A=11.77.0.1
IP_NET_B=11.77.0.2
mkdir -p "$WK_TMP/etc" "$WK_TMP/p"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
wk_in_a ip addr add $IP_NET_A/24 dev wka$WK_ID
wk_in_b ip addr add $IP_NET_B/24 dev wkb$WK_ID
wk_in_a ip route add 224.0.0.0/4 dev wka$WK_ID

# prog NAME: a copy of the test client of its own (a program of its own).
prog() {
    mkdir -p "$WK_TMP/p/$1"
    [ -x "$WK_TMP/p/$1/wk-client" ] || cp "$WK_CLIENT" "$WK_TMP/p/$1/wk-client"
    echo "$WK_TMP/p/$1/wk-client"
}

# pol: the policy from stdin becomes ward.conf (and is reloaded if wardd runs).
pol() {
    cat >"$WK_TMP/etc/ward.conf"
    chmod 644 "$WK_TMP/etc/ward.conf"
    [ -S "$WARD_SOCKET" ] && [ -n "${WK_PID_wardd:-}" ] && kill -0 "$WK_PID_wardd" 2>/dev/null &&
        { "$WARD" reload >"$WK_TMP/reload.out" 2>&1 || { cat "$WK_TMP/reload.out" | sed 's/^/# /'; return 1; }; }
    return 0
}

# start_wardd [ARGS]: each start logs to $WK_TMP/warddN.log ($WD_LOG).
WD_N=0
start_wardd() {
    chmod 644 "$WK_TMP/etc/ward.conf"
    WD_N=$((WD_N + 1))
    WD_LOG=$WK_TMP/wardd$WD_N.log
    wk_bg wardd$WD_N nsenter --net=/run/netns/$NS_A "$WARDD" --foreground \
        --config "$WK_TMP/etc/ward.conf" --state-dir "$WK_TMP/state" --run-dir "$WK_TMP/run" \
        --cgroup "$WK_CG" --pin-dir "$WK_PIN" "$@"
    eval "WK_PID_wardd=\$WK_PID_wardd$WD_N"
    wk_wait_for "$WD_LOG" "ready" 30
}
stop_wardd() {
    kill -TERM "$WK_PID_wardd" 2>/dev/null
    wait "$WK_PID_wardd" 2>/dev/null
}
kill_wardd() {
    kill -9 "$WK_PID_wardd" 2>/dev/null
    wait "$WK_PID_wardd" 2>/dev/null
}

# The peers in B.
for p in 8080 8081 8082 9090; do
    wk_bg srv$p nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp $p 6
done
wk_bg udp5300 nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-udp 5300
wk_bg dns nsenter --net=/run/netns/$NS_B "$WK_CLIENT" dns-server 53 $IP_B
for l in srv8080 srv8081 srv8082 srv9090 udp5300 dns; do wk_wait_for "$WK_TMP/$l.log" listening; done

# conn PROG MODE ADDR PORT [SECONDS]: "ok" or "err ..." from the client.
conn() { wk_client "$1" "$2" "$3" "$4" "${5:-4}" 2>&1; }
# passes/refused NAME PROG MODE ADDR PORT: a TCP test case.
# (passes waits up to 15 s for the connect: what must pass may be slow.)
passes() { local n=$1; shift; wk_check "$n" [ "$(conn "$1" "$2" "$3" "$4" "${5:-15}")" = ok ]; }
refused() { local n=$1; shift; wk_check "$n" [ "$(conn "$@")" != ok ]; }
# dgrams: datagrams the UDP peer has received so far.
dgrams() { grep -c '^dgram' "$WK_TMP/udp5300.log"; }
# udp_arrives PROG ADDR [MODE] [SECS]: one datagram to ADDR:5300; true if it
# arrived within SECS (20: a loaded machine may hold it a while).
udp_arrives() {
    local b i
    b=$(dgrams)
    wk_client "$1" "${3:-udp-sendto}" "$2" 5300 2 >/dev/null 2>&1
    for ((i = 0; i < ${4:-20} * 10; i++)); do
        [ "$(dgrams)" -gt "$b" ] && return 0
        sleep 0.1
    done
    return 1
}
# udp_blocked PROG ADDR [MODE]: the datagram is refused (none arrives in 1 s).
udp_blocked() { ! udp_arrives "$1" "$2" "${3:-udp-sendto}" 1; }
# logged PROG VERDICT: the log holds a decision of that verdict for PROG.
logged() { "$WARD" log --program "$1" --verdict "$2" --json 2>/dev/null | grep -q '"verdict"'; }

# rejects NAME LINE-RE: the policy from stdin is refused by `ward check`
# with an error at file:line:col matching LINE-RE (e.g. 'ward.conf:2:[0-9]+').
rejects() {
    local name=$1 re=$2 f=$WK_TMP/etc/check.conf out rc
    cat >"$f"
    chmod 644 "$f"
    out=$("$WARD" check "$f" 2>&1)
    rc=$?
    [[ $re == ward.conf:* ]] && re="check\.conf:${re#ward.conf:}"
    if [ $rc -eq 1 ] && grep -qE "/$re: error" <<<"$out"; then
        wk_ok "$name"
    else
        wk_notok "$name (rc $rc)"
        sed 's/^/# /' <<<"$out" | head -5
    fi
}
# accepts NAME: the policy from stdin passes `ward check`.
accepts() {
    local f=$WK_TMP/etc/check.conf out
    cat >"$f"
    chmod 644 "$f"
    out=$("$WARD" check "$f" 2>&1) && { wk_ok "$1"; return; }
    wk_notok "$1"
    sed 's/^/# /' <<<"$out" | head -5
}
# sanitizer: wardd's log is free of sanitizer reports.
sanitizer_clean() {
    if grep -q 'Sanitizer\|runtime error' "$WK_TMP"/wardd*.log 2>/dev/null; then
        wk_notok "wardd ran without a sanitizer report"
        grep -h -A20 'Sanitizer\|runtime error' "$WK_TMP"/wardd*.log | sed 's/^/# /' | head -40
    else
        wk_ok "wardd ran without a sanitizer report"
    fi
}
# lines_proc NAME PROG: a long-lived process of PROG in netns A and the test
# cgroup, making one TCP connection to B:8080 per line written to
# $WK_TMP/NAME.in, its answers in $WK_TMP/NAME.log; prints its pid.
lines_proc() {
    mkfifo "$WK_TMP/$1.in"
    eval "exec {fd_$1}<>\"\$WK_TMP/\$1.in\""
    wk_bg "$1" sh -c "echo \$\$ >'$WK_CG/cgroup.procs' && exec nsenter --net=/run/netns/$NS_A '$2' lines tcp4 $IP_B 8080 <'$WK_TMP/$1.in'"
    wk_wait_for "$WK_TMP/$1.log" ready 20
    sed -n 's/^ready //p' "$WK_TMP/$1.log"
}
