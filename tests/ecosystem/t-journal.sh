#!/bin/bash
# Every decision and alert as a structured journal entry: the exact
# datagrams wardd sends (a stand-in socket decodes journald's native
# protocol), its own rate limit with the count of what it held back, and the
# entries read back with journalctl from a systemd-journald of the test's
# own (in the test's private mount namespace, its journal on tmpfs: journalctl
# reads the default places, which are ours; skipped with the reason where
# journald cannot run).
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
ID_DECISION=7d3c1a5e0b6f4e2a9c8d1f0e3b2a4c61
ID_ALERT=a1f4c9e27b3d4e85b6c0d2f8e9a7b512
ID_HELD=5b9e0c3d7a1f4b62a8e4c6d0f2b1e937
SINK=$WK_TMP/journal.sock
ENTRIES=$WK_TMP/entries.jsonl

ward_policy <<CONF
set mode ask
set no-prompter block
set unattributed block
set alert portscan 10/30s
app "$A" {
    allow out tcp port 8080
}
app "$D" {
    deny out any
}
CONF
serve_b 1000
wk_bg sink python3 "$(dirname "$0")/journal-sink.py" "$SINK" "$ENTRIES"
wk_wait_for "$WK_TMP/sink.log" listening 20

# entry FILTER: the entries (JSON lines) for which the python expression
# FILTER over e (one entry's fields) holds.
entries() {
    python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if eval(sys.argv[2]):
        print(l, end="")' "$ENTRIES" "$1"
}
# wait_entries N FILTER: until N entries match (10 s).
wait_entries() {
    local i
    for i in $(seq 200); do
        [ "$(entries "$2" | wc -l)" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

export WARD_JOURNAL_SOCKET=$SINK WARD_JOURNAL_RATE=100/60
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
wk_check "wardd says where its journal entries go" grep -q "journal: decisions and alerts to $SINK" \
    "$WK_TMP/wardd.log"
wk_check "an allowed program connects" [ "$(conn "$A")" = ok ]
wk_check "a denied program is refused" [ "$(conn "$D")" = "err EPERM" ]
A_PERMIT="e.get('WARD_EXE') == '$A' and e.get('WARD_VERDICT') == 'permit'"
D_BLOCK="e.get('WARD_EXE') == '$D' and e.get('WARD_VERDICT') == 'block'"
wk_check "the allowed connection is an entry" wait_entries 1 "$A_PERMIT"
wk_check "the refused connection is an entry" wait_entries 1 "$D_BLOCK"
wk_check "a decision's fields: MESSAGE_ID, PID, REMOTE, ports, proto, priority" \
    wait_entries 1 "$A_PERMIT and e['MESSAGE_ID'] == '$ID_DECISION' and e['WARD_PID'].isdigit() \
        and int(e['WARD_PID']) > 1 and e['WARD_REMOTE'] == '$IP_B' and e['WARD_RPORT'] == '8080' \
        and e['WARD_PROTO'] == 'tcp' and e['WARD_DIRECTION'] == 'out' and e['PRIORITY'] == '6' \
        and e['SYSLOG_IDENTIFIER'] == 'wardd' and '$A' in e['MESSAGE'] and 'WARD_SEQ' in e \
        and e.get('WARD_LOCAL') != '::'"
wk_check "a refused connection is logged at notice priority" \
    wait_entries 1 "$D_BLOCK and e['PRIORITY'] == '5' and e['MESSAGE_ID'] == '$ID_DECISION'"
for port in $(seq 7001 7015); do wk_in_b "$WK_CLIENT" tcp4 $IP_A "$port" 2 >/dev/null; done
wk_check "a port scan is an alert entry with its own MESSAGE_ID" \
    wait_entries 1 "e.get('MESSAGE_ID') == '$ID_ALERT' and e['WARD_ALERT'] == 'portscan' \
        and e['WARD_REMOTE'] == '$IP_B' and e['PRIORITY'] == '4' and int(e['WARD_COUNT']) >= 10"
wk_check "inbound refusals are decision entries too" \
    wait_entries 10 "e.get('WARD_DIRECTION') == 'in' and e['WARD_REMOTE'] == '$IP_B'"
wk_check "every datagram decodes" bash -c "! grep -q BAD '$ENTRIES'"
stop_wardd wardd

# The rate limit: 3 entries of decisions per 2 s; 8 refusals (distinct
# ports, so the kernel's repeats do not fold them) make 3 entries and one
# that counts the 5 held back once the window is over.
: >"$ENTRIES"
export WARD_JOURNAL_RATE=3/2
start_wardd wardd2 || { wk_notok "wardd starts again"; exit 1; }
for port in $(seq 9001 9008); do wk_client "$D" tcp4 $IP_B "$port" 2 >/dev/null; done
wk_check "a held-back entry counts what the limit held back" \
    wait_entries 1 "e.get('MESSAGE_ID') == '$ID_HELD' and e['WARD_HELD_KIND'] == 'decision'"
held=$(entries "e.get('MESSAGE_ID') == '$ID_HELD'" | python3 -c '
import json, sys
print(sum(int(json.loads(l)["WARD_HELD_BACK"]) for l in sys.stdin))')
written=$(entries "e.get('MESSAGE_ID') == '$ID_DECISION'" | wc -l)
wk_check "the limit holds: 8 decisions, 3 a window ($written written, $held held back)" \
    [ "$((written + held))" -eq 8 -a "$held" -ge 1 ]
stop_wardd wardd2
unset WARD_JOURNAL_RATE

# The real thing: a systemd-journald of our own (this test runs in a private
# mount namespace: the mounts below hide the host's journal, not touch it).
JOURNALD=/lib/systemd/systemd-journald
if [ ! -x "$JOURNALD" ] || ! command -v journalctl >/dev/null; then
    echo "ok $((WK_N + 1)) - journald entries read back # SKIP no systemd-journald or journalctl"
    exit 0
fi
if ! wk_private_mounts; then
    echo "ok $((WK_N + 1)) - journald entries read back # SKIP no private mount namespace"
    exit 0
fi
mount -t tmpfs tmpfs /run/systemd && mount -t tmpfs tmpfs /run/log &&
    mkdir -p /var/log/journal && mount -t tmpfs tmpfs /var/log/journal
wk_bg journald "$JOURNALD"
journal_up() {
    for _ in $(seq 200); do
        [ -S /run/systemd/journal/socket ] && return 0
        sleep 0.1
    done
    return 1
}
if ! journal_up; then
    echo "ok $((WK_N + 1)) - journald entries read back # SKIP systemd-journald does not start here: $(head -c 200 "$WK_TMP/journald.log")"
    exit 0
fi
export WARD_JOURNAL_SOCKET=/run/systemd/journal/socket
start_wardd wardd3 || { wk_notok "wardd starts with journald"; exit 1; }
wk_check "an allowed program connects (journald)" [ "$(conn "$A")" = ok ]
wk_check "a denied program is refused (journald)" [ "$(conn "$D")" = "err EPERM" ]
jq_entries() {
    local i
    for i in $(seq 100); do
        journalctl -o json "MESSAGE_ID=$ID_DECISION" "$@" 2>/dev/null |
            grep -q . && return 0
        sleep 0.2
    done
    return 1
}
wk_check "journalctl reads the allowed connection back by MESSAGE_ID and WARD_EXE" \
    jq_entries "WARD_EXE=$A" WARD_VERDICT=permit WARD_REMOTE=$IP_B
wk_check "journalctl reads the refused one back" jq_entries "WARD_EXE=$D" WARD_VERDICT=block
wk_check "the entry's fields as journald stored them" bash -c \
    "journalctl -o json MESSAGE_ID=$ID_DECISION 'WARD_EXE=$A' |
     python3 -c 'import json,sys; e=json.loads(sys.stdin.readline());
assert e[\"WARD_PID\"].isdigit() and e[\"WARD_RPORT\"] == \"8080\" and e[\"PRIORITY\"] == \"6\"
assert e[\"_TRANSPORT\"] == \"journal\" and e[\"SYSLOG_IDENTIFIER\"] == \"wardd\"'"
stop_wardd wardd3
no_sanitizer "no sanitizer report" "$WK_TMP"/wardd*.log
exit 0
