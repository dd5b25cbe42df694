#!/bin/bash
# bench/run traffic [ROUNDS [CONNECTS]] — what traffic accounting costs the
# hooks: their run time (the kernel's BPF statistics, bench/hookstats.py)
# with the counters in (ward-kdrv) and left out (ward-kdrv --no-traffic),
# alternating, for CONNECTS connections and a 2 s iperf3 flow per round.
# Prints per hook the median ns per run of each mode and their difference:
#   traffic: hook=NAME on_ns=… off_ns=… added_ns=…
# Same sandbox as bench/connect.sh (namespaces, a cgroup of its own).
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${WARD_BENCH_BUILD:-$ROOT/build/rel}
ROUNDS=${1:-5}
N=${2:-5000}
cd "$ROOT"
make -s -j2 MODE=rel BUILD_DIR="${BUILD#$ROOT/}" "${BUILD#$ROOT/}/bin/ward-kdrv" \
    "${BUILD#$ROOT/}/tests/kernel/wk-client" "${BUILD#$ROOT/}/tests/kernel/wk-client-static" >&2 ||
    exit 1
export WARD_BUILD=$BUILD
. "$ROOT/tests/kernel/lib.sh"
wk_setup >&2
exec 3>&1 1>&2

C=$WK_TMP/allowed/wk-client
IP3=$(command -v iperf3)
wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080
wk_bg ip3 nsenter --net=/run/netns/$NS_B iperf3 -s
wk_wait_for "$WK_TMP/srv.log" listening
sleep 0.5
teardown() {
    wk_stop_driver
    nsenter --net=/run/netns/$NS_A "$WK_KDRV" --teardown --pin-dir "$WK_PIN" >/dev/null 2>&1
}
declare -A NS
for r in $(seq "$ROUNDS"); do
    for mode in on off; do
        teardown
        extra=""
        [ $mode = off ] && extra=--no-traffic
        wk_driver $extra --allow "$C" --allow "$IP3" >/dev/null
        out=$(python3 "$ROOT/bench/hookstats.py" "$WK_CG" -- bash -c \
            "$(declare -f wk_client); WK_CG='$WK_CG' NS_A='$NS_A'; wk_client '$C' lat $IP_B 8080 $N; wk_client '$IP3' -c $IP_B -t 2")
        echo "# round $r $mode: $(tr '\n' ' ' <<<"$out")"
        while read -r _ h _ ns; do
            NS[$mode:${h#hook=}]+="${ns#ns_per_run=} "
        done <<<"$out"
    done
done
teardown
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for h in ward_connect4 ward_egress ward_ingress ward_sock_release; do
    on=$(echo ${NS[on:$h]:-0} | tr ' ' '\n' | median)
    off=$(echo ${NS[off:$h]:-0} | tr ' ' '\n' | median)
    printf 'traffic: hook=%s on_ns=%s off_ns=%s added_ns=%s\n' "$h" "$on" "$off" \
        "$(awk -v a="$on" -v b="$off" 'BEGIN {print a - b}')" >&3
done
