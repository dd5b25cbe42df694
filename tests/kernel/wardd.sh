# tests/kernel/wardd.sh — the real wardd in the kernel tests' sandbox
# (sourced after tests/kernel/lib.sh and wk_setup): wardd in netns A with its
# hooks on the test cgroup, prompters, a counting server on B, and readers of
# its status. Background jobs go through wk_bg: NAME is the job's name, its
# output $WK_TMP/NAME.log, its pid $WK_PID_NAME.
WARD=$WK_BUILD/bin/ward
WARDD=$WK_BUILD/bin/wardd
[ -x "$WARDD" ] || wk_skip_all "no $WARDD"
export WARD_SOCKET=$WK_TMP/run/control.sock
# The programs under test (wk_setup's copies of the client): the policies
# name them; each is its own identity to wardd.
A=$WK_TMP/allowed/wk-client
D=$WK_TMP/denied/wk-client
Q=$WK_TMP/asked/wk-client
O=$WK_TMP/other/wk-client

# ward_policy: the policy ($WK_TMP/etc/ward.conf) from stdin. wardd refuses
# a policy anyone but root may write, so the modes matter.
ward_policy() {
    mkdir -p "$WK_TMP/etc"
    chmod 755 "$WK_TMP" "$WK_TMP/etc"
    cat >"$WK_TMP/etc/ward.conf"
    chmod 644 "$WK_TMP/etc/ward.conf"
}

# refuse_denied_policy: D may connect nowhere; no prompter, nothing
# unattributed: blocked. (The attack tests count what D gets through.)
refuse_denied_policy() {
    ward_policy <<CONF
set mode ask
set no-prompter block
set unattributed block
app "$D" {
    deny out any
}
CONF
}

# start_wardd NAME [ARGS...]: start wardd and wait until it is ready; ARGS
# are passed on (e.g. --max-waiting 3).
start_wardd() {
    local name=$1
    shift
    wk_bg "$name" nsenter --net=/run/netns/$NS_A "$WARDD" --foreground \
        --config "$WK_TMP/etc/ward.conf" --state-dir "$WK_TMP/state" --run-dir "$WK_TMP/run" \
        --cgroup "$WK_CG" --pin-dir "$WK_PIN" "$@"
    wk_wait_for "$WK_TMP/$name.log" "ready" 30
}
# stop_wardd NAME: SIGTERM, a clean stop; kill9_wardd NAME: no stop at all.
# wk_signal SIGNAL NAME: the same for any background job (e.g. a prompter).
stop_wardd() { wk_signal TERM "$1"; }
kill9_wardd() { wk_signal KILL "$1"; }
wk_signal() {
    local p
    eval "p=\${WK_PID_$2:-}"
    [ -n "$p" ] || return 0
    kill -"$1" "$p" 2>/dev/null
    wait "$p" 2>/dev/null
}

# prompter NAME ARGS...: a `ward prompt ARGS` in the background, registered.
prompter() {
    local name=$1
    shift
    wk_bg "$name" "$WARD" prompt "$@"
    wk_wait_for "$WK_TMP/$name.log" "waiting for prompts" 20
}
# silent NAME: a prompter that registers and never answers (its terminal
# stays silent), so wardd has a prompter and the timeout decides.
silent() {
    if [ ! -p "$WK_TMP/never" ]; then
        mkfifo "$WK_TMP/never"
        exec 9<>"$WK_TMP/never"
    fi
    wk_bg "$1" sh -c "exec \"$WARD\" prompt <\"$WK_TMP/never\""
    wk_wait_for "$WK_TMP/$1.log" "waiting for prompts" 20
}
# keyed NAME: a prompter a person answers; the test types its keys with
# `printf 'a\n\no\n' >&8`.
keyed() {
    mkfifo "$WK_TMP/keys"
    exec 8<>"$WK_TMP/keys"
    wk_bg "$1" sh -c "exec \"$WARD\" prompt <\"$WK_TMP/keys\""
    wk_wait_for "$WK_TMP/$1.log" "waiting for prompts" 20
}
# finish NAME [SECONDS]: wait for a background job; killed if it is not done
# by then (a prompter left waiting when no prompt came).
finish() {
    local p i
    eval "p=\${WK_PID_$1:-}"
    for ((i = 0; i < ${2:-10} * 10; i++)); do
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
}

# watching NAME: the background job NAME (a ward watch or log --follow) has
# subscribed to wardd's event ring (it maps it): the events from now on
# reach it. (Started is not subscribed: a loaded machine takes a while.)
watching() {
    local p
    eval "p=\${WK_PID_$1:-}"
    wk_eventually 20 grep -qs 'memfd:ward-events' "/proc/$p/maps"
}

# status FIELD: one field of `ward status --json` (empty if it has none).
status() {
    "$WARD" status --json | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

# serve_b [MAX]: the peer, a TCP server on B:8080 (MAX connections);
# conns counts what reached it (a leak is what arrives).
serve_b() {
    wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 "$@"
    wk_wait_for "$WK_TMP/srv.log" listening
}
conns() { grep -c '^conn' "$WK_TMP/srv.log"; }
# conn PROGRAM [SECONDS]: one connect of PROGRAM (a test client) to B:8080.
conn() { wk_client "$1" tcp4 $IP_B 8080 "${2:-10}" 2>&1; }

# cg_links: the ids of the BPF links attached to the test cgroup.
cg_links() {
    bpftool -j link show 2>/dev/null | python3 -c '
import json, sys
cg = int(sys.argv[1])
for l in json.load(sys.stdin):
    if l.get("type") == "cgroup" and l.get("cgroup_id") == cg:
        print(l["id"])' "$(stat -c %i "$WK_CG")"
}

