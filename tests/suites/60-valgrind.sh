#!/bin/bash
# wardd under valgrind (a plain -O2 -g build, as shipped): a control session
# of every kind of request, garbage and oversized messages, a failed and a
# good reload, a prompter and a watcher coming and going, limits and the
# accounting callout in the policy (no kernel: nothing enforced); then SIGTERM.
# No memory error and no definite leak, or the test fails.
set -uo pipefail
cd "$WARD_ROOT"
n=0
ok() { n=$((n + 1)); echo "ok $n - valgrind: $*"; }
notok() { n=$((n + 1)); echo "not ok $n - valgrind: $*"; }
command -v valgrind >/dev/null || { echo "1..0 # SKIP no valgrind"; exit 0; }
make -s -j2 MODE=rel programs >/dev/null || { notok "release build"; exit 1; }
B=$WARD_ROOT/build/rel/bin
T=$(mktemp -d /tmp/ward-vg.XXXXXX)
trap 'kill $P 2>/dev/null; rm -rf "$T"' EXIT
chmod 755 "$T"
mkdir -p "$T/etc"
chmod 755 "$T/etc"
cat >"$T/etc/ward.conf" <<CONF
set mode ask
set accounting-limit 1GB per day
filter "hogs" layer outbound weight 10 hard callout accounting
app "/usr/bin/curl" {
    limit rate 2mbit
    quota 1GB per day
    allow out tcp port { 80, 443 } to internet
}
CONF
chmod 644 "$T/etc/ward.conf"
valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
    --log-file="$T/vg.log" "$B/wardd" --foreground --no-kernel --config "$T/etc/ward.conf" \
    --state-dir "$T/state" --run-dir "$T/run" >"$T/wardd.log" 2>&1 &
P=$!
for _ in $(seq 600); do grep -q ready "$T/wardd.log" && break; sleep 0.1; done
grep -q ready "$T/wardd.log" && ok "wardd starts" || { notok "wardd starts"; cat "$T/wardd.log"; exit 1; }
export WARD_SOCKET=$T/run/control.sock
W=$B/ward
{
    $W status && $W mode deny-all && $W mode ask && $W rules add /usr/bin/wget allow out tcp port 443 &&
        $W rules add --for 5m /usr/bin/ssh deny out tcp port 22 && $W rules list --json &&
        $W rules delete 4 && $W log --limit 5
    $W stats --limits && $W stats --limits --json
    echo 'set mode nonsense' >>"$T/etc/ward.conf"
    $W reload
    sed -i '$d' "$T/etc/ward.conf"
    $W reload
    timeout 2 $W watch
    timeout 2 $W prompt
    printf '{"type":"hello","id":1,"versions":[1]}\n{not json\n' | timeout 2 nc -U -q1 "$WARD_SOCKET"
    head -c 200000 /dev/zero | tr '\0' 'x' | timeout 2 nc -U -q1 "$WARD_SOCKET"
    printf '\xff\xfe\n' | timeout 2 nc -U -q1 "$WARD_SOCKET"
    # The shim's socket: a question with its socket (never connected), and garbage.
    timeout 10 python3 tests/shim/client.py question "$T/run/shim.sock" 192.0.2.1 443
    timeout 10 python3 tests/shim/client.py garbage "$T/run/shim.sock"
    $W status
} >"$T/session.log" 2>&1
grep -q "decisions:" "$T/session.log" && grep -q '"program":"/usr/bin/curl","rate_bits":2000000' "$T/session.log" &&
    ok "a control session of every kind of request" ||
    notok "a control session of every kind of request"
kill -TERM $P
wait $P
rc=$?
if [ $rc -eq 0 ] && grep -q "ERROR SUMMARY: 0 errors" "$T/vg.log"; then
    ok "no memory error, no definite leak ($(grep -o 'in use at exit: [0-9,]* bytes' "$T/vg.log"))"
else
    notok "wardd exit $rc under valgrind"
    sed 's/^/# /' "$T/vg.log" | tail -60
fi
