#!/bin/bash
# Shared-object callouts in wardd: loaded from --callout-dir into their own
# host process and deciding real connections (tests/callout/six.c: the
# remote port picks the result); one that crashes or hangs costs its own
# connection the policy's failure outcome (blocked: fail closed) while wardd
# and other connections carry on, and the host is started again; objects
# that are world-writable, not root's or of another ABI are refused with a
# clear error, and a policy naming one is refused by name.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
SO=$WK_BUILD/callouts
DIR=$WK_TMP/callouts
mkdir -p "$DIR"
chmod 755 "$WK_TMP" "$DIR"
install -m 0644 "$SO/six.so" "$DIR/six.so"

ward_policy <<CONF
set mode ask
set no-prompter block
filter "six" layer outbound weight 50 proto tcp to port 1000-1999 callout six
app "$A" {
    allow out tcp
}
CONF
for p in 1001 1002 1003 1666 1777; do
    wk_bg "srv$p" nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp $p
    wk_wait_for "$WK_TMP/srv$p.log" listening
done
serve_b
start_wardd wardd --callout-dir "$DIR" || { wk_notok "wardd starts"; exit 1; }
port() { wk_client "$A" tcp4 $IP_B "$1" "${2:-5}" 2>&1; }

wk_check "wardd loads the callout into its own host process" \
    grep -q "callout six: $DIR/six.so, in its own host process" "$WK_TMP/wardd.log"
host=$(pgrep -f "ward-callout-host $DIR/six.so" | head -1)
wk_check "the host runs unprivileged" [ "$(stat -c %u /proc/$host 2>/dev/null)" = 65534 ]
wk_check "permit: the connection is made" [ "$(port 1001)" = ok ]
wk_check "block: the connection is refused" [ "$(port 1002)" != ok ]
wk_check "block without veto: the program's permit below stands" [ "$(port 1003)" = ok ]
wk_check "a port the filter does not cover is the program's rule alone" [ "$(conn "$A")" = ok ]
wk_check "the callout's block is logged with its filter" \
    wk_eventually 20 bash -c "'$WARD' log --verdict block --json | grep '\"rport\":1002' | grep -q '\"filter\":\"six\"'"

# A crash: that connection fails closed; wardd and the others carry on.
wk_check "a callout that crashes: its connection is blocked" [ "$(port 1666)" != ok ]
wk_check "... wardd still runs" kill -0 "$WK_PID_wardd"
wk_check "... other connections carry on" [ "$(conn "$A")" = ok ]
sleep 1.2
wk_check "... and the host is started again" [ "$(port 1001)" = ok ]
new=$(pgrep -f "ward-callout-host $DIR/six.so" | head -1)
wk_check "... as a new process" test -n "$new" -a "$new" != "$host"
"$WARD" callout list >"$WK_TMP/list.out" 2>&1
"$WARD" callout list --json >"$WK_TMP/list.json" 2>&1
wk_check "ward callout list shows the built-in dnsfilter" grep -q "^dnsfilter .* built in" "$WK_TMP/list.out"
wk_check "... and six: its filter, its failure, its restart and its host process" \
    grep -q "\"name\":\"six\",\"layers\":\"connect,accept,dns\",\"builtin\":false,\"path\":\"$DIR/six.so\",\"host_pid\":$new,.*\"failures\":1,\"restarts\":1,\"filters\":1" \
    "$WK_TMP/list.json"

# A hang: the time budget ends the call; a connection in parallel passes.
port 1777 10 >"$WK_TMP/hang.out" &
hang=$!
sleep 0.2
wk_check "a callout that hangs does not stall other connections" [ "$(conn "$A")" = ok ]
wait $hang
wk_check "... and its own connection is blocked" [ "$(cat "$WK_TMP/hang.out")" != ok ]
wk_check "... wardd still runs" kill -0 "$WK_PID_wardd"

# The policy may fail open instead: a crash then lets the connection pass.
sed -i '1a set callout-failure pass' "$WK_TMP/etc/ward.conf"
wk_check "reload with callout-failure pass" "$WARD" reload
sleep 1.2 # past the restart delay of the host killed above
wk_check "a callout that crashes: with callout-failure pass its connection passes" \
    [ "$(port 1666)" = ok ]
stop_wardd wardd
wk_check "the host ends with wardd" bash -c "! pgrep -f '^ward-callout-host $DIR/' >/dev/null"

# Refusals. wardd stops at once when its policy names a refused callout.
refused() {
    local name=$1 want=$2
    timeout 20 nsenter --net=/run/netns/$NS_A "$WARDD" --foreground \
        --config "$WK_TMP/etc/ward.conf" --state-dir "$WK_TMP/state" --run-dir "$WK_TMP/run" \
        --cgroup "$WK_CG" --pin-dir "$WK_PIN" --callout-dir "$DIR" >"$WK_TMP/$name.log" 2>&1
    wk_check "$3" grep -q "$want" "$WK_TMP/$name.log"
}
chmod 0666 "$DIR/six.so"
refused w1 "callout $DIR/six.so is writable by everyone (mode 0666): refused" \
    "a world-writable object is refused"
wk_check "... and the policy naming it is refused by name" \
    grep -q "unknown callout 'six'" "$WK_TMP/w1.log"
chmod 0644 "$DIR/six.so"
chown 65534 "$DIR/six.so"
refused w2 "callout $DIR/six.so is owned by uid 65534, not root: refused" \
    "a foreign-owned object is refused"
chown 0 "$DIR/six.so"
install -m 0644 "$SO/badabi.so" "$DIR/badabi.so"
start_wardd w3 --callout-dir "$DIR" && stop_wardd w3
wk_check "an object of another ABI is refused" \
    grep -q "badabi.so: ABI mismatch: built for ABI 99" "$WK_TMP/w3.log"
wk_check "... while the good one beside it loads" \
    grep -q "callout six: $DIR/six.so" "$WK_TMP/w3.log"
exit 0
