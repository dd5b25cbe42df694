#!/bin/bash
# Shared-object callouts loaded and unloaded while wardd runs (`ward callout
# load|unload`, callout.load / callout.unload): the real ward-callout-host
# runs tests/callout/six.c (the remote port picks the result); a filter
# added at run time sends connections to it; unloading is refused while a
# filter names it, and its host process ends once it is unloaded. A loaded
# callout outlives a reload. The checks of wardd's start hold: an object
# writable by others or of another ABI is refused with a clear error, and
# nothing of it is loaded.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
SO=$WK_BUILD/callouts
DIR=$WK_TMP/callouts
mkdir -p "$DIR"
chmod 755 "$WK_TMP" "$DIR"

ward_policy <<CONF
set mode ask
set no-prompter block
app "$A" {
    allow out tcp
}
CONF
for p in 1001 1002; do
    wk_bg "srv$p" nsenter --net=/run/netns/$NS_B "$WK_CLIENT" listen-tcp $p
    wk_wait_for "$WK_TMP/srv$p.log" listening
done
start_wardd wardd --callout-dir "$DIR" || { wk_notok "wardd starts"; exit 1; }
port() { wk_client "$A" tcp4 $IP_B "$1" 5 2>&1; }
F='filter "six" layer outbound weight 50 proto tcp to port 1000-1999 callout six'
hosts() { pgrep -f "^ward-callout-host $DIR/six.so" | wc -l; }

wk_check "before: a filter naming an unloaded callout is refused" bash -c "! '$WARD' filter add '$F' 2>/dev/null"
install -m 0644 "$SO/six.so" "$DIR/six.so"
wk_check "ward callout load NAME loads NAME.so of the callout directory" "$WARD" callout load six
wk_check "... into its own host process" [ "$(hosts)" = 1 ]
wk_check "... listed as a shared object" \
    bash -c "'$WARD' callout list --json | grep -q '\"name\":\"six\",.*\"builtin\":false,\"path\":\"$DIR/six.so\"'"
id=$("$WARD" filter add "$F")
wk_check "a filter added at run time may name it" [ -n "$id" ]
wk_check "permit: the connection is made" [ "$(port 1001)" = ok ]
wk_check "block: the connection is refused by the callout" [ "$(port 1002)" != ok ]
"$WARD" callout unload six >"$WK_TMP/busy.out" 2>&1
rc=$?
wk_check "unload is refused while a filter names it" [ $rc -ne 0 ]
wk_check "... saying why" grep -q "1 filter name it: delete them first" "$WK_TMP/busy.out"
wk_check "... and it still decides" [ "$(port 1002)" != ok ]
wk_check "loading it twice is refused" bash -c "! '$WARD' callout load '$DIR/six.so' 2>/dev/null"
wk_check "a loaded callout outlives a reload" bash -c "'$WARD' reload >/dev/null"
wk_check "... and decides after it" [ "$(port 1002)" != ok ]
wk_check "ward filter del removes the filter" "$WARD" filter del "$id"
wk_check "ward callout unload NAME then unloads it" "$WARD" callout unload six
wk_check "... its host process ends" [ "$(hosts)" = 0 ]
wk_check "... it is no longer listed" bash -c "! '$WARD' callout list | grep -q '^six '"
wk_check "... and a filter naming it is refused again" bash -c "! '$WARD' filter add '$F' 2>/dev/null"
wk_check "the connection its filter blocked is the program's rule alone again" [ "$(port 1002)" = ok ]
wk_check "ward callout load PATH (a relative one too) loads it again" \
    bash -c "cd '$DIR' && '$WARD' callout load ./six.so"
wk_check "... and unload frees it" "$WARD" callout unload six

# The example portguard keeps its answers (WARD_CALLOUT_F_CACHE): the
# second connection of A to the same port is answered without a call.
install -m 0644 "$SO/portguard.so" "$DIR/portguard.so"
wk_check "portguard loads" "$WARD" callout load portguard
pid=$("$WARD" filter add 'filter "pg" layer outbound weight 50 proto tcp to port 1001 callout portguard')
wk_check "its answer (continue) lets A's rule decide" [ "$(port 1001)" = ok ]
wk_check "... again" [ "$(port 1001)" = ok ]
wk_check "ward callout list shows the second answer was a kept one" \
    bash -c "'$WARD' callout list --json | grep '\"name\":\"portguard\"' | grep -q '\"calls\":2,.*\"cached\":1}'"
wk_check "filter and callout go again" bash -c "'$WARD' filter del $pid && '$WARD' callout unload portguard"

# Refusals, each with its reason, and nothing loaded.
refusal() { # NAME WANT ARG...
    local name=$1 want=$2
    shift 2
    local out
    out=$("$WARD" callout "$@" 2>&1) && { wk_notok "$name (accepted)"; return; }
    if grep -q -- "$want" <<<"$out"; then wk_ok "$name"; else
        wk_notok "$name"
        sed 's/^/# /' <<<"$out"
    fi
}
install -m 0666 "$SO/six.so" "$DIR/open.so"
install -m 0644 "$SO/badabi.so" "$DIR/badabi.so"
refusal "a world-writable object is refused" "is writable by everyone (mode 0666): refused" load open
refusal "an object of another ABI is refused" "ABI" load badabi
refusal "a missing object is refused" "No such file" load nothere
refusal "a name that is neither a path nor NAME is refused" "an absolute path or the name" load 'a b'
refusal "a built-in callout cannot be unloaded" "is built in" unload dnsfilter
refusal "unloading an unknown callout is refused" "no such callout" unload nothere
wk_check "nothing refused is listed" bash -c "! '$WARD' callout list | grep -q '^open \|^badabi '"
wk_check "no host process is left of the refused ones" \
    bash -c "! pgrep -f '^ward-callout-host $DIR/' >/dev/null"
wk_check "wardd still runs" kill -0 "$WK_PID_wardd"
stop_wardd wardd
no_sanitizer "wardd stopped with no sanitizer report (no leak)" "$WK_TMP/wardd.log"
exit 0
