#!/bin/bash
# The files trust rests on, watched (docs/MONITOR.md, "Files"): a pinned
# binary overwritten in place, or replaced by a rename, is an alert naming
# the file and the change, and its next connection is asked about (the pin
# no longer matches); with `set trust-package-manager yes` a new binary the
# dpkg database (a test copy) lists keeps its rules, re-pinned; the policy
# file edited outside ward is an alert.
# Every file here is the test's own (under $WK_TMP).
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../words/lib.sh"
P=$(prog pinned)
SHA=$(sha256sum "$P" | cut -d' ' -f1)
pol <<CONF
set mode ask
set no-prompter block
app "$P" sha256 $SHA {
    allow out tcp port 8080
}
CONF
mkdir -p "$WK_TMP/dpkg/info"
start_wardd --dpkg-dir "$WK_TMP/dpkg" || { wk_notok "wardd starts"; sed 's/^/# /' "$WD_LOG"; exit 1; }
# A prompter that never answers: a question shows in its log.
mkfifo "$WK_TMP/never"
exec 9<>"$WK_TMP/never"
wk_bg silent sh -c "exec \"$WARD\" prompt <\"$WK_TMP/never\""
wk_wait_for "$WK_TMP/silent.log" "waiting for prompts" 20
alert_says() { "$WARD" log --json | grep '"kind":"alert"' | grep "\"filter\":\"$1\"" | grep -q "$2"; }
wait_alert() { for ((i = 0; i < 200; i++)); do alert_says "$@" && return 0; sleep 0.1; done; return 1; }

wk_check "the pinned program connects" [ "$(conn "$P" tcp4 $IP_B 8080)" = ok ]
# Overwritten in place: same file, one byte more.
printf '\0' >>"$P"
wk_check "overwritten in place: an alert names the file and the change" \
    wait_alert binary-changed "$P: modified"
wk_check "... and says the pin no longer matches" \
    alert_says binary-changed "pinned to ${SHA:0:16}…: asked again"
wk_bg asked wk_client "$P" tcp4 $IP_B 8080 10
wk_check "its next connection is asked about" wk_wait_for "$WK_TMP/silent.log" "$P" 20
kill "$WK_PID_asked" 2>/dev/null

# Replaced by a rename, as a package manager does: the original put back.
cp "$WK_CLIENT" "$P.new"
mv "$P.new" "$P"
wk_check "replaced by a rename: an alert says so" wait_alert binary-changed "$P: replaced"
wk_check "... the digest is its pin again: no question" alert_says binary-changed "(its pin)"
wk_check "the program connects again" [ "$(conn "$P" tcp4 $IP_B 8080)" = ok ]

# The package manager's upgrade, trusted: dpkg's database lists the new file.
pol <<CONF
set mode ask
set no-prompter block
set trust-package-manager yes
app "$P" sha256 $SHA {
    allow out tcp port 8080
}
CONF
cp "$WK_CLIENT" "$WK_TMP/upgrade"
printf '\0\0' >>"$WK_TMP/upgrade"
echo "$(md5sum "$WK_TMP/upgrade" | cut -d' ' -f1)  ${P#/}" >"$WK_TMP/dpkg/info/wardtest.md5sums"
cp "$WK_TMP/upgrade" "$P"
wk_check "trust-package-manager: a new binary dpkg lists is re-pinned" \
    wait_alert binary-changed "dpkg's wardtest: re-pinned"
wk_check "... and connects without a question" [ "$(conn "$P" tcp4 $IP_B 8080)" = ok ]
wk_check "... the new pin is kept with the learned rules" \
    grep -q "$(sha256sum "$P" | cut -d' ' -f1)" "$WK_TMP/state/learned.rules"
# One dpkg does not list is asked about, as before.
asked_alerts() { "$WARD" log --json | grep '"filter":"binary-changed"' | grep -c 'asked again'; }
before=$(asked_alerts)
printf '\0' >>"$P"
for ((i = 0; i < 200; i++)); do [ "$(asked_alerts)" -gt "$before" ] && break; sleep 0.1; done
wk_check "trust-package-manager: a binary dpkg does not list is not trusted" \
    [ "$(asked_alerts)" -gt "$before" ]

# The policy file, edited behind ward's back.
echo "# edited" >>"$WK_TMP/etc/ward.conf"
wk_check "the policy file edited outside ward is an alert" \
    wait_alert policy-changed "ward.conf was modified"
kill "$WK_PID_silent" 2>/dev/null
stop_wardd
sanitizer_clean
exit 0
