#!/bin/bash
# The mail proxy's TLS (docs/MAILTLS.md) on real sockets, in a network
# namespace of its own (loopback only), with OpenSSL's own tools on the
# other side: the local CA that `ward mail-ca` makes (modes, a leaf that
# `openssl verify` accepts); upstream TLS verified against a test CA made
# here and an `openssl s_server`, and refused for a wrong host name, an
# untrusted or self-signed certificate, an address the certificate does
# not name; STARTTLS toward clients (`openssl s_client -starttls smtp,
# pop3, imap` verifying Ward's leaf) and toward servers (tests/mailtls/
# probe.c both ways, a fake server that does not offer STARTTLS or sends
# plain text after agreeing); commands before STARTTLS refused.
if [ -z "${MAILTLS_NETNS:-}" ]; then
    MAILTLS_NETNS=1 exec unshare -n -- "$0" "$@"
fi
. "$(dirname "$0")/../daemon/nokernel.sh"
nk_setup mailtls
ip link set lo up
W=$B/ward
PROBE=$(dirname "$B")/tests/mailtls-probe
[ -x "$PROBE" ] || { echo "1..0 # SKIP no mailtls-probe (make tests)"; exit 0; }
command -v openssl >/dev/null || { echo "1..0 # SKIP no openssl"; exit 0; }
CA=$T/ca
cd "$T" || exit 1

# wait_port PORT: something listens on 127.0.0.1:PORT (up to 30 s: a
# bound, not a timing; the machine may be busy).
wait_port() {
    for _ in $(seq 300); do
        nc -z 127.0.0.1 "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# --- the local CA -----------------------------------------------------
out=$("$W" mail-ca --dir "$CA")
check "ward mail-ca makes the CA and prints its certificate's path" [ "$out" = "$CA/ca.pem" ]
check "the CA's directory is 0700, its key 0600" \
    [ "$(stat -c %a "$CA")/$(stat -c %a "$CA/ca.key")" = 700/600 ]
check "--pem prints a CA certificate (CA:TRUE, pathlen 0, keyCertSign)" bash -c "
    '$W' mail-ca --dir '$CA' --pem | openssl x509 -noout -text |
    grep -q 'CA:TRUE, pathlen:0' && openssl x509 -in '$CA/ca.pem' -noout -text | grep -q 'Certificate Sign'"
fp=$(openssl x509 -in "$CA/ca.pem" -noout -fingerprint)
"$W" mail-ca --dir "$CA" >/dev/null
check "a second run loads the same CA" [ "$(openssl x509 -in "$CA/ca.pem" -noout -fingerprint)" = "$fp" ]
leaf=$("$W" mail-ca --dir "$CA" --issue Mail.Test | tail -1)
check "a leaf is issued for a host ($leaf, 0600)" \
    [ "$leaf" = "$CA/hosts/mail.test.pem" -a "$(stat -c %a "$leaf")" = 600 ]
check "the leaf verifies with openssl verify -CAfile ca.pem, as a server for mail.test" \
    bash -c "openssl verify -CAfile '$CA/ca.pem' -purpose sslserver -verify_hostname mail.test '$leaf' >/dev/null"
check "... and not for another name" \
    bash -c "! openssl verify -CAfile '$CA/ca.pem' -verify_hostname other.test '$leaf' 2>/dev/null"
check "... its SAN is the host" \
    bash -c "openssl x509 -in '$leaf' -noout -ext subjectAltName | grep -qx ' *DNS:mail.test'"
serial=$(openssl x509 -in "$leaf" -noout -serial)
"$W" mail-ca --dir "$CA" --issue mail.test >/dev/null
check "the leaf is kept on disk (the same serial again)" \
    [ "$(openssl x509 -in "$leaf" -noout -serial)" = "$serial" ]
"$W" mail-ca --dir "$CA" --issue 192.0.2.7 >/dev/null
check "an address gets an IP SAN" bash -c \
    "openssl x509 -in '$CA/hosts/192.0.2.7.pem' -noout -ext subjectAltName | grep -q 'IP Address:192.0.2.7'"
out=$("$W" mail-ca --dir "$CA" --issue ../../etc/x 2>&1 >/dev/null)
check "a host that is not one is refused ($out)" \
    bash -c "[ $? -ne 0 ] && grep -q 'not a host name' <<<'$out' && [ ! -e '$T/etc/x.pem' ]"
mkdir -m 755 "$T/open"
"$W" mail-ca --dir "$T/open" >open.out 2>&1
check "a CA directory others may enter is refused ($(cat open.out))" \
    bash -c "grep -q 'mode 0755.*chmod 700' open.out && [ ! -e '$T/open/ca.key' ]"

# --- upstream: a server with a certificate of a test CA ---------------
mkcert() { # mkcert NAME SAN [CA]: NAME.key, NAME.pem (self-signed without CA)
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
        -keyout "$1.key" -out "$1.csr" 2>/dev/null
    if [ -n "${3:-}" ]; then
        openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 30 \
            -extfile <(printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$2") -out "$1.pem" 2>/dev/null
    else
        openssl x509 -req -in "$1.csr" -signkey "$1.key" -days 30 \
            -extfile <(printf 'subjectAltName=%s\n' "$2") -out "$1.pem" 2>/dev/null
    fi
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=Test CA" \
    -days 30 -keyout testca.key -out testca.pem \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
mkcert server DNS:mail.test testca
mkcert selfsigned DNS:mail.test
check "the test made its CA and server certificates" \
    bash -c "openssl verify -CAfile testca.pem -verify_hostname mail.test server.pem >/dev/null"
openssl s_server -accept 127.0.0.1:4465 -cert server.pem -key server.key -rev -quiet \
    </dev/null >/dev/null 2>&1 &
openssl s_server -accept 127.0.0.1:4466 -cert selfsigned.pem -key selfsigned.key -rev -quiet \
    </dev/null >/dev/null 2>&1 &
wait_port 4465 && wait_port 4466
# up TRUST HOST PORT [PROTO]: the probe's connect, stdout and stderr.
up() { "$PROBE" connect "$T/cli" "$1" "$2" "$3" "${4:-tls}" 2>&1 | tee -a up.log; }
mkdir -m 700 "$T/cli"
out=$(up testca.pem mail.test 4465)
check "upstream TLS verified against the CA file and the host name" \
    bash -c "grep -qx 'verified mail.test' <<<'$out' && grep -q olleh <<<'$out'"
out=$(up testca.pem wrong.test 4465)
check "a wrong host name is refused: $out" \
    bash -c "! grep -q verified <<<'$out' && grep -q 'wrong.test: certificate verify failed: hostname mismatch' <<<'$out'"
out=$(up testca.pem 127.0.0.1 4465)
check "an address the certificate does not name is refused: $out" \
    bash -c "! grep -q verified <<<'$out' && grep -q 'certificate verify failed: IP address mismatch' <<<'$out'"
out=$(up - mail.test 4465)
check "a CA the system does not trust is refused: $out" \
    bash -c "! grep -q verified <<<'$out' && grep -q 'certificate verify failed: unable to get local issuer' <<<'$out'"
out=$(up testca.pem mail.test 4466)
check "a self-signed certificate is refused: $out" \
    bash -c "! grep -q verified <<<'$out' && grep -q 'certificate verify failed: self-signed certificate' <<<'$out'"
out=$("$PROBE" connect "$T/cli" "$T/nonexistent.pem" mail.test 4465 tls 2>&1)
check "a trust file that does not load is an error: $out" \
    bash -c "! grep -q verified <<<'$out' && grep -q 'nonexistent.pem: no CA certificates load' <<<'$out'"

# --- STARTTLS toward clients: Ward's leaf, verified by openssl ----------
port=2500
# has FILE PATTERN...: FILE has a line matching each PATTERN (grep -e).
has() {
    local f=$1 p
    shift
    for p in "$@"; do grep -q -e "$p" "$f" || return 1; done
}
# sclient PROTO PORT NAME [ARGS]: openssl s_client -starttls, verifying
# Ward's leaf for NAME; its output in s_client.out.
sclient() {
    echo hello | timeout 10 openssl s_client -ign_eof -starttls "$1" -connect "127.0.0.1:$2" \
        -CAfile "$CA/ca.pem" -verify_return_error -verify_hostname "$3" "${@:4}" >s_client.out 2>&1
}
for proto in smtp pop3 imap; do
    port=$((port + 1))
    "$PROBE" serve "$CA" $port mail.test $proto >/dev/null 2>"serve-$proto.err" &
    servers="${servers:-} $!"
    wait_port $port
    sclient $proto $port mail.test -servername mail.test
    check "openssl s_client -starttls $proto verifies Ward's leaf for mail.test" \
        has s_client.out '^Verification: OK' 'Verified peername: mail.test' 'probe: TLS as mail.test'
    sclient $proto $port other.test -servername other.test
    check "... and a leaf for the name the client asks (SNI other.test)" \
        has s_client.out '^Verification: OK' 'probe: TLS as other.test'
    up "$CA/ca.pem" mail.test $port $proto >up.out
    check "STARTTLS toward the server ($proto), verified: the library on both ends" \
        has up.out '^verified mail.test$' 'probe: TLS as mail.test'
done
sclient smtp 2501 mail.test -noservername
check "a client without SNI gets the leaf of the host it was accepted for" \
    has s_client.out '^Verification: OK' 'probe: TLS as mail.test'
echo hello | timeout 10 openssl s_client -ign_eof -starttls smtp -connect 127.0.0.1:2501 \
    -servername mail.test >s_client.out 2>&1
check "a client that does not trust Ward's CA sees an unverified chain" \
    has s_client.out 'Verify return code: 2[01] '

# Commands before STARTTLS: refused in each protocol's words.
printf 'EHLO me\r\nMAIL FROM:<a@example.test>\r\nQUIT\r\n' | timeout 30 nc -N 127.0.0.1 2501 >nc-2501.out
check "SMTP: EHLO offers STARTTLS, MAIL before it gets 530, QUIT 221" \
    has nc-2501.out '^250 STARTTLS' '^530 5.7.0' '^221 '
printf 'CAPA\r\nUSER me\r\nQUIT\r\n' | timeout 30 nc -N 127.0.0.1 2502 >nc-2502.out
check "POP3: CAPA lists STLS, USER before it gets -ERR" has nc-2502.out '^STLS' '^-ERR' '^+OK Bye'
printf 'a1 LOGIN me pw\r\na2 LOGOUT\r\n' | timeout 30 nc -N 127.0.0.1 2503 >nc-2503.out
check "IMAP: LOGINDISABLED, LOGIN before STARTTLS gets NO" \
    has nc-2503.out 'LOGINDISABLED' '^a1 NO \[PRIVACYREQUIRED\]' '^a2 OK'
failed() { grep -c 'client: TLS handshake' serve-smtp.err; }
before=$(failed)
printf 'STARTTLS\r\nMAIL FROM:<injected@example.test>\r\n' | timeout 30 nc -N 127.0.0.1 2501 >nc-inject.out
for _ in $(seq 300); do [ "$(failed)" -gt "$before" ] && break; sleep 0.1; done
check "plain text after STARTTLS is not obeyed: the handshake fails" \
    bash -c "! grep -q '^250' nc-inject.out && [ $(failed) -gt $before ]"

# --- STARTTLS toward servers that misbehave ----------------------------
# fake PORT REPLY-TO-STARTTLS OFFER: an SMTP server in Python.
fake() {
    python3 - "$@" <<'PY' &
import socket, sys
port, reply, offer = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(1)
while True:
    c, _ = s.accept()
    try:
        c.sendall(b"220 fake ESMTP\r\n")
        for line in c.makefile("rb"):
            verb = line.split(b" ")[0].strip().upper()
            if verb == b"EHLO":
                c.sendall(b"250-fake\r\n250 " + (b"STARTTLS" if offer else b"8BITMIME") + b"\r\n")
            elif verb == b"STARTTLS":
                c.sendall(reply.encode().replace(b"|", b"\r\n"))
            else:
                break
    except OSError:
        pass
    c.close()
PY
}
fake 2601 '220 go|' 0
fake 2602 '220 go|250 injected|' 1
fake 2603 '454 4.7.0 TLS not available|' 1
wait_port 2601 && wait_port 2602 && wait_port 2603
out=$(up testca.pem mail.test 2601 smtp)
check "a server that does not offer STARTTLS is an error: $out" \
    grep -q 'server: does not offer STARTTLS' <<<"$out"
out=$(up testca.pem mail.test 2602 smtp)
check "a server sending plain text after its yes is refused: $out" \
    grep -q 'sent plain text after agreeing to STARTTLS' <<<"$out"
out=$(up testca.pem mail.test 2603 smtp)
check "a server refusing STARTTLS is an error with its reply: $out" \
    grep -q 'server: STARTTLS refused: "454 4.7.0 TLS not available"' <<<"$out"
check "the library's servers served every client and still run" kill -0 $servers
check "no sanitizer report" bash -c "! grep -q 'Sanitizer\|runtime error' '$T'/serve-*.err '$T/up.log'"
grep -h -B2 -A30 'Sanitizer\|runtime error' "$T"/serve-*.err "$T/up.log" | head -60 | sed 's/^/# /'
exit 0
