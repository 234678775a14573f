//! One daemon: its name, its address, the bollard client, the timeout every call gets and the
//! host's circuit breaker. The client is the engine's own: readers above use the methods here
//! (list, inspect, events, stats), and only the action layer borrows the client, through
//! [`Endpoint::client`].

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::ContainerInspectResponse;

use super::listed::Listed;
use bollard::query_parameters::{
    EventsOptionsBuilder, InspectContainerOptions, ListContainersOptionsBuilder,
};
use futures_util::{Stream, StreamExt, stream};

use super::breaker::{Breaker, Open, Permit};
use super::fleet::ContainerEvent;
use super::host::HostSpec;
use super::kind::EngineInfo;
use super::{
    Container, EngineError, INSPECT_CONCURRENCY, RunState, from_inspect, from_listed,
    is_transport_error, status_code,
};

/// How long a mutation may take (a stop waits out its grace period) before the host counts as
/// not answering.
const MUTATION_TIMEOUT: Duration = Duration::from_secs(150);

/// A daemon, ready to be called (connected or not: the first call, or [`Endpoint::negotiate`],
/// finds out).
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Reads: every call within [`Endpoint::timeout`].
    pub(super) docker: Docker,
    /// Mutations (the action layer's client).
    mutations: Docker,
    /// Where the daemon is, as the user would write it (`unix:///var/run/docker.sock`).
    pub address: String,
    /// The host's short name (`local`, `edge-2`).
    pub name: String,
    pub spec: Arc<HostSpec>,
    timeout: Duration,
    breaker: Arc<Breaker>,
    /// The engine behind the API, as its last `/version` answer said (shared by the clones).
    engine: Arc<std::sync::Mutex<Option<EngineInfo>>>,
}

impl Endpoint {
    /// The client for `spec` (no call made yet). A host that cannot even be addressed (bad
    /// URL, unreadable certificates) is an error naming it.
    pub fn new(spec: &HostSpec, timeout: Duration) -> Result<Self, EngineError> {
        let docker =
            super::transport::connect(spec, timeout).map_err(|e| EngineError::Unreachable {
                host: spec.name.clone(),
                endpoint: spec.url.clone(),
                cause: e.to_string(),
            })?;
        let docker = docker.with_timeout(timeout);
        let mutations = docker.clone().with_timeout(MUTATION_TIMEOUT.max(timeout));
        Ok(Self {
            docker,
            mutations,
            address: spec.url.clone(),
            name: spec.name.clone(),
            spec: Arc::new(spec.clone()),
            timeout,
            breaker: Arc::new(Breaker::default()),
            engine: Arc::default(),
        })
    }

    /// Connects to `spec` and negotiates the API version down to what the daemon speaks,
    /// within `timeout`.
    pub async fn connect(spec: &HostSpec, timeout: Duration) -> Result<Self, EngineError> {
        let endpoint = Self::new(spec, timeout)?;
        endpoint.negotiate().await?;
        Ok(endpoint)
    }

    /// Asks the daemon its `/version`: whether it answers at all, within the timeout, and
    /// which engine it is ([`Endpoint::engine`]). One call: bollard's own negotiation asks the
    /// same `/version` again, and what it negotiates never reaches a request (bollard's paths
    /// carry no version: the daemon speaks its own), while Podman's `/version` is slow (it runs
    /// its runtime and conmon to ask theirs: seconds on a loaded machine). An answer that
    /// cannot be read leaves the engine unknown (logged), the host usable; a refusal is an
    /// error, as before.
    pub async fn negotiate(&self) -> Result<(), EngineError> {
        match self.guarded(self.docker.version()).await {
            Ok(answer) => {
                let info = EngineInfo::detect(&answer);
                log::debug!(
                    "host '{}' ({}) is {}",
                    self.name,
                    self.address,
                    info.short()
                );
                if let Ok(mut engine) = self.engine.lock() {
                    *engine = Some(info);
                }
                Ok(())
            }
            // An answer that is not a `/version` (a refusal has a status): the engine is
            // unknown, the host answers.
            Err(EngineError::Daemon { source, .. }) if status_code(&source).is_none() => {
                log::warn!(
                    "host '{}': which engine it is stays unknown: {source}",
                    self.name
                );
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The engine behind the API, once [`Endpoint::negotiate`] has asked.
    pub fn engine(&self) -> Option<EngineInfo> {
        self.engine.lock().ok().and_then(|e| e.clone())
    }

    /// Whether the host is known to be Podman.
    pub fn is_podman(&self) -> bool {
        self.engine().is_some_and(|e| e.is_podman())
    }

    /// The bollard client, for the action layer's mutations (start, stop, exec, run...): the
    /// one layer above the engine that speaks to the daemon itself. Readers use the methods of
    /// [`Endpoint`] instead. Its calls get a longer timeout (a stop waits out its grace).
    pub(crate) fn client(&self) -> &Docker {
        &self.mutations
    }

    /// How long a read may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Classifies a bollard error: transport failures are "unreachable", answers are "refused".
    pub fn error(&self, source: bollard::errors::Error) -> EngineError {
        if matches!(source, bollard::errors::Error::RequestTimeoutError) {
            self.unreachable(self.no_answer())
        } else if is_transport_error(&source) {
            self.unreachable(cause_of(&source))
        } else {
            EngineError::Daemon {
                host: self.name.clone(),
                endpoint: self.address.clone(),
                source,
            }
        }
    }

    fn no_answer(&self) -> String {
        format!(
            "no answer within {}",
            humantime::format_duration(self.timeout)
        )
    }

    fn unreachable(&self, cause: String) -> EngineError {
        EngineError::Unreachable {
            host: self.name.clone(),
            endpoint: self.address.clone(),
            cause,
        }
    }

    /// Whether the host's breaker lets a call through now: a [`CallPermit`] to hand the call's
    /// outcome to ([`CallPermit::record`]); `Err` names the host, the failures in a row, the
    /// last cause and when the next probe goes. A permit dropped without an outcome (the call
    /// cancelled) gives its probe back: a cancelled call never blocks the host for good.
    pub fn admit(&self) -> Result<CallPermit, EngineError> {
        self.breaker
            .check(Instant::now())
            .map(CallPermit)
            .map_err(|open| self.open_error(&open))
    }

    fn open_error(&self, open: &Open) -> EngineError {
        self.unreachable(format!(
            "{} (failed {} times in a row; not retried for {:.0} s)",
            open.cause,
            open.failures,
            open.retry_in.as_secs_f64().ceil()
        ))
    }

    /// Whether the host's breaker is open (calls fail fast).
    pub fn is_failing_fast(&self) -> bool {
        self.breaker.is_open()
    }

    /// Runs one daemon call through the breaker and within the timeout. Dropped mid-call, the
    /// call counts for nothing (and a probe is given back).
    pub async fn guarded<T>(
        &self,
        call: impl Future<Output = Result<T, bollard::errors::Error>>,
    ) -> Result<T, EngineError> {
        let permit = self.admit()?;
        let result = match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.error(e)),
            Err(_) => Err(self.unreachable(self.no_answer())),
        };
        permit.record(&result);
        result
    }

    /// [`Endpoint::guarded`], made again (a few times, a moment apart) while Podman's answer
    /// holds a container in its passing `stopped` state ([`super::podman::is_passing_state`]).
    async fn guarded_passing<T, F, Fut>(&self, call: F) -> Result<T, EngineError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, bollard::errors::Error>>,
    {
        let mut retries = 0;
        loop {
            match self.guarded(call()).await {
                Err(e)
                    if retries < super::podman::PASSING_STATE_RETRIES
                        && super::podman::is_passing_state(&e) =>
                {
                    retries += 1;
                    log::debug!("host '{}': {e}; asking again", self.name);
                    tokio::time::sleep(Duration::from_millis(20 * u64::from(retries))).await;
                }
                other => return other,
            }
        }
    }

    /// One list call: every container (all states), without details that need an inspect.
    pub async fn list(
        &self,
        filters: &std::collections::HashMap<String, Vec<String>>,
    ) -> Result<Vec<Container>, EngineError> {
        let listed = self.list_with_status(filters, true).await?;
        Ok(listed.into_iter().map(|(c, _)| c).collect())
    }

    /// One list call, each container with the daemon's own status words ("Up 5 minutes
    /// (healthy)", "Exited (3) 2 hours ago"): what `ps` prints without an inspect. `all`
    /// false: the daemon's own "up" list (running, paused, restarting), which costs it half
    /// of a status filter over every container. Podman's differences are handled here: its
    /// status filter's refused states, its `stopped` state, its pods.
    pub async fn list_with_status(
        &self,
        filters: &std::collections::HashMap<String, Vec<String>>,
        all: bool,
    ) -> Result<Vec<(Container, String)>, EngineError> {
        let podman = self.is_podman();
        let filters = if podman {
            match super::podman::list_filters(filters) {
                Some(filters) => filters,
                None => return Ok(Vec::new()),
            }
        } else {
            filters.clone()
        };
        let listed = if !podman && self.speaks_raw() {
            let path = self.list_path(&filters, all);
            self.guarded_passing(|| self.raw_list(&path)).await?
        } else {
            let options = ListContainersOptionsBuilder::default()
                .all(all)
                .filters(&filters)
                .build();
            let summaries = match self
                .guarded_passing(|| self.docker.list_containers(Some(options.clone())))
                .await
            {
                Err(e) if super::podman::is_passing_state(&e) => {
                    self.podman_list(&filters, e).await?
                }
                other => other?,
            };
            summaries.into_iter().map(Listed::from).collect()
        };
        // Podman's list leaves the pod out: its own API says it (one more call).
        let pods = if podman {
            self.pods_or_none().await
        } else {
            super::podman::Pods::default()
        };
        Ok(listed
            .into_iter()
            .filter_map(|s| {
                let status = s.status.clone().unwrap_or_default();
                let mut c = from_listed(s)?;
                c.pod = pods.by_container.get(&c.id).cloned();
                Some((self.stamp(c), status))
            })
            .collect())
    }

    /// Whether plain GETs reach this host (its unix socket or plain tcp, not TLS or ssh).
    pub(crate) fn speaks_raw(&self) -> bool {
        !(self.spec.is_tls() || self.spec.is_ssh()) && super::objects::raw::speaks(&self.address)
    }

    /// `/vX.Y` + `rest`: the API version the daemon said it speaks (else none: the daemon's
    /// own; bollard's client version may be newer than the daemon's, which then refuses).
    pub(crate) fn api_path(&self, rest: &str) -> String {
        match self
            .engine()
            .map(|e| e.api_version)
            .filter(|v| !v.is_empty())
        {
            Some(version) => format!("/v{version}{rest}"),
            None => rest.to_string(),
        }
    }

    /// `/vX.Y/containers/json?all=…&filters=…`.
    fn list_path(
        &self,
        filters: &std::collections::HashMap<String, Vec<String>>,
        all: bool,
    ) -> String {
        let mut query = format!("/containers/json?all={all}");
        if !filters.is_empty() {
            let json = serde_json::to_string(filters).unwrap_or_default();
            query.push_str("&filters=");
            query.push_str(&percent_encoded(&json));
        }
        self.api_path(&query)
    }

    /// The list call as a plain GET, its answer read into [`Listed`] only.
    async fn raw_list(&self, path: &str) -> Result<Vec<Listed>, bollard::errors::Error> {
        let body = super::objects::raw::get_bytes(&self.address, path).await?;
        serde_json::from_slice(&body).map_err(|e| bollard::errors::Error::IOError {
            err: std::io::Error::other(format!("an unreadable container list: {e}")),
        })
    }

    /// Inspects one container; `Ok(None)` when it no longer exists.
    pub async fn inspect(&self, id: &str) -> Result<Option<ContainerInspectResponse>, EngineError> {
        let call = || {
            self.docker
                .inspect_container(id, None::<InspectContainerOptions>)
        };
        match self.guarded_passing(call).await {
            Ok(response) => Ok(Some(response)),
            Err(e) if super::podman::is_passing_state(&e) => self.podman_inspect(id, e).await,
            Err(EngineError::Daemon { source, .. }) if status_code(&source) == Some(404) => {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The daemon's container events (messages about anything else are skipped): from `since`
    /// (Unix seconds) or from now, and, with `until`, ending by itself once the daemon's event
    /// log has been read up to that time; without it the stream follows until dropped.
    pub fn container_events(
        &self,
        since: Option<i64>,
        until: Option<i64>,
    ) -> impl Stream<Item = Result<ContainerEvent, EngineError>> + use<> {
        let filters = std::collections::HashMap::from([("type", vec!["container"])]);
        let mut options = EventsOptionsBuilder::default().filters(&filters);
        if let Some(since) = since {
            options = options.since(&since.to_string());
        }
        // Podman answers nothing to `until`: it is asked for what it has, cut here.
        let podman_until = until.filter(|_| self.is_podman());
        let docker = match podman_until {
            Some(_) => super::podman::without_stream(self.docker.clone()),
            None => {
                if let Some(until) = until {
                    options = options.until(&until.to_string());
                }
                self.docker.clone()
            }
        };
        let endpoint = self.clone();
        docker
            .events(Some(options.build()))
            .filter_map(move |message| {
                let item = match message {
                    Ok(m) => ContainerEvent::from_message(&m)
                        .filter(|event| {
                            podman_until.is_none_or(|until| {
                                event.time.is_none_or(|t| t.timestamp() <= until)
                            })
                        })
                        .map(|mut event| {
                            event.host = endpoint.name.clone();
                            Ok(event)
                        }),
                    Err(e) => Some(Err(endpoint.error(e))),
                };
                std::future::ready(item)
            })
    }

    /// One list call, then the details an inspect alone carries (restart count, OOM flag,
    /// start and finish times), fetched concurrently. Containers gone meanwhile are dropped.
    pub async fn list_detailed(
        &self,
        filters: &std::collections::HashMap<String, Vec<String>>,
    ) -> Result<Vec<Container>, EngineError> {
        let listed = self.list(filters).await?;
        let detailed: Vec<Result<Option<Container>, EngineError>> = stream::iter(listed)
            .map(|mut summary| async move {
                // A container that never ran: the list says all an inspect would (no start,
                // no exit, no restarts, no OOM), so 5,000 created containers cost no inspect.
                if summary.state == RunState::Created && summary.started_at.is_none() {
                    summary.restart_count = Some(0);
                    return Ok(Some(summary));
                }
                Ok(self
                    .inspect(&summary.id.0)
                    .await?
                    .and_then(|inspect| from_inspect(&inspect))
                    .map(|mut c| {
                        c.pod = summary.pod;
                        self.stamp(c)
                    }))
            })
            .buffered(INSPECT_CONCURRENCY)
            .collect()
            .await;
        detailed.into_iter().filter_map(Result::transpose).collect()
    }

    /// Marks a container as this host's.
    pub fn stamp(&self, mut container: Container) -> Container {
        container.host.clone_from(&self.name);
        container
    }
}

/// A call let through a host's breaker ([`Endpoint::admit`]), until its outcome is recorded.
#[derive(Debug)]
#[must_use = "record the call's outcome; a permit dropped unrecorded counts for nothing"]
pub struct CallPermit(Permit);

impl CallPermit {
    /// Records the call's outcome: a transport failure counts against the host, anything else
    /// closes its breaker.
    pub fn record<T>(self, result: &Result<T, EngineError>) {
        match result {
            Err(EngineError::Unreachable { cause, .. }) => self.0.failure(cause, Instant::now()),
            _ => self.0.success(),
        }
    }
}

/// A transport error's cause: the innermost reason under bollard's and hyper's wrappers
/// ("Connection refused (os error 111)", "No such file or directory (os error 2)"), or the
/// error's own text when it wraps nothing.
pub fn cause_of(error: &bollard::errors::Error) -> String {
    let mut cause = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        let text = inner.to_string();
        if !text.is_empty() {
            cause = text;
        }
        source = inner.source();
    }
    cause
}

/// `text` for a URL's query: every byte but unreserved ones percent-encoded.
pub(crate) fn percent_encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::super::breaker::{COOL_DOWN, THRESHOLD};
    use super::*;

    /// A call that never answers (a daemon that hangs, a log stream that never ends).
    fn hangs() -> impl Future<Output = Result<(), bollard::errors::Error>> {
        std::future::pending()
    }

    #[tokio::test]
    async fn a_probe_dropped_mid_call_leaves_the_host_usable() {
        let spec =
            HostSpec::from_url("tcp://127.0.0.1:9", "test").expect("a unix socket URL is a host");
        let endpoint =
            Endpoint::new(&spec, Duration::from_millis(20)).expect("a client for a tcp address");
        for _ in 0..THRESHOLD {
            let result = endpoint.guarded(hangs()).await;
            assert!(matches!(result, Err(EngineError::Unreachable { .. })));
        }
        assert!(
            endpoint.is_failing_fast(),
            "open after {THRESHOLD} timeouts"
        );
        tokio::time::sleep(COOL_DOWN).await;

        // The probe goes out and is cancelled mid-call (polled once, then dropped).
        assert!(endpoint.guarded(hangs()).now_or_never().is_none());

        // The next call is the probe now: it runs, and its answer closes the breaker.
        let answer = endpoint.guarded(async { Ok(7) }).await;
        assert_eq!(answer.ok(), Some(7), "the host is usable again");
        assert!(!endpoint.is_failing_fast());
    }
}
