#!/bin/bash
# bench/run peers [ROUNDS [CONNECTS]] — Ward beside OpenSnitch, the
# application firewall Debian ships, under the same connection load.
#
# Both daemons run in turn in the kernel tests' sandbox (two network
# namespaces joined by veth; nothing in the root namespace): a client in
# namespace A makes CONNECTS (default 5000) sequential TCP connections to a
# server in B, each one a new connection decided in user space:
#   - opensnitchd (installed with apt-get if missing) in namespace A, with a
#     configuration of our own bind-mounted over /etc/opensnitchd in this
#     script's private mount namespace: its iptables rules queue every new
#     outgoing connection (NFQUEUE) and, with no UI connected, its default
#     action (allow) answers; processes are found through /proc ("proc"
#     method: no kprobes are loaded);
#   - wardd, the release build, with its connection log on (state dir of its
#     own), the client's rule naming a zone so every connect is queued.
# A no-firewall baseline runs just before each of them in every round; a
# ratio is a daemon's p50 over the baseline's run beside it, the median of
# the rounds. CPU is the daemon's user + system time (/proc/PID/stat) during
# the load, per connection; RSS is VmRSS after it. Prints
#   peers: ward_queued_p50_ratio=… opensnitch_p50_ratio=… ward_cpu_ms_per_conn=…
#          opensnitch_cpu_ms_per_conn=… ward_rss_kb=… opensnitch_rss_kb=…
#   peers: p50_advantage=… cpu_advantage=… (OpenSnitch's figure over Ward's)
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
ROUNDS=${1:-3}
N=${2:-5000}
if ! command -v opensnitchd >/dev/null; then
    # Debian starts services on install; a policy-rc.d refusing it keeps
    # opensnitchd off the host (it would hook the root namespace).
    echo "bench/run peers: installing opensnitch" >&2
    if [ -e /usr/sbin/policy-rc.d ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends opensnitch >&2
    else
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends opensnitch >&2
        rm -f /usr/sbin/policy-rc.d
    fi
    command -v opensnitchd >/dev/null || { echo "bench/run peers: no opensnitchd" >&2; exit 1; }
fi
. "$ROOT/bench/wardd.lib"
# The bind mount below must stay in this script's own mount namespace.
wk_private_mounts || { echo "bench/run peers: no private mount namespace" >&2; exit 1; }

C=$WK_TMP/asked/wk-client
mkdir -p "$WK_TMP/etc" "$WK_TMP/os/etc" "$WK_TMP/os/rules"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
bench_policy "$WK_TMP/etc/ward.conf" "$C" 0

cat >"$WK_TMP/os/etc/default-config.json" <<EOF
{
    "Server": { "Address": "unix://$WK_TMP/os/ui.sock", "LogFile": "$WK_TMP/os/ui.log" },
    "DefaultAction": "allow",
    "DefaultDuration": "once",
    "InterceptUnknown": false,
    "ProcMonitorMethod": "proc",
    "LogLevel": 2,
    "Firewall": "iptables",
    "Stats": { "MaxEvents": 150, "MaxStats": 25 }
}
EOF
echo '{ "SystemRules": [] }' >"$WK_TMP/os/etc/system-fw.json"
mount --bind "$WK_TMP/os/etc" /etc/opensnitchd || exit 1

wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080
wk_wait_for "$WK_TMP/srv.log" listening || exit 1

# The daemon's user + system time in 10 ms ticks, all its threads, also
# those that ended (Go's locked threads do); and, as a check, the exact time
# on a CPU of the threads alive at both ends (schedstat).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

start_opensnitch() {
    rm -rf "$WK_TMP/os/rules" && mkdir -p "$WK_TMP/os/rules"
    wk_bg daemon nsenter --net=/run/netns/$NS_A opensnitchd -rules-path "$WK_TMP/os/rules" \
        -ui-socket "unix://$WK_TMP/os/ui.sock" -process-monitor-method proc
    # Ready when its queue rule is in namespace A's mangle table.
    local i
    for ((i = 0; i < 300; i++)); do
        wk_in_a iptables -t mangle -S OUTPUT 2>/dev/null | grep -q NFQUEUE && return 0
        sleep 0.1
    done
    echo "bench/run peers: opensnitchd set no queue rule" >&2
    cat "$WK_TMP/daemon.log" >&2
    return 1
}
start_ward() { bench_wardd daemon "$WK_TMP/etc/ward.conf"; }
stop_daemon() {
    kill -TERM "$WK_PID_daemon" 2>/dev/null
    wait "$WK_PID_daemon" 2>/dev/null
    # What a daemon leaves behind must not reach the next run's baseline.
    wk_in_a iptables -t mangle -F 2>/dev/null
    wk_in_a iptables -t filter -F 2>/dev/null
    wk_in_a nft flush ruleset 2>/dev/null
    nsenter --net=/run/netns/$NS_A "$BUILD/bin/ward-kdrv" --teardown --pin-dir "$WK_PIN" >/dev/null 2>&1
    return 0
}

declare -A RATIO CPU RSS P50
for r in $(seq "$ROUNDS"); do
    for d in opensnitch ward; do
        base=$(wk_client "$C" lat $IP_B 8080 "$N")
        "start_$d" || exit 1
        # nsenter execs the daemon in place: the pid is the daemon's own.
        pid=$WK_PID_daemon
        k0=$(cpu_ticks "$pid") t0=$(cpu_ns "$pid")
        out=$(wk_client "$C" lat $IP_B 8080 "$N")
        t1=$(cpu_ns "$pid") k1=$(cpu_ticks "$pid")
        rss=$(rss_kb "$pid")
        stop_daemon
        echo "# round $r: none: $base | $d: $out | cpu_ms=$(((k1 - k0) * 1000 / $(getconf CLK_TCK))) (live threads: $(((t1 - t0) / 1000000)) ms) rss_kb=$rss"
        b50=$(field p50_us <<<"$base")
        p50=$(field p50_us <<<"$out")
        [ -n "$b50" ] && [ -n "$p50" ] || { echo "bench/run peers: a client run failed" >&2; exit 1; }
        P50[$d]+="$p50 "
        P50[none]+="$b50 "
        RATIO[$d]+="$(awk -v a="$p50" -v b="$b50" 'BEGIN { printf "%.3f", a / b }') "
        CPU[$d]+="$(awk -v t=$((k1 - k0)) -v n="$N" -v hz="$(getconf CLK_TCK)" \
            'BEGIN { printf "%.4f", t * 1000 / hz / n }') "
        RSS[$d]+="$rss "
    done
done
for d in none opensnitch ward; do echo "# $d p50_us: ${P50[$d]}"; done
for d in opensnitch ward; do echo "# $d ratios: ${RATIO[$d]} cpu_ms_per_conn: ${CPU[$d]} rss_kb: ${RSS[$d]}"; done
wr=$(median <<<"${RATIO[ward]}")
orr=$(median <<<"${RATIO[opensnitch]}")
wc=$(median <<<"${CPU[ward]}")
oc=$(median <<<"${CPU[opensnitch]}")
printf 'peers: ward_queued_p50_ratio=%s opensnitch_p50_ratio=%s ward_cpu_ms_per_conn=%s opensnitch_cpu_ms_per_conn=%s ward_rss_kb=%s opensnitch_rss_kb=%s\n' \
    "$wr" "$orr" "$wc" "$oc" "$(median <<<"${RSS[ward]}")" "$(median <<<"${RSS[opensnitch]}")" >&3
awk -v wr="$wr" -v or="$orr" -v wc="$wc" -v oc="$oc" 'BEGIN {
    printf "peers: p50_advantage=%.1f cpu_advantage=%.1f (OpenSnitch'"'"'s figure over Ward'"'"'s; rounds=%d connects=%d)\n",
        or / wr, (wc > 0 ? oc / wc : 0), '"$ROUNDS"', '"$N"' }' >&3
