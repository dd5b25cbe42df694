#!/bin/bash
# Programs scanned on real traffic (netns A -> B): a program's binary is
# scanned at its first connection, and its next connections use the cached
# result (no second scan); a program replaced by an infected file — renamed
# in as package managers do, or rewritten in place — is denied at its next
# connection, with an alert and a log row naming the signature; a prompt
# about a program shows its scan.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
. "$(dirname "$0")/db.sh"
[ -d "$AV_TESTFILES" ] || wk_skip_all "no clamav-testfiles"
[ -x "$WK_BUILD/bin/ward-scand" ] || wk_skip_all "no ward-scand"
chmod 755 "$WK_TMP"
DB=$WK_TMP/avdb
av_db "$DB"
av_infect "$WK_CLIENT" "$WK_TMP/infected"
av_add "$DB" "$WK_TMP/infected" Ward.Test.Infected
av_infect "$WK_CLIENT" "$WK_TMP/infected2"
av_add "$DB" "$WK_TMP/infected2" Ward.Test.Infected2
# K: a program with an allow rule, which the kernel's tables would decide.
K=$WK_TMP/k/wk-client
K2=$WK_TMP/k2/wk-client
mkdir -p "$WK_TMP/k" "$WK_TMP/k2"
cp "$WK_CLIENT" "$K"
cp "$WK_CLIENT" "$K2"
# P, PI: python3 under the shim (libward-shim.so), clean and infected.
SHIM=$WK_BUILD/lib/libward-shim.so
PY=/usr/bin/python3.11
P=$WK_TMP/py/python3
PI=$WK_TMP/pyinf/python3
if [ -f "$SHIM" ] && [ -x "$PY" ]; then
    mkdir -p "$WK_TMP/py" "$WK_TMP/pyinf"
    cp "$PY" "$P"
    av_infect "$PY" "$PI"
    av_add "$DB" "$PI" Ward.Test.InfectedPy
fi
ward_policy <<CONF
set mode ask
set no-prompter pass
set unattributed block
set av scan-before-allow bound 30s
app "$K" {
    allow out tcp port 8080
}
app "$K2" {
    allow out tcp port 8080
}
CONF
serve_b
start_wardd wardd --av-db "$DB" || { wk_notok "wardd starts"; exit 1; }

wk_check "a clean program's first connection passes once it is scanned" [ "$(conn "$A")" = ok ]
wk_check "its binary was scanned once" [ "$(status av_scans)" = 1 ]
wk_check "a second connection passes" [ "$(conn "$A")" = ok ]
wk_check "... without a second scan (a cache hit)" \
    bash -c "[ '$(status av_scans)' = 1 ] && [ '$(status av_cache_hits)' -ge 1 ]"

# Replaced by an infected file: renamed in (a new inode), as dpkg does.
wk_bg watch "$WARD" watch
watching watch
wk_check "program O passes while it is clean" [ "$(conn "$O")" = ok ]
cp "$WK_TMP/infected" "$O.new"
mv "$O.new" "$O"
wk_check "O replaced by an infected file (renamed in) is denied at its next connection" \
    [ "$(conn "$O")" != ok ]
wk_check "the log row names the signature" \
    wk_eventually 20 bash -c "'$WARD' log --program '$O' --json | grep '\"verdict\":\"block\"' | grep -q 'av: Ward.Test.Infected'"
wk_check "an alert av-infected is raised (log, with the path)" \
    wk_eventually 20 bash -c "'$WARD' log --json | grep '\"kind\":\"alert\"' | grep -q 'av-infected'"
wk_check "wardd's log says it" wk_wait_for "$WK_TMP/wardd.log" "alert: av-infected: $O: Ward.Test.Infected" 20
wk_check "the next connection is denied from the cache" [ "$(conn "$O")" != ok ]
wk_check "the event stream (ward watch) shows the alert and the denial" wk_eventually 20 bash -c \
    "grep -q 'ALERT av-infected' '$WK_TMP/watch.log' && grep -q 'av: Ward.Test.Infected' '$WK_TMP/watch.log'"

# Rewritten in place (same inode): the digest changes with the contents.
wk_check "program Q passes while it is clean" [ "$(conn "$Q")" = ok ]
cp "$WK_TMP/infected" "$Q"
wk_check "Q rewritten in place with the infected file is denied at its next connection" \
    [ "$(conn "$Q")" != ok ]
wk_check "Q's binary is O's: denied from the cache (2 scans, 1 infected binary in all)" \
    bash -c "[ '$(status av_scans)' = 2 ] && [ '$(status av_infected)' = 1 ]"
# (The server says "conn" when it accepts, a moment after the client is done.)
four() { [ "$(conns)" -ge 4 ]; }
wk_eventually 20 four
wk_check "nothing infected reached the peer" [ "$(conns)" -eq 4 ]
"$WARD" status | grep -A1 '^av:' | sed 's/^/# /'

# A program with rules gets its kernel table only once its binary is known
# clean; replaced, it comes back to wardd and is denied.
decisions() { status decisions; }
first=$(decisions)
wk_check "K (an allow rule) passes: its binary is a known clean one" [ "$(conn "$K")" = ok ]
before=$(decisions)
wk_check "... decided by wardd the first time (no kernel table before its scan)" \
    [ "$before" -gt "$first" ]
wk_check "K connects again" [ "$(conn "$K")" = ok ]
wk_check "... decided in the kernel now (wardd made no decision)" [ "$(decisions)" = "$before" ]
cp "$WK_TMP/infected" "$K.new"
mv "$K.new" "$K"
wk_check "K replaced by an infected file is denied despite its allow rule" [ "$(conn "$K")" != ok ]
wk_check "... by wardd, naming the signature" \
    wk_eventually 20 bash -c "'$WARD' log --program '$K' --json | grep '\"verdict\":\"block\"' | grep -q 'av: Ward.Test.Infected'"

# One with a kernel table rewritten in place keeps its inode: the write
# withdraws its table, and its next connection is scanned and denied.
wk_check "K2 (an allow rule) passes" [ "$(conn "$K2")" = ok ]
before=$(decisions)
conn "$K2" >/dev/null
wk_check "K2 connects again, decided in the kernel (wardd made no decision)" \
    [ "$(decisions)" = "$before" ]
changed() { grep -c "a program with a kernel table changed on disk" "$WK_TMP/wardd.log"; }
seen=$(changed)
cp "$WK_TMP/infected" "$K2"
synced() {
    for _ in $(seq 200); do [ "$(changed)" -gt "$seen" ] && return 0; sleep 0.1; done
    return 1
}
wk_check "the write is seen: the tables are synced" synced
wk_check "K2 rewritten in place with the infected file is denied at its next connection" \
    [ "$(conn "$K2")" != ok ]

# A shim's question goes through the same check as the queue's: held for
# the scan (scan-before-allow), an infected binary denied before the rules.
if [ -x "$PI" ]; then
    CLIENT=$(cd "$(dirname "$0")/../shim" && pwd)/client.py
    shimmed() { wk_client env LD_PRELOAD="$SHIM" WARD_RUN_DIR="$WK_TMP/run" "$@"; }
    via_shim() {
        "$WARD" log --program "$1" --json | grep '"via":"shim"' | grep "\"verdict\":\"$2\"" |
            grep -q "$3"
    }
    wk_check "shim: a clean program's question waits for its scan, then passes" \
        [ "$(shimmed "$P" "$CLIENT" connect $IP_B 8080)" = ok ]
    wk_check "... answered via the shim" via_shim "$P" permit .
    wk_check "shim: an infected program's connect fails with ECONNREFUSED" \
        [ "$(shimmed "$PI" "$CLIENT" connect $IP_B 8080)" = "err ECONNREFUSED" ]
    wk_check "... denied via the shim, naming the signature" \
        via_shim "$PI" block "av: Ward.Test.InfectedPy"
    wk_check "... and again from the cache" \
        [ "$(shimmed "$PI" "$CLIENT" connect $IP_B 8080)" = "err ECONNREFUSED" ]
else
    wk_ok "# SKIP shim: no $SHIM or $PY"
fi

# scan-in-background: the first connection is asked about at once; the
# prompt (the protocol's JSON, as a desktop prompter reads it) shows the
# scan, and closes as a block when the binary is found infected.
ward_policy <<CONF
set mode ask
set prompt-timeout 20s default allow
set av scan-in-background
CONF
"$WARD" reload >/dev/null
cat >"$WK_TMP/pj.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
for msg in ('{"type":"hello","id":1,"versions":[1]}', '{"type":"prompt.register","id":2}'):
    f.write(msg + "\n"); f.flush()
for line in f:
    print(line.strip())
PY
wk_bg pj python3 -u "$WK_TMP/pj.py" "$WARD_SOCKET"
wk_wait_for "$WK_TMP/pj.log" '"id":2' 20
BG=$WK_TMP/bg/wk-client
mkdir -p "$WK_TMP/bg"
cp "$WK_TMP/infected2" "$BG"
wk_check "an infected program's connection waits on its prompt, then is refused" \
    [ "$(conn "$BG" 25)" != ok ]
wk_check "its prompt's JSON shows the scan (\"av\")" \
    bash -c "grep '\"type\":\"prompt\"' '$WK_TMP/pj.log' | grep -q '\"av\":\"\(scanning\|infected: Ward.Test.Infected2.UNOFFICIAL\)\"'"
wk_check "the prompt closes as a block: av-infected" \
    bash -c "grep '\"type\":\"prompt.closed\"' '$WK_TMP/pj.log' | grep -q '\"by\":\"av-infected\"'"
no_sanitizer "no sanitizer report" "$WK_TMP/wardd.log"
exit 0
