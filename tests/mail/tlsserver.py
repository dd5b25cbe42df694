#!/usr/bin/env python3
"""tests/mail/tlsserver.py — SMTP and IMAP servers that take STARTTLS, for
the mail proxy's TLS tests (docs/MAIL.md), run in the peer namespace.

    tlsserver.py DIR GOOD.pem BAD.pem

SMTP on 25 and IMAP on 143 present GOOD.pem (certificate and key); SMTP on
587 presents BAD.pem (one no CA of the tests signed); POP3 on 110 sends a
plain-text line after its yes to STLS. Implicit TLS: SMTP on 465, IMAP
on 993 and POP3 on 995 (server.py's) present GOOD.pem, SMTP on 2465 BAD.pem. SMTP and IMAP refuse MAIL and
LOGIN before TLS; SMTP keeps the messages it accepts as DIR/in/N.eml, IMAP
serves DIR/box/*.eml as in server.py.
"""
import os
import socketserver
import ssl
import sys
import threading

import server  # its POP3, served in TLS here

DIR, GOOD, BAD = sys.argv[1:4]


def context(pem):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(pem)
    return c


class Lines(socketserver.StreamRequestHandler):
    pem = GOOD
    tls = False

    def line(self):
        return self.rfile.readline(65536)

    def say(self, s):
        self.wfile.write(s.encode() if isinstance(s, str) else s)
        self.wfile.flush()

    def starttls(self):
        self.connection = context(self.pem).wrap_socket(self.connection, server_side=True)
        self.rfile = self.connection.makefile("rb")
        self.wfile = self.connection.makefile("wb")
        self.tls = True


class SMTP(Lines):
    def handle(self):
        self.say("220 peer ESMTP test\r\n")
        while True:
            l = self.line()
            if not l:
                return
            verb = l.split(b" ")[0].strip().upper()
            if verb == b"EHLO":
                self.say("250-peer\r\n%s250 8BITMIME\r\n" % ("" if self.tls else "250-STARTTLS\r\n"))
            elif verb == b"STARTTLS" and not self.tls:
                self.say("220 go ahead\r\n")
                self.starttls()
            elif verb in (b"MAIL", b"RCPT") and not self.tls:
                self.say("530 5.7.0 Must issue a STARTTLS command first\r\n")
            elif verb == b"DATA":
                server.take_message(self)
            elif verb == b"QUIT":
                self.say("221 bye\r\n")
                return
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP", b"HELO"):
                self.say("250 ok\r\n")
            else:
                self.say("500 unknown command\r\n")


class SMTPBad(SMTP):
    pem = BAD


class IMAP(Lines):
    def handle(self):
        self.say("* OK [CAPABILITY IMAP4rev1 STARTTLS] peer IMAP\r\n")
        while True:
            l = self.line()
            if not l:
                return
            parts = l.decode(errors="replace").strip().split(" ")
            tag, cmd = parts[0], (parts[1].upper() if len(parts) > 1 else "")
            if cmd == "CAPABILITY":
                self.say("* CAPABILITY IMAP4rev1 %s\r\n%s OK done\r\n"
                         % ("" if self.tls else "STARTTLS", tag))
            elif cmd == "STARTTLS" and not self.tls:
                self.say("%s OK begin TLS\r\n" % tag)
                self.starttls()
            elif cmd in ("LOGIN", "AUTHENTICATE") and not self.tls:
                self.say("%s NO [PRIVACYREQUIRED] TLS first\r\n" % tag)
            elif cmd == "LOGIN":
                self.say("%s OK logged in\r\n" % tag)
            elif cmd in ("SELECT", "EXAMINE"):
                n = len(os.listdir(os.path.join(DIR, "box")))
                self.say("* %d EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] ok\r\n"
                         "%s OK [READ-WRITE] done\r\n" % (n, tag))
            elif cmd in ("FETCH", "UID") and len(parts) > 2:
                args = parts[2:] if cmd == "FETCH" else parts[3:]
                box = sorted(os.listdir(os.path.join(DIR, "box")))
                i = int(args[0].split(":")[0])
                m = open(os.path.join(DIR, "box", box[i - 1]), "rb").read()
                self.say(b"* %d FETCH (UID %d BODY[] {%d}\r\n" % (i, i, len(m)) + m + b")\r\n")
                self.say("%s OK done\r\n" % tag)
            elif cmd == "LOGOUT":
                self.say("* BYE\r\n%s OK bye\r\n" % tag)
                return
            else:
                self.say("%s OK done\r\n" % tag)


class POP3Inject(Lines):
    """POP3 whose yes to STLS has a plain-text line after it (an injection)."""
    def handle(self):
        self.say("+OK pop3\r\n")
        while True:
            l = self.line()
            if not l:
                return
            verb = l.split(b" ")[0].strip().upper()
            if verb == b"CAPA":
                self.say("+OK\r\nSTLS\r\nUSER\r\n.\r\n")
            elif verb == b"STLS":
                self.say("+OK begin TLS\r\n+OK injected\r\n")
                self.starttls()
            elif verb == b"QUIT":
                self.say("+OK bye\r\n")
                return
            else:
                self.say("-ERR no\r\n")


def implicit(cls, pem=GOOD):
    """cls in TLS from the first byte (SMTPS, IMAPS, POP3S), presenting pem."""
    class Implicit(cls):
        def handle(self):
            self.connection = context(pem).wrap_socket(self.connection, server_side=True)
            self.rfile = self.connection.makefile("rb")
            self.wfile = self.connection.makefile("wb")
            self.tls = True
            cls.handle(self)
    return Implicit


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


for p, h in ((25, SMTP), (587, SMTPBad), (143, IMAP), (110, POP3Inject), (465, implicit(SMTP)),
             (2465, implicit(SMTP, BAD)), (993, implicit(IMAP)), (995, implicit(server.POP3))):
    threading.Thread(target=Server(("0.0.0.0", p), h).serve_forever, daemon=True).start()
print("listening", flush=True)
threading.Event().wait()
