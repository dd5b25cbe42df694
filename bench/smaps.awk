# bench/smaps.awk /proc/PID/smaps — where a process's resident memory is:
# kB resident (Rss) and private (Private_Clean + Private_Dirty) per kind of
# mapping: heap, anonymous (malloc's mmaps, rings), BPF maps, the program,
# each shared library, stack, other files.
/^[0-9a-f]+-[0-9a-f]+ / {
    name = NF >= 6 ? $6 : ""
    if (name == "[heap]") kind = "heap"
    else if (name == "") kind = "anon"
    else if (name ~ /^anon_inode:bpf/) kind = "bpf-maps"
    else if (name ~ /^\[stack/) kind = "stack"
    else if (name ~ /^\[/) kind = "kernel(" name ")"
    else if (name ~ /\.so/) { n = split(name, p, "/"); kind = "lib " p[n] }
    else if (name ~ /\/wardd$/) kind = "wardd"
    else kind = "file " name
    next
}
/^Rss:/ { rss[kind] += $2 }
/^Private_(Clean|Dirty):/ { priv[kind] += $2 }
END {
    for (k in rss) if (rss[k] > 0) printf "%8d %8d  %s\n", rss[k], priv[k], k | "sort -rn"
    close("sort -rn")
}
