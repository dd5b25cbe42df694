#!/usr/bin/env python3
"""bench/hookstats.py — the kernel's BPF run-time statistics, while a command runs.

    hookstats.py CGROUP -- COMMAND...

Turns the statistics on with BPF_ENABLE_STATS (they stay on only while this
process holds the descriptor), runs COMMAND, and prints one line per
program attached to CGROUP: name, runs, mean ns per run, over the command's
run only (the counters are read before and after).
"""
import ctypes
import json
import os
import subprocess
import sys

SYS_BPF = 321  # x86_64
BPF_ENABLE_STATS = 32
BPF_STATS_RUN_TIME = 0


def enable_stats():
    attr = ctypes.create_string_buffer(16)
    ctypes.memmove(attr, ctypes.c_uint32(BPF_STATS_RUN_TIME).value.to_bytes(4, "little"), 4)
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.syscall(SYS_BPF, BPF_ENABLE_STATS, attr, 16)
    if fd < 0:
        sys.exit("BPF_ENABLE_STATS: %s" % os.strerror(ctypes.get_errno()))
    return fd


def progs(cgroup):
    out = subprocess.run(["bpftool", "cgroup", "show", cgroup, "-j"], capture_output=True, text=True)
    ids = {p["id"]: p["name"] for p in json.loads(out.stdout or "[]")}
    stats = {}
    for pid, name in ids.items():
        o = subprocess.run(["bpftool", "prog", "show", "id", str(pid), "-j"], capture_output=True, text=True)
        p = json.loads(o.stdout)
        stats[name] = (p.get("run_cnt", 0), p.get("run_time_ns", 0))
    return stats


def main():
    cg, cmd = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    fd = enable_stats()
    before = progs(cg)
    subprocess.run(cmd, stdout=subprocess.DEVNULL)
    after = progs(cg)
    os.close(fd)
    for name in sorted(after):
        cnt = after[name][0] - before.get(name, (0, 0))[0]
        ns = after[name][1] - before.get(name, (0, 0))[1]
        print("hook: %s runs=%d ns_per_run=%.0f" % (name, cnt, ns / cnt if cnt else 0))


main()
