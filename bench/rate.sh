#!/bin/bash
# bench/run rate [RULES [SECONDS]] — how wardd's cost per connection grows
# with the connection rate.
#
# The real wardd (release build) in the kernel tests' sandbox with RULES
# application rules (default 10000, bench/wardd.lib's policy). The client's
# rule names a zone, so every connect is queued and decided in user space.
# At each rate (200 and 1000 connections a second, paced on a fixed
# schedule, then as fast as one client goes, then two clients at once) the
# client connects for SECONDS (default 10; unpaced runs make 5000 connects
# per client). The baseline (no firewall) runs at the same rates before
# wardd starts. Per rate it prints
#   rate: target_per_s=… conns_per_s=… p50_us=… base_p50_us=… p50_ratio=… wardd_cpu_ms_per_conn=…
# wardd's CPU is the sum over its threads of the time they ran
# (/proc/PID/task/*/schedstat, nanoseconds: 10 ms ticks are too coarse at
# 200 connections a second).
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
RULES=${1:-10000}
SECS=${2:-10}
. "$ROOT/bench/wardd.lib"

C=$WK_TMP/asked/wk-client
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
bench_policy "$WK_TMP/etc/ward.conf" "$C" "$RULES"
wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080
wk_wait_for "$WK_TMP/srv.log" listening

# run_load RATE CLIENTS: the load at one rate; prints each client's lat line.
run_load() {
    local rate=$1 clients=$2 n pids=() i
    n=$((rate > 0 ? rate * SECS : 5000))
    for ((i = 0; i < clients; i++)); do
        wk_client "$C" lat $IP_B 8080 "$n" "$rate" >"$WK_TMP/lat.$i" &
        pids+=($!)
    done
    wait "${pids[@]}"
    cat "$WK_TMP"/lat.*
    rm -f "$WK_TMP"/lat.*
}

# field NAME LINES: the median of NAME=… over the lines given.
field() {
    sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

cpu_ns() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

LOADS=("200 1" "1000 1" "0 1" "0 2")
declare -A base
for load in "${LOADS[@]}"; do
    out=$(run_load $load)
    base[$load]=$(field p50_us "$out")
    echo "baseline at ${load% *}/s x${load#* }: $(tr '\n' ' ' <<<"$out")"
done

bench_wardd wardd "$WK_TMP/etc/ward.conf" || exit 1
for load in "${LOADS[@]}"; do
    before=$(cpu_ns "$WK_PID_wardd")
    out=$(run_load $load)
    after=$(cpu_ns "$WK_PID_wardd")
    echo "wardd at ${load% *}/s x${load#* }: $(tr '\n' ' ' <<<"$out")"
    conns=$(sed -n 's/.*lat n=\([0-9]*\).*/\1/p' <<<"$out" | awk '{ s += $1 } END { print s }')
    rate=$(sed -n 's/.*conns_per_s=\([0-9.]*\).*/\1/p' <<<"$out" | awk '{ s += $1 } END { print s }')
    p50=$(field p50_us "$out")
    awk -v t="${load% *}" -v c="${load#* }" -v r="$rate" -v p="$p50" -v b="${base[$load]}" \
        -v cpu=$((after - before)) -v n="$conns" 'BEGIN {
            printf "rate: target_per_s=%s clients=%s conns_per_s=%.0f p50_us=%.1f base_p50_us=%.1f p50_ratio=%.2f wardd_cpu_ms_per_conn=%.4f\n",
                (t > 0 ? t : "max"), c, r, p, b, (b > 0 ? p / b : 0), cpu / 1e6 / n
        }' >&3
done
