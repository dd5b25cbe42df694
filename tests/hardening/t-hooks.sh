#!/bin/bash
# Someone with root removes wardd's BPF hooks: unpins them (rm -rf PIN/links),
# detaches the links from the cgroup (bpftool link detach) or swaps an
# allow-everything program into a link (BPF_LINK_UPDATE). wardd holds its
# link fds (unpinning detaches nothing), finds a removed pin at once
# (inotify) and a detached or swapped link within a second, attaches, swaps
# back and pins again, and raises an alert. A denied program connects in a
# loop throughout: what reaches the peer during the repair window and after
# it is counted (after it must be 0). A restarted wardd then swaps its
# programs into the same pinned links.
. "$(dirname "$0")/../kernel/lib.sh"
wk_setup
. "$(dirname "$0")/../kernel/wardd.sh"
command -v bpftool >/dev/null || wk_skip_all "no bpftool"
refuse_denied_policy
serve_b
start_wardd wardd || { wk_notok "wardd starts"; exit 1; }
wk_bg w "$WARD" watch
watching w
n_links=$(cg_links | wc -l)
wk_check "wardd's hooks are attached to the test cgroup ($n_links links)" [ "$n_links" -ge 5 ]

# attack NAME ALERT CMD...: a storm of the denied program; CMD after 1 s.
# "During" counts what reached the peer from the attack until the alert
# (and until the count settles, for what was in flight); "after" what reached it from then to
# the end of that storm and through a second one.
attack() {
    local name=$1 alert=$2
    shift 2
    local base=$(conns) alerts=$(grep -c "alert: $alert" "$WK_TMP/wardd.log")
    wk_bg storm wk_client "$D" storm $IP_B 8080 3
    sleep 1
    wk_check "$name: the denied program is refused before" [ "$(conns)" -eq "$base" ]
    "$@"
    local i
    for ((i = 0; i < 200; i++)); do
        [ "$(grep -c "alert: $alert" "$WK_TMP/wardd.log")" -gt "$alerts" ] && break
        sleep 0.1
    done
    wk_check "$name: wardd raised the alert $alert" \
        [ "$(grep -c "alert: $alert" "$WK_TMP/wardd.log")" -gt "$alerts" ]
    local during=$(($(wk_settled conns) - base)) # once what was in flight has landed
    wait "$WK_PID_storm"
    local s1=$(cat "$WK_TMP/storm.log")
    wk_bg storm wk_client "$D" storm $IP_B 8080 2
    wait "$WK_PID_storm"
    local after=$(($(conns) - base - during))
    echo "# $name: leaked during the repair window: $during, after it: $after" \
        "($s1; then $(cat "$WK_TMP/storm.log"))"
    wk_check "$name: 0 connections leaked after the repair ($after; $during in the window)" \
        [ "$after" -eq 0 ]
    wk_check "$name: the hooks are attached again" wk_eventually 20 links_back
    wk_check "$name: every link is pinned again" wk_eventually 20 pins_back
}
links_back() { [ "$(cg_links | wc -l)" -eq "$n_links" ]; }
pins_back() { [ "$(ls "$WK_PIN/links" 2>/dev/null | wc -l)" -eq "$n_links" ]; }

unpin() { rm -rf "$WK_PIN/links"; }
detach() {
    local id
    for id in $(cg_links); do bpftool link detach id "$id"; done
}
# An allow-everything connect4 program, swapped into wardd's link.
cat >"$WK_TMP/allow.bpf.c" <<'C'
__attribute__((section("cgroup/connect4"), used)) int allow_all(void *ctx)
{
    return 1;
}
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
C
clang -O2 -target bpf -c "$WK_TMP/allow.bpf.c" -o "$WK_TMP/allow.bpf.o" &&
    bpftool prog load "$WK_TMP/allow.bpf.o" "$WK_PIN/intruder" ||
    wk_notok "an intruder's program loads"
swap() { python3 "$(dirname "$0")/link_update.py" "$WK_PIN/links/ward_connect4" "$WK_PIN/intruder"; }

attack "unpinned" hooks-unpinned unpin
attack "detached with bpftool" hooks-detached detach
attack "another program swapped into the link" hooks-replaced swap
wk_check "the alerts are on the event ring (ward watch)" \
    wk_wait_for "$WK_TMP/w.log" "ALERT hooks-detached" 20
# (A storm's worth of decisions is in the log too: ask SQLite for the alerts.)
wk_check "the alerts are in the connection log" [ "$(sqlite3 "$WK_TMP/state/log.db" \
    "SELECT count(*) FROM conn WHERE kind = 'alert' AND filter LIKE 'hooks-%'")" -ge 2 ]

# A restart swaps the new programs into the pinned links: same link ids.
before=$(cg_links | sort | tr '\n' ' ')
stop_wardd wardd
start_wardd wardd2 || wk_notok "wardd restarts"
after=$(cg_links | sort | tr '\n' ' ')
wk_check "a restarted wardd keeps the pinned links (no gap)" [ "$before" = "$after" ]
wk_check "a restarted wardd raises no alert" bash -c "! grep -q alert: '$WK_TMP/wardd2.log'"
exit 0
