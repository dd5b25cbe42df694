#!/bin/bash
# bench/run engine [FILTERS [PROGRAMS [LOOKUPS]]] — ward_classify() as a
# whole (sublayers, arbitration, the decision order, per-program
# rules), indexed against the reference. Defaults: 10000 filters, 2000
# programs (10000 rules), 200000 lookups. See bench/engine.c.
set -euo pipefail
ROOT=${WARD_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${WARD_BENCH_BUILD:-$ROOT/build/rel}
cd "$ROOT"
make -s -j2 MODE=rel BUILD_DIR="${BUILD#$ROOT/}" "${BUILD#$ROOT/}/bench/engine" >&2
exec "$BUILD/bench/engine" "${1:-10000}" "${2:-2000}" "${3:-200000}"
