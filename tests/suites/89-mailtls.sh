#!/bin/bash
# TLS for the mail proxy (docs/MAILTLS.md): the local CA, per-host leaves,
# verified upstream TLS and STARTTLS both ways, against OpenSSL's own
# s_server and s_client (tests/mailtls/t-*.sh), as TAP.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
run_scripts tests/mailtls/t-*.sh
