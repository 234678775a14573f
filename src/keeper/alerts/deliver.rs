//! Delivering one alert to one sink: a webhook (an HTTP or HTTPS POST of the body, hyper's
//! pooled client, the system's trusted roots) or a command (the body on its stdin; exit 0 is
//! delivered). Each attempt is bounded by the rule's `timeout` (a sink that hangs is an
//! attempt that failed); a failed one is retried after 1 s, doubling up to 60 s, until the
//! rule's `give_up_after` has passed, and the alert is then recorded as undelivered. Every
//! attempt's outcome goes to the store and the decision log.

use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use super::alert::Body;
use crate::keeper::log::DecisionLog;
use crate::store::{AlertUpdate, DeliveryState, StoreWriter};

/// The first retry's wait; each further one doubles it.
pub const RETRY_FIRST: Duration = Duration::from_secs(1);
/// The longest wait between two attempts.
pub const RETRY_MAX: Duration = Duration::from_secs(60);
/// Bytes of a sink's answer kept (the status line's body, a command's output).
const ANSWER_BYTES: usize = 512;

/// The webhook client: http and https, connections pooled.
pub type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The client every webhook of a keeper shares.
pub fn http_client() -> HttpClient {
    let provider = rustls::crypto::ring::default_provider();
    let builder = match HttpsConnectorBuilder::new().with_provider_and_native_roots(provider) {
        Ok(b) => b,
        Err(e) => {
            log::warn!(
                "alerts: no trusted certificates found ({e}): https webhooks cannot be verified"
            );
            let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map(|b| {
                b.with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth()
            });
            match config {
                Ok(config) => HttpsConnectorBuilder::new().with_tls_config(config),
                // ring supports the default versions: not reached.
                Err(_) => HttpsConnectorBuilder::new().with_tls_config(
                    rustls::ClientConfig::builder()
                        .with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth(),
                ),
            }
        }
    };
    let connector = builder.https_or_http().enable_http1().build();
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector)
}

/// Where an alert goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    Webhook(String),
    /// The program and its arguments.
    Command(Vec<String>),
}

impl Sink {
    /// `webhook` or `command`.
    pub fn word(&self) -> &'static str {
        match self {
            Self::Webhook(_) => "webhook",
            Self::Command(_) => "command",
        }
    }
}

impl std::fmt::Display for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Webhook(url) => write!(f, "webhook {url}"),
            Self::Command(argv) => write!(f, "command {}", argv.join(" ")),
        }
    }
}

/// The sinks of `rule`: its webhook, then its command.
pub fn sinks(rule: &crate::config::alerts::AlertRule) -> Vec<Sink> {
    let mut sinks = Vec::new();
    if let Some(url) = &rule.webhook {
        sinks.push(Sink::Webhook(url.0.clone()));
    }
    if !rule.command.is_empty() {
        sinks.push(Sink::Command(rule.command.clone()));
    }
    sinks
}

/// Why one attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("cannot make the request to {url}: {why}")]
    Request { url: String, why: String },
    #[error("{url}: {why}")]
    Http { url: String, why: String },
    #[error("{url} answered {status}{body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error("no answer within {}", humantime::format_duration(*.0))]
    Timeout(Duration),
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{program} {how}{output}")]
    Exit {
        program: String,
        how: String,
        output: String,
    },
    #[error("{program}: {source}")]
    Io {
        program: String,
        #[source]
        source: std::io::Error,
    },
}

/// An error and its causes, in one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Up to [`ANSWER_BYTES`] of `bytes` as text (`": TEXT"`), or nothing.
fn answer_text(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(ANSWER_BYTES)];
    let lossy = String::from_utf8_lossy(cut);
    let text = crate::sanitize::printable(lossy.trim());
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// One attempt: what the sink answered, or why it failed. Bounded by `timeout`.
pub async fn attempt(
    sink: &Sink,
    body: &Body,
    timeout: Duration,
    client: &HttpClient,
) -> Result<String, DeliveryError> {
    let work = async {
        match sink {
            Sink::Webhook(url) => post(url, body, client).await,
            Sink::Command(argv) => run(argv, body).await,
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| DeliveryError::Timeout(timeout))?
}

async fn post(url: &str, body: &Body, client: &HttpClient) -> Result<String, DeliveryError> {
    let request = hyper::Request::post(url)
        .header(hyper::header::CONTENT_TYPE, body.content_type)
        .header(
            hyper::header::USER_AGENT,
            concat!("fleetdeck/", env!("CARGO_PKG_VERSION")),
        )
        .body(Full::new(Bytes::from(body.bytes.clone())))
        .map_err(|e| DeliveryError::Request {
            url: url.to_string(),
            why: e.to_string(),
        })?;
    let response = client
        .request(request)
        .await
        .map_err(|e| DeliveryError::Http {
            url: url.to_string(),
            why: chain(&e),
        })?;
    let status = response.status();
    let mut incoming = response.into_body();
    let mut kept = Vec::new();
    while kept.len() < ANSWER_BYTES {
        match incoming.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    kept.extend_from_slice(data);
                }
            }
            _ => break,
        }
    }
    let text = answer_text(&kept);
    if status.is_success() {
        Ok(format!("{status}{text}"))
    } else {
        Err(DeliveryError::Status {
            url: url.to_string(),
            status: status.as_u16(),
            body: text,
        })
    }
}

/// Reads all of `reader`, keeping the first [`ANSWER_BYTES`].
async fn read_capped(mut reader: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = reader.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = ANSWER_BYTES.saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    kept
}

async fn run(argv: &[String], body: &Body) -> Result<String, DeliveryError> {
    let program = argv.first().cloned().unwrap_or_default();
    let mut child = tokio::process::Command::new(&program)
        .args(argv.iter().skip(1))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| DeliveryError::Spawn {
            program: program.clone(),
            source,
        })?;
    let stdin = child.stdin.take();
    let bytes = body.bytes.clone();
    let feed = async move {
        if let Some(mut stdin) = stdin {
            // A command that does not read its stdin is its own business.
            let _ = stdin.write_all(&bytes).await;
            let _ = stdin.shutdown().await;
        }
    };
    let out = child.stdout.take();
    let err = child.stderr.take();
    let read = |r: Option<_>| async move {
        match r {
            Some(r) => read_capped(r).await,
            None => Vec::new(),
        }
    };
    let ((), stdout, stderr) = tokio::join!(
        feed,
        read(out.map(|o| Box::new(o) as Box<dyn AsyncRead + Unpin + Send>)),
        read(err.map(|e| Box::new(e) as Box<dyn AsyncRead + Unpin + Send>))
    );
    let status = child.wait().await.map_err(|source| DeliveryError::Io {
        program: program.clone(),
        source,
    })?;
    let output = if stdout.is_empty() { stderr } else { stdout };
    if status.success() {
        return Ok(format!("exit 0{}", answer_text(&output)));
    }
    let how = match status.code() {
        Some(code) => format!("exited {code}"),
        None => "was killed by a signal".to_string(),
    };
    Err(DeliveryError::Exit {
        program,
        how,
        output: answer_text(&output),
    })
}

/// The wait after failed attempt number `attempt` (1 s, 2 s, 4 s, ... at most 60 s).
pub fn retry_delay(attempt: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1).min(31))
        .unwrap_or(u32::MAX);
    RETRY_FIRST
        .checked_mul(factor)
        .unwrap_or(RETRY_MAX)
        .min(RETRY_MAX)
}

/// One alert for one sink, to be delivered.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The store row's key.
    pub key: String,
    pub rule: String,
    /// The container's name (or empty), for the decision log.
    pub subject: String,
    pub sink: Sink,
    pub body: Body,
    pub timeout: Duration,
    pub give_up_after: Duration,
}

/// Where a delivery reports.
#[derive(Debug, Clone)]
pub struct Reports {
    pub store: Option<StoreWriter>,
    pub log: DecisionLog,
}

impl Reports {
    fn record(
        &self,
        key: &str,
        state: DeliveryState,
        attempts: u32,
        outcome: &Result<String, DeliveryError>,
    ) {
        if let Some(store) = &self.store {
            // The store keeps the answer and the error as text.
            let (error, answer) = match outcome {
                Ok(a) => (None, Some(a.clone())),
                Err(e) => (Some(e.to_string()), None),
            };
            store.record_alert_state(AlertUpdate {
                key: key.to_string(),
                state,
                attempts,
                error,
                answer,
                time: Utc::now(),
            });
        }
    }
}

/// Delivers `d`, retrying, until it is delivered or given up.
pub async fn deliver(d: Delivery, client: HttpClient, reports: Reports) {
    let start = Instant::now();
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let outcome = attempt(&d.sink, &d.body, d.timeout, &client).await;
        let extra = |more: serde_json::Value| {
            let mut v = json!({ "rule": d.rule, "sink": d.sink.word(), "attempts": attempts });
            if let (Some(v), serde_json::Value::Object(more)) = (v.as_object_mut(), more) {
                v.extend(more);
            }
            v
        };
        let error = match &outcome {
            Ok(answer) => {
                reports.record(&d.key, DeliveryState::Delivered, attempts, &outcome);
                reports.log.log(
                    "alert_delivered",
                    &d.subject,
                    None,
                    &format!("{} answered {answer}", d.sink),
                    extra(json!({ "answer": answer })),
                );
                return;
            }
            Err(e) => e.to_string(),
        };
        let wait = retry_delay(attempts);
        if start.elapsed() + wait > d.give_up_after {
            reports.record(&d.key, DeliveryState::Undelivered, attempts, &outcome);
            reports.log.log(
                "alert_undelivered",
                &d.subject,
                None,
                &format!("{}: gave up after {attempts} attempt(s): {error}", d.sink),
                extra(json!({ "error": error })),
            );
            return;
        }
        reports.record(&d.key, DeliveryState::Pending, attempts, &outcome);
        reports.log.log(
            "alert_retry",
            &d.subject,
            None,
            &format!(
                "{}: {error}; again in {}",
                d.sink,
                humantime::format_duration(wait)
            ),
            extra(json!({ "error": error })),
        );
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_one_second_to_a_minute() {
        let delays: Vec<u64> = (1..=9).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(retry_delay(1000), RETRY_MAX);
    }

    #[tokio::test]
    async fn a_command_gets_the_body_on_stdin() {
        let body = Body {
            bytes: b"{\"rule\":\"r\"}".to_vec(),
            content_type: "application/json",
        };
        let client = http_client();
        let sink = Sink::Command(vec!["sh".into(), "-c".into(), "cat".into()]);
        let answer = attempt(&sink, &body, Duration::from_secs(10), &client)
            .await
            .expect("cat succeeds");
        assert_eq!(answer, "exit 0: {\"rule\":\"r\"}");
        let failing = Sink::Command(vec!["sh".into(), "-c".into(), "echo no >&2; exit 4".into()]);
        let err = attempt(&failing, &body, Duration::from_secs(10), &client)
            .await
            .expect_err("exit 4");
        assert_eq!(err.to_string(), "sh exited 4: no");
        let hangs = Sink::Command(vec!["sleep".into(), "30".into()]);
        let err = attempt(&hangs, &body, Duration::from_millis(200), &client)
            .await
            .expect_err("too slow");
        assert!(matches!(err, DeliveryError::Timeout(_)), "{err}");
        let missing = Sink::Command(vec!["/nonexistent/prog".into()]);
        let err = attempt(&missing, &body, Duration::from_secs(10), &client)
            .await
            .expect_err("no such program");
        assert!(
            err.to_string().starts_with("cannot run /nonexistent/prog"),
            "{err}"
        );
    }
}
