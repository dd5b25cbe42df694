# tests/hardening/wardd.sh — the real wardd in the kernel tests' sandbox
# (sourced after tests/kernel/lib.sh and wk_setup): namespaces A and B, hooks
# on the test cgroup, a listener on B:8080, and helpers to start wardd, run
# prompters and read its status and log.
WARD=$WK_BUILD/bin/ward
WARDD=$WK_BUILD/bin/wardd
[ -x "$WARDD" ] || wk_skip_all "no $WARDD"
export WARD_SOCKET=$WK_TMP/run/control.sock
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"

# start_wardd NAME [ARGS...]: the policy is $WK_TMP/etc/ward.conf.
start_wardd() {
    local name=$1
    shift
    chmod 644 "$WK_TMP/etc/ward.conf"
    wk_bg "$name" nsenter --net=/run/netns/$NS_A "$WARDD" --foreground \
        --config "$WK_TMP/etc/ward.conf" --state-dir "$WK_TMP/state" --run-dir "$WK_TMP/run" \
        --cgroup "$WK_CG" --pin-dir "$WK_PIN" "$@"
    wk_wait_for "$WK_TMP/$name.log" "ready" 30
}
stop_wardd() {
    local p
    eval "p=\${WK_PID_$1:-}"
    kill -TERM "$p" 2>/dev/null
    wait "$p" 2>/dev/null
}
# prompter NAME ARGS...: a `ward prompt` in the background, registered.
prompter() {
    local name=$1
    shift
    wk_bg "$name" "$WARD" prompt "$@"
    wk_wait_for "$WK_TMP/$name.log" "waiting for prompts" 10
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
# silent NAME: a prompter that never answers, so the timeout decides.
mkfifo "$WK_TMP/never"
exec 9<>"$WK_TMP/never"
silent() {
    wk_bg "$1" sh -c "exec \"$WARD\" prompt <\"$WK_TMP/never\""
    wk_wait_for "$WK_TMP/$1.log" "waiting for prompts" 10
}
# status_field NAME: one field of `ward status --json`.
status_field() {
    "$WARD" status --json | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}
wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 100000
wk_wait_for "$WK_TMP/srv.log" listening
