#!/bin/bash
# bench/run stream [REQUESTS] — what the stream layer costs a web request:
# REQUESTS sequential HTTP/1.0 requests (connect, GET, the whole answer,
# close) of one program from the kernel test sandbox (two network
# namespaces, hooks on a cgroup of our own; needs root) to a server in the
# peer namespace, timed per request. Two policies, both queueing the
# connect to wardd: "plain", a filter the kernel cannot decide (it names a
# domain); "stream", the urlfilter callout with an allow rule for the
# program, so each request's first bytes are held in the stream queue,
# read, and the flow let go. Three rounds of the two in turn; per round the
# stream p50 over the plain p50 just before it; medians. Ends with
#   stream: plain_p50_us=… stream_p50_us=… per_request_ratio=…
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${WARD_BENCH_BUILD:-$ROOT/build/rel}
N=${1:-300}
cd "$ROOT"
B=${BUILD#$ROOT/}
make -s -j2 MODE=rel BUILD_DIR="$B" "$B/bin/wardd" "$B/bin/ward" "$B/tests/kernel/wk-client" >&2 ||
    exit 1
[ -x /usr/bin/python3 ] || { echo "bench/run stream: needs /usr/bin/python3" >&2; exit 1; }
PY=$(readlink -f /usr/bin/python3)

export WARD_BUILD=$BUILD
. "$ROOT/tests/kernel/lib.sh"
wk_setup >&2
. "$ROOT/tests/kernel/wardd.sh"
mkdir -p "$WK_TMP/www"
echo hello >"$WK_TMP/www/index.html"
wk_bg www nsenter --net=/run/netns/$NS_B "$PY" -m http.server 8081 --bind $IP_B \
    --directory "$WK_TMP/www"
for _ in $(seq 50); do
    wk_in_b ss -ltn | grep -q ":8081 " && break
    sleep 0.1
done
policy() {
    ward_policy <<CONF
set mode ask
set no-prompter block
$2
filter "f" layer outbound weight 50 proto tcp to port 8081 $1
app "$PY" {
    allow out tcp
}
CONF
}
# p50 of N requests, in microseconds.
lat() {
    wk_client "$PY" -c '
import socket, sys, time
t = []
for _ in range(int(sys.argv[2])):
    a = time.perf_counter()
    s = socket.create_connection((sys.argv[1], 8081), 10)
    s.sendall(b"GET / HTTP/1.0\r\nHost: www.example.test\r\n\r\n")
    while s.recv(65536):
        pass
    s.close()
    t.append(time.perf_counter() - a)
t.sort()
print("%.1f" % (t[len(t) // 2] * 1e6))
' $IP_B "$N"
}
ROUNDS=3
declare -a plain stream ratio
for round in $(seq $ROUNDS); do
    for s in plain stream; do
        case $s in
        plain) policy 'domain "never.test" block' "" ;;
        stream) policy "callout urlfilter" "set urlfilter allow app \"$PY\" \"www.example.test\"" ;;
        esac
        start_wardd w$round$s >&2 || exit 1
        v=$(lat)
        stop_wardd w$round$s
        echo "request: scenario=$s round=$round p50_us=$v"
        eval "$s+=($v)"
    done
    ratio+=("$(awk -v a="${plain[-1]}" -v b="${stream[-1]}" 'BEGIN { printf "%.3f", b / a }')")
done
med() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
echo "request: stream/plain per round: ${ratio[*]}"
echo "stream: plain_p50_us=$(med "${plain[@]}") stream_p50_us=$(med "${stream[@]}")" \
    "per_request_ratio=$(med "${ratio[@]}")"
