#!/bin/bash
# bench/run connect [ROUNDS [CONNECTS]] — connection latency and bulk
# throughput through Ward's kernel path, against a no-firewall baseline
# measured beside each scenario in the same run (alternating).
#
# Same safety as the kernel tests: two network namespaces joined by veth,
# hooks on a cgroup of our own holding only the client, everything removed
# on exit. Needs root. Prints one line per scenario:
#   connect: scenario=NAME p50_us=… p99_us=… conns_per_s=… p50_ratio=…
#   throughput: scenario=NAME gbps=… ratio=…
# Scenarios: none (baseline), allowed (decided in the kernel), queued
# (decided in user space through NFQUEUE, every connection), and
# established bulk throughput (iperf3) with the firewall in place. Two
# diagnostic scenarios split "allowed": bpf-only (hooks, no nft table) and
# nft-only (the table and conntrack, no hooks: nothing is marked);
# allowed-fast is "allowed" with the opt-in conntrack bypass (--fast-path);
# queued-learn: the first connection is decided in user space and the answer
# written into the verdict map, the rest stay in the kernel.
# allowed-nocount is "allowed" with the hooks' traffic accounting left out
# (ward-kdrv --no-traffic): the line "counters:" compares the two, per round
# (allowed's ratio over allowed-nocount's), for connects and for throughput.
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${WARD_BENCH_BUILD:-$ROOT/build/rel}
ROUNDS=${1:-3}
N=${2:-2000}
cd "$ROOT"
make -s -j2 MODE=rel BUILD_DIR="${BUILD#$ROOT/}" "${BUILD#$ROOT/}/bin/ward-kdrv" \
    "${BUILD#$ROOT/}/tests/kernel/wk-client" "${BUILD#$ROOT/}/tests/kernel/wk-client-static" >&2 ||
    exit 1
export WARD_BUILD=$BUILD
. "$ROOT/tests/kernel/lib.sh"
wk_setup >&2
exec 3>&1 1>&2 # progress on stderr, results on fd 3

C=$WK_TMP/allowed/wk-client
wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080
wk_bg ip3 nsenter --net=/run/netns/$NS_B iperf3 -s
wk_wait_for "$WK_TMP/srv.log" listening
sleep 0.5

teardown() {
    wk_stop_driver
    nsenter --net=/run/netns/$NS_A "$WK_KDRV" --teardown --pin-dir "$WK_PIN" >/dev/null 2>&1
}
scenario() { # none | allowed | queued
    teardown
    case $1 in
    allowed) wk_driver --allow "$C" --allow "$(command -v iperf3)" >/dev/null ;;
    allowed-nocount) wk_driver --no-traffic --allow "$C" --allow "$(command -v iperf3)" >/dev/null ;;
    allowed-fast) wk_driver --fast-path --allow "$C" --allow "$(command -v iperf3)" >/dev/null ;;
    bpf-only) wk_driver --no-nft --allow "$C" >/dev/null ;;
    nft-only) wk_driver --quiet --no-bpf --ask-mode allow >/dev/null ;;
    queued) wk_driver --quiet --ask-mode allow >/dev/null ;;
    queued-learn) wk_driver --quiet --ask-mode allow --learn >/dev/null ;;
    esac
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A P50 P99 CPS RATIO
for r in $(seq "$ROUNDS"); do
    for s in allowed allowed-nocount allowed-fast queued queued-learn bpf-only nft-only; do
        scenario none
        base=$(wk_client "$C" lat $IP_B 8080 "$N")
        scenario $s
        out=$(wk_client "$C" lat $IP_B 8080 "$N")
        echo "# round $r: none: $base | $s: $out"
        b50=$(echo "$base" | field p50_us)
        P50[none]+="$b50 "
        P99[none]+="$(echo "$base" | field p99_us) "
        CPS[none]+="$(echo "$base" | field conns_per_s) "
        P50[$s]+="$(echo "$out" | field p50_us) "
        P99[$s]+="$(echo "$out" | field p99_us) "
        CPS[$s]+="$(echo "$out" | field conns_per_s) "
        RATIO[$s]+="$(awk -v a="$(echo "$out" | field p50_us)" -v b="$b50" 'BEGIN {printf "%.3f", a / b}') "
    done
done
for s in none allowed allowed-nocount allowed-fast queued queued-learn bpf-only nft-only; do
    p50=$(echo ${P50[$s]} | tr ' ' '\n' | median)
    p99=$(echo ${P99[$s]} | tr ' ' '\n' | median)
    cps=$(echo ${CPS[$s]} | tr ' ' '\n' | median)
    ratio=1.000
    [ $s = none ] || ratio=$(echo ${RATIO[$s]} | tr ' ' '\n' | median)
    printf 'connect: scenario=%s p50_us=%s p99_us=%s conns_per_s=%s p50_ratio=%s\n' \
        $s "$p50" "$p99" "$cps" "$ratio" >&3
done

# What the counters cost a connect: allowed over allowed-nocount, per round
# (each against the baseline measured beside it).
read -ra RA <<<"${RATIO[allowed]}"
read -ra RN <<<"${RATIO[allowed-nocount]}"
CR=""
for i in "${!RA[@]}"; do CR+="$(awk -v a="${RA[$i]}" -v b="${RN[$i]}" 'BEGIN {printf "%.3f", a / b}') "; done
printf 'counters: connect p50_ratio=%s (allowed / allowed-nocount, median of %s rounds: %s)\n' \
    "$(echo $CR | tr ' ' '\n' | median)" "$ROUNDS" "$CR" >&3

# Established bulk throughput: iperf3, firewall in place (the client allowed
# in the kernel; the flow's packets are established: nft's first rule).
gbps() {
    wk_client "$(command -v iperf3)" -c $IP_B -t 3 -J 2>/dev/null |
        python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
}
TB="" TW="" TR="" TN="" TC=""
for r in $(seq "$ROUNDS"); do
    scenario none
    b=$(gbps)
    scenario allowed
    w=$(gbps)
    scenario allowed-nocount
    u=$(gbps)
    echo "# round $r: throughput none=$b established=$w established-nocount=$u"
    TB+="$b " TW+="$w " TN+="$u "
    TR+="$(awk -v a="$w" -v b="$b" 'BEGIN {printf "%.3f", a / b}') "
    TC+="$(awk -v a="$w" -v b="$u" 'BEGIN {printf "%.3f", a / b}') "
done
teardown
printf 'throughput: scenario=none gbps=%s ratio=1.000\n' "$(echo $TB | tr ' ' '\n' | median)" >&3
printf 'throughput: scenario=established gbps=%s ratio=%s\n' "$(echo $TW | tr ' ' '\n' | median)" \
    "$(echo $TR | tr ' ' '\n' | median)" >&3
printf 'throughput: scenario=established-nocount gbps=%s\n' "$(echo $TN | tr ' ' '\n' | median)" >&3
printf 'counters: throughput ratio=%s (established / established-nocount)\n' \
    "$(echo $TC | tr ' ' '\n' | median)" >&3
