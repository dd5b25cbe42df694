#!/bin/bash
# A program's identity is its executable file, not the path it claims.
# An unprivileged user binds another file over an allowed program's path in
# a mount namespace of its own, or names a file "<allowed path> (deleted)",
# or runs a file from the allowed path and puts the real one back: each is
# not the file at that path in wardd's namespace, so it never gets that
# path's rules; it is asked about (and refused at the timeout), the prompt
# and the log say the file is not the one at the path, and an answer about
# it holds for its process only. The real program is still allowed.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
serve_b 100000
command -v curl >/dev/null || wk_skip_all "no curl"
CURL=$(readlink -f "$(command -v curl)")

# The allowed programs: curl, and a copy of the client in a directory of
# its own (the deleted-name cases need to write beside it).
A=$WK_TMP/app/prog
mkdir -p "$WK_TMP/app" "$WK_TMP/evil"
cp "$WK_CLIENT" "$A"
cp "$WK_CLIENT" "$WK_TMP/evil/evil" # what the attacker runs
chmod 755 "$WK_TMP/app" "$WK_TMP/evil" "$WK_TMP/evil/evil"
ward_policy <<CONF
set mode ask
set prompt-timeout 2s default deny
set no-prompter block
app "$CURL" {
    allow out tcp port 8080
}
app "$A" {
    allow out tcp port 8080
}
CONF
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
silent quiet

curl_conn() { wk_client curl -s -o /dev/null -m 8 "http://$IP_B:8080/"; }
# curl connected: the listener closes at once ("empty reply" 52, or a
# reset while receiving, 56); refused or held: 7 or 28.
curl_ok() { [ "$1" = 0 ] || [ "$1" = 52 ] || [ "$1" = 56 ]; }
curl_conn
rc=$?
wk_check "the real curl is allowed (connected, curl exit $rc)" curl_ok $rc

# 1. Bind mount in a private mount namespace, as nobody.
spoof() {
    wk_client setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Urm sh -c \
        "mount --bind '$WK_TMP/evil/evil' '$CURL' && exec '$CURL' tcp4 $IP_B 8080 8" 2>&1
}
wrong=0
for i in 1 2 3; do
    out=$(spoof)
    echo "# spoof $i: $out"
    [ "$out" = ok ] && wrong=$((wrong + 1))
done
echo "# bind-mount spoof: $wrong of 3 wrongly allowed"
wk_check "bind mount over curl as nobody: not allowed (wrong allows: $wrong of 3)" [ $wrong = 0 ]
wk_check "the log names the spoof as not the file at curl's path" \
    bash -c "\"$WARD\" log --json | grep -q '\"exe\":\"$CURL (not the file at this path)\"'"
# The spoof's exe, not its parents: an ancestor that is not the file at its
# path (the test's own launcher, perhaps) marks allowed connections' parents.
wk_check "the log has no permit for it" \
    bash -c "! \"$WARD\" log --json | grep '\"exe\":\"[^\"]*(not the file at this path)\"' | grep -q '\"verdict\":\"permit\"'"
curl_conn
rc=$?
wk_check "the real curl is still allowed afterwards (curl exit $rc)" curl_ok $rc

# 2. A file named "<allowed path> (deleted)".
cp "$WK_CLIENT" "$A (deleted)"
out=$(wk_client "$A (deleted)" tcp4 $IP_B 8080 8 2>&1)
echo "# '$A (deleted)': $out"
wk_check "a file named '<allowed path> (deleted)' is not the allowed program" [ "$out" != ok ]
rm -f "$A (deleted)"

# 3. Another file run from the allowed path, deleted while it runs and the
# real program put back: /proc/PID/exe reads "<allowed path> (deleted)".
cp "$A" "$WK_TMP/app.orig"
cp "$WK_TMP/evil/evil" "$A.new" && mv -f "$A.new" "$A"
mkfifo "$WK_TMP/go"
wk_bg runner sh -c "exec \"\$@\" <'$WK_TMP/go'" sh \
    sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec nsenter --net=/run/netns/"$@"' \
    sh "$WK_CG" "$NS_A" "$A" lines tcp4 $IP_B 8080
exec 7>"$WK_TMP/go"
wk_wait_for "$WK_TMP/runner.log" ready 20
rm -f "$A" && cp "$WK_TMP/app.orig" "$A.new" && mv -f "$A.new" "$A"
pid=$(sed -n 's/^ready //p' "$WK_TMP/runner.log")
echo "# /proc/$pid/exe: $(readlink /proc/$pid/exe)"
echo go >&7
wk_wait_for "$WK_TMP/runner.log" '^\(ok\|err\)' 20
out=$(sed -n '2p' "$WK_TMP/runner.log")
wk_check "a deleted file run from the allowed path is not the program now there ($out)" \
    [ "$out" != ok ]
exec 7>&-
finish runner 20
wk_check "the program now at the path is allowed" \
    [ "$(wk_client "$A" tcp4 $IP_B 8080 8)" = ok ]

# 4. Asked and answered "allow forever": it holds for that process only,
# nothing is written for the real path, and the real file gains nothing.
finish quiet 0
prompter yes --answer allow --scope any --duration forever --count 1
out=$(spoof)
finish yes 20
wk_check "asked: the prompt said the file is not the one at curl's path" \
    grep -q "program:  $CURL (not the file at this path)" "$WK_TMP/yes.log"
wk_check "an allowed answer lets that process connect ($out)" [ "$out" = ok ]
wk_check "nothing was learned for curl's path" \
    bash -c "! grep -qs '$CURL' '$WK_TMP/state/learned.rules'"
silent quiet2
out=$(spoof)
wk_check "the next spoofing process is asked again and refused ($out)" [ "$out" != ok ]
wk_check "no rule about the spoof outlives its process" \
    bash -c "for i in \$(seq 50); do \"$WARD\" rules | grep -q 'not the file' || exit 0; sleep 0.1; done; exit 1"
stop_wardd wardd
exit 0
