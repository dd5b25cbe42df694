#!/bin/bash
# Golden policy files through the real `ward` binary, printing TAP:
#   NAME.in      -> `ward show` must print NAME.ok exactly, and the printed
#                   text must print back to itself (round trip);
#   bad-NAME.in  -> `ward check` must fail (exit 1) with NAME.err exactly.
# Each case runs in a fresh directory (the policy tree) holding NAME.in and
# the contents of NAME.tree/; NAME.setup, if present, runs there first (modes,
# owners, symlinks; $OUTSIDE is a directory outside the tree).
# WARD_GOLDEN_UPDATE=1 rewrites the expected files instead of comparing.
set -uo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
WARD=${WARD_BUILD:-$ROOT/build/san}/bin/ward
DIR=$ROOT/tests/golden/policy
umask 022
BASE=$(mktemp -d /tmp/ward-golden.XXXXXX)
trap 'rm -rf "$BASE"' EXIT
n=0
fail=0

ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}
not_ok() {
    n=$((n + 1))
    fail=1
    echo "not ok $n - $1"
}

prepare() { # name -> prints the case directory
    local name=$1 t=$BASE/$name
    mkdir -p "$t" "$BASE/$name.outside"
    cp "$DIR/$name.in" "$t/"
    [ -d "$DIR/$name.tree" ] && cp -R "$DIR/$name.tree/." "$t/"
    chmod -R go-w "$t"
    if [ -f "$DIR/$name.setup" ]; then
        (cd "$t" && OUTSIDE=$BASE/$name.outside bash "$DIR/$name.setup")
    fi
    echo "$t"
}

for in in "$DIR"/*.in; do
    name=$(basename "$in" .in)
    t=$(prepare "$name")
    case $name in
    bad-*)
        (cd "$t" && "$WARD" check "$name.in" >"$t/out" 2>"$t/err")
        rc=$?
        if [ "${WARD_GOLDEN_UPDATE:-}" = 1 ]; then
            cp "$t/err" "$DIR/$name.err"
        fi
        if [ $rc -eq 1 ] && diff -u "$DIR/$name.err" "$t/err" >"$t/diff"; then
            ok "policy $name: refused with the expected errors"
        else
            cat "$t/diff" 2>/dev/null | sed 's/^/# /'
            not_ok "policy $name: exit $rc, errors differ"
        fi
        ;;
    *)
        (cd "$t" && "$WARD" show "$name.in" >"$t/out" 2>"$t/err")
        rc=$?
        if [ "${WARD_GOLDEN_UPDATE:-}" = 1 ]; then
            cp "$t/out" "$DIR/$name.ok"
        fi
        if [ $rc -eq 0 ] && diff -u "$DIR/$name.ok" "$t/out" >"$t/diff"; then
            ok "policy $name: canonical output"
        else
            sed 's/^/# /' "$t/err" "$t/diff"
            not_ok "policy $name: exit $rc, output differs"
        fi
        cp "$t/out" "$t/canon.conf"
        if (cd "$t" && "$WARD" show canon.conf >"$t/out2" 2>"$t/err2") &&
            cmp -s "$t/out" "$t/out2"; then
            ok "policy $name: round trip"
        else
            sed 's/^/# /' "$t/err2"
            not_ok "policy $name: canonical output does not print back to itself"
        fi
        ;;
    esac
done

# JSON export -> import gives the same policy, for every good case.
for in in "$DIR"/*.in; do
    name=$(basename "$in" .in)
    case $name in bad-*) continue ;; esac
    t=$BASE/$name
    if (cd "$t" && "$WARD" export -f "$name.in" >p.json && "$WARD" import json p.json >imported.conf &&
        "$WARD" show imported.conf >out3) && cmp -s "$t/out" "$t/out3"; then
        ok "policy $name: JSON export/import round trip"
    else
        not_ok "policy $name: JSON export/import round trip"
    fi
done

# OpenSnitch rule files: the mapped policy and the report of what did not map.
OS=$DIR/opensnitch
(cd "$OS" && "$WARD" import opensnitch *.json >"$BASE/os.out" 2>"$BASE/os.err")
rc=$?
if [ "${WARD_GOLDEN_UPDATE:-}" = 1 ]; then
    cp "$BASE/os.out" "$OS/expected.ok"
    cp "$BASE/os.err" "$OS/expected.report"
fi
if [ $rc -eq 0 ] && diff -u "$OS/expected.ok" "$BASE/os.out" >"$BASE/os.diff" &&
    diff -u "$OS/expected.report" "$BASE/os.err" >>"$BASE/os.diff"; then
    ok "opensnitch import: mapped rules and report"
else
    sed 's/^/# /' "$BASE/os.diff"
    not_ok "opensnitch import: mapped rules and report (exit $rc)"
fi
# A timed OpenSnitch duration becomes an absolute expiry.
printf '{"name":"t","enabled":true,"action":"allow","duration":"30m","operator":{"type":"simple","operand":"process.path","data":"/usr/bin/t"}}' >"$BASE/t.json"
if "$WARD" import opensnitch "$BASE/t.json" 2>/dev/null | grep -qE 'allow out any until 20[0-9]{2}-'; then
    ok "opensnitch import: 30m becomes 'until' a time"
else
    not_ok "opensnitch import: 30m becomes 'until' a time"
fi
# A JSON file that is not a policy is refused.
echo '{"hello": 1}' >"$BASE/x.json"
if ! "$WARD" import json "$BASE/x.json" >/dev/null 2>&1; then
    ok "json import refuses a non-policy document"
else
    not_ok "json import refuses a non-policy document"
fi

# The shipped examples load, and print back to themselves.
t=$BASE/examples
mkdir -p "$t" && cp -R "$ROOT/examples/." "$t/" && chmod -R go-w "$t"
if "$WARD" check -q "$t/ward.conf" && "$WARD" show "$t/ward.conf" >"$t/canon" &&
    "$WARD" show "$t/canon" | cmp -s - "$t/canon"; then
    ok "examples/ward.conf checks and round-trips"
else
    not_ok "examples/ward.conf checks and round-trips"
fi

# ward check's exit codes: 0 valid, 1 errors, 2 usage.
"$WARD" check -q "$t/ward.conf"; a=$?
"$WARD" check -q "$DIR/../../../tests/golden/policy/does-not-exist.in" 2>/dev/null; b=$?
"$WARD" check --bogus 2>/dev/null; c=$?
if [ $a -eq 0 ] && [ $b -eq 1 ] && [ $c -eq 2 ]; then
    ok "ward check exit codes 0/1/2"
else
    not_ok "ward check exit codes 0/1/2 (got $a/$b/$c)"
fi

# ward explain on the examples: ssh to the office out of hours is denied by
# its rule; the telemetry program is blocked; an unknown program is asked.
out=$("$WARD" explain -f "$t/ward.conf" --app /usr/bin/ssh --proto tcp --to 10.20.3.4 --port 22 --time "sat 10:00")
if grep -q '^decision: block (soft), reason app-rule' <<<"$out"; then
    ok "explain: ssh to the office on Saturday is blocked by its rule"
else
    echo "$out" | sed 's/^/# /'
    not_ok "explain: ssh to the office on Saturday is blocked by its rule"
fi
out=$("$WARD" explain -f "$t/ward.conf" --app /usr/bin/ssh --proto tcp --to 10.20.3.4 --port 22 --time "tue 10:00")
if grep -q '^decision: permit' <<<"$out"; then
    ok "explain: ssh to the office on Tuesday morning is permitted"
else
    echo "$out" | sed 's/^/# /'
    not_ok "explain: ssh to the office on Tuesday morning is permitted"
fi
out=$("$WARD" explain -f "$t/ward.conf" --app /usr/bin/unknown --proto tcp --to 93.184.216.34 --port 443 --time "mon 10:00")
if grep -q '^decision: defer' <<<"$out"; then
    ok "explain: an unknown program is asked about"
else
    echo "$out" | sed 's/^/# /'
    not_ok "explain: an unknown program is asked about"
fi
exit $fail
