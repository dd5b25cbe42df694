#!/usr/bin/env python3
"""link_update.py LINK_PIN PROG_PIN — make a pinned BPF link run another
(pinned) program: BPF_LINK_UPDATE, which bpftool has no command for. The
attack tests/hardening/t-hooks.sh makes on wardd's links."""
import ctypes
import os
import sys

SYS_BPF = {"x86_64": 321, "aarch64": 280}[os.uname().machine]
BPF_OBJ_GET, BPF_LINK_UPDATE = 7, 29
libc = ctypes.CDLL(None, use_errno=True)


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    rc = libc.syscall(SYS_BPF, cmd, buf, 128)
    if rc < 0:
        err = ctypes.get_errno()
        sys.exit(f"link_update: bpf({cmd}): {os.strerror(err)}")
    return rc


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    return bpf(BPF_OBJ_GET, ctypes.addressof(p).to_bytes(8, "little") + bytes(8))


link_fd, prog_fd = obj_get(sys.argv[1]), obj_get(sys.argv[2])
bpf(BPF_LINK_UPDATE, link_fd.to_bytes(4, "little") + prog_fd.to_bytes(4, "little") + bytes(8))
