#!/usr/bin/env bash
# What a library that depends on anyrt with no backend pays: the crates it builds and its
# clean debug build time.
#
#   benches/library-build.sh                 # this checkout
#   benches/library-build.sh DIR [DIR ...]   # the anyrt workspaces at DIR (say, a worktree of
#                                            # an older commit), side by side, alternating
#
# Each run builds a scratch library (`anyrt = { path, default-features = false }`) from an
# empty target dir; the crates are counted from cargo's own "Compiling" lines (the library
# itself not included) and the time is the median of RUNS runs (default 5).
set -euo pipefail
runs="${RUNS:-5}"
here="$(cd "$(dirname "$0")/.." && pwd)"
[ "$#" -gt 0 ] || set -- "$here"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

i=0
for dir in "$@"; do
    lib="$work/lib$i"
    mkdir -p "$lib/src"
    cat >"$lib/Cargo.toml" <<TOML
[package]
name = "scratch-library"
version = "0.1.0"
edition = "2021"

[dependencies]
anyrt = { path = "$(cd "$dir" && pwd)/crates/anyrt", default-features = false }

[workspace]
TOML
    echo 'pub async fn answer() -> u32 { anyrt::spawn(async { 42 }).await.unwrap() }' >"$lib/src/lib.rs"
    # Fetch and resolve once, outside the timing.
    CARGO_TARGET_DIR="$lib/target" cargo build -q --manifest-path "$lib/Cargo.toml"
    i=$((i + 1))
done

for ((r = 0; r < runs; r++)); do
    i=0
    for dir in "$@"; do
        lib="$work/lib$i"
        rm -rf "$lib/target"
        start=$(date +%s.%N)
        out=$(CARGO_TARGET_DIR="$lib/target" cargo build --manifest-path "$lib/Cargo.toml" 2>&1)
        end=$(date +%s.%N)
        crates=$(grep -c '^ *Compiling' <<<"$out")
        echo "$i $start $end $((crates - 1))" >>"$work/times"
        i=$((i + 1))
    done
done

i=0
for dir in "$@"; do
    python3 - "$work/times" "$i" "$dir" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
mine = [r for r in rows if r[0] == sys.argv[2]]
times = sorted(float(r[2]) - float(r[1]) for r in mine)
print(f"{sys.argv[3]}: {mine[0][3]} crates, clean debug build median {statistics.median(times):.2f} s "
      f"(min {times[0]:.2f}, max {times[-1]:.2f}, {len(times)} runs)")
PY
    i=$((i + 1))
done
