#!/bin/bash
# Ward as a Linux citizen (tests/ecosystem/t-*.sh): journald entries,
# `ward log --follow`, the systemd unit's hardening, man pages and
# completion, and the Debian packages. The package test builds Ward from
# scratch with dpkg-buildpackage: on a loaded machine that takes longer than
# the 300 s run_scripts gives a script, so it runs last with 900 s of its own.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
rc=0
run_scripts $(ls tests/ecosystem/t-*.sh | grep -v '/t-package\.sh$') || rc=1
echo "# tests/ecosystem/t-package.sh"
timeout 900 bash tests/ecosystem/t-package.sh 2>&1 |
    sed -E 's/^(not ok|ok) ([0-9]+) - /\1 \2 - t-package: /' >"${TMPDIR:-/tmp}/ward-eco-pkg.$$"
cat "${TMPDIR:-/tmp}/ward-eco-pkg.$$"
grep -q '^not ok' "${TMPDIR:-/tmp}/ward-eco-pkg.$$" && rc=1
grep -q '^ok' "${TMPDIR:-/tmp}/ward-eco-pkg.$$" || { echo "not ok 1 - t-package: no result"; rc=1; }
rm -f "${TMPDIR:-/tmp}/ward-eco-pkg.$$"
exit $rc
