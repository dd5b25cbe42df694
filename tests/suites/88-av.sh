#!/bin/bash
# Antivirus (docs/AV.md): `ward scan` through wardd and ward-scand (EICAR,
# clamav-testfiles, databases corrupt and reloaded, a crashed helper), and
# programs scanned on real traffic (tests/av/t-*.sh), as TAP.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
run_scripts tests/av/t-*.sh
