#!/bin/bash
# The Debian packages: scripts/package builds them with dpkg-buildpackage,
# runs lintian and checks install, upgrade, remove and purge in a throwaway
# root; its TAP lines are this test's.
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root"; exit 0; }
command -v dpkg-buildpackage >/dev/null || { echo "1..0 # SKIP no dpkg-buildpackage"; exit 0; }
OUT=$(mktemp -d /tmp/ward-package-test.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
./scripts/package "$OUT"
