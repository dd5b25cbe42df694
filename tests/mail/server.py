#!/usr/bin/env python3
"""tests/mail/server.py — small SMTP, POP3 and IMAP servers for the mail
proxy's tests (docs/MAIL.md), run in the peer namespace.

    server.py DIR

SMTP (25, 587) keeps each message it accepts as DIR/in/N.eml; POP3 (110)
and IMAP (143) serve DIR/box/*.eml, sorted, as messages 1, 2, ... (IMAP:
UID = number; FETCH answers the items asked, BODY[] and its parts, partial
or not), on IPv4 and IPv6. Any user and password log in. Plain text only; enough of
each protocol for curl, swaks and nc.
"""
import email
import os
import socket
import socketserver
import sys
import threading

DIR = sys.argv[1]
LOCK = threading.Lock()


def box():
    d = os.path.join(DIR, "box")
    return [open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d))]


class Lines(socketserver.StreamRequestHandler):
    def line(self):
        return self.rfile.readline(65536)

    def say(self, s):
        self.wfile.write(s.encode() if isinstance(s, str) else s)
        self.wfile.flush()


def take_message(h):
    """DATA: the message up to the lone dot (dot-unstuffed), kept as DIR/in/N.eml."""
    h.say("354 go ahead\r\n")
    msg = b""
    while True:
        d = h.line()
        if not d or d in (b".\r\n", b".\n"):
            break
        msg += d[1:] if d.startswith(b".") else d
    with LOCK:
        os.makedirs(os.path.join(DIR, "in"), exist_ok=True)
        n = len(os.listdir(os.path.join(DIR, "in"))) + 1
        with open(os.path.join(DIR, "in", "%d.eml" % n), "wb") as f:
            f.write(msg)
    h.say("250 2.0.0 queued as %d\r\n" % n)


class SMTP(Lines):
    def handle(self):
        self.say("220 peer ESMTP test\r\n")
        while True:
            l = self.line()
            if not l:
                return
            verb = l.split(b" ")[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                self.say("250-peer\r\n250-PIPELINING\r\n250-SIZE 10000000\r\n"
                         "250-CHUNKING\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                take_message(self)
            elif verb == b"QUIT":
                self.say("221 bye\r\n")
                return
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.say("250 ok\r\n")
            else:
                self.say("500 unknown command\r\n")


def stuffed(m):
    out = b""
    for l in m.splitlines(True):
        out += (b"." + l) if l.startswith(b".") else l
    if not out.endswith(b"\n"):
        out += b"\r\n"
    return out


class POP3(Lines):
    def handle(self):
        self.say("+OK peer POP3\r\n")
        msgs = box()
        while True:
            l = self.line()
            if not l:
                return
            w = l.split()
            verb = w[0].upper() if w else b""
            if verb == b"CAPA":
                self.say("+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n")
            elif verb in (b"USER", b"PASS", b"NOOP", b"DELE", b"RSET"):
                self.say("+OK\r\n")
            elif verb == b"STAT":
                self.say("+OK %d %d\r\n" % (len(msgs), sum(map(len, msgs))))
            elif verb in (b"LIST", b"UIDL"):
                if len(w) > 1:
                    self.say("+OK %s %d\r\n" % (w[1].decode(), int(w[1])))
                    continue
                self.say("+OK\r\n")
                for i, m in enumerate(msgs):
                    self.say("%d %d\r\n" % (i + 1, len(m) if verb == b"LIST" else i + 1))
                self.say(".\r\n")
            elif verb in (b"RETR", b"TOP"):
                i = int(w[1]) if len(w) > 1 and w[1].isdigit() else 0
                if not 1 <= i <= len(msgs):
                    self.say("-ERR no such message\r\n")
                    continue
                self.say("+OK %d octets\r\n" % len(msgs[i - 1]))
                self.say(stuffed(msgs[i - 1]) + b".\r\n")
            elif verb == b"QUIT":
                self.say("+OK bye\r\n")
                return
            else:
                self.say("-ERR unknown command\r\n")


def tokens(t):
    """FETCH items: words, brackets and parentheses nested ("BODY[HEADER.FIELDS (A B)]")."""
    out, depth, cur = [], 0, ""
    for c in t:
        if c == " " and depth == 0:
            if cur:
                out.append(cur)
            cur = ""
            continue
        depth += c in "[(" and 1 or c in "])" and -1 or 0
        cur += c
    return out + ([cur] if cur else [])


def section(m, sec):
    """What BODY[sec] of message m is (RFC 3501): a part by number, TEXT,
    HEADER, n.MIME; parts computed with the email module."""
    head, _, text = m.partition(b"\r\n\r\n")
    if sec == "":
        return m
    if sec == "TEXT":
        return text
    if sec.startswith("HEADER"):
        return head + b"\r\n\r\n"
    nums = sec.split(".")
    mime = nums[-1] == "MIME"
    if mime:
        nums = nums[:-1]
    part = email.message_from_bytes(m)
    for i in nums:
        part = part.get_payload()[int(i) - 1] if part.is_multipart() else part
    if mime:
        return b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in part.items()) + b"\r\n"
    return part.get_payload().encode(errors="surrogateescape")


def fetch_items(line, m, n):
    """The answer's items to a FETCH line of message m (number and UID n),
    each literal also kept as DIR/sent/ITEM, its name added to DIR/sent/log. With DIR/no-whole, a server
    that leaves BODY[] out when parts are asked too."""
    t = line.split(None, 3)[3].strip() if not line.split()[1].upper() == "UID" else \
        line.split(None, 4)[4].strip()
    t = t[1:-1] if t.startswith("(") and t.endswith(")") else t
    asked = tokens(t)
    if line.split()[1].upper() == "UID" and "UID" not in (a.upper() for a in asked):
        asked.insert(0, "UID")
    parts = any("[" in a and not a.endswith("[]") for a in asked)
    out = []
    for a in asked:
        u = a.upper()
        if u == "UID":
            out.append(b"UID " + n.encode())
            continue
        if u == "FLAGS":
            out.append(b"FLAGS ()")
            continue
        item = u if u in ("RFC822", "RFC822.TEXT") else None
        u = {"RFC822": "BODY[]", "RFC822.TEXT": "BODY[TEXT]"}.get(u, u)
        name, _, rest = u.replace(".PEEK", "").partition("[")
        sec, _, part = rest.partition("]")
        if sec == "" and not part and parts and os.path.exists(os.path.join(DIR, "no-whole")):
            continue
        data = section(m, sec)
        item = item or "%s[%s]" % (name, sec)
        if part:
            start, _, count = part[1:-1].partition(".")
            data = data[int(start):int(start) + int(count)]
            item += "<%s>" % start
        with LOCK:
            os.makedirs(os.path.join(DIR, "sent"), exist_ok=True)
            with open(os.path.join(DIR, "sent", item), "wb") as f:
                f.write(data)
            with open(os.path.join(DIR, "sent", "log"), "a") as f:
                f.write(item + "\n")
        out.append(("%s {%d}\r\n" % (item, len(data))).encode() + data)
    return out


class IMAP(Lines):
    def handle(self):
        self.say("* OK peer IMAP4rev1 ready\r\n")
        msgs = box()
        while True:
            l = self.line()
            if not l:
                return
            w = l.decode(errors="replace").split()
            if len(w) < 2:
                self.say("* BAD what\r\n")
                continue
            tag, cmd = w[0], w[1].upper()
            if cmd == "UID" and len(w) > 2:
                cmd = w[2].upper()
                w = w[1:]
            if cmd == "CAPABILITY":
                self.say("* CAPABILITY IMAP4rev1\r\n%s OK done\r\n" % tag)
            elif cmd in ("LOGIN", "NOOP", "CLOSE"):
                self.say("%s OK done\r\n" % tag)
            elif cmd in ("SELECT", "EXAMINE"):
                self.say("* %d EXISTS\r\n* FLAGS (\\Seen)\r\n* OK [UIDVALIDITY 1] ok\r\n"
                         "%s OK [READ-WRITE] done\r\n" % (len(msgs), tag))
            elif cmd == "FETCH":
                n = w[2]
                if not n.isdigit() or not 1 <= int(n) <= len(msgs):
                    self.say("%s NO no such message\r\n" % tag)
                    continue
                items = fetch_items(l.decode(errors="replace"), msgs[int(n) - 1], n)
                self.say(("* %s FETCH (" % n).encode() + b" ".join(items) + b")\r\n")
                self.say("%s OK FETCH done\r\n" % tag)
            elif cmd == "LOGOUT":
                self.say("* BYE\r\n%s OK bye\r\n" % tag)
                return
            else:
                self.say("%s BAD unknown command\r\n" % tag)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class Server6(Server):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        super().server_bind()


def main():
    ports = ((25, SMTP), (587, SMTP), (110, POP3), (143, IMAP))
    servers = [Server(("0.0.0.0", p), h) for p, h in ports]
    servers += [Server6(("::", p), h) for p, h in ports]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    print("listening", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
