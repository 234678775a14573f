//! The daemon reads a single `triage` makes for the stuck rules, on top of the ones it makes
//! anyway: the fleet with details where an inspect that runs out its time for ONE container
//! (while the others answer) keeps that container from the list and names it, instead of
//! failing the whole list; and the time of a container's last log line (one short logs call,
//! made only for the containers that opted into the silence check).

use std::collections::HashMap;

use bollard::query_parameters::LogsOptionsBuilder;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};

use super::logs::Demuxer;
use super::{Container, ContainerId, Endpoint, EngineError, RunState, from_inspect};

/// How many inspects run at once.
const CONCURRENCY: usize = 64;

/// Whether an error is a call that ran out its time (and not a refusal or a dead host).
pub fn is_no_answer(error: &EngineError) -> bool {
    matches!(error, EngineError::Unreachable { cause, .. } if cause.starts_with("no answer within"))
}

impl Endpoint {
    /// [`Endpoint::list_detailed`], with the containers whose inspect ran out its time while
    /// at least one other inspect answered: those are kept as the list saw them and returned
    /// with the time the call hung. Every inspect timing out is the host not answering: an
    /// error.
    pub async fn list_detailed_noting_hung(
        &self,
        filters: &HashMap<String, Vec<String>>,
    ) -> Result<(Vec<Container>, Vec<(ContainerId, DateTime<Utc>)>), EngineError> {
        let listed = self.list(filters).await?;
        let results: Vec<(Container, Result<Option<Container>, EngineError>)> =
            stream::iter(listed)
                .map(|summary| async move {
                    if summary.state == RunState::Created && summary.started_at.is_none() {
                        let mut c = summary.clone();
                        c.restart_count = Some(0);
                        return (summary, Ok(Some(c)));
                    }
                    let detailed = self.inspect(&summary.id.0).await.map(|inspect| {
                        inspect
                            .and_then(|i| from_inspect(&i))
                            .map(|c| self.stamp(c))
                    });
                    (summary, detailed)
                })
                .buffered(CONCURRENCY)
                .collect()
                .await;
        let answered = results.iter().any(|(_, r)| r.is_ok());
        let mut containers = Vec::with_capacity(results.len());
        let mut hung = Vec::new();
        for (summary, result) in results {
            match result {
                Ok(Some(c)) => containers.push(c),
                Ok(None) => {}
                Err(e) if answered && is_no_answer(&e) => {
                    hung.push((summary.id.clone(), Utc::now()));
                    containers.push(summary);
                }
                Err(e) => return Err(e),
            }
        }
        Ok((containers, hung))
    }

    /// When the container last wrote a log line (one logs call: the last line, with its
    /// time); `None` when it wrote none.
    pub async fn last_log_time(
        &self,
        id: &ContainerId,
    ) -> Result<Option<DateTime<Utc>>, EngineError> {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .timestamps(true)
            .tail("1")
            .build();
        let read = async {
            let mut demux = Demuxer::new(false, true, 64 * 1024);
            let mut lines = Vec::new();
            let mut logs = self.docker.logs(&id.0, Some(options));
            while let Some(chunk) = logs.next().await {
                demux.push_output(&chunk?, &mut lines);
            }
            demux.finish(&mut lines);
            Ok(lines.last().and_then(|l| l.time))
        };
        self.guarded(read).await
    }
}
