# tests/kernel/lib.sh — shared setup for the real-kernel tests (sourced).
#
# SAFETY: nothing here touches the root network namespace or the root
# cgroup. Two namespaces A (clients, driver, nft table) and B (peer) joined
# by a veth pair; BPF hooks attach to a cgroup of our own holding only the
# test clients; pins live under /sys/fs/bpf/ward-test-ID (the product mounts
# a BPF file system there if none is). wk_cleanup (on EXIT) removes all of
# it, also when a test fails.
#
# nsenter --net is used rather than `ip netns exec`, which remounts /sys
# (and would hide bpffs and the cgroup tree from the driver).
#
# Tests of wardd itself source tests/kernel/wardd.sh after wk_setup (wardd,
# prompters, a server on B); tests/daemon/nokernel.sh runs it without hooks.

set -u
# Each test runs in a private mount namespace of its own: where no BPF file
# system is mounted, the driver or wardd mounts one (as on any machine) and
# it goes away with the test. unshare execs: the pid stays, so it runs once.
if [ "${WK_MNTNS:-}" != "$$" ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
    export WK_MNTNS=$$ WK_CALLER_MNTNS
    WK_CALLER_MNTNS=$(readlink /proc/self/ns/mnt)
    exec unshare --mount --propagation private -- bash "$0" "$@"
fi
WK_ID=${WK_ID:-$$}
WK_BUILD=${WARD_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/san}
WK_KDRV=$WK_BUILD/bin/ward-kdrv
WK_CLIENT=$WK_BUILD/tests/kernel/wk-client
WK_CLIENT_STATIC=$WK_BUILD/tests/kernel/wk-client-static
NS_A=ward-t-$WK_ID-a
NS_B=ward-t-$WK_ID-b
IP_A=10.77.0.1
IP_B=10.77.0.2
IP6_A=fd77::1
IP6_B=fd77::2
WK_TMP=/tmp/ward-test-$WK_ID
WK_PIN=/sys/fs/bpf/ward-test-$WK_ID
WK_CG=""
WK_PIDS=()
WK_N=0
WK_FAILED=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=0

wk_ok() { WK_N=$((WK_N + 1)); echo "ok $WK_N - $*"; }
wk_notok() {
    WK_N=$((WK_N + 1))
    WK_FAILED=$((WK_FAILED + 1))
    echo "not ok $WK_N - $*"
    # What a failure leaves to read: the tails of the files a script names
    # in WK_DIAG (e.g. a client's transcript), as TAP comments.
    local f
    for f in ${WK_DIAG:-}; do
        [ -r "$f" ] && tail -n 12 "$f" | sed "s|^|# ${f##*/}: |"
    done
}
# wk_check NAME CMD... : ok if CMD succeeds
wk_check() {
    local name=$1
    shift
    if "$@"; then wk_ok "$name"; else wk_notok "$name"; fi
}

# wk_todo NAME WHY CMD...: a known gap, written as it should behave and
# reported as a TAP TODO (tests/run counts it neither as a pass nor as a
# failure, and lists it; "passes now" says the gap closed).
wk_todo() {
    local name=$1 why=$2
    shift 2
    WK_N=$((WK_N + 1))
    if "$@"; then echo "ok $WK_N - $name # TODO $why (passes now)"; else
        echo "not ok $WK_N - $name # TODO $why"
    fi
}

# no_sanitizer NAME LOG...: ok NAME if no log holds a sanitizer report
# (else the reports, as TAP comments).
no_sanitizer() {
    local name=$1
    shift
    if grep -q 'Sanitizer\|runtime error' "$@"; then
        wk_notok "$name"
        grep -h -A30 'Sanitizer\|runtime error' "$@" | sed 's/^/# /'
    else
        wk_ok "$name"
    fi
}

wk_skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

wk_cg2root() { awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts; }

wk_in_a() { nsenter --net=/run/netns/$NS_A "$@"; }
wk_in_b() { nsenter --net=/run/netns/$NS_B "$@"; }
# Run a command as a test client: in our cgroup first, then in netns A.
wk_client() {
    sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec nsenter --net=/run/netns/"$@"' \
        sh "$WK_CG" "$NS_A" "$@"
}

# Is this shell in a mount namespace of its own, not the one the test was
# started from? (/proc/1/ns may not be readable: compare with the caller's.)
wk_private_mounts() {
    [ -n "${WK_CALLER_MNTNS:-}" ] && [ "$(readlink /proc/self/ns/mnt)" != "$WK_CALLER_MNTNS" ]
}

wk_cleanup() {
    local rc=$?
    set +e
    # A job started through a shell function (wk_bg NAME wk_in_a ...) is a
    # subshell whose child does the work: its children go first.
    for p in "${WK_PIDS[@]}"; do
        pkill -9 -P "$p" 2>/dev/null
        kill -9 "$p" 2>/dev/null
    done
    wait 2>/dev/null
    if [ -n "$WK_CG" ] && [ -d "$WK_CG" ]; then
        local root
        root=$(wk_cg2root)
        for p in $(cat "$WK_CG/cgroup.procs" 2>/dev/null); do
            kill -9 "$p" 2>/dev/null
            echo "$p" >"$root/cgroup.procs" 2>/dev/null
        done
        sleep 0.1
        rmdir "$WK_CG" 2>/dev/null
    fi
    # What still runs inside our namespaces (a pipeline's far end outlives
    # the shell that started it) goes with them: a namespace is only
    # unnamed by `ip netns del` while a process holds it.
    local ns
    for ns in "$NS_A" "$NS_B"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    done
    ip netns del "$NS_A" 2>/dev/null
    ip netns del "$NS_B" 2>/dev/null
    # Unpinning the links detaches them (the cgroup goes anyway).
    [ -d "$WK_PIN" ] && rm -rf "$WK_PIN"
    rm -rf "$WK_TMP"
    exit $rc
}

wk_setup() {
    [ "$(id -u)" -eq 0 ] || wk_skip_all "needs root"
    [ -x "$WK_KDRV" ] || wk_skip_all "no $WK_KDRV"
    local root
    root=$(wk_cg2root)
    [ -n "$root" ] || wk_skip_all "no cgroup v2"
    # Scripts chmod and mount over "$WK_TMP/etc" and the like: never let an
    # empty or changed WK_TMP make that the machine's own /etc.
    case $WK_TMP in /tmp/ward-test-?*) ;; *) echo "Bail out! WK_TMP is '$WK_TMP'"; exit 1 ;; esac
    trap wk_cleanup EXIT
    trap 'exit 130' INT TERM
    WK_CG=$root/ward-test-$WK_ID
    mkdir -p "$WK_CG" "$WK_TMP"
    ip netns add "$NS_A" && ip netns add "$NS_B" || exit 1
    ip link add wka$WK_ID netns "$NS_A" type veth peer name wkb$WK_ID netns "$NS_B" ||
        exit 1
    wk_in_a ip link set lo up
    wk_in_b ip link set lo up
    wk_in_a ip addr add $IP_A/24 dev wka$WK_ID
    wk_in_b ip addr add $IP_B/24 dev wkb$WK_ID
    wk_in_a ip addr add $IP6_A/64 dev wka$WK_ID nodad
    wk_in_b ip addr add $IP6_B/64 dev wkb$WK_ID nodad
    wk_in_a ip link set wka$WK_ID up
    wk_in_b ip link set wkb$WK_ID up
    # Programs under test: copies of the client, each its own identity.
    mkdir -p "$WK_TMP/allowed" "$WK_TMP/denied" "$WK_TMP/other" "$WK_TMP/asked"
    cp "$WK_CLIENT" "$WK_TMP/allowed/wk-client"
    cp "$WK_CLIENT" "$WK_TMP/denied/wk-client"
    cp "$WK_CLIENT" "$WK_TMP/other/wk-client"
    cp "$WK_CLIENT" "$WK_TMP/asked/wk-client"
    cp "$WK_CLIENT_STATIC" "$WK_TMP/allowed/wk-client-static"
    cp "$WK_CLIENT_STATIC" "$WK_TMP/denied/wk-client-static"
}

# Start a background process, remember its pid. Output to $WK_TMP/NAME.log,
# emptied before it starts: the background job opens the log when it gets to
# run, and a wait for a line in it (wk_driver's "ready") must never find the
# line an earlier run of NAME left there.
wk_bg() {
    local name=$1
    shift
    : >"$WK_TMP/$name.log"
    "$@" >"$WK_TMP/$name.log" 2>&1 &
    WK_PIDS+=($!)
    eval "WK_PID_$name=$!"
}

# wk_wait_for FILE PATTERN [SECONDS]
# wk_eventually SECS CMD...: CMD succeeds within SECS seconds (tried every
# 0.2 s). For what wardd writes after the traffic it judged (its log, the
# SQLite rows): on a loaded machine a moment later.
wk_eventually() {
    local i secs=$1
    shift
    for ((i = 0; i < secs * 5; i++)); do
        "$@" && return 0
        sleep 0.2
    done
    "$@" && return 0
    echo "# waited $secs s in vain for: $*" >&2
    return 1
}

wk_wait_for() {
    local i
    for ((i = 0; i < ${3:-20} * 10; i++)); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "# timeout waiting for '$2' in $1" >&2
    return 1
}

# wk_settled CMD...: CMD's output once two readings a second apart agree (at
# most 20 readings): a count still moving when read (a connection answered
# just before a kill, counters wardd reads every second) has stopped.
wk_settled() {
    local a b i
    a=$("$@")
    for ((i = 0; i < 20; i++)); do
        sleep 1
        b=$("$@")
        [ "$b" = "$a" ] && break
        a=$b
    done
    echo "$a"
}

# wk_listening a|b PORT: a TCP socket listens on PORT in netns A or B (waited
# for, up to 20 s): a server started in the background (nc -l, python's
# http.server, whose banner is buffered) is ready for its first client.
wk_listening() {
    local ns=$NS_A
    [ "$1" = b ] && ns=$NS_B
    wk_eventually 20 sh -c 'nsenter --net=/run/netns/"$1" ss -Hltn "sport = :$2" | grep -q .' sh "$ns" "$2"
}

# Start the driver in netns A (not in the test cgroup). WK_DRIVER_ARGS adds
# options to every start (e.g. --fast-path to run the suite on that path).
wk_driver() {
    rm -f "$WK_TMP/ready"
    wk_bg kdrv nsenter --net=/run/netns/$NS_A "$WK_KDRV" --cgroup "$WK_CG" --pin-dir "$WK_PIN" \
        --ready "$WK_TMP/ready" ${WK_DRIVER_ARGS:-} "$@"
    wk_wait_for "$WK_TMP/kdrv.log" '^ready' 30
}

wk_stop_driver() {
    local p=${WK_PID_kdrv:-}
    [ -n "$p" ] || return 0
    kill -TERM "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    WK_PID_kdrv=""
}

# Expect a client result: wk_expect NAME WANT(ok|EPERM|fail) PROGRAM MODE ADDR PORT
wk_expect() {
    local name=$1 want=$2
    shift 2
    local out
    out=$(wk_client "$@" 2>&1)
    case "$want" in
    ok) [ "$out" = ok ] ;;
    EPERM) [ "$out" = "err EPERM" ] ;;
    fail) [ "$out" != ok ] && [ "$out" != "err EPERM" ] ;;
    esac
    local rc=$?
    if [ $rc -eq 0 ]; then wk_ok "$name"; else
        wk_notok "$name (got: $out)"
    fi
    return 0
}
