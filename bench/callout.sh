#!/bin/bash
# bench/run callout [ENTRIES [LOOKUPS [CONNECTS]]] — the callout platform's
# costs: the dnsfilter list (load time of ENTRIES names, lookup time against
# a list 100 times smaller), a metadata-only callout in the engine (per
# decision), and per connection through wardd (the kernel test sandbox: two
# network namespaces, hooks on a cgroup of our own; needs root): CONNECTS
# connects decided in wardd with a filter handing them to a metadata-only
# callout that says continue — the built-in accounting callout (in wardd's
# loop), and the example portguard (a shared object in its host process,
# whose answers are marked WARD_CALLOUT_F_CACHE: kept by wardd) —
# against the same connects decided by a plain filter; five rounds of the
# three in turn, each callout round's p50 divided by the plain round's just
# before it (paired), medians of those ratios. Ends with
#   callout: per_conn_overhead_ratio=… dnsfilter_entries=… load_ms=… lookup_ns=… shared_conn_overhead_ratio=…
# (per_conn_overhead_ratio: the built-in callout's).
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${WARD_BENCH_BUILD:-$ROOT/build/rel}
ENTRIES=${1:-200000}
LOOKUPS=${2:-2000000}
N=${3:-500}
cd "$ROOT"
B=${BUILD#$ROOT/}
make -s -j2 MODE=rel BUILD_DIR="$B" "$B/bench/callout" "$B/bin/wardd" "$B/bin/ward" \
    "$B/bin/ward-callout-host" "$B/callouts/portguard.so" "$B/tests/kernel/wk-client" >&2 || exit 1
out=$("$BUILD/bench/callout" "$ENTRIES" "$LOOKUPS") || exit 1
echo "$out"
load_ms=$(sed -n '1s/.* load_ms=\([0-9.]*\).*/\1/p' <<<"$out")
lookup_ns=$(sed -n '1s/.* lookup_ns=\([0-9.]*\).*/\1/p' <<<"$out")

export WARD_BUILD=$BUILD
. "$ROOT/tests/kernel/lib.sh"
wk_setup >&2
. "$ROOT/tests/kernel/wardd.sh"
DIR=$WK_TMP/callouts
mkdir -p "$DIR" && chmod 755 "$WK_TMP" "$DIR"
install -m 0644 "$BUILD/callouts/portguard.so" "$DIR/"
serve_b >&2
# Both policies queue A's connects to 8080 (a filter the kernel cannot
# decide: it names a domain, or a callout); both end in A's permit.
policy() {
    ward_policy <<CONF
set mode ask
set no-prompter block
filter "f" layer outbound weight 50 proto tcp to port 8080 $1
app "$A" {
    allow out tcp
}
CONF
}
lat() { wk_client "$A" lat $IP_B 8080 "$N" | sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p'; }
ROUNDS=5
declare -a plain builtin shared rb rs
for round in $(seq $ROUNDS); do
    for s in plain builtin shared; do
        case $s in
        plain) policy 'domain "never.test" block' ;;
        builtin) policy "callout accounting" ;; # metadata only, in wardd: continue
        shared) policy "callout portguard" ;;   # metadata only, in its host process: kept answers
        esac
        start_wardd w$round$s --callout-dir "$DIR" >&2 || exit 1
        v=$(lat)
        stop_wardd w$round$s
        echo "connect: scenario=$s round=$round p50_us=$v"
        eval "$s+=($v)"
    done
    # Paired: each callout round against the plain one run just before it.
    rb+=("$(awk -v a="${plain[-1]}" -v b="${builtin[-1]}" 'BEGIN { printf "%.3f", b / a }')")
    rs+=("$(awk -v a="${plain[-1]}" -v b="${shared[-1]}" 'BEGIN { printf "%.3f", b / a }')")
done
med() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
echo "connect: plain_p50_us=$(med "${plain[@]}") builtin_p50_us=$(med "${builtin[@]}")" \
    "shared_p50_us=$(med "${shared[@]}") (medians of $ROUNDS rounds)"
echo "connect: builtin/plain per round: ${rb[*]}; shared/plain: ${rs[*]}"
echo "callout: per_conn_overhead_ratio=$(med "${rb[@]}") dnsfilter_entries=$ENTRIES" \
    "load_ms=$load_ms lookup_ns=$lookup_ns shared_conn_overhead_ratio=$(med "${rs[@]}")"
