# tests/mail/setup.sh — how every mail script begins (sourced first): the
# sandbox (tests/kernel/lib.sh, wk_setup), wardd's start and stop, the test
# antivirus databases (tests/av/db.sh) and the mail tools (lib.sh).
MAIL_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$MAIL_TESTS/../kernel/lib.sh"
wk_setup
. "$MAIL_TESTS/../kernel/wardd.sh"
. "$MAIL_TESTS/../av/db.sh"
. "$MAIL_TESTS/lib.sh"

# mail_av_setup: the proxy and a test antivirus database ($DB) for a script
# that decides messages with it; a script without ward-maild is skipped.
mail_av_setup() {
    [ -x "$WK_BUILD/bin/ward-maild" ] || wk_skip_all "no ward-maild"
    chmod 755 "$WK_TMP"
    DB=$WK_TMP/avdb
    av_db "$DB"
}
