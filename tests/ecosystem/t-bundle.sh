#!/bin/bash
# Signed policy bundles (`ward bundle`, docs/FLEET.md) against a running
# wardd: created, verified, applied through its reload; tampered content, a
# foreign key, an altered manifest, a cut archive and a policy with errors
# are refused with the policy in force unchanged; a downgrade is refused;
# rollback; a URL served by python3's http.server in a network namespace of
# the test's own; wardd's timer poll (`set policy-bundle`), which does not
# bring back a version rolled back. wardd runs in that namespace (the
# control socket is a file: the CLI reaches it from anywhere).
. "$(dirname "$0")/../daemon/nokernel.sh"
cd "$(dirname "$0")/../.."
nk_setup bundle
NS=ward-t-${WK_ID:-$$}-a # run_scripts removes it if the test is killed
PORT=8731
URL=http://127.0.0.1:$PORT
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; ip netns del $NS 2>/dev/null;
      [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
export WARD_KEYS_DIR=$T/keys WARD_BUNDLE_DIR=$T/bundle WARD_CONF=$T/etc/ward.conf
export WARD_LEARNED=$T/state/learned.rules
W=$B/ward
mkdir -p "$T/keys" "$T/other" "$T/www"
chmod 755 "$T/www"

# Background jobs use `ip netns exec` itself, which execs: $! is the program.
in_ns() { ip netns exec $NS "$@"; }
# rules_have PORT: the rules wardd holds name that port.
rules_have() { "$W" rules list 2>/dev/null | grep -q "port $1\b"; }
# policy N PORT [EXTRA]: a policy directory src$N (ward.conf, rules.d/apps.rules):
# curl may reach PORT.
policy() {
    mkdir -p "$T/src$1/rules.d"
    printf 'set mode ask\n%s\ninclude "rules.d/apps.rules"\n' "${3:-}" >"$T/src$1/ward.conf"
    printf 'app "/usr/bin/curl" {\n    allow out tcp port %s\n}\n' "$2" >"$T/src$1/rules.d/apps.rules"
}
# bundle N: v$N.wbd from src$N, signed with the fleet's key.
bundle() { "$W" bundle create --key "$T/fleet.key" --name office --version "$1" \
    --output "$T/v$1.wbd" "$T/src$1" >/dev/null; }
# refused NAME FILE PATTERN: apply fails, its message matches, nothing changed.
refused() {
    local name=$1 file=$2 pat=$3
    "$W" bundle apply "$file" >"$T/out" 2>"$T/err"
    local rc=$?
    check "$name: refused ($(head -c 160 "$T/err" | tr '\n' ' '))" \
        bash -c "[ $rc -ne 0 ] && grep -q -- '$pat' '$T/err' && ! grep -q '$T/bundle' '$T/err'"
}
in_force() { rules_have "$1" && "$W" bundle status | grep -q "office version $2,"; }

ip netns add $NS || { echo "1..0 # SKIP cannot create a network namespace"; exit 0; }
in_ns ip link set lo up

check "keygen: a secret key only root reads, a public key" bash -c \
    "'$W' bundle keygen --dir '$T' fleet >/dev/null && [ \$(stat -c %a '$T/fleet.key') = 600 ] &&
     cp '$T/fleet.pub' '$T/keys/' && '$W' bundle keygen --dir '$T/other' rogue >/dev/null"
check "keygen refuses to overwrite a key" bash -c "! '$W' bundle keygen --dir '$T' fleet 2>/dev/null"
policy 1 443
policy 2 8443
bundle 1 && bundle 2
check "create and verify: name, version, signing key, files" bash -c \
    "'$W' bundle verify '$T/v1.wbd' | grep -q 'office version 1, .*signed by key [0-9a-f]\{16\}, 2 files'"

printf 'set mode ask\napp "/usr/bin/env" {\n    allow out tcp port 7\n}\n' | nk_policy
start() {
    ip netns exec $NS "$B/wardd" --foreground --no-kernel --config "$T/etc/ward.conf" --state-dir "$T/state" \
        --run-dir "$T/run" >>"$T/wardd.log" 2>&1 &
    P=$!
    for _ in $(seq 200); do
        [ -S "$WARD_SOCKET" ] && "$W" status >/dev/null 2>&1 && return
        sleep 0.1
    done
}
start
check "wardd runs the policy before bundles" rules_have 7
check "apply: verified, checked, in force through wardd's reload" bash -c \
    "'$W' bundle apply '$T/v1.wbd' | grep -q 'office version 1 applied (2 files), wardd reloaded'"
check "the bundle's policy is in force" in_force 443 1
check "its files are beside ward.conf" [ -f "$T/etc/rules.d/apps.rules" ]
check "the same bundle again: nothing to do" bash -c \
    "'$W' bundle apply '$T/v1.wbd' | grep -q 'already in force'"

# Tampered: a file's content changed after signing.
sed 's/port 8443/port 8444/' "$T/v2.wbd" >"$T/tampered.wbd"
refused "tampered content" "$T/tampered.wbd" "tampered.wbd: rules.d/apps.rules: its content does not match"
# A key the machine does not trust; a manifest altered after signing.
"$W" bundle create --key "$T/other/rogue.key" --name office --version 2 --output "$T/rogue.wbd" \
    "$T/src2" >/dev/null
refused "signed by an unknown key" "$T/rogue.wbd" "rogue.wbd: signed by key .*, which is not in"
sed 's/^version 2$/version 9/' "$T/v2.wbd" >"$T/altered.wbd"
refused "altered manifest (bad signature)" "$T/altered.wbd" "altered.wbd: bad signature"
# Corrupt archives.
head -c -7 "$T/v2.wbd" >"$T/cut.wbd"
refused "cut short" "$T/cut.wbd" "cut.wbd: the data is .* corrupt or cut short"
head -c 300 /dev/urandom >"$T/noise.wbd"
refused "not a bundle" "$T/noise.wbd" "noise.wbd: not a Ward bundle"
# Signed, but its policy has an error: named in the bundle, not the scratch copy.
policy 3 9443
echo 'app "/usr/bin/curl" { allow out tcp port 99999 }' >>"$T/src3/rules.d/apps.rules"
bundle 3
refused "a policy with errors" "$T/v3.wbd" "v3.wbd:rules.d/apps.rules:[0-9]*:[0-9]*: error"
check "the policy in force is unchanged after every refusal" in_force 443 1

check "apply version 2" bash -c "'$W' bundle apply '$T/v2.wbd' >/dev/null"
check "version 2 in force" in_force 8443 2
refused "downgrade" "$T/v1.wbd" "v1.wbd: version 1 is older than the version in force (2): downgrade refused"
check "status: what rollback restores" bash -c "'$W' bundle status | grep -q 'rollback: to office version 1'"
check "rollback: version 1 in force again" bash -c \
    "'$W' bundle rollback | grep -q 'rolled back to office version 1, wardd reloaded'"
after_rollback() { in_force 443 1 && ! rules_have 8443; }
check "after rollback" after_rollback
check "one step only" bash -c "! '$W' bundle rollback 2>/dev/null"

# Over HTTP, from the test's namespace.
ip netns exec $NS python3 -m http.server $PORT --bind 127.0.0.1 --directory "$T/www" 2>"$T/http.log" &
for _ in $(seq 100); do in_ns curl -s -o /dev/null "$URL/" && break; sleep 0.2; done
policy 3 9443
bundle 3
cp "$T/v3.wbd" "$T/www/"
check "apply from a URL (http)" bash -c "ip netns exec $NS '$W' bundle apply '$URL/v3.wbd' >/dev/null"
check "version 3 in force" in_force 9443 3
in_ns "$W" bundle apply "$URL/none.wbd" 2>"$T/err" >/dev/null
check "a URL that fails is named ($(head -c 100 "$T/err"))" grep -q "$URL/none.wbd: .*404" "$T/err"

# wardd's timer: version 4 names the URL it polls; a newer one there is
# applied by wardd alone; a version rolled back is not applied again.
POLL="set policy-bundle \"$URL/fleet.wbd\" every 1s"
policy 4 10443 "$POLL"
policy 5 11443 "$POLL"
bundle 4 && bundle 5
cp "$T/v4.wbd" "$T/www/fleet.wbd"
check "apply version 4, which sets the poll" bash -c \
    "ip netns exec $NS '$W' bundle apply '$URL/fleet.wbd' >/dev/null"
cp "$T/v5.wbd" "$T/www/fleet.wbd.new" && mv "$T/www/fleet.wbd.new" "$T/www/fleet.wbd"
for _ in $(seq 150); do in_force 11443 5 && break; sleep 0.2; done
check "wardd polled the URL and applied version 5" in_force 11443 5
check "the poll is in the policy" bash -c "'$W' show '$T/etc/ward.conf' | grep -q 'policy-bundle'"
"$W" bundle rollback >/dev/null
gets() { grep -c 'GET /fleet.wbd' "$T/http.log"; }
seen=$(gets)
for _ in $(seq 150); do [ "$(gets)" -ge $((seen + 2)) ] && break; sleep 0.2; done
check "polled twice after the rollback ($seen, then $(gets) fetches)" [ "$(gets)" -ge $((seen + 2)) ]
check "the version rolled back stays out" in_force 10443 4
check "status says so" bash -c "'$W' bundle status | grep -q 'rolled back: version 5'"

nk_stop
nk_no_sanitizer
check "no scratch directory left" bash -c "! ls -d '$T'/bundle/work.* 2>/dev/null | grep -q ."
