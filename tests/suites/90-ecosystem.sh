#!/bin/bash
# Ward as a Linux citizen (tests/ecosystem/t-*.sh): journald entries, the
# systemd units' hardening, the Debian packages, man pages and completion.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
run_scripts tests/ecosystem/t-*.sh
