#!/bin/bash
# `ward scan` through wardd (no kernel hooks): EICAR and every file of
# clamav-testfiles are found, a clean file is clean; ward-scand runs as
# nobody; a corrupt database is a clear error and scanning goes on with
# the previous one; a changed directory is reloaded; a crashed helper is
# started again.
. "$(dirname "$0")/../daemon/nokernel.sh"
. "$(dirname "$0")/db.sh"
nk_setup av-scan
[ -d "$AV_TESTFILES" ] || { echo "1..0 # SKIP no clamav-testfiles"; exit 0; }
[ -x "$B/ward-scand" ] || { echo "1..0 # SKIP no ward-scand"; exit 0; }
av_db "$T/db"
nk_policy <<<'set mode ask'
nk_start --av-db "$T/db"
W=$B/ward
st() { "$W" status --json | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p"; }
wait_log() { # wait_log PATTERN: up to 20 s for a line of wardd's log
    for _ in $(seq 200); do grep -q "$1" "$T/wardd.log" && return 0; sleep 0.1; done
    return 1
}

check "the scanner waits for a first scan when the policy scans nothing" \
    [ "$(st av_state)" = "not started" ]
out=$("$W" scan "$T/eicar.com")
rc=$?
check "EICAR is found (exit 1)" \
    bash -c "[ $rc -eq 1 ] && grep -qx '$T/eicar.com: infected: Ward.Test.Eicar.UNOFFICIAL' <<<'$out'"
files=("$AV_TESTFILES"/*)
found=$("$W" scan "${files[@]}" | grep -c ': infected: Ward.Test.ClamExe')
echo "# clamav-testfiles: $found of ${#files[@]} found"
check "every file of clamav-testfiles is found (${#files[@]}: packed, archived, mailed)" \
    [ "$found" -eq "${#files[@]}" ]
check "a clean file is clean (exit 0)" bash -c "'$W' scan /bin/true | grep -qx '/usr/bin/true: clean\|/bin/true: clean'"
check "a missing file is an error of its own" \
    bash -c "'$W' scan /nonexistent '$T/eicar.com' | grep -qx '/nonexistent: error: No such file or directory'"
check "status: libclamav's version, 2 signatures, the databases' date" \
    bash -c "[ -n '$(st av_engine)' ] && [ '$(st av_sigs)' = 2 ] && [ '$(st av_db_time)' -gt 0 ]"
"$W" status | grep '^av:' | sed 's/^/# /'
spid=$(pgrep -f "ward-scand $T/db" | head -1)
check "ward-scand runs as nobody" [ "$(ps -o user= -p "$spid")" = nobody ]
check "... with no_new_privs and a seccomp filter" \
    bash -c "grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$spid/status && grep -q '^Seccomp:[[:space:]]*2' /proc/$spid/status"

# A corrupt database: refused, said, and the previous one stays.
echo 'not-a-hash:12:Broken' >"$T/db/broken.hdb"
chmod 644 "$T/db/broken.hdb"
check "a corrupt database is refused with a clear error in wardd's log" \
    wait_log "signature databases were not loaded: .*broken.hdb.*line 1"
check "ward status says why the load failed" bash -c "'$W' status | grep -q 'load failed: .*broken.hdb'"
check "scanning goes on with the previous databases" \
    bash -c "'$W' scan '$T/eicar.com' | grep -q 'infected: Ward.Test.Eicar'"
# Fixed, with a new signature: reloaded.
rm "$T/db/broken.hdb"
cp /bin/true "$T/newly-bad"
av_add "$T/db" "$T/newly-bad" Ward.Test.New
for _ in $(seq 200); do [ "$(st av_sigs)" = 3 ] && break; sleep 0.1; done
check "a changed directory is loaded again (3 signatures, no error)" \
    bash -c "[ '$(st av_sigs)' = 3 ] && ! '$W' status | grep -q 'load failed'"
check "the new signature is used" \
    bash -c "'$W' scan '$T/newly-bad' | grep -q 'infected: Ward.Test.New'"

# A crash of the helper never takes wardd down: it is started again.
# SIGKILL: a crash no handler sees (ASan would catch a SIGSEGV and exit).
kill -KILL "$(pgrep -f "ward-scand $T/db" | head -1)"
check "a crashed ward-scand is said in wardd's log" wait_log "ward-scand (pid [0-9]*) exited, signal 9"
check "the next scan is answered by a new helper" \
    eventually bash -c "'$W' scan '$T/eicar.com' | grep -q 'infected: Ward.Test.Eicar'"
check "status counts the restart" [ "$(st av_restarts)" = 1 ]
check "wardd still runs" kill -0 "$P"
nk_stop
nk_no_sanitizer
exit 0
