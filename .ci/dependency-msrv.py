#!/usr/bin/env python3
"""Fails if a dependency that a user of the published crates builds (normal and build
dependencies, all features, as resolved in Cargo.lock) declares a `rust-version` newer than
the workspace's. clippy's `incompatible_msrv` (on in CI's clippy step) checks our own use
of std; this checks what we pull in. Dev-dependencies are not a user's concern, and neither
are the dependencies of the loom models' build (target `cfg(loom)`: only `--cfg loom` gets
them, and loom needs a newer Rust anyway)."""
import json
import subprocess
import sys


def version(v):
    return tuple(int(x) for x in v.split(".")[:3]) + (0,) * (3 - len(v.split(".")))


meta = json.loads(
    subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--all-features", "--locked"]
    )
)
packages = {p["id"]: p for p in meta["packages"]}
members = [packages[i] for i in meta["workspace_members"]]
ours = {m["rust_version"] for m in members if m.get("rust_version")}
if len(ours) != 1:
    sys.exit(f"expected one rust-version across the workspace, found {sorted(ours)}")
msrv = ours.pop()
published = [m["id"] for m in members if m.get("publish") is None]
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}

seen, todo, bad = set(), list(published), []
while todo:
    pid = todo.pop()
    if pid in seen:
        continue
    seen.add(pid)
    for dep in nodes[pid]["deps"]:
        if any(
            k["kind"] in (None, "build") and k.get("target") != "cfg(loom)"
            for k in dep["dep_kinds"]
        ):
            todo.append(dep["pkg"])
for pid in seen:
    p = packages[pid]
    rv = p.get("rust_version")
    if rv and version(rv) > version(msrv):
        bad.append(f"  {p['name']} {p['version']} needs Rust {rv}")
names = ", ".join(sorted(packages[i]["name"] for i in published))
print(f"rust-version {msrv}: {len(seen) - len(published)} dependencies of {names} checked")
if bad:
    sys.exit("dependencies newer than the workspace's rust-version:\n" + "\n".join(sorted(bad)))
