#!/usr/bin/env python3
""":"
# Run by a shell (`bash scripts/check-layers.py`, `sh ...`): hand over to python3.
exec python3 "$0" "$@"
":"""
# The layering check (docs/architecture.md): fails when a module of src/ imports one of a layer
# at or above its own, when a source file passes 600 lines, or when code outside `engine` and
# `actions` talks to the Docker daemon itself (names bollard's `Docker` client, takes it from
# `Endpoint::client()`, or calls one of its daemon methods).
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

# The only modules that may hold and call the daemon client: engine reads, actions mutates.
CLIENT_HOLDERS = {"engine", "actions"}
# The methods of bollard 0.21's `Docker` that call the daemon. Names this crate defines itself
# (`fn list_networks`, `fn events`, ...) are dropped at run time: a call of those is ours.
DAEMON_METHODS = set("""
    attach_container attach_container_websocket build_image commit_container connect_network
    container_changes create_checkpoint create_config create_container create_exec create_image
    create_network create_plugin create_secret create_service create_volume delete_checkpoint
    delete_config delete_node delete_secret delete_service df disable_plugin disconnect_network
    download_from_container enable_plugin events export_container export_image export_images
    get_container_archive_info get_plugin_privileges image_history import_image
    import_image_stream info init_swarm inspect_config inspect_container inspect_exec
    inspect_image inspect_network inspect_node inspect_plugin inspect_registry_image
    inspect_secret inspect_service inspect_swarm inspect_task inspect_volume install_plugin
    join_swarm kill_container leave_swarm list_checkpoints list_configs list_containers
    list_images list_networks list_nodes list_plugins list_secrets list_services list_tasks
    list_volumes logs pause_container ping prune_build prune_containers prune_images
    prune_networks prune_volumes push_image push_plugin remove_container remove_image
    remove_network remove_plugin remove_volume rename_container resize_container_tty resize_exec
    restart_container search_images service_logs set_plugin_config start_container start_exec
    stats stop_container tag_image task_logs top_processes unpause_container update_config
    update_container update_node update_secret update_service update_swarm upgrade_plugin
    upload_to_container upload_to_container_streaming version wait_container
""".split())
# The client itself: its type (`bollard::Docker`, `use bollard::{.., Docker, ..}`), its
# constructors (`Docker::connect_*`) and the endpoint's accessor.
CLIENT_USES = [
    (re.compile(r"bollard::Docker\b"), "names bollard's Docker client"),
    (re.compile(r"bollard::\{[^}]*\bDocker\b"), "names bollard's Docker client"),
    (re.compile(r"\bDocker::"), "builds a Docker client"),
    (re.compile(r"\.client\(\)"), "takes the daemon client from an endpoint"),
]
FN_DEF = re.compile(r"\bfn\s+([a-z_][a-z0-9_]*)")
METHOD_CALL = re.compile(r"\.\s*([a-z_][a-z0-9_]*)\s*(?:::<[^>]*>)?\s*\(")

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


def strip_comments(text):
    """The text with `//` comments blanked (line numbers kept); `/* */` is not used in src/."""
    return "\n".join(line.split("//", 1)[0] for line in text.split("\n"))


def own_function_names(src):
    names = set()
    for dirpath, _, files in os.walk(src):
        for f in files:
            if f.endswith(".rs"):
                with open(os.path.join(dirpath, f), encoding="utf-8") as fh:
                    names.update(FN_DEF.findall(strip_comments(fh.read())))
    return names


def client_calls(rel, text, daemon_methods):
    """Where a module outside engine and actions talks to the daemon client."""
    code = strip_comments(text)
    found = []
    for pattern, what in CLIENT_USES:
        for m in pattern.finditer(code):
            found.append((code.count("\n", 0, m.start()) + 1, what))
    for m in METHOD_CALL.finditer(code):
        if m.group(1) in daemon_methods:
            found.append((code.count("\n", 0, m.start()) + 1, f"calls the daemon (`{m.group(1)}`)"))
    return [
        f"{rel}:{n}: {what} outside engine and actions: add a method to engine::Endpoint (a read) "
        "or an action (a mutation)"
        for n, what in sorted(set(found))
    ]


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    problems = []
    daemon_methods = DAEMON_METHODS - own_function_names(src)
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
            me = top_module(rel)
            if me not in CLIENT_HOLDERS:
                problems.extend(client_calls(rel, "".join(lines), daemon_methods))
            if rel in ROOT_FILES:
                continue
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
