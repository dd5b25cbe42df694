# bench/lib.sh — what the benchmarks running wardd share (sourced after
# tests/kernel/lib.sh's wk_setup).

# bench_policy FILE CLIENT RULES [PORT_BASE]: a policy in ask mode, CLIENT
# allowed to port 8080 of the lan (a zone: decided in user space), then
# RULES application rules over RULES/5 programs, allow and deny in turn.
bench_policy() {
    {
        echo "set mode ask"
        echo "app \"$2\" {"
        echo "    allow out tcp port 8080 to lan"
        echo "}"
        awk -v n="$3" -v base="${4:-1000}" 'BEGIN {
            for (p = 0; p < n / 5; p++) {
                printf "app \"/opt/bench/bin/prog%d\" {\n", p
                for (r = 0; r < 5; r++)
                    printf "    %s out tcp port %d to internet\n", r % 2 ? "deny" : "allow", base + p % 50000 + r
                printf "}\n"
            }
        }'
    } >"$1"
    chmod 644 "$1"
}

# bench_wardd NAME CONFIG: the release wardd in namespace A, state and run
# directories of its own; waits until it is ready. WARD_SOCKET reaches it.
bench_wardd() {
    rm -rf "$WK_TMP/state" "$WK_TMP/run"
    export WARD_SOCKET=$WK_TMP/run/control.sock
    wk_bg "$1" nsenter --net=/run/netns/$NS_A "$BUILD/bin/wardd" --foreground \
        --config "$2" --state-dir "$WK_TMP/state" --run-dir "$WK_TMP/run" \
        --cgroup "$WK_CG" --pin-dir "$WK_PIN"
    wk_wait_for "$WK_TMP/$1.log" ready 60
}
