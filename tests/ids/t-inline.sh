#!/bin/bash
# Intrusion detection inline: an outbound filter sends port 9000's TCP
# flows to the built-in ids callout, which inspects them through wardd's
# stream layer with the rules of $WARD_IDS_DIR/ids.rules. A drop rule's
# content, even split over two segments, never reaches the receiver whole:
# the connection is reset and the alert (sid, msg, program, pid, flow) is in
# wardd's log and the connection log. An alert rule lets the bytes through
# and is logged; a rule limited to a program matches that program only;
# clean traffic passes; `ward update ids` swaps the set in force; a flow
# past the inspection depth leaves the stream queue.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
command -v curl >/dev/null || wk_skip_all "no curl"
[ -x /usr/bin/python3 ] || wk_skip_all "no /usr/bin/python3"
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
CURL=$(readlink -f "$(command -v curl)")
PY=$(readlink -f /usr/bin/python3)
export WARD_IDS_DIR=$WK_TMP/ids
mkdir -p "$WARD_IDS_DIR"
chmod 755 "$WK_TMP"
cat >"$WARD_IDS_DIR/ids.rules" <<RULES
drop tcp any any -> any 9000 (msg:"test attack string"; flow:to_server,established; content:"EVIL-ATTACK-STRING"; classtype:attempted-admin; sid:9100001; rev:2;)
alert tcp any any -> any 9000 (msg:"alert only"; content:"ALERT-ME"; sid:9100002;)
drop tcp any any -> any 9000 (msg:"curl only"; content:"PROGRAM-LIMITED"; program:"$CURL"; sid:9100003;)
RULES
# policy [SETTING]: the test's policy, with one more setting.
policy() {
    ward_policy <<CONF
set mode ask
set no-prompter block
$1
filter "inspect" layer outbound weight 50 proto tcp to port 9000 callout ids
app "$CURL" {
    allow out tcp
}
app "$PY" {
    allow out tcp
}
CONF
}
policy ""
RECV=$WK_TMP/received
: >"$RECV"
wk_bg recv nsenter --net=/run/netns/$NS_B "$PY" "$ROOT/tests/ids/recv.py" $IP_B 9000 "$RECV"
wk_wait_for "$WK_TMP/recv.log" listening || { wk_notok "the receiver starts"; exit 1; }
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
wk_check "wardd loads the rules" wk_wait_for "$WK_TMP/wardd.log" "ids: 3 rules in force"

# send PIECE... : one connection, each piece its own segment (no Nagle,
# a pause between); prints the answers, or "reset".
send() {
    wk_client "$PY" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 9000), 10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.settimeout(10)
try:
    for p in sys.argv[2:]:
        s.sendall(p.encode().replace(b"\\n", b"\n"))
        time.sleep(0.3)
    print(s.recv(200).decode().strip().replace("\n", " "))
except (ConnectionResetError, BrokenPipeError):
    print("reset")
except socket.timeout:
    print("timeout")
' $IP_B "$@" 2>&1
}

wk_check "clean traffic passes" [ "$(send 'hello world\n')" = OK ]
wk_check "... and reaches the receiver" grep -q "hello world" "$RECV"
out=$(send 'GET /x EVIL-ATTACK-STRING\n')
wk_check "an attack in one segment: the connection is reset ($out)" [ "$out" = reset ]
out=$(send 'first EVIL-ATT' 'ACK-STRING second\n')
wk_check "an attack split over two segments: reset ($out)" [ "$out" = reset ]
wk_check "the receiver never saw the attack string" bash -c "! grep -q 'EVIL-ATTACK-STRING' '$RECV'"
wk_check "... nor what followed it" bash -c "! grep -q 'STRING second' '$RECV'"
wk_check "the drop is in wardd's log with sid, msg and program" \
    grep -q "alert: ids sid 9100001 rev 2 \[drop\]: test attack string: $PY pid [1-9][0-9]* to $IP_B port 9000" \
    "$WK_TMP/wardd.log"
wk_check "... and in the connection log as an ids alert with the program" \
    wk_eventually 20 bash -c "'$WARD' log --json | grep '\"filter\":\"ids\"' | grep 'sid 9100001' | grep -q '\"exe\":\"$PY\"'"
sed -n 's/^/# /; /alert: ids/p' "$WK_TMP/wardd.log" | head -5

out=$(send 'please ALERT-ME now\n')
wk_check "an alert rule lets the bytes through ($out)" [ "$out" = OK ]
wk_check "... to the receiver" grep -q "ALERT-ME" "$RECV"
wk_check "... and is logged" grep -q "alert: ids sid 9100002 rev 0 \[alert\]: alert only" "$WK_TMP/wardd.log"

# A rule limited to a program: curl's request is reset, python's passes.
wk_client "$CURL" -s -o /dev/null --max-time 10 "http://$IP_B:9000/PROGRAM-LIMITED" 2>/dev/null
rc=$?
wk_check "a rule limited to curl resets curl's request (curl $rc)" [ $rc -eq 56 -o $rc -eq 52 ]
wk_check "... which never reaches the receiver" bash -c "! grep -q 'GET /PROGRAM-LIMITED' '$RECV'"
wk_check "... while python's same bytes pass" [ "$(send 'PROGRAM-LIMITED\n')" = OK ]
wk_check "... and reach it" grep -q "^PROGRAM-LIMITED" "$RECV"

# ward update ids swaps the set wardd uses (it looks once a second).
D=$WK_TMP/bundle
mkdir -p "$D" "$WK_TMP/keys"
cp "$ROOT/tests/ids/keys/test.pub" "$WK_TMP/keys/"
install -m 600 "$ROOT/tests/ids/keys/test.key" "$WK_TMP/test.key"
echo 'drop tcp any any -> any 9000 (msg:"new rule"; content:"NEW-BAD-THING"; sid:9100010;)' >"$D/ids.rules"
"$WARD" bundle create "$D" --name ids --version 5 --key "$WK_TMP/test.key" --output "$WK_TMP/b.wbd" >/dev/null
wk_check "ward update ids puts a new set in force" "$WARD" update ids --keys "$WK_TMP/keys" "$WK_TMP/b.wbd"
wk_check "... wardd swaps it in" wk_wait_for "$WK_TMP/wardd.log" "ids: 1 rules in force"
wk_check "... its rule acts" [ "$(send 'a NEW-BAD-THING\n')" = reset ]
wk_check "... and the old ones are gone" [ "$(send 'EVIL-ATTACK-STRING\n')" = OK ]
"$WARD" status >"$WK_TMP/status" 2>&1
sed -n 's/^/# /; /^ids\|^stream/p' "$WK_TMP/status"
wk_check "ward status counts the rules, flows, alerts and resets" \
    grep -Eq "^ids: +1 rules; [1-9][0-9]* flows inspected, [4-9] alerts, [4-9] reset; 0 bytes not inspected" \
    "$WK_TMP/status"
wk_check "... and the stream bound's losses" grep -q "^stream: .* 0 flows passed (fail open), 0 reset" "$WK_TMP/status"
wk_check "... in --json too" bash -c "'$WARD' status --json | grep -q '\"ids_rules\":1,\"ids_flows\":[1-9][0-9]*,\"ids_alerts\":[4-9],'"

# The depth (1 MiB per direction, docs/IDS.md "Depth"): an attack within it
# is still dropped; once a direction has passed it the flow leaves the
# stream queue (the kernel's queue id counter stops growing while 1 MiB
# more goes by) and its later bytes are not inspected.
# past PAD MORE PIECE: PAD bytes, PIECE, then MORE bytes and a line; prints
# the answer (or "reset") and the stream queues' packets during MORE.
past() {
    wk_client "$PY" -c '
import socket, sys, time
def queued():  # id_sequence of every NFQUEUE of this namespace
    with open("/proc/net/netfilter/nfnetlink_queue") as f:
        return sum(int(l.split()[7]) for l in f if l.strip())
s = socket.create_connection((sys.argv[1], 9000), 10)
s.settimeout(10)
try:
    s.sendall(b"p" * int(sys.argv[2]))
    s.sendall(sys.argv[4].encode())
    time.sleep(0.5)
    before = queued()
    s.sendall(b"m" * int(sys.argv[3]) + b"\n")
    answer = s.recv(200).decode().strip()
    print(answer, queued() - before)
except (ConnectionResetError, BrokenPipeError):
    print("reset")
except socket.timeout:
    print("timeout")
' $IP_B "$@" 2>&1
}
out=$(past 524288 0 'NEW-BAD-THING')
wk_check "an attack after 512 KiB (within the depth) is still dropped ($out)" [ "$out" = reset ]
out=$(past 1200000 1048576 'NEW-BAD-THING')
wk_check "past the depth the flow is let go: bytes after it are not inspected ($out)" \
    [ "${out% *}" = OK ]
wk_check "... and its packets no longer go through the stream queue (${out#* } queued)" \
    [ "${out#* }" -le 2 ]
wk_check "ward status counts the flow past the depth" \
    bash -c "'$WARD' status | grep -Eq '^ids: .*; [1-9][0-9]* flows past the depth \(left the stream queue\)'"
wk_check "... in --json too" bash -c "'$WARD' status --json | grep -Eq '\"ids_bypassed\":[1-9]'"

# set ids-depth: a smaller depth lets a flow go sooner; 0 inspects it whole.
policy "set ids-depth 64KB"
wk_check "reload with set ids-depth 64KB" "$WARD" reload
out=$(past 32768 0 'NEW-BAD-THING')
wk_check "an attack after 32 KiB (within 64 KiB) is dropped ($out)" [ "$out" = reset ]
out=$(past 100000 0 'NEW-BAD-THING')
wk_check "an attack after 100 kB (past 64 KiB) is not inspected ($out)" [ "${out% *}" = OK ]
policy "set ids-depth 0"
wk_check "reload with set ids-depth 0 (no depth)" "$WARD" reload
out=$(past 3000000 0 'NEW-BAD-THING')
wk_check "an attack after 3 MB (past the default depth) is dropped ($out)" [ "$out" = reset ]
wk_check "wardd still runs" kill -0 "$WK_PID_wardd"
exit 0
