#!/bin/bash
# bench/run shim [ROUNDS [CONNECTS]] — connect(2) under libward-shim.so with
# a known answer (the program's kernel table allows the port: the shim reads
# its cache and asks nobody), against no firewall, measured beside each other
# in the same run (alternating).
#
# The kernel tests' sandbox (two network namespaces, hooks on a cgroup of
# our own, everything removed on exit); needs root. Prints
#   shim: scenario=NAME p50_us=… p99_us=… p50_ratio=…
# for none (no wardd, no hooks, no shim), kernel (wardd, no shim) and
# shim (wardd and the shim), and last
#   shim: over the kernel layer alone p50_ratio=…   (shim over kernel)
#   shim: p50_ratio=…   (shim over none, the median of the rounds' ratios)
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${WARD_BENCH_BUILD:-$ROOT/build/rel}
ROUNDS=${1:-3}
N=${2:-2000}
cd "$ROOT"
B=${BUILD#$ROOT/}
make -s -j2 MODE=rel BUILD_DIR="$B" "$B/bin/ward-kdrv" "$B/bin/wardd" "$B/bin/ward" \
    "$B/lib/libward-shim.so" "$B/tests/kernel/wk-client" "$B/tests/kernel/wk-client-static" >&2 ||
    exit 1
export WARD_BUILD=$BUILD
. "$ROOT/tests/kernel/lib.sh"
wk_setup >&2
. "$ROOT/tests/kernel/wardd.sh"
exec 3>&1 1>&2 # progress on stderr, results on fd 3

C=$WK_TMP/allowed/wk-client
SHIM=$BUILD/lib/libward-shim.so
ward_policy <<CONF
set mode ask
set no-prompter block
app "$C" {
    allow out tcp port 8080
}
CONF
wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080
wk_wait_for "$WK_TMP/srv.log" listening

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
lat() { wk_client "$@" lat $IP_B 8080 "$N"; }

declare -A P50 P99 RATIO
OVER="" # the shim's own share: shim over kernel, per round
for r in $(seq "$ROUNDS"); do
    nsenter --net=/run/netns/$NS_A "$WK_KDRV" --teardown --pin-dir "$WK_PIN" >/dev/null 2>&1
    base=$(lat "$C")
    start_wardd "wardd$r" >/dev/null || exit 1
    kern=$(lat "$C")
    shim=$(lat env LD_PRELOAD="$SHIM" WARD_RUN_DIR="$WK_TMP/run" "$C")
    stop_wardd "wardd$r"
    echo "# round $r: none: $base | kernel: $kern | shim: $shim"
    OVER+="$(awk -v a="$(field p50_us <<<"$shim")" -v b="$(field p50_us <<<"$kern")" 'BEGIN {printf "%.3f", a / b}') "
    b50=$(field p50_us <<<"$base")
    for s in none kernel shim; do
        eval "out=\$$( [ $s = none ] && echo base || { [ $s = kernel ] && echo kern || echo shim; })"
        P50[$s]+="$(field p50_us <<<"$out") "
        P99[$s]+="$(field p99_us <<<"$out") "
        RATIO[$s]+="$(awk -v a="$(field p50_us <<<"$out")" -v b="$b50" 'BEGIN {printf "%.3f", a / b}') "
    done
done
nsenter --net=/run/netns/$NS_A "$WK_KDRV" --teardown --pin-dir "$WK_PIN" >/dev/null 2>&1
for s in none kernel shim; do
    printf 'shim: scenario=%s p50_us=%s p99_us=%s p50_ratio=%s\n' $s \
        "$(echo ${P50[$s]} | tr ' ' '\n' | median)" "$(echo ${P99[$s]} | tr ' ' '\n' | median)" \
        "$(echo ${RATIO[$s]} | tr ' ' '\n' | median)" >&3
done
printf 'shim: over the kernel layer alone p50_ratio=%s (what the shim adds)\n' \
    "$(echo $OVER | tr ' ' '\n' | median)" >&3
printf 'shim: p50_ratio=%s\n' "$(echo ${RATIO[shim]} | tr ' ' '\n' | median)" >&3
