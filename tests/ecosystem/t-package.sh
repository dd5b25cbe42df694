#!/bin/bash
# The Debian packages: scripts/package builds them with dpkg-buildpackage,
# runs lintian and checks install, upgrade, remove and purge in a throwaway
# root; its TAP lines are this test's.
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v dpkg-buildpackage >/dev/null || { echo "1..0 # SKIP no dpkg-buildpackage"; exit 0; }
OUT=$(mktemp -d /tmp/ward-package-test.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
# A build that does not finish (a very loaded machine) is a failure said
# here, not lines that silently never come.
timeout 850 ./scripts/package "$OUT"
rc=$?
[ $rc -eq 124 ] && echo "not ok 999 - scripts/package finished within 850 s"
exit $rc
