#!/bin/bash
# `ward top` run by users who are not root. A member of group `ward` has
# the admin's view: the live event ring, every prompt, rule changes. An
# unrelated user is refused the ring and rule changes, and sees and answers
# only the prompts of their own processes; wardd refuses their answer to
# another user's prompt (the authorization rule in docs/PROTOCOL.md).
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
. "$(dirname "$0")/lib-top.sh"

ui_group || { wk_notok "group ward exists"; exit 1; }
MEMBER=wtm$WK_ID
OTHER=wto$WK_ID
ui_user "$MEMBER" ward && ui_user "$OTHER" || { wk_notok "test users made"; exit 1; }
# The other user's own program (each copy is its own identity to wardd).
MINE=$WK_TMP/mine/wk-client
mkdir -p "$WK_TMP/mine" && cp "$WK_CLIENT" "$MINE" && chmod 755 "$WK_TMP/mine" "$MINE"
as_other() { setpriv --reuid "$OTHER" --regid nogroup --clear-groups "$@"; }

ward_policy <<CONF
set mode ask
set prompt-timeout 60s default deny
set no-prompter block
CONF
serve_b 100
start_wardd wardd1 || { wk_notok "wardd starts"; exit 1; }

# --- A member of group ward: the admin's view. ---
top_start mem "$MEMBER" || { wk_notok "ward top starts as $MEMBER"; exit 1; }
wk_check "ward member: connected as admin, with the live event ring" \
    screen_wait mem "connected \(admin\).*events: live"
wk_bg c1 wk_client "$Q" tcp4 $IP_B 8080 50
wk_check "ward member: root's process's prompt appears" screen_wait mem "prompt [0-9]+ +$Q \(pid [0-9]+, (root|0)\)"
keys mem 2 a o Enter
wait "$WK_PID_c1" 2>/dev/null
wk_check "ward member: answered (allow once); the connection went through" grep -qx ok "$WK_TMP/c1.log"
keys mem 3 n
tmx send-keys -t mem -l "$O deny out udp port 9999"
keys mem Enter
wk_check "ward member: may add a rule" screen_wait mem "rule [0-9]+ added"
wk_check "ward member: ... which wardd holds" bash -c "'$WARD' rules list | grep -q 'port 9999'"
save mem top-member
wk_check "ward member: ward top quits" top_quit mem

# --- An unrelated user: their own prompts only. ---
top_start oth "$OTHER" || { wk_notok "ward top starts as $OTHER"; exit 1; }
wk_check "unrelated user: ward top says what it may not do" \
    screen_wait oth "user: own prompts and log only.*events: refused"
# Their prompter is the only one: nobody may answer for root's process, so
# it gets the no-prompter outcome (block) at once instead of waiting.
wk_check "unrelated user: with only their prompter, root's process gets the no-prompter block" \
    [ "$(conn "$D" 5)" != ok ]
np_logged() {
    "$WARD" log --program "$D" --json | grep -q '"filter":"no-prompter"' &&
        [ "$(status prompts_pending)" = 0 ]
}
wk_check "... logged as no-prompter, with no prompt raised" np_logged
silent p0 # an admin's prompter: root's prompts wait for it, not for the user
wk_bg c2 wk_client "$O" tcp4 $IP_B 8080 50
for _ in $(seq 200); do [ "$(status prompts_pending)" = 1 ] && break; sleep 0.1; done
wk_check "unrelated user: root's process asks (the admin's prompter has it)" \
    wk_wait_for "$WK_TMP/p0.log" "program:  $O" 20
# (The check that it stays unseen is below, once their own prompt is drawn.)
wk_check "unrelated user: root's prompt is not shown to them" screen_lacks oth "prompt [0-9]+ +$O"
wk_bg c3 wk_client setpriv --reuid "$OTHER" --regid nogroup --clear-groups "$MINE" tcp4 $IP_B 8080 50
wk_check "unrelated user: their own process's prompt appears" \
    screen_wait oth "prompt [0-9]+ +$MINE \(pid [0-9]+, ($OTHER|$(id -u "$OTHER"))\)"
wk_check "unrelated user: ... and only that one" screen_lacks oth "prompt [0-9]+ +$O"
save oth top-other-user
keys oth 2 a h f Enter
wait "$WK_PID_c3" 2>/dev/null
wk_check "unrelated user: answered their own (allow, this host, forever); it connected" \
    grep -qx ok "$WK_TMP/c3.log"
wk_check "unrelated user: wardd learned the answer" grep -q "app \"$MINE\"" "$WK_TMP/state/learned.rules"

# Their answer to root's prompt is refused by wardd, whatever the client.
pid_root=$(sed -n 's/^--- prompt \([0-9]*\) .*/\1/p' "$WK_TMP/p0.log" | tail -1)
answer_as_other() {
    as_other /usr/bin/python3 - "$WARD_SOCKET" "$pid_root" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
for m in ({"type": "hello", "id": 1, "versions": [1]},
          {"type": "prompt.answer", "id": 2, "prompt_id": int(sys.argv[2]),
           "action": "allow", "scope": "any", "duration": "forever"}):
    f.write(json.dumps(m) + "\n")
    f.flush()
    r = json.loads(f.readline())
print(r.get("code", r["type"]))
PY
}
wk_check "unrelated user: wardd refuses their answer to root's prompt (forbidden)" \
    [ "$(answer_as_other)" = forbidden ]
wk_check "unrelated user: root's prompt is still open" [ "$(status prompts_pending)" = 1 ]
keys oth 3 n
tmx send-keys -t oth -l "$O allow out udp port 9998"
keys oth Enter
wk_check "unrelated user: a rule change is refused, and ward top says why" \
    screen_wait oth "rule not added: .*needs root or group ward"
wk_check "unrelated user: wardd holds no such rule" bash -c "! '$WARD' rules list | grep -q 'port 9998'"
save oth top-other-user-rules
wk_check "unrelated user: ward top quits" top_quit oth
stop_wardd wardd1
no_sanitizer "ward top and wardd ran without a sanitizer report" "$WK_TMP"/wardd1.log \
    $(ls "$WK_TMP"/asan/* 2>/dev/null) /dev/null
exit 0
