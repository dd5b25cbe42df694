# tests/hardening/lib-wardd.sh — wardd under attack (sourced after wk_setup).
#
# wardd runs in netns A with its hooks on the test cgroup and a policy that
# refuses every connection of the "denied" client (no prompter: block). A
# TCP server in netns B counts what reaches it, so a leak is what arrives.
WARD=$WK_BUILD/bin/ward
WARDD=$WK_BUILD/bin/wardd
[ -x "$WARDD" ] || wk_skip_all "no $WARDD"
D=$WK_TMP/denied/wk-client
export WARD_SOCKET=$WK_TMP/run/control.sock

hw_policy() {
    mkdir -p "$WK_TMP/etc"
    chmod 755 "$WK_TMP" "$WK_TMP/etc"
    cat >"$WK_TMP/etc/ward.conf" <<CONF
set mode ask
set no-prompter block
set unattributed block
app "$D" {
    deny out any
}
CONF
    chmod 644 "$WK_TMP/etc/ward.conf"
}

# hw_wardd NAME: start wardd (log in $WK_TMP/NAME.log) and wait until ready.
hw_wardd() {
    wk_bg "$1" nsenter --net=/run/netns/$NS_A "$WARDD" --foreground \
        --config "$WK_TMP/etc/ward.conf" --state-dir "$WK_TMP/state" --run-dir "$WK_TMP/run" \
        --cgroup "$WK_CG" --pin-dir "$WK_PIN"
    wk_wait_for "$WK_TMP/$1.log" "ready" 30
}

hw_stop_wardd() {
    local p=$1
    kill -TERM "$p" 2>/dev/null
    wait "$p" 2>/dev/null
}

# The peer: a TCP server on 8080 in netns B; hw_conns counts what reached it.
hw_server() {
    wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080
    wk_wait_for "$WK_TMP/srv.log" listening
}
hw_conns() { grep -c '^conn' "$WK_TMP/srv.log"; }

# The ids of the BPF links attached to the test cgroup, one per line.
hw_links() {
    bpftool -j link show 2>/dev/null | python3 -c '
import json, sys
cg = int(sys.argv[1])
for l in json.load(sys.stdin):
    if l.get("type") == "cgroup" and l.get("cgroup_id") == cg:
        print(l["id"])' "$(stat -c %i "$WK_CG")"
}
