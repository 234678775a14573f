//! fleetdeck: a terminal console for a fleet of Docker containers.
//!
//! The library holds everything; `src/main.rs` only parses arguments and maps errors to exit
//! codes. Data flows one way: `engine` (daemon → fleet) → `app` (state) → `ui` (render), and
//! every mutation goes through `actions`, whichever caller asks for it.

pub mod actions;
pub mod app;
pub mod audit;
pub mod cli;
pub mod config;
pub mod duration;
pub mod engine;
pub mod geometry;
pub mod gpu;
pub mod keeper;
pub mod present;
pub mod private_file;
pub mod reconcile;
pub mod sanitize;
pub mod session;
pub mod store;
pub mod triage;
pub mod tui;
pub mod ui;
