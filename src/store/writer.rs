//! The write side: [`StoreWriter`], a cheap handle (clone it freely) to one thread that owns
//! the connection. Records go through a bounded channel and never block the caller (what does
//! not fit is counted in [`StoreWriter::dropped`]); the thread writes them in batches, one
//! transaction per batch of up to [`BATCH_MAX`] records or every [`BATCH_WAIT`], and applies
//! the retention at open and every [`PRUNE_EVERY`]. The last handle dropped writes what is
//! left and waits for the thread.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::health::Health;
use super::rows::Known;
use super::{Retention, StoreError, schema};
use crate::engine::{Container, ContainerEvent};

/// Records written in one transaction, at most.
pub const BATCH_MAX: usize = 2048;
/// How long a record waits for its batch to fill before the batch is written anyway.
pub const BATCH_WAIT: Duration = Duration::from_millis(200);
/// How often the retention runs.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// Records waiting for the writer, at most; beyond that they are dropped (and counted).
pub const QUEUE: usize = 65_536;

/// One thing to write.
pub(super) enum Record {
    Event(String, Box<ContainerEvent>),
    Container(String, Box<Container>),
    Note {
        host: String,
        container_id: String,
        action: String,
        attributes: serde_json::Value,
        time: DateTime<Utc>,
    },
    Protect {
        host: String,
        container_id: String,
        until: Option<DateTime<Utc>>,
    },
    Alert(Box<super::AlertEntry>),
    AlertState(Box<super::AlertUpdate>),
}

enum Command {
    Record(Record),
    Flush(mpsc::Sender<Result<(), StoreError>>),
    Prune(mpsc::Sender<Result<(), StoreError>>),
}

struct Inner {
    path: PathBuf,
    tx: Option<SyncSender<Command>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    dropped: Arc<AtomicU64>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel ends the thread once it has written what is queued.
        self.tx.take();
        let handle = self.thread.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle
            && handle.join().is_err()
        {
            log::warn!("store {}: the writer thread panicked", self.path.display());
        }
    }
}

/// A handle to the one writer thread of a store file.
#[derive(Clone)]
pub struct StoreWriter {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for StoreWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreWriter")
            .field("path", &self.inner.path)
            .field("dropped", &self.dropped())
            .finish()
    }
}

impl StoreWriter {
    /// Opens (creating, migrating) the store at `path` and starts its writer thread; the
    /// retention is applied once now and then every minute.
    pub fn open(path: &Path, retention: Retention) -> Result<StoreWriter, StoreError> {
        let mut conn = schema::open_write(path)?;
        prune(&mut conn, path, retention)?;
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let thread = {
            let owned = path.to_path_buf();
            let dropped = Arc::clone(&dropped);
            std::thread::Builder::new()
                .name("fleetdeck-store".into())
                .spawn(move || writer_loop(conn, &owned, retention, &rx, &dropped))
                .map_err(|e| StoreError::WriterGone {
                    path: path.to_path_buf(),
                    reason: format!("cannot start the writer thread: {e}"),
                })?
        };
        Ok(StoreWriter {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                tx: Some(tx),
                thread: Mutex::new(Some(thread)),
                dropped,
            }),
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Records that could not be queued (the writer was behind or gone), since open.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// What was lost since open, for the end of a run: `None` when every record was written,
    /// else a line naming the file and how many records it is missing.
    pub fn lost(&self) -> Option<String> {
        let dropped = self.dropped();
        (dropped > 0).then(|| {
            format!(
                "{dropped} record(s) of history were not written to the store {}",
                self.inner.path.display()
            )
        })
    }

    fn send(&self, record: Record) {
        let sent = match &self.inner.tx {
            Some(tx) => match tx.try_send(Command::Record(record)) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            None => false,
        };
        if !sent {
            self.inner.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records a daemon event of `host` (and what it says about the container). Never blocks.
    pub fn record_event(&self, host: &str, event: &ContainerEvent) {
        self.send(Record::Event(host.to_string(), Box::new(event.clone())));
    }

    /// Records what is known of a container (an upsert of its row). Never blocks.
    pub fn record_container(&self, host: &str, container: &Container) {
        self.send(Record::Container(
            host.to_string(),
            Box::new(container.clone()),
        ));
    }

    /// Records a note of fleetdeck's own about a container, as an event of `action`
    /// (`keeper.give_up`, `keeper.restart`, `gc.remove`, `job.run`) at the current time. An
    /// integer `exit_code` in `attributes` fills the event's exit code. Never blocks.
    pub fn record_note(
        &self,
        host: &str,
        container_id: &str,
        action: &str,
        attributes: serde_json::Value,
    ) {
        self.send(Record::Note {
            host: host.to_string(),
            container_id: container_id.to_string(),
            action: action.to_string(),
            attributes,
            time: Utc::now(),
        });
    }

    /// Sets (or clears) the time until which a GC leaves the container alone. Never blocks.
    pub fn record_protection(&self, host: &str, container_id: &str, until: Option<DateTime<Utc>>) {
        self.send(Record::Protect {
            host: host.to_string(),
            container_id: container_id.to_string(),
            until,
        });
    }

    /// Records a new alert for one sink (before its delivery). Never blocks.
    pub fn record_alert(&self, alert: super::AlertEntry) {
        self.send(Record::Alert(Box::new(alert)));
    }

    /// Records how an alert's delivery went. Never blocks.
    pub fn record_alert_state(&self, update: super::AlertUpdate) {
        self.send(Record::AlertState(Box::new(update)));
    }

    fn ask(
        &self,
        make: fn(mpsc::Sender<Result<(), StoreError>>) -> Command,
    ) -> Result<(), StoreError> {
        let gone = |reason: &str| StoreError::WriterGone {
            path: self.inner.path.clone(),
            reason: reason.to_string(),
        };
        let tx = self.inner.tx.as_ref().ok_or_else(|| gone("closed"))?;
        let (reply_tx, reply_rx) = mpsc::channel();
        tx.send(make(reply_tx))
            .map_err(|_| gone("its thread ended"))?;
        reply_rx.recv().map_err(|_| gone("its thread ended"))?
    }

    /// Blocks until everything recorded so far is written (call it from `spawn_blocking` in
    /// async code); the error of the last failed write since the previous flush, if any.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.ask(Command::Flush)
    }

    /// Writes what is queued, then applies the retention now (also done every minute).
    pub fn apply_retention(&self) -> Result<(), StoreError> {
        self.ask(Command::Prune)
    }
}

fn writer_loop(
    conn: Connection,
    path: &Path,
    retention: Retention,
    rx: &mpsc::Receiver<Command>,
    dropped: &AtomicU64,
) {
    let mut thread = WriterThread {
        conn,
        path,
        retention,
        dropped,
        batch: Vec::with_capacity(BATCH_MAX),
        deadline: None,
        next_prune: Instant::now() + PRUNE_EVERY,
        failed: None,
        known: Known::default(),
        health: Health::new(path),
    };
    loop {
        let wake = thread
            .deadline
            .unwrap_or(thread.next_prune)
            .min(thread.next_prune);
        match rx.recv_timeout(wake.saturating_duration_since(Instant::now())) {
            Ok(command) => thread.command(command),
            Err(RecvTimeoutError::Timeout) => thread.timed_out(),
            Err(RecvTimeoutError::Disconnected) => {
                thread.write();
                return;
            }
        }
    }
}

/// The writer thread's connection and what it holds between commands.
struct WriterThread<'a> {
    conn: Connection,
    path: &'a Path,
    retention: Retention,
    /// The count of records lost, shared with the senders.
    dropped: &'a AtomicU64,
    /// The records waiting for the next write.
    batch: Vec<Record>,
    /// When the batch is written even if not full.
    deadline: Option<Instant>,
    next_prune: Instant,
    /// The error of the last failed write since the previous flush.
    failed: Option<StoreError>,
    known: Known,
    health: Health,
}

impl WriterThread<'_> {
    fn command(&mut self, command: Command) {
        match command {
            Command::Record(record) => {
                if self.batch.is_empty() {
                    self.deadline = Some(Instant::now() + BATCH_WAIT);
                }
                self.batch.push(record);
                if self.batch.len() >= BATCH_MAX {
                    self.write();
                }
            }
            Command::Flush(reply) => {
                self.write();
                let _ = reply.send(self.failed.take().map_or(Ok(()), Err));
            }
            Command::Prune(reply) => {
                self.write();
                let result = match self.failed.take() {
                    Some(e) => Err(e),
                    None => self.prune(),
                };
                self.next_prune = Instant::now() + PRUNE_EVERY;
                let _ = reply.send(result);
            }
        }
    }

    /// Writes the batch if its time came, prunes if the retention's did.
    fn timed_out(&mut self) {
        let now = Instant::now();
        if self.deadline.is_some_and(|d| d <= now) {
            self.write();
        }
        if self.next_prune <= now {
            let _ = self.prune();
            self.next_prune = now + PRUNE_EVERY;
        }
    }

    /// Writes the batch (if any) in one transaction; a failure counts its records as
    /// dropped and is kept for the next flush. What the health says is logged.
    fn write(&mut self) {
        self.deadline = None;
        if self.batch.is_empty() {
            return;
        }
        let now = Instant::now();
        let said = match write_batch(&mut self.conn, self.path, &self.batch, &mut self.known) {
            Ok(()) => self.health.wrote(now),
            Err(e) => {
                let lost = self.batch.len() as u64;
                self.dropped.fetch_add(lost, Ordering::Relaxed);
                let said = self.health.failed(&e, lost, now);
                self.failed = Some(e);
                said
            }
        };
        if let Some(line) = said {
            log::warn!("{line}");
        }
        if let Some(line) = self
            .health
            .dropped(self.dropped.load(Ordering::Relaxed), now)
        {
            log::warn!("{line}");
        }
        self.batch.clear();
    }

    /// Applies the retention now; a failure is logged as the health says, and given.
    fn prune(&mut self) -> Result<(), StoreError> {
        let result = prune(&mut self.conn, self.path, self.retention);
        if let Err(e) = &result
            && let Some(line) = self.health.failed(e, 0, Instant::now())
        {
            log::warn!("{line}");
        }
        result
    }
}

/// Nanoseconds since the epoch, as the store keeps times.
pub(super) fn nanos(time: DateTime<Utc>) -> i64 {
    time.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Writes one batch in one transaction.
fn write_batch(
    conn: &mut Connection,
    path: &Path,
    batch: &[Record],
    known: &mut Known,
) -> Result<(), StoreError> {
    let sql = |e| StoreError::from_sqlite(path, e);
    let written = (|| {
        let tx = conn.transaction()?;
        for record in batch {
            super::rows::write(&tx, record, known)?;
        }
        tx.commit()
    })();
    if written.is_err() {
        // Rolled back: what the cache says was written may not be.
        known.clear();
    }
    written.map_err(sql)
}

/// Applies the retention: events past the age, then the oldest beyond the row limit, then
/// removed containers that have no event left.
pub(super) fn prune(
    conn: &mut Connection,
    path: &Path,
    retention: Retention,
) -> Result<(), StoreError> {
    let sql = |e| StoreError::from_sqlite(path, e);
    let age = chrono::Duration::from_std(retention.max_age).unwrap_or(chrono::Duration::MAX);
    let cutoff = Utc::now().checked_sub_signed(age).map_or(i64::MIN, nanos);
    let keep = i64::try_from(retention.max_rows).unwrap_or(i64::MAX);
    let tx = conn.transaction().map_err(sql)?;
    tx.execute("DELETE FROM events WHERE time < ?1", params![cutoff])
        .map_err(sql)?;
    tx.execute(
        "DELETE FROM events WHERE id <= (SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?1)",
        params![keep],
    )
    .map_err(sql)?;
    tx.execute(
        "DELETE FROM containers WHERE removed_at IS NOT NULL AND removed_at < ?1 \
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.container_id = containers.id)",
        params![cutoff],
    )
    .map_err(sql)?;
    tx.execute("DELETE FROM alerts WHERE time < ?1", params![cutoff])
        .map_err(sql)?;
    tx.commit().map_err(sql)
}
