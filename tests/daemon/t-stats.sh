#!/bin/bash
# Traffic accounting: bytes and packets per program and per remote, counted
# by the hooks for every socket and kept by wardd in SQLite. Two programs
# (copies of curl and nc, each its own identity) move files of known size
# to and from netns B: one is allowed in the kernel (never queued), the
# other is decided by wardd through the queue. `ward stats --json` shows
# each program's bytes within a tolerance of what was sent, per program and
# per remote; the totals survive a restart of wardd; `ward conns` lists an
# open connection with its program and growing counters; a user who is not
# an administrator sees only their own programs' traffic.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
command -v curl >/dev/null && command -v nc >/dev/null || wk_skip_all "no curl or nc"
PY=/usr/bin/python3
[ -x $PY ] || wk_skip_all "no $PY"
C=$WK_TMP/allowed/curl # allowed in the kernel
N=$WK_TMP/asked/nc     # decided by wardd (the queue)
cp "$(command -v curl)" "$C"
cp "$(readlink -f "$(command -v nc)")" "$N"
chmod 755 "$C" "$N"
ward_policy <<CONF
set mode ask
set no-prompter pass
app "$C" {
    allow out tcp port 8080
}
CONF
DOWN=3000000 UP=2000000
mkdir -p "$WK_TMP/www"
head -c $DOWN /dev/urandom >"$WK_TMP/www/down.bin"
head -c $UP /dev/urandom >"$WK_TMP/up.bin"
chmod -R a+rX "$WK_TMP/www" "$WK_TMP/up.bin"
wk_bg http wk_in_b $PY -m http.server 8080 --bind $IP_B --directory "$WK_TMP/www"
wk_listening b 8080
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
wk_ok "wardd starts with its hooks on the test cgroup"

# sink PORT: a one-shot TCP sink on B (what nc sends it, discarded).
sink() { wk_bg "sink$1" wk_in_b nc -l -s $IP_B -p "$1" && wk_listening b "$1"; }
# field NAME: the value of a numeric member of one JSON line on stdin.
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
# row PROGRAM [REMOTE] [ward stats args]: that program's JSON row.
row() {
    local p=$1 r=$2
    shift 2
    "$WARD" stats --json "$@" | grep "\"program\":\"$p\"" | grep -- "$r" | head -1
}
# within V LOW HIGH
within() { [ "${1:-0}" -ge "$2" ] && [ "${1:-0}" -le "$3" ]; }
# counted FIELD MIN PROGRAM [REMOTE] [ward stats args]: the row's FIELD has
# reached MIN. wardd reads the hooks' counters every second: a transfer is
# in the totals a moment after it ended, later on a loaded machine.
counted() {
    local f=$1 min=$2
    shift 2
    [ "$(field "$f" <<<"$(row "$@")")" -ge "$min" ] 2>/dev/null
}

d0=$(status decisions)
wk_client "$C" -s -o /dev/null http://$IP_B:8080/down.bin || wk_notok "curl downloads"
sink 9000
wk_client "$N" -N -w 5 $IP_B 9000 <"$WK_TMP/up.bin" || wk_notok "nc uploads"
wk_eventually 20 counted bytes_in $DOWN "$C" ""
wk_eventually 20 counted bytes_out $UP "$N" ""
wk_eventually 20 counted bytes_in $DOWN "$C" "\"remote\":\"$IP_B\"" --by remote
wk_eventually 20 counted bytes_out $UP "$N" "\"remote\":\"$IP_B\"" --by remote
"$WARD" stats | sed 's/^/# /'
"$WARD" stats --by remote | sed 's/^/# /'
rc=$(row "$C" "")
rn=$(row "$N" "")
echo "# curl: $rc"
echo "# nc:   $rn"
wk_check "the queue decided nc, not curl (kernel-decided: $((d0)) -> $(status decisions) decisions)" \
    [ "$(status decisions)" -le $((d0 + 2)) ]
wk_check "curl (allowed in the kernel): bytes in = the file within 10% ($(field bytes_in <<<"$rc") of $DOWN)" \
    within "$(field bytes_in <<<"$rc")" $DOWN $((DOWN * 11 / 10))
wk_check "curl: bytes out small, packets both ways ($(field bytes_out <<<"$rc") out)" \
    bash -c "[ $(field bytes_out <<<"$rc") -gt 0 ] && [ $(field bytes_out <<<"$rc") -lt $((DOWN / 10)) ] &&
             [ $(field packets_in <<<"$rc") -gt 0 ] && [ $(field packets_out <<<"$rc") -gt 0 ]"
wk_check "curl: one connection" [ "$(field conns <<<"$rc")" = 1 ]
wk_check "nc (decided by wardd): bytes out = the upload within 10% ($(field bytes_out <<<"$rn") of $UP)" \
    within "$(field bytes_out <<<"$rn")" $UP $((UP * 11 / 10))
wk_check "nc: bytes in small ($(field bytes_in <<<"$rn"))" \
    bash -c "[ $(field bytes_in <<<"$rn") -gt 0 ] && [ $(field bytes_in <<<"$rn") -lt $((UP / 10)) ]"
rr=$(row "$C" "\"remote\":\"$IP_B\"" --by remote)
echo "# curl by remote: $rr"
wk_check "per remote: curl -> $IP_B has the download" \
    within "$(field bytes_in <<<"$rr")" $DOWN $((DOWN * 11 / 10))
rr=$(row "$N" "\"remote\":\"$IP_B\"" --by remote)
wk_check "per remote: nc -> $IP_B has the upload" within "$(field bytes_out <<<"$rr")" $UP $((UP * 11 / 10))
wk_check "--program narrows to one program" \
    bash -c "[ \$('$WARD' stats --json --program '$C' | wc -l) = 1 ]"
wk_check "a range before the transfers is empty" \
    bash -c "[ -z \"\$('$WARD' stats --json --until $(($(date +%s) - 600)))\" ]"
wk_check "a range given as an age holds them (--since 10m)" \
    bash -c "'$WARD' stats --json --since 10m | grep -q '\"program\":\"$C\"'"

# An accepted connection: a listener of the cgroup (another copy of nc)
# receives an upload from B; its socket is named by the listener.
L=$WK_TMP/other/nc
cp "$N" "$L"
wk_bg lsn wk_client "$L" -l -s $IP_A -p 9200
wk_listening a 9200
wk_in_b nc -N -w 5 $IP_A 9200 <"$WK_TMP/up.bin"
wk_eventually 20 counted bytes_in $UP "$L" "\"remote\":\"$IP_B\"" --by remote
rl=$(row "$L" "\"remote\":\"$IP_B\"" --by remote)
echo "# accepted: $rl"
wk_check "an accepted connection counts for its listener (one connection): bytes in = the upload ($(field bytes_in <<<"$rl"))" \
    bash -c "[ \"$(field conns <<<"$rl")\" = 1 ] && [ $(field bytes_in <<<"$rl") -ge $UP ] && [ $(field bytes_in <<<"$rl") -le $((UP * 11 / 10)) ]"

# The totals are in SQLite: a restart keeps them.
before=$(field bytes_in <<<"$(row "$C" "")")
stop_wardd wardd
start_wardd wardd2 || wk_notok "wardd starts again"
wk_eventually 20 counted bytes_in "${before:-0}" "$C" ""
after=$(field bytes_in <<<"$(row "$C" "")")
wk_check "the totals survive a restart of wardd ($before, then $after)" [ "$after" = "$before" ]
wk_check "the log's database has the traffic table" \
    bash -c "sqlite3 '$WK_TMP/state/log.db' 'SELECT count(*) FROM traffic' 2>/dev/null | grep -q '^[1-9]' ||
             ! command -v sqlite3 >/dev/null"

# An open connection, with its program and counters that grow: B sends
# about 500 kB/s, nc reads it.
wk_bg feed wk_in_b sh -c "while :; do head -c 50000 /dev/zero; sleep 0.1; done | nc -l -s $IP_B -p 9100"
wk_listening b 9100
wk_bg slow wk_client "$N" -d $IP_B 9100
open_row() { "$WARD" conns --json | grep "\"program\":\"$N\"" | grep '"rport":9100' | head -1; }
# grown BYTES: the open connection has received more than BYTES, and wardd
# has a rate for it (its counters are read every second).
grown() {
    c2=$(open_row)
    [ "$(field bytes_in <<<"$c2")" -gt "$1" ] 2>/dev/null && [ "$(field rate_in <<<"$c2")" -gt 0 ] 2>/dev/null
}
wk_eventually 20 grown 0
c1=$c2
wk_eventually 20 grown "$(field bytes_in <<<"$c1")" # the next reading
echo "# $c1"
echo "# $c2"
"$WARD" conns | sed 's/^/# /'
wk_check "ward conns lists the open connection with its program and pid" \
    bash -c "grep -q '\"pid\":[1-9]' <<<'$c2' && grep -q '\"dir\":\"out\"' <<<'$c2'"
wk_check "its counters grow ($(field bytes_in <<<"$c1") -> $(field bytes_in <<<"$c2"))" \
    [ "$(field bytes_in <<<"$c2")" -gt "$(field bytes_in <<<"$c1")" ]
wk_check "its rate is what B sends, roughly (rate_in $(field rate_in <<<"$c2") B/s; ~500k)" \
    within "$(field rate_in <<<"$c2")" 100000 2000000
wk_signal TERM slow
wk_signal TERM feed

# A user who is not an administrator: their own traffic only.
sink 9001
wk_client setpriv --reuid=65534 --regid=65534 --clear-groups "$N" -N -w 5 $IP_B 9001 <"$WK_TMP/up.bin"
wk_eventually 20 counted bytes_out $((2 * UP)) "$N" ""
mine=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$WARD" stats --json 2>&1)
echo "$mine" | sed 's/^/# nobody: /'
wk_check "a user sees their own program's traffic" \
    within "$(field bytes_out <<<"$(grep "\"program\":\"$N\"" <<<"$mine")")" $UP $((UP * 11 / 10))
wk_check "... and not the others' (curl's rows are root's)" bash -c "! grep -q '\"program\":\"$C\"' <<<'$mine'"
wk_check "root sees both uploads of nc" \
    within "$(field bytes_out <<<"$(row "$N" "")")" $((2 * UP)) $((2 * UP * 11 / 10))
wk_check "a user's ward conns shows none of root's connections" \
    bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups '$WARD' conns --json | grep -q '\"uid\":0,'"
wk_check "bad input: --by nonsense is a usage error" \
    bash -c "'$WARD' stats --by color 2>/dev/null; [ \$? = 2 ]"

stop_wardd wardd2
if grep -q 'Sanitizer\|runtime error' "$WK_TMP"/wardd*.log; then
    wk_notok "wardd runs and stops without a sanitizer report"
    grep -h -A30 'Sanitizer\|runtime error' "$WK_TMP"/wardd*.log | sed 's/^/# /'
else
    wk_ok "wardd runs and stops without a sanitizer report"
fi
exit 0
