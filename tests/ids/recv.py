#!/usr/bin/env python3
# The receiver of tests/ids/t-*.sh: a TCP server that appends every byte it
# receives to a file (what really reached it) and answers "OK\n" for each
# line; with "udp", a UDP server that appends each datagram (and a newline)
# and answers each with "OK\n". Usage: recv.py ADDR PORT FILE [udp]
import socket
import sys
import threading


def serve(conn, out):
    with conn:
        buf = b""
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            with open(out, "ab") as f:
                f.write(data)
            buf += data
            while b"\n" in buf:
                _, buf = buf.split(b"\n", 1)
                try:
                    conn.sendall(b"OK\n")
                except OSError:
                    return


def serve_udp(addr, port, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("listening", flush=True)
    while True:
        data, peer = s.recvfrom(65536)
        with open(out, "ab") as f:
            f.write(data + b"\n")
        s.sendto(b"OK\n", peer)


def main():
    addr, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if sys.argv[4:] == ["udp"]:
        serve_udp(addr, port, out)
        return
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    print("listening", flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, out), daemon=True).start()


main()
