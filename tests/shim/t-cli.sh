#!/bin/bash
# `ward shim enable|disable|status` on a test root (--root), never the
# machine's own /etc/ld.so.preload: the entry is added once, kept beside
# other entries, removed alone; a library others may write is refused.
set -u
B=${WARD_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build/san}
W=$B/bin/ward
R=$(mktemp -d /tmp/ward-test-shimcli.XXXXXX)
case $R in /tmp/ward-test-shimcli.?*) ;; *) echo "Bail out! bad test root '$R'"; exit 1 ;; esac
trap 'rm -rf "$R"' EXIT
n=0
check() {
    local name=$1
    shift
    n=$((n + 1))
    if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; fi
}
P=$R/etc/ld.so.preload
mkdir -p "$R/etc" "$R/usr/lib/ward"
chmod 755 "$R" "$R/etc" "$R/usr" "$R/usr/lib" "$R/usr/lib/ward"
cp "$B/lib/libward-shim.so" "$R/usr/lib/ward/"
echo "/opt/other/libother.so" >"$P"

check "status: disabled at first" bash -c "'$W' shim status --root '$R' | grep -q '^shim: disabled'"
check "enable: succeeds" bash -c "'$W' shim enable --root '$R' >/dev/null"
check "enable: the entry is added after the others" \
    [ "$(cat "$P")" = "$(printf '/opt/other/libother.so\n/usr/lib/ward/libward-shim.so')" ]
check "enable: twice adds nothing" \
    bash -c "'$W' shim enable --root '$R' >/dev/null && [ \$(grep -c libward-shim '$P') = 1 ]"
check "enable: the file stays readable by all (0644)" [ "$(stat -c %a "$P")" = 644 ]
check "status: enabled" bash -c "'$W' shim status --root '$R' | grep -q '^shim: enabled'"
check "status: says wardd does not answer here" \
    bash -c "'$W' shim status --root '$R' --run-dir '$R/run' | grep -q 'not answering'"
check "disable: succeeds" bash -c "'$W' shim disable --root '$R' >/dev/null"
check "disable: only its own entry goes" [ "$(cat "$P")" = /opt/other/libother.so ]
check "status: disabled again" bash -c "'$W' shim status --root '$R' | grep -q '^shim: disabled'"
chmod 777 "$R/usr/lib/ward"
check "enable: refused when others may write the library's directory" \
    bash -c "! '$W' shim enable --root '$R' 2>/dev/null && ! grep -q libward-shim '$P'"
chmod 755 "$R/usr/lib/ward"
check "enable: refused for a library that is not there" \
    bash -c "! '$W' shim enable --root '$R' --lib /usr/lib/ward/nothere.so 2>/dev/null"
check "enable: refused for a relative path" \
    bash -c "! '$W' shim enable --root '$R' --lib libward-shim.so 2>/dev/null"
rm -f "$P"
check "enable: creates the file when there is none" \
    bash -c "'$W' shim enable --root '$R' >/dev/null && [ \"\$(cat '$P')\" = /usr/lib/ward/libward-shim.so ]"
check "usage: an unknown action is a usage error (2)" bash -c "'$W' shim frob 2>/dev/null; [ \$? = 2 ]"
