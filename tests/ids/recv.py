#!/usr/bin/env python3
# The receiver of tests/ids/t-inline.sh: a TCP server that appends every
# byte it receives to a file (what really reached it) and answers "OK\n"
# for each line. Usage: recv.py ADDR PORT FILE
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


def main():
    addr, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    print("listening", flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=serve, args=(conn, out), daemon=True).start()


main()
