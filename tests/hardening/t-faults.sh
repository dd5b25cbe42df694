#!/bin/bash
# Fault injection: wardd is SIGKILLed at random points (N each, default 20;
# WARD_FAULTS_N sets it) during a reload of a large policy, during the
# answer to a prompt (learned and written as "forever") and while it writes
# its log under a storm of refused connections; then it is started again.
# Throughout, a program with a deny rule connects in a loop: it must never
# reach the peer. After every kill: the learned rules parse (`ward check`),
# the SQLite log passes PRAGMA integrity_check, and wardd starts.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
N=${WARD_FAULTS_N:-20}
command -v sqlite3 >/dev/null || wk_skip_all "no sqlite3"
refuse_denied_policy
cp "$WK_TMP/etc/ward.conf" "$WK_TMP/etc/small.conf"
# The large policy: 20,000 programs, 40,000 rules.
{
    cat "$WK_TMP/etc/small.conf"
    for ((i = 0; i < 20000; i++)); do
        printf 'app "/opt/x/prog%d" {\n    allow out tcp port %d to 10.%d.0.0/16\n    deny out udp port 53\n}\n' \
            $i $((1 + i % 60000)) $((i % 250))
    done
} >"$WK_TMP/etc/big.conf"
chmod 644 "$WK_TMP/etc/"*.conf
serve_b # B:8080, what the denied program reaches
wk_bg srv9090 nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp 9090
wk_wait_for "$WK_TMP/srv9090.log" listening
R=0
start() {
    R=$((R + 1))
    cp "$WK_TMP/etc/small.conf" "$WK_TMP/etc/ward.conf"
    start_wardd wardd$R
    eval "PID=\$WK_PID_wardd$R"
}
kill9() {
    kill -9 "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
}
# rand_s MAX: a random delay in seconds, up to MAX ms.
rand_s() {
    local ms=$((RANDOM % $1))
    printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}
bad_rules=0 bad_db=0 no_start=0 kills=0
# After each kill: the state is whole and wardd starts again.
check_state() {
    kills=$((kills + 1))
    if [ -f "$WK_TMP/state/learned.rules" ] &&
        ! "$WARD" check "$WK_TMP/state/learned.rules" >"$WK_TMP/check.out" 2>&1; then
        bad_rules=$((bad_rules + 1))
        sed 's/^/# learned.rules: /' "$WK_TMP/check.out" | head -3
    fi
    if [ -f "$WK_TMP/state/log.db" ]; then
        ic=$(sqlite3 "$WK_TMP/state/log.db" 'PRAGMA integrity_check' 2>&1)
        [ "$ic" = ok ] || { bad_db=$((bad_db + 1)); echo "# log.db: $ic" | head -3; }
    fi
    start || { no_start=$((no_start + 1)); tail -3 "$WK_TMP/wardd$R.log" | sed 's/^/# /'; }
}

start || { wk_notok "wardd starts"; exit 1; }
# The denied program, all along (its connections refused, or held while
# wardd is down): none may reach B:8080.
wk_bg storm wk_client "$D" probe tcp4 $IP_B 8080 100000
sleep 0.5

# 1. During a reload of the large policy.
for ((i = 0; i < N; i++)); do
    cp "$WK_TMP/etc/big.conf" "$WK_TMP/etc/ward.conf"
    "$WARD" reload >>"$WK_TMP/reloads.out" 2>&1 &
    rl=$!
    sleep "$(rand_s 800)"
    kill9
    wait $rl 2>/dev/null
    check_state
done
echo "# reload: $(grep -c reloaded "$WK_TMP/reloads.out") of $N reloads finished before the kill"
wk_check "reload: $N kills, wardd started again each time ($no_start failed)" [ $no_start -eq 0 ]
wk_check "reload: the large policy loads (a reload to the end)" bash -c \
    "cp '$WK_TMP/etc/big.conf' '$WK_TMP/etc/ward.conf' && '$WARD' reload >/dev/null"
cp "$WK_TMP/etc/small.conf" "$WK_TMP/etc/ward.conf"
"$WARD" reload >/dev/null 2>&1

# 2. During the answer to a prompt ("allow, this port, forever": learned
#    and written to learned.rules).
answered=0
for ((i = 0; i < N; i++)); do
    mkdir -p "$WK_TMP/u$i"
    cp "$WK_CLIENT" "$WK_TMP/u$i/wk-client"
    wk_bg p$i "$WARD" prompt --answer allow --scope port --duration forever --count 1
    wk_wait_for "$WK_TMP/p$i.log" "waiting for prompts" 20 2>/dev/null
    wk_bg u$i wk_client "$WK_TMP/u$i/wk-client" tcp4 $IP_B 9090 5
    sleep "$(rand_s 300)"
    kill9
    eval "kill \$WK_PID_p$i \$WK_PID_u$i" 2>/dev/null
    grep -q "wk-client" "$WK_TMP/p$i.log" && answered=$((answered + 1))
    check_state
done
learned=$(grep -c '^app' "$WK_TMP/state/learned.rules" 2>/dev/null || echo 0)
echo "# prompts: $answered of $N seen by the prompter before the kill; $learned programs learned"
wk_check "prompts: $N kills, wardd started again each time ($no_start failed)" [ $no_start -eq 0 ]
wk_check "prompts: learned.rules parsed after every kill ($bad_rules bad)" [ $bad_rules -eq 0 ]

# 3. While the log is written: a second storm of refused connections (each
#    one a row), killed at random points.
for ((i = 0; i < N; i++)); do
    wk_bg lstorm wk_client "$D" storm $IP_B 8080 1
    sleep "$(rand_s 800)"
    kill9
    wait "$WK_PID_lstorm" 2>/dev/null
    check_state
done
rows=$(sqlite3 "$WK_TMP/state/log.db" 'SELECT count(*) FROM conn' 2>&1)
echo "# log: $rows rows after $kills kills"
wk_check "log: integrity_check ok after every kill ($bad_db bad)" [ $bad_db -eq 0 ]
wk_check "log writes: $N kills, wardd started again each time ($no_start failed)" [ $no_start -eq 0 ]
wk_check "the final wardd still refuses the denied program" \
    [ "$(wk_client "$D" tcp4 $IP_B 8080 3)" != ok ]
kill "$WK_PID_storm" 2>/dev/null
wait "$WK_PID_storm" 2>/dev/null
leaked=$(conns)
echo "# denied program: $leaked connections reached the peer over $kills kills of wardd"
wk_check "no leak: the denied program never reached the peer ($leaked)" [ "$leaked" -eq 0 ]
stop_wardd wardd$R
if grep -q 'Sanitizer\|runtime error' "$WK_TMP"/wardd*.log; then
    wk_notok "no sanitizer report in any run"
    grep -h -A10 'Sanitizer\|runtime error' "$WK_TMP"/wardd*.log | head -20 | sed 's/^/# /'
else
    wk_ok "no sanitizer report in any run"
fi
exit 0
