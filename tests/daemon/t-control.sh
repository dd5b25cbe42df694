#!/bin/bash
# wardd's control plane without kernel hooks: what each lifetime does across
# a reload and a restart, all-or-nothing reloads, and the learned file.
set -u
B=${WARD_BUILD:?}/bin
T=$(mktemp -d /tmp/ward-ctl.XXXXXX)
P=""
trap '[ -n "$P" ] && kill $P 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
n=0
check() {
    local name=$1
    shift
    n=$((n + 1))
    if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; fi
}
chmod 755 "$T"
mkdir -p "$T/etc"
chmod 755 "$T/etc"
printf 'set mode ask\napp "/usr/bin/curl" {\n    allow out tcp port 443 to internet\n}\n' >"$T/etc/ward.conf"
chmod 644 "$T/etc/ward.conf"
export WARD_SOCKET=$T/run/control.sock
start() {
    "$B/wardd" --foreground --no-kernel --config "$T/etc/ward.conf" --state-dir "$T/state" \
        --run-dir "$T/run" >>"$T/wardd.log" 2>&1 &
    P=$!
    for _ in $(seq 100); do [ -S "$WARD_SOCKET" ] && "$B/ward" status >/dev/null 2>&1 && return; sleep 0.1; done
}
stop() { kill -TERM $P; wait $P; P=""; }
rules() { "$B/ward" rules list; }

check "explain --json: the decision and its steps as JSON" bash -c \
    "'$B/ward' explain -f '$T/etc/ward.conf' --app /usr/bin/curl --proto tcp --to 93.184.216.34 \
     --port 443 --json | python3 -c 'import json,sys; d=json.load(sys.stdin); \
     assert d[\"verdict\"] == \"permit\" and d[\"reason\"] == \"app-rule\" and d[\"steps\"]'"
start
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
# A dynamic rule belongs to the connection that added it.
python3 - "$WARD_SOCKET" >"$T/session.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
for msg in ('{"type":"hello","id":1,"versions":[1]}',
            '{"type":"rules.add","id":2,"rule":{"program":"/usr/bin/session","action":"allow",'
            '"provider":"gui","lifetime":{"kind":"dynamic"}}}'):
    f.write(msg + "\n"); f.flush(); print(f.readline().strip(), flush=True)
time.sleep(3)
PY
SP=$!
for _ in $(seq 50); do grep -q rules.added "$T/session.log" && break; sleep 0.1; done
check "a dynamic rule is in force while its session is open" \
    bash -c "'$B/ward' rules list | grep -q /usr/bin/session"

wait $SP
sleep 0.3
check "a dynamic rule is gone when its session closes" \
    bash -c "! '$B/ward' rules list | grep -q /usr/bin/session"
stop
start
check "restart: the until-restart rule is gone" bash -c "! '$B/ward' rules list | grep -q /usr/bin/a"
check "restart: the timed rule is back" bash -c "'$B/ward' rules list | grep -q /usr/bin/b"
stop
check "no sanitizer report" bash -c "! grep -q 'Sanitizer\|runtime error' '$T/wardd.log'"
