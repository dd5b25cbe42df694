#!/bin/bash
# Decisions made in the kernel reach the log: a program whose verdict table
# allows it connects without wardd deciding anything, and the log still has
# each connection (rows, repeats folded into a count) with its program and
# rule; a raw socket refused by the hook is logged; an allowed DNS answer is
# logged; a flood that overfills the hooks' ring is counted as lost.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
command -v dig >/dev/null || wk_skip_all "no dig (dnsutils)"
WARD=$WK_BUILD/bin/ward
WARDD=$WK_BUILD/bin/wardd
A=$WK_TMP/allowed/wk-client
O=$WK_TMP/other/wk-client
mkdir -p "$WK_TMP/etc"
chmod 755 "$WK_TMP" "$WK_TMP/etc"
cat >"$WK_TMP/etc/ward.conf" <<CONF
set mode ask
set no-prompter pass
app "$A" {
    allow out tcp port 8080
}
app "$O" {
    allow out udp
}
CONF
chmod 644 "$WK_TMP/etc/ward.conf"
export WARD_SOCKET=$WK_TMP/run/control.sock
wk_bg dns nsenter --net=/run/netns/$NS_B "$WK_CLIENT" dns-server 53 $IP_B
wk_bg srv nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 8080 1000
for l in dns srv; do wk_wait_for "$WK_TMP/$l.log" listening; done
wk_bg wardd nsenter --net=/run/netns/$NS_A "$WARDD" --foreground \
    --config "$WK_TMP/etc/ward.conf" --state-dir "$WK_TMP/state" --run-dir "$WK_TMP/run" \
    --cgroup "$WK_CG" --pin-dir "$WK_PIN"
wk_wait_for "$WK_TMP/wardd.log" ready 30 || { wk_notok "wardd starts"; exit 1; }
wk_ok "wardd starts with its hooks on the test cgroup"

st() { "$WARD" status --json | sed "s/.*\"$1\":\([0-9]*\).*/\1/"; }
# rows PROGRAM [ward log args]: the JSON rows of a program's connections.
rows() {
    local p=$1
    shift
    "$WARD" log --program "$p" --json "$@"
}
# counted ROWS: the sum of the rows' counts (each row stands for count decisions).
counted() { sed -n 's/.*"count":\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}'; }
# logged N PROGRAM: the log has N of PROGRAM's decisions (folded counts go
# out after 1 s: waited for with wk_eventually).
logged() { [ "$(rows "$2" | counted)" -ge "$1" ]; }

N=25 # and lat's 20 warm-up connections
before=$(st decisions)
out=$(wk_client "$A" lat $IP_B 8080 $N)
N=$((N + 20))
wk_check "allowed in the kernel: $N connections pass ($out)" grep -q conns_per_s <<<"$out"
wk_check "the queue saw none of them (wardd decided nothing)" [ "$(st decisions)" = "$before" ]
wk_eventually 20 logged $N "$A"
r=$(rows "$A" --verdict permit)
echo "$r" | head -3 | sed 's/^/# /'
wk_check "the log has all $N, in rows or counts ($(counted <<<"$r"))" [ "$(counted <<<"$r")" = $N ]
wk_check "folded: fewer rows than connections ($(wc -l <<<"$r") rows)" [ "$(wc -l <<<"$r")" -lt $N ]
wk_check "the rows name the program, its pid and the remote" \
    bash -c "grep -q '\"exe\":\"$A\"' <<<'$r' && grep -q '\"pid\":[1-9]' <<<'$r' && grep -q '\"rport\":8080' <<<'$r'"
rid=$("$WARD" rules list --json 2>&1 | tee "$WK_TMP/rules.json" | grep "\"program\":\"$A\"" | grep '"protocol":6' |
    sed -n 's/.*"id":\([0-9]*\).*/\1/p' | head -1)
cat "$WK_TMP/rules.json" | sed "s/^/# /"
wk_check "the rows name the rule that decided (app-rule, rule $rid)" \
    bash -c "[ -n '$rid' ] && grep -q '\"filter_id\":$rid,' <<<'$r' && grep -q '\"filter\":\"app-rule\"' <<<'$r'"
wk_check "the kernel's records are counted by ward status" [ "$(st kernel_events)" -ge $N ]
"$WARD" log --program "$A" | head -2 | sed 's/^/# /'
wk_check "ward log shows the count" wk_eventually 20 bash -c "'$WARD' log --program '$A' | grep -q ' x[0-9]'"

# Datagrams: the first of each socket to a destination, allowed by the table.
before=$(st decisions)
for _ in 1 2 3; do wk_client "$O" udp-sendto $IP_B 9999 >/dev/null; done
wk_check "datagrams allowed in the kernel: wardd decided nothing" [ "$(st decisions)" = "$before" ]
wk_eventually 20 logged 3 "$O"
wk_check "datagrams: each socket's first datagram is logged ($(rows "$O" | counted))" \
    [ "$(rows "$O" | grep '"rport":9999' | grep '"proto":17' | counted)" = 3 ]

# A raw socket, refused by the hook in the kernel.
wk_check "raw socket: refused in the kernel" [ "$(wk_client "$A" raw)" = "err EPERM" ]
for _ in $(seq 200); do rows "$A" --verdict block | grep -q raw-socket && break; sleep 0.1; done
wk_check "raw socket: the refusal is logged with the program" \
    wk_eventually 20 bash -c "'$WARD' log --program '$A' --verdict block --json | grep -q '\"filter\":\"raw-socket\"'"

# DNS: an allowed answer is logged (layer dns), repeats folded.
for _ in 1 2 3; do wk_client /usr/bin/dig +short +time=8 +tries=1 @$IP_B www.klog.test >/dev/null; done
for _ in $(seq 200); do
    [ "$("$WARD" log --json | grep '"layer":"dns"' | grep www.klog.test | counted)" -ge 3 ] && break
    sleep 0.1
done
d=$("$WARD" log --verdict permit --json | grep '"layer":"dns"' | grep '"domain":"www.klog.test"')
wk_check "dns: the allowed answers are logged ($(counted <<<"$d") in $(wc -l <<<"$d") rows)" \
    [ "$(counted <<<"$d")" = 3 ]

# A flood while wardd does not read: the ring fills, the rest is counted lost.
ev0=$(st kernel_events) lost0=$(st kernel_lost)
kill -STOP "$WK_PID_wardd"
out=$(wk_client "$A" lat $IP_B 8080 30000)
kill -CONT "$WK_PID_wardd"
# Every attempt is decided by the hook and makes a record, whether or not the
# busy server then accepts it (a few may fail on its backlog).
n=$(($(sed -n 's/.*n=\([0-9]*\) fails=.*/\1/p' <<<"$out") + 20))
for _ in $(seq 200); do
    [ $(($(st kernel_events) - ev0 + $(st kernel_lost) - lost0)) -ge "${n:-1}" ] && break
    sleep 0.1
done
got=$(($(st kernel_events) - ev0)) lost=$(($(st kernel_lost) - lost0))
echo "# flood: $out; received $got, lost $lost"
wk_check "flood: records were lost and counted ($lost)" [ "$lost" -gt 0 ]
wk_check "flood: received + lost = the connections made ($got + $lost = $n)" [ $((got + lost)) = "$n" ]
wk_check "flood: ward status says so" bash -c "'$WARD' status | grep -q '$((lost + lost0)) lost'"
wk_check "flood: wardd's log says so" wk_wait_for "$WK_TMP/wardd.log" "decisions of the hooks lost" 20
# (Folded counts go out after 1 s; later on a loaded machine.)
in_log() { [ "$(rows "$A" | grep '"rport":8080' | counted)" -ge $((N + got)) ]; }
wk_eventually 20 in_log
wk_check "flood: every record received is in the log" \
    [ "$(rows "$A" | grep '"rport":8080' | counted)" = $((N + got)) ]

kill -TERM "$WK_PID_wardd"
wait "$WK_PID_wardd" 2>/dev/null
if grep -q 'Sanitizer\|runtime error' "$WK_TMP/wardd.log"; then
    wk_notok "wardd runs and stops without a sanitizer report"
    grep -h -A30 'Sanitizer\|runtime error' "$WK_TMP/wardd.log" | sed 's/^/# /'
else
    wk_ok "wardd runs and stops without a sanitizer report"
fi
exit 0
