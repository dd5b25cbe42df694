# tests/daemon/nokernel.sh — wardd without kernel hooks (--no-kernel), for
# the tests of its control plane (sourced). No namespaces, no cgroup: wardd
# and its files live in a temporary directory $T, removed on exit (unless
# KEEP is set). Each check prints a TAP line.
set -u
B=${WARD_BUILD:?}/bin
P=""
n=0

# nk_setup NAME: $T (/tmp/ward-NAME.XXXXXX), removed on exit with every
# background job still running.
nk_setup() {
    T=$(mktemp -d "/tmp/ward-$1.XXXXXX")
    chmod 755 "$T"
    export WARD_SOCKET=$T/run/control.sock
    trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
}

# check NAME CMD...: ok NAME if CMD succeeds.
check() {
    local name=$1
    shift
    n=$((n + 1))
    if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; fi
}

# eventually CMD...: CMD succeeds within 20 s (tried every 0.2 s): what
# wardd does a moment after it answered (later on a loaded machine).
eventually() {
    local i
    for ((i = 0; i < 100; i++)); do "$@" && return 0; sleep 0.2; done
    "$@"
}

# nk_policy: the policy ($T/etc/ward.conf) from stdin. wardd refuses a
# policy anyone but root may write, so the modes matter.
nk_policy() {
    mkdir -p "$T/etc"
    chmod 755 "$T/etc"
    cat >"$T/etc/ward.conf"
    chmod 644 "$T/etc/ward.conf"
}

# nk_start [ARGS]: wardd in the background ($P, log $T/wardd.log), until it
# answers; ARGS are wardd's.
nk_start() { # NK_WRAP: a command wardd runs under (e.g. nsenter into a mount namespace)
    ${NK_WRAP:-} "$B/wardd" --foreground --no-kernel --config "$T/etc/ward.conf" --state-dir "$T/state" \
        --run-dir "$T/run" "$@" >>"$T/wardd.log" 2>&1 &
    P=$!
    for _ in $(seq 200); do
        [ -S "$WARD_SOCKET" ] && "$B/ward" status >/dev/null 2>&1 && return
        sleep 0.1
    done
}
nk_stop() {
    kill -TERM $P
    wait $P
    P=""
}
# nk_no_sanitizer: ok if wardd's log (which its helpers share) holds no
# sanitizer report; else the report is printed after the failure.
nk_no_sanitizer() {
    check "no sanitizer report" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/wardd.log'"
    grep -h -B2 -A30 'Sanitizer\|runtime error' "$T/wardd.log" | head -60 | sed 's/^/# /'
}
