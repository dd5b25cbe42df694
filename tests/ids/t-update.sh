#!/bin/bash
# `ward update ids`: signed rule bundles from a file or from an HTTP server
# in the peer namespace. A good bundle is compiled and put in force; a bad
# signature, a corrupt bundle, a rule that does not compile and a downgrade
# are refused with a clear message and the set in force stays; --rollback
# goes back one step. The shipped starter bundle (rules/ids/ward.wbd) is
# signed by the test key and carries rules/ids/ward.rules as it is.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
command -v python3 >/dev/null || wk_skip_all "no python3"
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
WARD=$WK_BUILD/bin/ward
KEYS=$WK_TMP/keys
export WARD_IDS_DIR=$WK_TMP/state
mkdir -p "$KEYS" "$WK_TMP/www" "$WK_TMP/other"
cp "$ROOT/tests/ids/keys/test.pub" "$KEYS/"
cp "$ROOT/tests/ids/keys/test.key" "$WK_TMP/test.key"
chmod 600 "$WK_TMP/test.key"
"$WARD" bundle keygen --dir "$WK_TMP/other" intruder >/dev/null

# bundle VERSION RULES-FILE [KEY] -> $WK_TMP/www/ids-VERSION.wbd
bundle() {
    local d=$WK_TMP/b$1
    mkdir -p "$d"
    cp "$2" "$d/ids.rules"
    "$WARD" bundle create "$d" --name ids --version "$1" --key "${3:-$WK_TMP/test.key}" \
        --output "$WK_TMP/www/ids-$1.wbd" >/dev/null
}
update() { wk_in_a "$WARD" update ids --keys "$KEYS" "$@" >"$WK_TMP/out" 2>&1; }
in_force() { "$WARD" update ids --status | head -1; }

# The starter bundle, as shipped.
wk_check "the starter bundle verifies with the test key" \
    "$WARD" bundle verify --keys "$KEYS" "$ROOT/rules/ids/ward.wbd"
update "$ROOT/rules/ids/ward.wbd"
wk_check "ward update ids FILE puts the starter set in force" grep -q "version 1 .* in force: 18 rules" "$WK_TMP/out"
wk_check "... its rules are rules/ids/ward.rules" cmp -s "$WARD_IDS_DIR/ids.rules" "$ROOT/rules/ids/ward.rules"

# Version 2 over HTTP from the peer namespace.
wk_bg http nsenter --net=/run/netns/$NS_B python3 -m http.server 8080 --bind $IP_B \
    --directory "$WK_TMP/www"
{ cat "$ROOT/rules/ids/ward.rules"; echo 'alert tcp any any -> any any (msg:"v2"; content:"version-two"; sid:9100001;)'; } >"$WK_TMP/v2.rules"
bundle 2 "$WK_TMP/v2.rules"
for _ in $(seq 200); do wk_in_a curl -sf -o /dev/null http://$IP_B:8080/ && break; sleep 0.1; done
update http://$IP_B:8080/ids-2.wbd
wk_check "an update over HTTP puts version 2 in force" grep -q "version 2 .* in force: 19 rules" "$WK_TMP/out"
wk_check "... and status says so, with the rollback" \
    bash -c "'$WARD' update ids --status | tr '\n' ' ' | grep -q 'version 2 .*19 rules rollback: to version 1'"
cp "$WARD_IDS_DIR/ids.rules" "$WK_TMP/inforce.rules"
stays() { cmp -s "$WARD_IDS_DIR/ids.rules" "$WK_TMP/inforce.rules" && in_force | grep -q "version 2"; }

# A bundle signed by a key not in the keys directory.
bundle 3 "$WK_TMP/v2.rules" "$WK_TMP/other/intruder.key"
update http://$IP_B:8080/ids-3.wbd
wk_check "a bad signature is refused" [ $? -ne 0 ]
wk_check "... saying so" grep -qi "signature\|key" "$WK_TMP/out"
wk_check "... and the set in force stays" stays
sed 's/^/# /' "$WK_TMP/out"

# A corrupt bundle: one byte of the rules changed after signing.
bundle 3 "$WK_TMP/v2.rules"
python3 - "$WK_TMP/www/ids-3.wbd" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); i = b.rfind(b'version-two'); b[i] ^= 0x20
open(p, 'wb').write(bytes(b))
PY
update http://$IP_B:8080/ids-3.wbd
wk_check "a corrupt bundle is refused" [ $? -ne 0 ]
wk_check "... and the set in force stays" stays
sed 's/^/# /' "$WK_TMP/out"
head -c 100 "$WK_TMP/www/ids-2.wbd" >"$WK_TMP/www/ids-cut.wbd"
update http://$IP_B:8080/ids-cut.wbd
wk_check "a truncated bundle is refused" [ $? -ne 0 ]
wk_check "... and the set in force stays" stays

# A rule that does not compile.
{ cat "$WK_TMP/v2.rules"; echo 'alert tcp any any -> any any (sid:9100002; depht:3;)'; } >"$WK_TMP/bad.rules"
bundle 4 "$WK_TMP/bad.rules"
update "$WK_TMP/www/ids-4.wbd"
wk_check "a bundle with a rule that does not compile is refused" [ $? -ne 0 ]
wk_check "... naming the file, line, column and option" \
    grep -q "ids-4.wbd:ids.rules:$(wc -l <"$WK_TMP/bad.rules"):44: error: unknown option 'depht'" "$WK_TMP/out"
wk_check "... and the set in force stays" stays
sed 's/^/# /' "$WK_TMP/out"

# A downgrade.
update "$ROOT/rules/ids/ward.wbd"
wk_check "a downgrade (version 1 over 2) is refused" [ $? -ne 0 ]
wk_check "... and the set in force stays" stays
sed 's/^/# /' "$WK_TMP/out"

# Rollback, once.
wk_check "ward update ids --rollback" "$WARD" update ids --rollback
wk_check "... puts version 1 back" bash -c "'$WARD' update ids --status | grep -q 'version 1 .*18 rules'"
wk_check "... its rules" cmp -s "$WARD_IDS_DIR/ids.rules" "$ROOT/rules/ids/ward.rules"
"$WARD" update ids --rollback >"$WK_TMP/out" 2>&1
wk_check "a second rollback has nothing to go to" [ $? -ne 0 ]
wk_check "... saying so" grep -q "nothing to roll back to" "$WK_TMP/out"

# The timer's --poll skips the version rolled back; a person's update does not.
update --poll http://$IP_B:8080/ids-2.wbd
wk_check "--poll skips the version rolled back" grep -q "version 2 was rolled back: skipped" "$WK_TMP/out"
wk_check "... version 1 stays" bash -c "'$WARD' update ids --status | grep -q 'version 1 '"
update http://$IP_B:8080/ids-2.wbd
wk_check "without --poll it is applied" grep -q "version 2 .* in force: 19 rules" "$WK_TMP/out"
exit 0
