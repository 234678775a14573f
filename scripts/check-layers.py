#!/usr/bin/env python3
""":"
# Run by a shell (`bash scripts/check-layers.py`, `sh ...`): hand over to python3.
exec python3 "$0" "$@"
":"""
# The layering check (docs/architecture.md): fails when a module of src/ imports one of a layer
# at or above its own, or when a source file passes 600 lines.
#
# Every top-level module of src/ has a rank; a module may name (`crate::x`, `use crate::{x, ..}`)
# only modules of a strictly lower rank. Equal ranks may not import each other, so no import circle
# can form between top-level modules. Test files (`tests.rs`, `*_tests.rs`, `tests/` folders) may
# reach into the layer below for fixtures but are held to the same rule, and are exempt from the
# line limit.
#
# Usage: scripts/check-layers.py [SRC_DIR]   (exit 0: clean, 1: violations listed)


import os
import re
import sys

# Lowest first. Keep in step with docs/architecture.md.
RANKS = {
    # pure leaves: no crate imports
    "sanitize": 0,
    "geometry": 0,
    "duration": 0,
    "gpu": 0,
    "private_file": 0,
    # the daemon, the fleet model and pure readings of it
    "engine": 1,
    # below the action layer: the audit record, people-facing formatting
    "audit": 2,
    "present": 2,
    "store": 2,
    # the only mutator
    "actions": 3,
    # readings and plans over the fleet, built on actions
    "triage": 4,
    "reconcile": 4,
    # configuration (defaults come from the layers below)
    "config": 5,
    "keeper": 6,
    # plain state + pure update
    "app": 7,
    # pure render
    "ui": 8,
    # what both front ends share: globals, endpoint, exit mapping
    "session": 9,
    # the front ends; neither imports the other
    "tui": 10,
    "cli": 10,
}
MAX_LINES = 600
ROOT_FILES = {"lib.rs", "main.rs"}

IMPORT = re.compile(r"crate::(\{[^}]*\}|[a-z_][a-z0-9_]*)")
WORD = re.compile(r"^\s*([a-z_][a-z0-9_]*)")


def top_module(rel):
    first = rel.split(os.sep)[0]
    return first[:-3] if first.endswith(".rs") else first


def is_test_file(rel):
    name = os.path.basename(rel)
    return name == "tests.rs" or name.endswith("_tests.rs") or f"{os.sep}tests{os.sep}" in rel


def named_modules(line):
    for m in IMPORT.finditer(line):
        body = m.group(1)
        if body.startswith("{"):
            for part in body[1:-1].split(","):
                w = WORD.match(part)
                if w:
                    yield w.group(1)
        else:
            yield body


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    problems = []
    for dirpath, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, src)
            with open(path, encoding="utf-8") as fh:
                lines = fh.readlines()
            if len(lines) > MAX_LINES and not is_test_file(rel):
                problems.append(f"{rel}: {len(lines)} lines (the limit is {MAX_LINES}): split it along a seam")
            if rel in ROOT_FILES:
                continue
            me = top_module(rel)
            if me not in RANKS:
                problems.append(f"{rel}: module '{me}' has no layer: add it to RANKS and docs/architecture.md")
                continue
            for n, line in enumerate(lines, 1):
                code = line.split("//", 1)[0]
                for target in named_modules(code):
                    if target == me or target in ("self", "super"):
                        continue
                    if target not in RANKS:
                        continue  # a name re-exported at the crate root, not a layer
                    if RANKS[target] >= RANKS[me]:
                        problems.append(
                            f"{rel}:{n}: {me} (layer {RANKS[me]}) imports {target} (layer {RANKS[target]}): "
                            "a layer may import only layers below it"
                        )
    for p in problems:
        print(p)
    if problems:
        print(f"layering check: {len(problems)} problem(s); the rule is in docs/architecture.md", file=sys.stderr)
        return 1
    print("layering check: clean", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
