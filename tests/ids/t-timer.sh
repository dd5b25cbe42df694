#!/bin/bash
# set ids-update URL every TIME: wardd fetches a signed rule bundle from an
# HTTP server in the peer namespace when it starts (through `ward update
# ids`), swaps the set in and inspects with it; a policy naming another URL
# (reloaded) is fetched at once, and a bundle signed by an unknown key is
# refused there: logged, and the rules in force stay.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
[ -x /usr/bin/python3 ] || wk_skip_all "no /usr/bin/python3"
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=$(readlink -f /usr/bin/python3)
export WARD_IDS_DIR=$WK_TMP/ids WARD_KEYS_DIR=$WK_TMP/keys
mkdir -p "$WARD_IDS_DIR" "$WARD_KEYS_DIR" "$WK_TMP/www" "$WK_TMP/b" "$WK_TMP/other"
chmod 755 "$WK_TMP"
cp "$ROOT/tests/ids/keys/test.pub" "$WARD_KEYS_DIR/"
install -m 600 "$ROOT/tests/ids/keys/test.key" "$WK_TMP/test.key"
"$WARD" bundle keygen --dir "$WK_TMP/other" intruder >/dev/null
echo 'drop tcp any any -> any 9000 (msg:"fetched rule"; content:"FETCHED-BAD"; sid:9100020;)' >"$WK_TMP/b/ids.rules"
"$WARD" bundle create "$WK_TMP/b" --name ids --version 3 --key "$WK_TMP/test.key" \
    --output "$WK_TMP/www/good.wbd" >/dev/null
echo 'drop tcp any any -> any 9000 (msg:"intruder"; content:"OTHER"; sid:9100021;)' >"$WK_TMP/b/ids.rules"
"$WARD" bundle create "$WK_TMP/b" --name ids --version 4 --key "$WK_TMP/other/intruder.key" \
    --output "$WK_TMP/www/bad.wbd" >/dev/null
wk_bg http nsenter --net=/run/netns/$NS_B "$PY" -m http.server 8080 --bind $IP_B \
    --directory "$WK_TMP/www"
: >"$WK_TMP/received"
wk_bg recv nsenter --net=/run/netns/$NS_B "$PY" "$ROOT/tests/ids/recv.py" $IP_B 9000 "$WK_TMP/received"
wk_wait_for "$WK_TMP/recv.log" listening || { wk_notok "the receiver starts"; exit 1; }
for _ in $(seq 200); do wk_in_b ss -ltn | grep -q ":8080 " && break; sleep 0.1; done
policy() {
    ward_policy <<CONF
set mode ask
set no-prompter block
set ids-update "http://$IP_B:8080/$1" every $2
filter "inspect" layer outbound weight 50 proto tcp to port 9000 callout ids
app "$PY" {
    allow out tcp
}
CONF
}
policy good.wbd 6h
wk_check "ward check accepts set ids-update" "$WARD" check "$WK_TMP/etc/ward.conf"
wk_check "... and ward show prints it back" \
    bash -c "'$WARD' show '$WK_TMP/etc/ward.conf' | grep -q 'set ids-update \"http://$IP_B:8080/good.wbd\" every 6h'"
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
wk_check "wardd fetches the bundle at start" wk_wait_for "$WK_TMP/wardd.log" "ids: updating from http://$IP_B:8080/good.wbd"
wk_check "... verifies it and swaps its rules in" wk_wait_for "$WK_TMP/wardd.log" "ids: 1 rules in force"
send() {
    wk_client "$PY" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 9000), 10)
s.settimeout(10)
try:
    s.sendall(sys.argv[2].encode() + b"\n")
    print(s.recv(100).decode().strip())
except (ConnectionResetError, BrokenPipeError):
    print("reset")
' $IP_B "$1" 2>&1
}
wk_check "the fetched rule acts on real traffic" [ "$(send 'a FETCHED-BAD b')" = reset ]
wk_check "... clean traffic passes" [ "$(send 'hello')" = OK ]

# Another URL: fetched at the reload; signed by an unknown key: refused.
policy bad.wbd 1m
wk_check "reload with a new URL" "$WARD" reload
wk_check "the new URL is fetched at once" wk_wait_for "$WK_TMP/wardd.log" "ids: updating from http://$IP_B:8080/bad.wbd"
wk_check "... its bad signature fails the update, logged" \
    wk_wait_for "$WK_TMP/wardd.log" "ids: update from http://$IP_B:8080/bad.wbd failed (exit 1): the rules in force stay"
wk_check "... and the rules in force stay" [ "$(send 'a FETCHED-BAD b')" = reset ]
wk_check "wardd still runs" kill -0 "$WK_PID_wardd"
exit 0
