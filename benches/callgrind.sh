#!/usr/bin/env bash
# Instructions per operation of one workload, native and through anyrt, counted by callgrind:
# a noise-free view of what the `compare` report's ratio measures, for a shared or busy
# machine and for checking a fix.
#
#   benches/callgrind.sh BACKEND WORKLOAD [N]      e.g. benches/callgrind.sh smol timeout
#
# Each side runs twice, with N and 2N operations; the difference divided by N is the cost of
# one operation without the setup (runtime start, threads). The profiles of the 2N runs are
# kept for `callgrind_annotate --inclusive=yes FILE` (printed at the end). Needs valgrind.
# Extra cargo flags (a one-backend build) go in CARGO_FLAGS, e.g.
# CARGO_FLAGS="--no-default-features --features smol".
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
    sed -n '2,12p' "$0"
    exit 2
fi
backend=$1
workload=$2
n=${3:-20000}

# Symbols with line numbers, in a target dir of its own (the normal release build is left
# alone).
target="${CARGO_TARGET_DIR:-$PWD/target}/callgrind"
# shellcheck disable=SC2086
CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_TARGET_DIR="$target" \
    cargo build -q --release -p anyrt-benches --bin compare ${CARGO_FLAGS:-}
bin="$target/release/compare"
out="${TMPDIR:-/tmp}/anyrt-callgrind"
mkdir -p "$out"

ir() {
    # ir SIDE COUNT FILE: total instructions of one run.
    valgrind --tool=callgrind --callgrind-out-file="$3" "$bin" --backend "$backend" \
        --workload "$workload" --side "$1" --rounds 1 --n "$2" --no-allocs >/dev/null 2>"$3.log"
    grep -E '^summary:|^totals:' "$3" | head -1 | awk '{print $2}'
}

declare -A per_op
for side in native anyrt; do
    one=$(ir "$side" "$n" "$out/$backend.$workload.$side.n.out")
    two=$(ir "$side" $((2 * n)) "$out/$backend.$workload.$side.out")
    per_op[$side]=$(((two - one) / n))
    printf '%-6s %8d instructions/op\n' "$side" "${per_op[$side]}"
done
awk -v a="${per_op[anyrt]}" -v b="${per_op[native]}" \
    'BEGIN { printf "ratio  %8.3f (anyrt/native, instructions)\n", a / b }'
echo
echo "profiles (2N runs):"
for side in native anyrt; do
    echo "  callgrind_annotate --inclusive=yes $out/$backend.$workload.$side.out"
done
