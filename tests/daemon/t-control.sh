#!/bin/bash
# wardd's control plane without kernel hooks: what each lifetime does across
# a reload and a restart, all-or-nothing reloads, and the learned file.
. "$(dirname "$0")/nokernel.sh"
nk_setup ctl
printf 'set mode ask\napp "/usr/bin/curl" {\n    allow out tcp port 443 to internet\n}\n' | nk_policy
rules() { "$B/ward" rules list; }

check "explain --json: the decision and its steps as JSON" bash -c \
    "'$B/ward' explain -f '$T/etc/ward.conf' --app /usr/bin/curl --proto tcp --to 93.184.216.34 \
     --port 443 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); \
     assert d[\"verdict\"] == \"permit\" and d[\"reason\"] == \"app-rule\" and d[\"steps\"]'"
nk_start
"$B/ward" rules add --until-restart /usr/bin/a allow out tcp port 1 >/dev/null
"$B/ward" rules add --for 10m /usr/bin/b allow out tcp port 2 >/dev/null
"$B/ward" rules add /usr/bin/c allow out tcp port 3 >/dev/null
check "forever and timed rules are written to the learned file" \
    grep -q '/usr/bin/c' "$T/state/learned.rules"
check "an until-restart rule is not" bash -c "! grep -q '/usr/bin/a' '$T/state/learned.rules'"
check "a session's rule cannot be made persistent for another provider" \
    bash -c "! '$B/ward' rules add --provider fleet /usr/bin/d allow 2>/dev/null"
"$B/ward" reload >/dev/null
check "reload: the until-restart rule is carried over" bash -c "'$B/ward' rules list | grep -q /usr/bin/a"
check "reload: nothing is duplicated" [ "$(rules | wc -l)" -eq 4 ]
echo 'app "/usr/bin/x" { allow out tcp port 99999 }' >>"$T/etc/ward.conf"
out=$("$B/ward" reload 2>&1)
check "a bad reload is refused with file:line:col" grep -q 'ward.conf:5:.*error' <<<"$out"
check "a bad reload changes nothing" [ "$(rules | wc -l)" -eq 4 ]
sed -i '$d' "$T/etc/ward.conf"
id=$(rules | awk '$2 == "\"/usr/bin/c\"" { print $1 }')
"$B/ward" rules delete "$id" >/dev/null
check "a deleted learned rule leaves the learned file" bash -c "! grep -q '/usr/bin/c' '$T/state/learned.rules'"
# A dynamic rule belongs to the connection that added it (open until the
# test has looked: a fixed 3 s could end first on a loaded machine).
python3 - "$WARD_SOCKET" "$T/session.end" >"$T/session.log" 2>&1 <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
for msg in ('{"type":"hello","id":1,"versions":[1]}',
            '{"type":"rules.add","id":2,"rule":{"program":"/usr/bin/session","action":"allow",'
            '"provider":"gui","lifetime":{"kind":"dynamic"}}}'):
    f.write(msg + "\n"); f.flush(); print(f.readline().strip(), flush=True)
while not os.path.exists(sys.argv[2]):
    time.sleep(0.1)
PY
SP=$!
for _ in $(seq 200); do grep -q rules.added "$T/session.log" && break; sleep 0.1; done
check "a dynamic rule is in force while its session is open" \
    bash -c "'$B/ward' rules list | grep -q /usr/bin/session"
touch "$T/session.end"
wait $SP
check "a dynamic rule is gone when its session closes" \
    eventually bash -c "! '$B/ward' rules list | grep -q /usr/bin/session"
# ward rules add takes a rule of the policy language, parsed by wardd with
# the policy's parser: time windows, domains, zones, lifetimes, errors at
# rule:line:col.
"$B/ward" rules add /usr/bin/t1 allow out tcp port 443,8443 domain example.com,*.example.org \
    weekdays 08:00-19:00 until-restart >/dev/null 2>"$T/t1.err"
check "rules add: time windows and domains" bash -c \
    "'$B/ward' rules list | grep /usr/bin/t1 | grep -q 'weekdays 08:00-19:00' &&
     '$B/ward' rules list | grep /usr/bin/t1 | grep -q '\*.example.org'"
"$B/ward" rules add /usr/bin/t2 deny in udp port 53 from lan once >/dev/null 2>"$T/t2.err"
check "rules add: direction in, a zone and a once lifetime" bash -c \
    "'$B/ward' rules list | grep /usr/bin/t2 | grep -q 'once'"
"$B/ward" rules add /usr/bin/t3 allow out tcp to 192.0.2.0/24 mon,wed 22:00-02:00 \
    until-exit pid 1 start 2 >/dev/null 2>"$T/t3.err"
check "rules add: an until-exit lifetime and a window across midnight" bash -c \
    "'$B/ward' rules list | grep /usr/bin/t3 | grep -q 'until-exit pid 1'"
out=$("$B/ward" rules add /usr/bin/t4 allow out tcp port 99999 2>&1)
check "rules add: a bad value is refused at rule:line:col" grep -q 'rule:1:[0-9]*: error: port 99999 is out of range' <<<"$out"
out=$("$B/ward" rules add /usr/bin/t4 allow out tcp prot 22 2>&1)
check "rules add: an unknown word gets a did-you-mean" grep -q "unknown rule keyword 'prot'; did you mean" <<<"$out"
out=$("$B/ward" rules add /usr/bin/t4 allow out tcp port 22 allow out udp 2>&1)
check "rules add: one rule a request" grep -q 'one rule expected' <<<"$out"
check "rules add: a refused rule leaves nothing behind" bash -c "! '$B/ward' rules list | grep -q /usr/bin/t4"
check "rules add: a persistent rule of another provider is refused" \
    bash -c "! '$B/ward' rules add --provider fleet /usr/bin/t5 allow out tcp 2>/dev/null &&
             ! '$B/ward' rules list | grep -q /usr/bin/t5"
# Every word of a program's rule: the users a rule is for, too.
"$B/ward" rules add /usr/bin/t6 allow out tcp port 80 to lan user 1000-1999,0 \
    until-restart >/dev/null 2>"$T/t6.err"
check "rules add: user" bash -c \
    "'$B/ward' rules list | grep /usr/bin/t6 | grep -q 'user { 0, 1000-1999 }'"
explain_t6() {
    "$B/ward" explain --daemon --app /usr/bin/t6 --proto tcp --to 10.1.2.3 --port 80 --uid "$1"
}
check "rules add: the user rule holds for its users" bash -c \
    "$(declare -f explain_t6); B='$B'; explain_t6 1500 | grep -q 'decision: permit.*reason app-rule'"
check "rules add: ... and not for others" bash -c \
    "$(declare -f explain_t6); B='$B'; explain_t6 2000 | grep -q 'no match: user 2000 is not the rule'"
# What `ward rules list` prints after the program is a rule `ward rules add`
# takes back, and that prints the same.
for p in t1 t3 t6; do
    line=$(rules | awk -v p="\"/usr/bin/$p\"" '$2 == p { $1 = ""; $2 = ""; sub(/^ +/, ""); print }')
    # shellcheck disable=SC2086 # the rule's words, as a user types them
    "$B/ward" rules add "/usr/bin/$p-copy" $line >/dev/null 2>>"$T/copy.err"
    copy=$(rules | awk -v p="\"/usr/bin/$p-copy\"" '$2 == p { $1 = ""; $2 = ""; sub(/^ +/, ""); print }')
    check "rules list: the $p rule as printed is added back the same" [ -n "$line" -a "$line" = "$copy" ]
done
nk_stop
nk_start
check "restart: the until-restart rule is gone" bash -c "! '$B/ward' rules list | grep -q /usr/bin/a"
check "restart: the timed rule is back" bash -c "'$B/ward' rules list | grep -q /usr/bin/b"
nk_stop
nk_no_sanitizer
