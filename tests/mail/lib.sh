# tests/mail/lib.sh — the mail proxy's test tools (sourced after
# tests/kernel/lib.sh and wk_setup): messages, the peer's servers
# (server.py on B), and curl as the mailer (a copy: a program of its own).
MAIL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CURL=$WK_TMP/mailer/curl
mkdir -p "$WK_TMP/mailer" "$WK_TMP/peer/box" "$WK_TMP/msg"
cp /usr/bin/curl "$CURL"
# A failed check shows the last client's talk, the peer's and wardd's log.
WK_DIAG="$WK_TMP/curl.out $WK_TMP/peer.log $WK_TMP/wardd.log"

# mail_msg FROM TO SUBJECT [NAME FILE [TYPE]]: a message on stdout, with
# FILE attached as NAME (TYPE, default application/octet-stream).
mail_msg() {
    printf 'From: Sender <%s>\r\nTo: Bob <%s>\r\nSubject: %s\r\n' "$1" "$2" "$3"
    printf 'Message-ID: <%s@test>\r\nMIME-Version: 1.0\r\n' "$RANDOM$RANDOM"
    if [ $# -lt 5 ]; then
        printf 'Content-Type: text/plain\r\n\r\nHello from the test.\r\n.a dotted line\r\n'
        return
    fi
    printf 'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\n'
    printf 'Content-Type: text/plain\r\n\r\nSee the attachment.\r\n--XX\r\n'
    printf 'Content-Type: %s; name="%s"\r\n' "${6:-application/octet-stream}" "$4"
    printf 'Content-Disposition: attachment; filename="%s"\r\n' "$4"
    printf 'Content-Transfer-Encoding: base64\r\n\r\n'
    base64 <"$5" | sed 's/$/\r/'
    printf -- '--XX--\r\n'
}

# mail_peer: SMTP (25, 587), POP3 (110) and IMAP (143) servers on B;
# received mail in $WK_TMP/peer/in, served mail from $WK_TMP/peer/box.
mail_peer() {
    wk_bg peer nsenter --net=/run/netns/$NS_B python3 "$MAIL_DIR/server.py" "$WK_TMP/peer"
    wk_wait_for "$WK_TMP/peer.log" listening 10
}

# smtp FILE [FROM [TO [PROGRAM]]]: PROGRAM (curl's copy) sends FILE to B:25
# from the test cgroup; its exit status, its talk in $WK_TMP/curl.out.
smtp() {
    wk_client "${4:-$CURL}" -v --no-progress-meter --max-time 20 --url "smtp://$IP_B:25" \
        --mail-from "${2:-alice@ok.example}" --mail-rcpt "${3:-bob@peer.example}" -T "$1" \
        >"$WK_TMP/curl.out" 2>&1
}
n_in() { ls "$WK_TMP/peer/in" 2>/dev/null | wc -l; }
fails() { ! "$@"; }
# has FILE TEXT / lacks FILE TEXT: fixed strings.
has() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }

# mail_tls_certs DIR: the peer's certificates in DIR: GOOD (good.pem) from a
# test CA (ca.pem) for B's address, BAD (bad.pem) self-signed (no CA Ward
# trusts). Needs openssl.
mail_tls_certs() {
    local T=$1
    mkdir -p "$T"
    {
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=Ward test CA" -keyout "$T/ca.key" -out "$T/ca.pem" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=peer" \
            -keyout "$T/good.key" -out "$T/good.csr"
        printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$IP_B" >"$T/ext"
        openssl x509 -req -in "$T/good.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -days 2 \
            -extfile "$T/ext" -out "$T/good.crt"
        cat "$T/good.crt" "$T/good.key" >"$T/good.pem"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=peer" -addext "subjectAltName=IP:$IP_B" -keyout "$T/bad.key" \
            -out "$T/bad.crt"
        cat "$T/bad.crt" "$T/bad.key" >"$T/bad.pem"
    } >"$T/openssl.log" 2>&1
}

# mail_tls_fixture SUBJECT: what the TLS scripts share: the scanner's test
# database in $DB, messages in $M (ok.eml with SUBJECT, evil.eml from
# mallory@evil.example, eicar.eml with the EICAR file), ok and eicar in the
# peer's box, the test CA and the peer's certificates in $T (mail_tls_certs).
mail_tls_fixture() {
    [ -x "$WK_BUILD/bin/ward-maild" ] || wk_skip_all "no ward-maild"
    command -v openssl >/dev/null || wk_skip_all "no openssl"
    chmod 755 "$WK_TMP"
    DB=$WK_TMP/avdb
    av_db "$DB"
    M=$WK_TMP/msg
    B=bob@peer.example
    mail_msg alice@ok.example $B "$1" >"$M/ok.eml"
    mail_msg mallory@evil.example $B "hi" >"$M/evil.eml"
    mail_msg alice@ok.example $B "a test file" readme.txt "$WK_TMP/eicar.com" >"$M/eicar.eml"
    cp "$M/ok.eml" "$WK_TMP/peer/box/1.eml"
    cp "$M/eicar.eml" "$WK_TMP/peer/box/2.eml"
    T=$WK_TMP/tca
    mail_tls_certs "$T" || { wk_notok "the test certificates are made"; exit 1; }
}

# mail_tls_peer DIR: tlsserver.py on B with DIR's certificates (mail_tls_certs).
mail_tls_peer() {
    wk_bg peer nsenter --net=/run/netns/$NS_B python3 "$MAIL_DIR/tlsserver.py" "$WK_TMP/peer" \
        "$1/good.pem" "$1/bad.pem"
    wk_wait_for "$WK_TMP/peer.log" listening 10
}

# tls_client URL PORT [CURL-ARGS...]: curl (the mailer's copy) to URL on B
# through Ward's local listener 127.0.0.1:PORT, trusting Ward's CA
# ($WK_TMP/ward-ca.pem); its talk in $WK_TMP/curl.out.
tls_client() {
    local url=$1 port=$2 hp
    shift 2
    hp=${url#*://}
    hp=${hp%%/*}
    wk_client "$CURL" -v --no-progress-meter --max-time 20 --cacert "$WK_TMP/ward-ca.pem" \
        --connect-to "$hp:127.0.0.1:$port" --url "$url" "$@" >"$WK_TMP/curl.out" 2>&1
}
