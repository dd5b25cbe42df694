#!/bin/bash
# `set trust-package-manager` (docs/POLICY.md, "Settings"): a pinned
# program's binary changed to one dpkg's database lists (a test copy of the
# database) keeps its rules with `yes`, and is asked about (no prompter:
# refused) with `no`.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/lib.sh"
P=$(prog pinned)
SHA=$(sha256sum "$P" | cut -d' ' -f1)
mkdir -p "$WK_TMP/dpkg/info"
policy() {
    pol <<CONF
set mode ask
set no-prompter block
set trust-package-manager $1
app "$P" sha256 $SHA {
    allow out tcp port 8080
}
CONF
}
# upgrade N: P becomes a new binary (N bytes more) that dpkg lists.
upgrade() {
    cp "$WK_CLIENT" "$WK_TMP/new"
    head -c "$1" /dev/zero >>"$WK_TMP/new"
    echo "$(md5sum "$WK_TMP/new" | cut -d' ' -f1)  ${P#/}" >"$WK_TMP/dpkg/info/wardtest.md5sums"
    local n
    n=$(changes)
    cp "$WK_TMP/new" "$P"
    for ((i = 0; i < 200; i++)); do [ "$(changes)" -gt "$n" ] && break; sleep 0.1; done
}
# changes: the binary-changed alerts so far (wardd has seen the change).
changes() { "$WARD" log --json 2>/dev/null | grep -c '"filter":"binary-changed"'; }
policy no
start_wardd --dpkg-dir "$WK_TMP/dpkg" || { wk_notok "wardd starts"; sed 's/^/# /' "$WD_LOG"; exit 1; }
passes "the pinned program connects" "$P" tcp4 $IP_B 8080
# words: trust-package-manager no
upgrade 1
refused "trust-package-manager no: a new binary dpkg lists is still asked about" "$P" tcp4 $IP_B 8080
# words: yes
policy yes
upgrade 2
passes "trust-package-manager yes: a new binary dpkg lists keeps its rules" "$P" tcp4 $IP_B 8080
rejects "trust-package-manager: another answer is refused" 'ward.conf:1:[0-9]+' \
    <<<'set trust-package-manager maybe'
stop_wardd
sanitizer_clean
exit 0
