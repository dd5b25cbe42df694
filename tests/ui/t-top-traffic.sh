#!/bin/bash
# ward top's traffic figures: rates, open connections and the sparkline
# from `stats.query` and `conns.list`. The accounting is not in this wardd
# yet (the real wardd answers unknown_type, and t-top checks the "—" it then
# shows), so a stand-in serves exactly the agreed reply shapes.
set -u
WK_BUILD=${WARD_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build/san}
TMP=$(mktemp -d /tmp/ward-top-traffic.XXXXXX)
SOCK=$TMP/control.sock
TM=$TMP/tmux.sock # the server's socket goes with the test's files
N=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
notok() { N=$((N + 1)); echo "not ok $N - $*"; }
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else notok "$name"; fi
}
cleanup() {
    tmux -S "$TM" kill-server 2>/dev/null
    [ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
screen() { tmux -S "$TM" capture-pane -p -t top; }
screen_wait() {
    local i
    for ((i = 0; i < 100; i++)); do
        screen | grep -qE -- "$1" && return 0
        sleep 0.1
    done
    screen | sed 's/^/#   /' >&2
    return 1
}

/usr/bin/python3 "$(dirname "$0")/traffic-standin.py" "$SOCK" >"$TMP/standin.log" 2>&1 &
SPID=$!
for _ in $(seq 50); do grep -q listening "$TMP/standin.log" && break; sleep 0.1; done
tmux -S "$TM" new-session -d -s top -x 200 -y 40 \
    "env WARD_SOCKET=$SOCK ASAN_OPTIONS=log_path=$TMP/asan:detect_leaks=1 $WK_BUILD/bin/ward-top"
check "the header says traffic figures are live" screen_wait "traffic: live"
check "programs: the program's rates in and out and its open connections" \
    screen_wait "/usr/bin/curl +0 +0 +20.0K +512B +3 "
check "programs: its sparkline shows the rate" screen_wait "/usr/bin/curl .*\|[ .:=+*#-]*#\|"
tmux -S "$TM" send-keys -t top Enter
check "drill-in: the open connection with its bytes" \
    screen_wait "out 10.0.0.1:40000 -> 93.184.216.34:443 example.com permit  in 97.7K out 2.0K"
tmux -S "$TM" send-keys -t top q
sleep 1
check "no sanitizer report" bash -c "! cat '$TMP'/asan* 2>/dev/null | grep -q Sanitizer"
exit 0
