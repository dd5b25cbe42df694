#!/bin/bash
# Reloads parse the policy off wardd's loop: a policy of garbage is refused
# at once and wardd answers meanwhile; a policy file that is a symlink to a
# secret elsewhere is refused and nothing of the secret reaches the reply or
# the log. wardd without kernel hooks.
. "$(dirname "$0")/nokernel.sh"
nk_setup reload
mkdir -p "$T/outside"
chmod 755 "$T/outside"
printf 'set mode ask\napp "/usr/bin/curl" {\n    allow out tcp port 443 to internet\n}\n' | nk_policy
nk_start

# 16 MB of random bytes in place of the policy. wardd used to parse it on its
# only loop for minutes; now it is refused before parsing, on a thread. The
# generous limits below only keep a hung wardd from hanging the suite.
head -c 16000000 /dev/urandom >"$T/etc/ward.conf.new"
chmod 644 "$T/etc/ward.conf.new"
mv "$T/etc/ward.conf.new" "$T/etc/ward.conf"
timeout 60 "$B/ward" reload >"$T/reload.out" 2>&1 &
R=$!
timeout 60 "$B/ward" status >"$T/status.out" 2>&1
st=$?
wait $R
rc=$?
check "garbage policy: ward status answers while the reload runs" [ $st -eq 0 ]
check "garbage policy: ward reload is refused (exit 1, not a timeout)" [ $rc -eq 1 ]
check "garbage policy: the reply says the file is not text, at file:line:col" \
    grep -q 'ward.conf:[0-9]*:[0-9]*: error: .*is not a text file' "$T/reload.out"
check "garbage policy: the policy in force stays" bash -c "'$B/ward' rules list | grep -q /usr/bin/curl"

# A big valid policy takes a while to parse: wardd keeps answering during it.
python3 - "$T/etc/ward.conf.new" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("set mode ask\n")
    for i in range(60000):
        f.write('app "/usr/bin/prog%d" {\n    allow out tcp port %d to internet\n}\n' % (i, i % 65535 + 1))
PY
chmod 644 "$T/etc/ward.conf.new"
mv "$T/etc/ward.conf.new" "$T/etc/ward.conf"
timeout 120 "$B/ward" reload >"$T/reload2.out" 2>&1 &
R=$!
during=0
while kill -0 $R 2>/dev/null; do
    if timeout 60 "$B/ward" status >/dev/null 2>&1 && kill -0 $R 2>/dev/null; then
        during=1
        break
    fi
done
wait $R
rc=$?
check "big policy: reloaded" [ $rc -eq 0 ]
if [ $during = 1 ]; then
    echo "ok $((n += 1)) - big policy: ward status answered while the parse ran"
else
    echo "ok $((n += 1)) - big policy: ward status answered while the parse ran # SKIP the parse ended first"
fi
check "big policy: in force" bash -c "'$B/ward' status | grep -q 'programs *60000\|60000 programs\|apps.*60000'"

# The policy file becomes a symlink to a secret outside its directory (think
# /etc/shadow): refused before it is read; the secret is not quoted.
printf 'root:SECRET-HASH-4242:19000:0:99999:7:::\n' >"$T/outside/shadow"
chmod 600 "$T/outside/shadow"
ln -sf "$T/outside/shadow" "$T/etc/ward.conf"
out=$(timeout 60 "$B/ward" reload 2>&1)
rc=$?
check "symlink to a secret: reload refused" [ $rc -eq 1 ]
check "symlink to a secret: the reply says why" grep -q 'symlink leading outside the policy tree' <<<"$out"
check "symlink to a secret: the reply quotes nothing of it" bash -c "! grep -q SECRET-HASH <<<'$out'"
check "symlink to a secret: wardd's log quotes nothing of it" bash -c "! grep -q SECRET-HASH '$T/wardd.log'"
check "symlink to a secret: ward check refuses it and quotes nothing" \
    bash -c "! '$B/ward' check '$T/etc/ward.conf' >'$T/check.out' 2>&1 && grep -q 'symlink leading outside' '$T/check.out' && ! grep -q SECRET-HASH '$T/check.out'"

nk_stop
nk_no_sanitizer
