//! The history store's write API (a stub: the real SQLite store replaces this file at merge).
//! Every call succeeds and records nothing.

/// How long and how much history is kept.
pub struct Retention {
    pub max_age: std::time::Duration,
    pub max_rows: u64,
}

/// Why the store cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Other(String),
}

/// Where the store lives when the config names no path.
pub fn default_path() -> std::path::PathBuf {
    dirs::state_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| std::path::PathBuf::from("."))
        .join("fleetdeck")
        .join("fleet.db")
}

/// The writer: cheap to clone, never blocks the caller.
#[derive(Clone)]
pub struct StoreWriter {
    _private: (),
}

impl StoreWriter {
    pub fn open(_path: &std::path::Path, _retention: Retention) -> Result<StoreWriter, StoreError> {
        Ok(StoreWriter { _private: () })
    }

    pub fn record_event(&self, _host: &str, _event: &crate::engine::ContainerEvent) {}

    pub fn record_container(&self, _host: &str, _container: &crate::engine::Container) {}

    pub fn record_note(
        &self,
        _host: &str,
        _container_id: &str,
        _action: &str,
        _attributes: serde_json::Value,
    ) {
    }

    pub fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
