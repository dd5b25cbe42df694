# tests/mail/setup.sh — how every mail script begins (sourced first): the
# sandbox (tests/kernel/lib.sh, wk_setup), wardd's start and stop, the test
# antivirus databases (tests/av/db.sh) and the mail tools (lib.sh).
MAIL_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$MAIL_TESTS/../kernel/lib.sh"
wk_setup
. "$MAIL_TESTS/../kernel/wardd.sh"
. "$MAIL_TESTS/../av/db.sh"
. "$MAIL_TESTS/lib.sh"
