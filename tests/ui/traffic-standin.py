#!/usr/bin/env python3
"""A stand-in for wardd's traffic accounting (tests/ui/t-top-traffic.sh).

Serves the control socket given as argv[1] with exactly the agreed shapes
of `stats.query` -> `stats.reply` and `conns.list` -> `conns.reply`
(docs/UI.md, "Traffic"), and the few other replies ward top asks for; the
accounting itself is not in this wardd yet. One JSON object per line."""
import json
import os
import socket
import sys
import threading
import time

ROWS = [{"program": "/usr/bin/curl", "domain": "example.com", "bytes_in": 123456,
         "bytes_out": 2345, "packets_in": 10, "packets_out": 5, "conns": 3}]
CONNS = [{"cookie": 1, "program": "/usr/bin/curl", "pid": 42, "uid": 0, "proto": 6,
          "dir": "out", "laddr": "10.0.0.1", "lport": 40000, "raddr": "93.184.216.34",
          "rport": 443, "domain": "example.com", "verdict": "permit", "bytes_in": 100000,
          "bytes_out": 2000, "packets_in": 9, "packets_out": 4, "rate_in": 20480.5,
          "rate_out": 512, "since": int(time.time())}]


def reply(m):
    t, i = m["type"], m["id"]
    if t == "hello":
        return {"type": "hello.reply", "id": i, "version": 1, "server": "stand-in",
                "admin": True}
    if t == "stats.query":
        return {"type": "stats.reply", "id": i, "rows": ROWS}
    if t == "conns.list":
        return {"type": "conns.reply", "id": i, "conns": CONNS}
    if t in ("prompt.register",):
        return {"type": "ok", "id": i}
    if t == "rules.list":
        return {"type": "rules.reply", "id": i, "rules": [], "more": False}
    if t == "log.query":
        return {"type": "log.reply", "id": i, "rows": [], "more": False}
    return {"type": "error", "id": i, "code": "unknown_type",
            "message": t + " is not served by the stand-in"}


def serve(c):
    buf = b""
    while True:
        d = c.recv(65536)
        if not d:
            return
        buf += d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            c.sendall((json.dumps(reply(json.loads(line))) + "\n").encode())


path = sys.argv[1]
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(8)
print("listening", flush=True)
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
