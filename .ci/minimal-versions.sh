#!/usr/bin/env bash
# Type-checks the workspace (and runs the core and executor unit tests) with every direct dependency at the minimum its Cargo.toml
# declares (their own dependencies at the newest that fit), in a scratch copy: a declared
# minimum that does not build (a method missing from an older release) fails here rather
# than in a user's lockfile. Needs a nightly toolchain for `-Z direct-minimal-versions`
# (only the resolution; the build is stable).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "minimal-versions: a nightly toolchain is needed (rustup toolchain install nightly)" >&2
    exit 1
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$scratch"
# Uncommitted edits count too when run by hand: copy the working tree's versions.
git diff --name-only -z | xargs -0 -r cp --parents -t "$scratch"
target="${CARGO_TARGET_DIR:-$PWD/target}/minimal-versions"
cd "$scratch"
cargo +nightly update -Z direct-minimal-versions
# The published crates and the conformance suite, every target type-checked (what a minimum
# breaks is the build: a method or a trait impl missing from an older release); not the
# benches, the examples or the reqwest check, whose own dependencies' minimums no user of
# anyrt inherits. The unit tests of the crates whose hand-written concurrency leans on
# concurrent-queue, async-task and tokio::sync run too, at those minimums. (A full build
# and run of every suite here took seven minutes of a thirty-minute CI.)
CARGO_TARGET_DIR="$target" cargo check --workspace --all-features --lib --tests \
    --exclude anyrt-benches --exclude anyrt-examples --exclude anyrt-reqwest-test
CARGO_TARGET_DIR="$target" cargo test -p anyrt-core -p anyrt-executor --lib
