#!/bin/bash
# bench/run ids [SECONDS [ROUNDS]] — inline intrusion detection's cost: an
# iperf3 upload between the test namespaces (SECONDS each, default 5) with
# every TCP flow to the iperf3 server sent to the ids callout (1000 rules:
# the starter set, one that matches iperf3's parameters, and generated
# content rules), against the same upload decided by a plain rule, and
# inspected whole (set ids-depth 0); rounds (default 3) alternate. wardd is
# the release build. Ends with
#   ids: depth=0 rules=1000 inspected_gbps=… baseline_gbps=… ratio=… alerts=…
#   ids: rules=1000 inspected_gbps=… baseline_gbps=… ratio=… alerts=…
# (medians; alerts: the ids alerts wardd raised over the inspected rounds;
# the last line with the default depth), after the matcher's own rate
# without the kernel (bench/idsmatch.c).
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${WARD_BENCH_BUILD:-$ROOT/build/rel}
SECS=${1:-5}
ROUNDS=${2:-3}
cd "$ROOT"
B=${BUILD#$ROOT/}
make -s -j2 MODE=rel BUILD_DIR="$B" "$B/bin/wardd" "$B/bin/ward" "$B/bin/ward-kdrv" \
    "$B/tests/kernel/wk-client" "$B/tests/kernel/wk-client-static" "$B/bench/idsmatch" >&2 || exit 1
command -v iperf3 >/dev/null || { echo "bench/run ids: no iperf3" >&2; exit 1; }

export WARD_BUILD=$BUILD
. "$ROOT/tests/kernel/lib.sh"
wk_setup >&2
. "$ROOT/tests/kernel/wardd.sh"
exec 3>&1 1>&2
# The matcher alone first (bench/idsmatch.c), with the same number of
# rules (here: lib.sh runs this script again in a mount namespace of its own).
"$BUILD/bench/idsmatch" $((1000 - $(grep -cE '^(alert|drop|reject|pass) ' rules/ids/ward.rules))) \
    rules/ids/ward.rules 64 >&3 || exit 1
IP3=$(readlink -f "$(command -v iperf3)")
export WARD_IDS_DIR=$WK_TMP/ids
mkdir -p "$WARD_IDS_DIR"
chmod 755 "$WK_TMP"
{
    cat "$ROOT/rules/ids/ward.rules"
    echo 'alert tcp any any -> any 5201 (msg:"bench: iperf3 parameters"; flow:to_server; content:"|22|tcp|22|"; sid:9199999;)'
    n=$(grep -cE '^(alert|drop|reject|pass) ' "$ROOT/rules/ids/ward.rules")
    for i in $(seq $((1000 - n - 1))); do
        printf 'alert tcp any any -> any any (msg:"bench %d"; content:"ward-bench-%05d-x"; nocase; sid:%d;)\n' \
            "$i" "$i" $((9200000 + i))
    done
} >"$WARD_IDS_DIR/ids.rules"
RULES=$(grep -cE '^(alert|drop|reject|pass) ' "$WARD_IDS_DIR/ids.rules")

wk_bg ip3 nsenter --net=/run/netns/$NS_B "$IP3" -s -B $IP_B
sleep 0.5
policy() {
    ward_policy <<CONF
set mode ask
set no-prompter block
$1
app "$IP3" {
    allow out tcp
}
CONF
}
# Gbit/s the receiver counted.
rate() {
    wk_client "$IP3" -c $IP_B -t "$SECS" -J 2>/dev/null | python3 -c '
import json, sys
print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
}
declare -a plain with whole
declare -A alerts=([with]=0 [whole]=0)
filter='filter "ids" layer outbound weight 50 proto tcp to port 5201 callout ids'
for round in $(seq "$ROUNDS"); do
    for s in plain with whole; do
        case $s in
        plain) policy "" ;;
        with) policy "$filter" ;;
        whole) policy "set ids-depth 0
$filter" ;;
        esac
        start_wardd w$round$s || exit 1
        v=$(rate)
        stop_wardd w$round$s
        [ $s != plain ] && alerts[$s]=$((alerts[$s] + $(grep -c "alert: ids" "$WK_TMP/w$round$s.log")))
        echo "ids: scenario=$s round=$round gbps=$v"
        eval "$s+=(${v:-0})"
    done
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
p=$(med "${plain[@]}")
ratio() { awk -v a="$1" -v b="$p" 'BEGIN {printf "%.3f", (b > 0 ? a / b : 0)}'; }
w=$(med "${whole[@]}")
printf 'ids: depth=0 rules=%s inspected_gbps=%s baseline_gbps=%s ratio=%s alerts=%s\n' "$RULES" \
    "$w" "$p" "$(ratio "$w")" "${alerts[whole]}" >&3
w=$(med "${with[@]}")
printf 'ids: rules=%s inspected_gbps=%s baseline_gbps=%s ratio=%s alerts=%s\n' "$RULES" "$w" "$p" \
    "$(ratio "$w")" "${alerts[with]}" >&3
