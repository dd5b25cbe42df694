#!/bin/bash
# Filters, sublayers and providers managed while wardd runs (filter.*,
# sublayer.*, provider.*, txn.*), on real connections in the sandbox: a filter added blocks a
# connection and `ward explain --daemon` names it; deleted, the connection
# passes again; a transaction with one bad filter applies nothing and says
# which filter and column; an aborted one leaves nothing; a dynamic filter
# goes with the client that added it; a persistent one survives a restart;
# a non-admin is refused. A provider named by a filter is not deleted.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"

ward_policy <<CONF
set mode ask
set no-prompter pass
app "$A" {
    allow out tcp
}
CONF
serve_b
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }

passes() { [ "$(conn "$A" 5)" = ok ]; }
blocked() { [ "$(conn "$A" 5)" != ok ]; }
explain() {
    "$WARD" explain --daemon --app "$A" --proto tcp --to $IP_B --port 8080 2>&1
}
F='filter "rt-block-8080" layer outbound weight 50 hard block to port 8080'

wk_check "before: A connects" passes
id=$("$WARD" filter add "$F")
wk_check "ward filter add prints the new filter's id" [ -n "$id" ] && [ "$id" -gt 0 ]
wk_check "the filter added at run time blocks A" blocked
wk_check "ward explain --daemon names it" \
    bash -c "'$WARD' explain --daemon --app '$A' --proto tcp --to $IP_B --port 8080 |
        grep 'decision: block' | grep -q '#$id'"
wk_check "... and the trace shows its name" bash -c "grep -q rt-block-8080 <<<'$(explain)'"
wk_check "ward filter list shows it, added at run time, in the language" \
    bash -c "'$WARD' filter list | grep '^$id ' | grep runtime | grep -q 'filter \"rt-block-8080\" layer outbound'"
wk_check "ward filter list --json: name, layer, action" \
    bash -c "'$WARD' filter list --json | grep '\"id\":$id,' | grep '\"layer\":\"connect-out\"' |
        grep -q '\"action\":\"block\"'"
wk_check "ward filter del removes it" "$WARD" filter del "$id"
wk_check "deleted: A connects again" passes
wk_check "deleting it again: refused" bash -c "! '$WARD' filter del $id 2>/dev/null"

# A transaction: a sublayer and two filters, the second bad.
cat >"$WK_TMP/bad.rules" <<RULES
# staged together
sublayer lab weight 0xd000
filter "rt-lab" layer outbound sublayer lab weight 5 hard block to port 8080
filter "rt-typo" layer outbound weight 5 blok to port 8080
RULES
"$WARD" filter apply "$WK_TMP/bad.rules" >"$WK_TMP/bad.out" 2>&1
wk_check "a transaction with one bad filter fails" [ $? -ne 0 ]
sed 's/^/# /' "$WK_TMP/bad.out"
wk_check "... the error names the filter and its column" \
    grep -q "statement 3: filter:1:[0-9]*: .*blok" "$WK_TMP/bad.out"
wk_check "... and the line of the file" grep -q "bad.rules:4: refused" "$WK_TMP/bad.out"
wk_check "... nothing of it is applied: no sublayer lab" \
    bash -c "! '$WARD' sublayer list | grep -q ' lab '"
wk_check "... and A still connects" passes

sed -i 's/blok/block/' "$WK_TMP/bad.rules"
wk_check "the transaction fixed applies" "$WARD" filter apply "$WK_TMP/bad.rules"
wk_check "... its sublayer is listed" bash -c "'$WARD' sublayer list | grep -q ' lab '"
wk_check "... and its filters block A" blocked
wk_check "... explain names the filter of the new sublayer" \
    bash -c "grep -q 'in sublayer lab' <<<'$(explain)'"
lab=$("$WARD" sublayer list | awk '$3 == "lab" {print $1}')
wk_check "deleting the sublayer takes its filter with it" "$WARD" sublayer del "$lab"
wk_check "... rt-lab is gone" bash -c "! '$WARD' filter list | grep -q rt-lab"
other=$("$WARD" filter list | awk '/rt-typo/ {print $1}')
"$WARD" filter del "$other"
wk_check "... and with the other deleted, A connects" passes

# txn.abort over the protocol: nothing staged stays (python speaks the
# protocol directly: one connection, begin, add, abort).
proto() {
    python3 - "$WARD_SOCKET" "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def call(m):
    f.write(json.dumps(m) + "\n"); f.flush()
    r = json.loads(f.readline())
    print(r["type"], r.get("code", ""), flush=True)
    return r
call({"type": "hello", "id": 1, "versions": [1]})
for i, a in enumerate(sys.argv[2:]):
    t, _, text = a.partition(":")
    m = {"type": t, "id": i + 2}
    if text:
        m["text"] = text
    call(m)
PY
}
proto txn.begin "filter.add:$F" txn.abort >"$WK_TMP/abort.out"
wk_check "txn.begin, filter.add (staged), txn.abort: all answered" \
    [ "$(cut -d' ' -f1 "$WK_TMP/abort.out" | tr '\n' ' ')" = "hello.reply ok object.added ok " ]
wk_check "... the aborted filter is not in force: A connects" passes
proto txn.begin "filter.add:$F" >/dev/null
wk_check "a transaction left open by a client that goes away applies nothing" passes
proto txn.commit >"$WK_TMP/nocommit.out"
wk_check "txn.commit without txn.begin is refused" grep -q "^error failed" "$WK_TMP/nocommit.out"

# A commit that fails half way (another client deleted the sublayer a
# staged filter names) takes back what it had added.
sid=$("$WARD" sublayer add lab2 0xd100)
python3 - "$WARD_SOCKET" "$F" "$sid" >"$WK_TMP/half.out" <<'PY'
import json, socket, sys
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    f = s.makefile("rw")
    call(f, {"type": "hello", "id": 1, "versions": [1]})
    return f
def call(f, m):
    f.write(json.dumps(m) + "\n"); f.flush()
    return json.loads(f.readline())
a, b = conn(), conn()
call(a, {"type": "txn.begin", "id": 2})
call(a, {"type": "filter.add", "id": 3, "text": sys.argv[2]})
call(a, {"type": "filter.add", "id": 4,
         "text": "filter layer outbound sublayer lab2 hard block to port 9999"})
print("delete", call(b, {"type": "sublayer.delete", "id": 2, "object_id": int(sys.argv[3])})["type"])
r = call(a, {"type": "txn.commit", "id": 5})
print("commit", r["type"], r.get("message", ""))
PY
sed 's/^/# /' "$WK_TMP/half.out"
wk_check "a commit failing half way is refused" grep -q "^commit error nothing applied" "$WK_TMP/half.out"
wk_check "... and what it had added is gone: A connects" passes
wk_check "... not listed" bash -c "! '$WARD' filter list | grep -q rt-block-8080"

# A dynamic filter lasts as long as its client.
wk_bg dyn "$WARD" filter add --dynamic "$F"
wk_wait_for "$WK_TMP/dyn.log" "^[0-9]" 20
wk_check "a dynamic filter blocks while its client is connected" blocked
wk_check "... listed as dynamic" bash -c "'$WARD' filter list | grep rt-block | grep -q dynamic"
wk_signal TERM dyn
wk_check "its client gone, the dynamic filter is gone: A connects" wk_eventually 20 passes

# Providers: added, named by a filter, listed, deleted once no filter
# names them.
pid=$("$WARD" provider add fleet)
wk_check "ward provider add prints the new provider's id" [ -n "$pid" ] && [ "$pid" -gt 2 ]
wk_check "ward provider list shows it, added at run time" \
    bash -c "'$WARD' provider list | grep '^$pid ' | grep runtime | grep -q fleet"
wk_check "... beside the built-in admin, from the policy" \
    bash -c "'$WARD' provider list | grep -E '^1 +policy' | grep -q admin"
wk_check "adding it twice is refused" bash -c "! '$WARD' provider add fleet 2>/dev/null"
fid=$("$WARD" filter add 'filter "rt-fleet" layer outbound provider fleet weight 50 hard block to port 8080')
wk_check "a filter of provider fleet blocks A" blocked
wk_check "ward filter list shows the filter's provider" \
    bash -c "'$WARD' filter list --json | grep '\"id\":$fid,' | grep -q '\"provider\":\"fleet\"'"
wk_check "ward explain --daemon names the filter's provider" \
    bash -c "grep -q 'by #$fid of provider fleet' <<<'$(explain)'"
"$WARD" provider del "$pid" >/dev/null 2>"$WK_TMP/pdel.err"
wk_check "deleting a provider a filter names is refused" [ $? -ne 0 ]
sed 's/^/# /' "$WK_TMP/pdel.err"
wk_check "... saying which filter names it" grep -q "provider fleet is named by filter rt-fleet" "$WK_TMP/pdel.err"
wk_check "... and it is still listed" bash -c "'$WARD' provider list | grep -q fleet"
printf 'provider fleet2\nfilter "rt-fleet2" layer outbound provider fleet2 block to port 9\nfilter "rt-x" layer outbound provider nosuch block\n' >"$WK_TMP/prov.rules"
wk_check "a transaction adding a provider and a bad filter fails" \
    bash -c "! '$WARD' filter apply '$WK_TMP/prov.rules' 2>/dev/null"
wk_check "... and leaves no provider fleet2" bash -c "! '$WARD' provider list | grep -q fleet2"
proto txn.begin "provider.add:provider fleet3" txn.abort >"$WK_TMP/pabort.out"
wk_check "provider.add staged then txn.abort: all answered" \
    [ "$(cut -d' ' -f1 "$WK_TMP/pabort.out" | tr '\n' ' ')" = "hello.reply ok object.added ok " ]
wk_check "... the aborted provider is not listed" bash -c "! '$WARD' provider list | grep -q fleet3"
wk_check "the filter deleted, then its provider: both go" \
    bash -c "'$WARD' filter del $fid && '$WARD' provider del $pid"
wk_check "... fleet is no longer listed" bash -c "! '$WARD' provider list | grep -q fleet"
wk_check "... and A connects" passes
wk_bg pdyn "$WARD" provider add --dynamic session-prov
wk_wait_for "$WK_TMP/pdyn.log" "^[0-9]" 20
wk_check "a dynamic provider is listed as dynamic while its client is connected" \
    bash -c "'$WARD' provider list | grep session-prov | grep -q dynamic"
wk_signal TERM pdyn
wk_check "its client gone, the dynamic provider is gone" \
    wk_eventually 20 bash -c "! '$WARD' provider list | grep -q session-prov"
wk_check "a persistent provider is added" bash -c "'$WARD' provider add --persistent keeper >/dev/null"
wk_check "... and written to runtime.rules" grep -q "^provider keeper" "$WK_TMP/state/runtime.rules"

# A persistent filter survives a restart of wardd.
id=$("$WARD" filter add "$F")
wk_check "runtime.rules holds the persistent filter" grep -q rt-block-8080 "$WK_TMP/state/runtime.rules"
wk_check "... and a reload keeps it in force" "$WARD" reload
wk_check "... (A blocked after the reload)" blocked
stop_wardd wardd
clean() { ! grep -E "Sanitizer|runtime error" "$WK_TMP/$1.log"; }
wk_check "wardd stopped with no sanitizer report (no leak)" clean wardd
start_wardd wardd2 || { wk_notok "wardd starts again"; exit 1; }
wk_check "after a restart the persistent filter still blocks A" blocked
wk_check "... and is listed as added at run time" \
    bash -c "'$WARD' filter list | grep rt-block | grep -q runtime"
id=$("$WARD" filter list | awk '/rt-block/ {print $1}')
wk_check "... and the persistent provider too" \
    bash -c "'$WARD' provider list | grep keeper | grep -q runtime"

asnobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }
wk_check "a non-admin may not add a filter" \
    bash -c "! setpriv --reuid nobody --regid nogroup --clear-groups '$WARD' filter add 'filter layer outbound block' 2>$WK_TMP/nobody.err"
wk_check "... refused as forbidden" grep -q forbidden "$WK_TMP/nobody.err"
wk_check "... nor delete one" \
    bash -c "! setpriv --reuid nobody --regid nogroup --clear-groups '$WARD' filter del $id 2>/dev/null"
wk_check "... nor open a transaction" \
    bash -c "! setpriv --reuid nobody --regid nogroup --clear-groups '$WARD' filter apply '$WK_TMP/bad.rules' 2>/dev/null"
wk_check "... the filter is still in force" blocked
wk_check "a filter text with an error: file:line:col" \
    bash -c "'$WARD' filter add 'filter layer outbound weight x block' 2>&1 | grep -q 'filter:1:[0-9]*:'"
wk_check "a sublayer statement given as a filter is refused" \
    bash -c "! '$WARD' filter add 'sublayer x weight 1' 2>/dev/null"
wk_check "wardd still runs" kill -0 "$WK_PID_wardd2"
stop_wardd wardd2
wk_check "... and stops with no sanitizer report" clean wardd2
exit 0
