//! The console's GPU feed, all of it off the event loop: NVML is opened on a blocking thread,
//! sampled by [`gpu::spawn_sampler`] on its own thread (which ends after an unavailable
//! answer, so a box without GPUs pays nothing more), and each sample is attributed to
//! containers (reading `/proc`) in `spawn_blocking`, with the id → name map that `update`
//! hands over (as `Effect::GpuNames`, carried out by the loop). The app receives a ready
//! [`GpuState`] as [`Msg::Gpu`].

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, watch};

use crate::app::Msg;
use crate::gpu::{self, GpuState};

/// Container ids → names, as attribution reads them.
type Known = Arc<HashMap<String, String>>;

/// The loop's handle on the feed: how it hands over the names of the fleet's containers.
pub struct GpuFeed {
    known: watch::Sender<Known>,
}

impl GpuFeed {
    /// Hands over the fleet's names (`update` sends them only when the fleet changed), for
    /// the next sample's attribution.
    pub fn hand(&self, names: HashMap<String, String>) {
        self.known.send_replace(Arc::new(names));
    }
}

/// Starts the feed: samples every `interval`, GPUs over `threshold_pct` flagged; each result
/// goes to `tx` until it closes.
pub fn spawn(interval: Duration, threshold_pct: f64, tx: mpsc::Sender<Msg>) -> GpuFeed {
    let (known_tx, known_rx) = watch::channel(Known::default());
    tokio::spawn(run(interval, threshold_pct, known_rx, tx));
    GpuFeed { known: known_tx }
}

async fn run(
    interval: Duration,
    threshold_pct: f64,
    known: watch::Receiver<Known>,
    tx: mpsc::Sender<Msg>,
) {
    // Loading the NVML library and initialising it can take a while: not on the loop.
    let Ok(source) = tokio::task::spawn_blocking(gpu::open).await else {
        return;
    };
    let (sample_tx, mut samples) = mpsc::channel(1);
    // The thread ends at its next send once `samples` is dropped.
    let _sampler = gpu::spawn_sampler(source, interval, sample_tx);
    while let Some(result) = samples.recv().await {
        let state = match result {
            Ok(sample) => {
                let names = known.borrow().clone();
                let attributed = tokio::task::spawn_blocking(move || {
                    gpu::attribute(&sample, Path::new("/proc"), &names, threshold_pct)
                })
                .await;
                match attributed {
                    Ok(report) => GpuState::Available {
                        report,
                        at: Utc::now(),
                    },
                    Err(_) => return,
                }
            }
            Err(reason) => GpuState::Unavailable { reason },
        };
        if tx.send(Msg::Gpu(Box::new(state))).await.is_err() {
            return;
        }
    }
}
