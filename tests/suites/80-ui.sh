#!/bin/bash
# The user interfaces against the real wardd (tests/ui/t-*.sh): `ward top`
# in tmux, the desktop app under Xvfb. One TAP sequence.
set -uo pipefail
cd "$WARD_ROOT"
. tests/suites/scripts.lib
run_scripts tests/ui/t-*.sh
