#!/bin/bash
# The stream layer on real connections: an outbound filter sends port
# 8081's TCP flows to the test callout streamer (tests/callout/streamer.c),
# which sees the payload through wardd's stream queue and decides on the
# request: permit, block (the connection is reset, the block logged with
# the filter's name), need more data across two segments (held, then seen
# as one piece), and need more data for ever: the bound's outcome, fail
# closed (the default) and fail open, in bytes and in time. Each flow the
# callout saw is deleted (flow_delete) when it is decided. IPv4 and IPv6;
# outbound and inbound (a server on A: the remote client's request decides).
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
command -v curl >/dev/null || wk_skip_all "no curl"
[ -x /usr/bin/python3 ] || wk_skip_all "no /usr/bin/python3"
CURL=$(readlink -f "$(command -v curl)")
PY=$(readlink -f /usr/bin/python3) # the real binary (not a shim): the policy names it
SO=$WK_BUILD/callouts
DIR=$WK_TMP/callouts
mkdir -p "$DIR" "$WK_TMP/www"
chmod 755 "$WK_TMP" "$DIR"
install -m 0644 "$SO/streamer.so" "$DIR/streamer.so"
echo hello >"$WK_TMP/www/allow"
head -c 200000 /dev/zero >"$WK_TMP/body"

policy() {
    ward_policy <<CONF
set mode ask
set no-prompter block
$1
filter "inspect" layer outbound weight 50 proto tcp to port 8081 callout streamer
filter "inspect-in" layer inbound weight 50 proto tcp to port 9091 callout streamer
app "$CURL" {
    allow out tcp
}
app "$PY" {
    allow out tcp
    allow in tcp
}
CONF
}
# 3 s: long enough for a held request on a loaded machine (wardd under ASan
# gets a fraction of a core), short enough for the time bound's own test.
policy "set stream-bound 64KB 3s fail-closed"
wk_bg www nsenter --net=/run/netns/$NS_B "$PY" -m http.server 8081 --bind $IP_B \
    --directory "$WK_TMP/www"
wk_bg www6 nsenter --net=/run/netns/$NS_B "$PY" -m http.server 8081 --bind $IP6_B \
    --directory "$WK_TMP/www"
for _ in $(seq 200); do
    [ "$(wk_in_b ss -ltn | grep -c ":8081 ")" = 2 ] && break
    sleep 0.1
done
start_wardd wardd --callout-dir "$DIR" || { wk_notok "wardd starts"; exit 1; }
# A server on A, under wardd, for the inbound layer.
wk_bg www_in wk_client "$PY" -m http.server 9091 --bind $IP_A --directory "$WK_TMP/www"
for _ in $(seq 200); do
    wk_in_a ss -ltn | grep -q ":9091 " && break
    sleep 0.1
done

# The HTTP status curl gets for PATH (000: no answer), and its exit code.
get() { wk_client "$CURL" -s -o /dev/null -w '%{http_code}' --max-time 20 "$@" 2>/dev/null; }
# A request sent in two pieces, the second a little later (no Nagle: each
# piece its own segment); prints the status line it gets back.
split() {
    wk_client "$PY" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 8081), 10)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"GET /sp")
time.sleep(0.3)
s.sendall(b"lit HTTP/1.0\r\n\r\n")
s.settimeout(10)
print(s.recv(200).split(b"\r\n")[0].decode())
' $IP_B 2>&1
}
deletes() { grep -c "streamer: flow_delete" "$WK_TMP/wardd.log"; }
# Connections the servers on B still hold open.
open_at_b() { wk_in_b ss -Htn state established '( sport = :8081 )' | wc -l; }

wk_check "permit: the request reaches the server and is answered" \
    [ "$(get http://$IP_B:8081/allow)" = 200 ]
wk_check "block: the connection is reset, no answer" [ "$(get http://$IP_B:8081/deny)" = 000 ]
wk_check "... the server's end is reset too: no connection left open there" [ "$(open_at_b)" = 0 ]
wk_check "... the block is logged with the filter's name" \
    wk_eventually 20 bash -c "'$WARD' log --verdict block --json | grep '\"rport\":8081' | grep '\"exe\":\"$CURL\"' |
        grep -q '\"filter\":\"inspect\"'"
out=$(split)
wk_check "IPv6: permit" [ "$(get -g "http://[$IP6_B]:8081/allow")" = 200 ]
wk_check "IPv6: block (the reset made from an IPv6 packet)" \
    [ "$(get -g "http://[$IP6_B]:8081/deny")" = 000 ]
wk_check "IPv6: ... the server's end is reset too: no connection left open there" \
    [ "$(open_at_b)" = 0 ]
wk_check "IPv6: ... and the next connection passes" \
    [ "$(get -g "http://[$IP6_B]:8081/allow")" = 200 ]
# Inbound: the remote client's request decides.
get_in() {
    wk_in_b curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://$IP_A:9091$1" 2>/dev/null
}
wk_check "inbound: permit" [ "$(get_in /allow)" = 200 ]
wk_check "inbound: block" [ "$(get_in /deny)" = 000 ]
wk_check "inbound: ... logged with the filter's name" wk_eventually 20 \
    bash -c "'$WARD' log --verdict block --json | grep '\"lport\":9091' | grep -q '\"filter\":\"inspect-in\"'"
wk_check "need more data: a request in two segments is held, then seen whole and permitted" \
    [ "$out" = "HTTP/1.0 404 File not found" ]

wk_check "... the callout was called once per piece and its flow deleted" \
    grep -q "streamer: flow_delete [0-9a-f]* after 2 calls" "$WK_TMP/wardd.log"
n=$(deletes)
wk_check "need more data for ever: the time bound, fail closed: reset" \
    [ "$(get http://$IP_B:8081/wait)" = 000 ]
wk_check "... logged as the stream bound's block" wk_eventually 20 \
    bash -c "'$WARD' log --verdict block --json | grep -q '\"filter\":\"inspect (stream bound)\"'"
wk_check "... and its flow deleted" wk_eventually 20 bash -c "[ \$(grep -c 'streamer: flow_delete' '$WK_TMP/wardd.log') -gt $n ]"

# The byte bound: a long time bound, a body past 64KB.
policy "set stream-bound 4KB 60s fail-closed"
wk_check "reload with a 4KB 60 s bound" "$WARD" reload
wk_client "$CURL" -s -o /dev/null --max-time 30 --data-binary @"$WK_TMP/body" \
    http://$IP_B:8081/wait 2>/dev/null
rc=$?
wk_check "the byte bound, fail closed: the upload is reset, not timed out (curl $rc)" \
    [ $rc -ne 0 -a $rc -ne 28 ]

policy "set stream-bound 4KB 1s fail-open"
wk_check "reload with fail-open" "$WARD" reload
wk_check "the time bound, fail open: the request goes through" \
    [ "$(get http://$IP_B:8081/wait)" = 404 ]
wk_check "the byte bound, fail open: the upload goes through" \
    [ "$(get --data-binary @"$WK_TMP/body" http://$IP_B:8081/wait)" = 501 ]
wk_check "... logged as the stream bound's permit" \
    wk_eventually 20 bash -c "'$WARD' log --verdict permit --json | grep -q '\"filter\":\"inspect (stream bound)\"'"
wk_check "other flows are not held: a block still blocks" [ "$(get http://$IP_B:8081/deny)" = 000 ]
wk_check "wardd still runs" kill -0 "$WK_PID_wardd"
stop_wardd wardd
no_sanitizer "wardd stopped with no sanitizer report (no leak)" "$WK_TMP/wardd.log"
exit 0
