#!/usr/bin/env python3
"""Multicast name resolution for tests (mDNS legacy unicast, LLMNR).

    nameresp.py PORT GROUP IFADDR ANSWER   responder
    nameresp.py ask PORT GROUP NAME        client

The responder joins GROUP on the interface of IFADDR, listens on PORT and
answers every A question, unicast to the asker, with ANSWER (same id,
question echoed). The client asks GROUP for NAME's A record and prints the
address of the first answer, from whichever host it comes (dig expects the
reply from the address it asked)."""
import socket
import struct
import sys

if sys.argv[1] == "ask":
    port, group, name = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(2)
    qname = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0"
    c.sendto(struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 0, 0) + qname + b"\0\1\0\1", (group, port))
    try:
        r = c.recv(1500)
    except socket.timeout:
        sys.exit(1)
    if len(r) >= 4 and struct.unpack(">H", r[-6:-4])[0] == 4:
        print(socket.inet_ntoa(r[-4:]))
    sys.exit(0)

port, group, ifaddr, answer = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton(group) + socket.inet_aton(ifaddr))
print("listening", flush=True)
while True:
    q, peer = s.recvfrom(1500)
    if len(q) < 12 or q[2] & 0x80 or struct.unpack(">H", q[4:6])[0] != 1:
        continue
    o = 12
    while o < len(q) and q[o]:
        o += q[o] + 1
    o += 5
    if o > len(q) or q[o - 4:o - 2] != b"\0\1":
        continue
    hdr = q[:2] + b"\x84\x00" + struct.pack(">HHHH", 1, 1, 0, 0)
    rr = b"\xc0\x0c\0\1\0\1" + struct.pack(">IH", 120, 4) + socket.inet_aton(answer)
    s.sendto(hdr + q[12:o] + rr, peer)
    print("answered", peer[0], flush=True)
