#!/bin/bash
# The mail proxy (docs/MAIL.md): ward-maild between real clients (curl,
# swaks, nc) and small SMTP, POP3 and IMAP servers in the peer namespace,
# through Ward's nft redirect (tests/mail/t-*.sh), as TAP.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
run_scripts tests/mail/t-*.sh
