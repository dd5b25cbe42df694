#!/usr/bin/env python3
"""The shim suite's client: one way of connecting per mode, the outcome on
stdout ("ok", or "err ERRNO-NAME"), one line per connection.

  client.py connect HOST PORT            getaddrinfo, then connect
  client.py threads N HOST PORT          N threads connect at once
  client.py fork HOST PORT               connect, fork; the child uses the
                                         socket and connects again itself
  client.py raw HOST PORT                connect(2) through syscall(2): no shim
  client.py udp HOST PORT                one datagram with sendto
  client.py nonblock HOST PORT           a non-blocking connect: what it
                                         returns, then how it ended
  client.py serve PORT                   accept one connection ("accepted")
  client.py garbage PATH                 a malformed question to wardd's
                                         shim socket: the answer's verdict
  client.py question PATH HOST PORT      a well-formed question about a TCP
                                         socket (passed along, never
                                         connected): the answer's verdict
"""
import ctypes
import errno
import os
import select
import socket
import struct
import sys
import threading


def outcome(fn):
    try:
        fn()
        return "ok"
    except socket.timeout:
        return "err timeout"
    except OSError as e:
        return "err " + errno.errorcode.get(e.errno, str(e.errno))


def connect(host, port):
    def go():
        with socket.create_connection((host, port), timeout=5):
            pass
    return outcome(go)


def raw(host, port):
    libc = ctypes.CDLL(None, use_errno=True)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # blocking: a plain connect(2)
    sin = struct.pack("!HH4s8x", socket.AF_INET, port, socket.inet_aton(host))
    sin = struct.pack("=H", socket.AF_INET) + sin[2:]
    rc = libc.syscall(42, s.fileno(), ctypes.c_char_p(sin), len(sin))  # SYS_connect
    err = ctypes.get_errno()
    s.close()
    return "ok" if rc == 0 else "err " + errno.errorcode.get(err, str(err))


def main(argv):
    mode = argv[1]
    if mode == "connect":
        print(connect(argv[2], int(argv[3])))
    elif mode == "threads":
        n, host, port = int(argv[2]), argv[3], int(argv[4])
        out = [None] * n

        def one(i):
            out[i] = connect(host, port)
        ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print("\n".join(out))
    elif mode == "fork":
        host, port = argv[2], int(argv[3])
        s = socket.create_connection((host, port), timeout=5)
        pid = os.fork()
        if pid == 0:
            r = outcome(lambda: s.sendall(b"from the child\n"))
            print("child-send", r)
            print("child-connect", connect(host, port))
            sys.stdout.flush()
            os._exit(0)
        os.waitpid(pid, 0)
        s.close()
        print("parent ok")
    elif mode == "raw":
        print(raw(argv[2], int(argv[3])))
    elif mode == "nonblock":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex((argv[2], int(argv[3])))
        print("returned", errno.errorcode.get(rc, str(rc)) if rc else "0")
        if rc == errno.EINPROGRESS:
            select.select([], [s], [], 5)
            rc = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            print("ended", "ok" if rc == 0 else errno.errorcode.get(rc, str(rc)))
    elif mode == "serve":
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("0.0.0.0", int(argv[2])))
        srv.listen()
        print("listening", flush=True)
        srv.settimeout(20)
        c, peer = srv.accept()
        print("accepted", peer[0], flush=True)
    elif mode == "garbage":
        u = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        u.settimeout(10)
        u.connect(argv[2])
        u.send(b"\x53\x48\x49\x4d" + b"\xff" * 284)
        a = u.recv(64)
        print("verdict", a[4] if len(a) == 12 else "none")
    elif mode == "question":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        addr = bytes(10) + b"\xff\xff" + socket.inet_aton(argv[3])
        name = b"question.example"
        q = struct.pack("=IBBBBHHI16s256s", 0x4D494853, 1, 1, 6, len(name), int(argv[4]), 0,
                        os.getpid(), addr, name)
        u = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        u.settimeout(10)
        u.connect(argv[2])
        u.sendmsg([q], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", s.fileno()))])
        a = u.recv(64)
        print("verdict", a[4] if len(a) == 12 else "none")
    elif mode == "udp":
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        print(outcome(lambda: u.sendto(b"x", (argv[2], int(argv[3])))))
    else:
        sys.exit("unknown mode " + mode)


main(sys.argv)
