#!/usr/bin/env python3
"""A remote syslog receiver for tests: RFC 6587 octet-counted frames of RFC
5424 messages over TCP, or TLS with --cert/--key. Each message is checked
strictly and written as a JSON line (header, structured data as a dict,
MSG); anything malformed is written as {"error": ...}.

    syslog-sink.py HOST PORT OUT [--cert FILE --key FILE]
"""
import json
import re
import socket
import ssl
import sys
import threading

HEADER = re.compile(
    rb"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*\])(?: (.*))?$", re.S)
SD_ELEMENT = re.compile(rb'\[([^ \]=]+)((?: [^ =\]"]+="(?:[^"\\\]]|\\["\\\]])*")*)\]')
SD_PARAM = re.compile(rb' ([^ =\]"]+)="((?:[^"\\\]]|\\["\\\]])*)"')
lock = threading.Lock()


def parse(msg):
    m = HEADER.match(msg)
    if not m:
        return {"error": "not RFC 5424", "raw": msg.decode(errors="replace")}
    pri, ts, host, app, procid, msgid, sd, text = m.groups()
    elements, rest = {}, sd
    while rest and rest != b"-":
        e = SD_ELEMENT.match(rest)
        if not e:
            return {"error": "bad structured data", "raw": msg.decode(errors="replace")}
        elements[e.group(1).decode()] = {
            k.decode(): re.sub(rb'\\(["\\\]])', rb"\1", v).decode()
            for k, v in SD_PARAM.findall(e.group(2))}
        rest = rest[e.end():]
    return {"pri": int(pri), "ts": ts.decode(), "host": host.decode(), "app": app.decode(),
            "procid": procid.decode(), "msgid": msgid.decode(), "sd": elements,
            "msg": (text or b"").decode()}


def serve(conn, out):
    buf = b""
    with conn:
        while True:
            try:
                data = conn.recv(65536)
            except (OSError, ssl.SSLError):
                return
            if not data:
                return
            buf += data
            while True:
                sp = buf.find(b" ")
                if sp < 0:
                    break
                if not buf[:sp].isdigit() or sp > 6:
                    rec = {"error": "bad frame length", "raw": buf[:40].decode(errors="replace")}
                    buf = b""
                else:
                    n = int(buf[:sp])
                    if len(buf) < sp + 1 + n:
                        break
                    rec = parse(buf[sp + 1:sp + 1 + n])
                    buf = buf[sp + 1 + n:]
                with lock:
                    out.write(json.dumps(rec) + "\n")
                    out.flush()


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ctx = None
    if "--cert" in sys.argv:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[sys.argv.index("--cert") + 1],
                            sys.argv[sys.argv.index("--key") + 1])
    out = open(path, "a")
    srv = socket.create_server((host, port))
    print("listening", flush=True)
    while True:
        conn, _ = srv.accept()
        if ctx:
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError) as e:
                print("handshake refused:", e, flush=True)
                continue
        threading.Thread(target=serve, args=(conn, out), daemon=True).start()


main()
