#!/usr/bin/env python3
"""A stand-in for journald's native socket: binds PATH, decodes each
datagram of the native protocol (KEY=value lines, or KEY, a 64-bit
little-endian length and the bytes for a value holding a newline) and
writes it as one JSON object a line to OUT. Ends on SIGTERM."""
import json
import socket
import struct
import sys


def decode(b):
    fields, i = {}, 0
    while i < len(b):
        nl = b.index(b"\n", i)
        line = b[i:nl]
        if b"=" in line:
            k, v = line.split(b"=", 1)
            i = nl + 1
        else:
            k = line
            (n,) = struct.unpack("<Q", b[nl + 1:nl + 9])
            v = b[nl + 9:nl + 9 + n]
            if b[nl + 9 + n:nl + 10 + n] != b"\n":
                raise ValueError("binary field not followed by a newline")
            i = nl + 10 + n
        fields[k.decode()] = v.decode(errors="replace")
    return fields


path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a") as f:
    print("listening", file=sys.stderr, flush=True)
    while True:
        data = s.recv(1 << 17)
        try:
            f.write(json.dumps(decode(data)) + "\n")
        except ValueError as e:
            f.write(json.dumps({"BAD": str(e)}) + "\n")
        f.flush()
