//! The console's side of the history store: where the inspect pane's recorded history comes
//! from (or why there is none), and the load, done off the loop in `spawn_blocking` and
//! answered with `Msg::History`.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::app::{LoadError, Msg};
use crate::engine::ContainerId;
use crate::session::Globals;
use crate::store::{HistoryQuery, Store, StoreError};

/// How many recorded events the inspect pane shows, at most (the newest).
pub const SHOWN: usize = 12;
/// The actions the pane shows: deaths, starts and restarts, OOM kills, the keeper's notes.
const SHOWN_ACTIONS: &[&str] = &["die", "oom", "start", "restart", "destroy"];

/// Where history comes from: the store's file, or why there is none.
#[derive(Debug, Clone)]
pub struct HistorySource(Result<PathBuf, NoHistory>);

/// Why the console has no history to show.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NoHistory {
    #[error("the store is off in the config")]
    Off,
    #[error("no store at {} yet: run, apply and `fleetdeck keep` write it", path.display())]
    Missing { path: PathBuf },
    /// There, but it cannot be read (locked, corrupt).
    #[error(transparent)]
    Unreadable(Arc<StoreError>),
}

impl HistorySource {
    /// Decides once at start; a store that is there but cannot be read (locked, corrupt) is
    /// also said in the status line, once (the returned notice).
    pub fn open(globals: &Globals) -> (Self, Option<String>) {
        if !globals.config.store.enabled {
            return (Self(Err(NoHistory::Off)), None);
        }
        let path = globals.store_path();
        match Store::open_read(&path) {
            Ok(_) => (Self(Ok(path)), None),
            Err(StoreError::Missing { .. }) => (Self(Err(NoHistory::Missing { path })), None),
            Err(e) => {
                let notice = format!("running without history: {e}");
                (Self(Err(NoHistory::Unreadable(Arc::new(e)))), Some(notice))
            }
        }
    }

    /// Loads the container's recorded history off the loop; the answer comes as `Msg::History`.
    pub fn load(&self, id: ContainerId, tx: mpsc::Sender<Msg>) {
        let path = match &self.0 {
            Ok(path) => path.clone(),
            Err(why) => {
                let _ = tx.try_send(Msg::History {
                    id,
                    result: Err(LoadError::Store(why.to_string())),
                });
                return;
            }
        };
        tokio::spawn(async move {
            let key = id.0.clone();
            let result = tokio::task::spawn_blocking(move || {
                let store = Store::open_read(&path)?;
                store.history(&HistoryQuery {
                    target: Some(key),
                    ..HistoryQuery::default()
                })
            })
            .await
            .map_err(|e| LoadError::Task {
                what: "reading the history",
                why: e.to_string(),
            })
            .and_then(|r| r.map_err(|e| LoadError::Store(e.to_string())))
            .map(|rows| {
                let mut rows: Vec<_> = rows
                    .into_iter()
                    .filter(|r| {
                        SHOWN_ACTIONS.contains(&r.action.as_str())
                            || r.action.starts_with("keeper.")
                            || r.action.starts_with("gc.")
                    })
                    .collect();
                let skip = rows.len().saturating_sub(SHOWN);
                rows.drain(..skip);
                rows
            });
            let _ = tx.send(Msg::History { id, result }).await;
        });
    }
}

/// How often the console counts the undelivered alerts, in clock ticks (seconds).
pub const ALERTS_EVERY_TICKS: u32 = 30;

impl HistorySource {
    /// Counts the alerts of the last day the keeper gave up delivering, off the loop; the
    /// answer comes as `Msg::UndeliveredAlerts` (nothing when there is no store to read).
    pub fn count_undelivered(&self, tx: mpsc::Sender<Msg>) {
        let Ok(path) = &self.0 else { return };
        let path = path.clone();
        tokio::spawn(async move {
            let since = chrono::Utc::now() - chrono::Duration::days(1);
            let counted = tokio::task::spawn_blocking(move || {
                Store::open_read(&path)?.undelivered_alerts(since)
            })
            .await;
            if let Ok(Ok(n)) = counted {
                let _ = tx.send(Msg::UndeliveredAlerts(n)).await;
            }
        });
    }
}
