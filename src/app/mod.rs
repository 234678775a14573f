//! The console's state and its pure `update(state, msg) -> effects` (no I/O, no terminal).
