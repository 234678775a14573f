//! The bollard client for a host's URL: a unix socket, plain tcp, tcp with TLS (verified
//! against the host's CA, or not when `tls_verify = false` says so by name), or ssh.
//!
//! TLS and ssh are fleetdeck's own transports under bollard's custom-transport hook, not
//! bollard's `ssl` and `ssh` features:
//! - TLS ([`tls`]): the certificate files are read and checked when the client is made, so a
//!   missing or unreadable file is an error naming it (bollard's resolver sends no client
//!   certificate instead, and the daemon's refusal names nothing); the daemon is checked
//!   against the host's CA alone, as the docker CLI does for a context's CA; and
//!   `tls_verify = false` needs a verifier of our own, which bollard has no hook for.
//! - ssh ([`ssh`]): the system's `ssh` runs `docker system dial-stdio`, as the docker CLI does.
//!   bollard's transport (the openssh crate) drops the port of `ssh://user@host:PORT` (it
//!   hands `user@host:PORT` to ssh as the host name), starts a control master per connection
//!   and accepts unknown host keys (`StrictHostKeyChecking=accept-new`) into `~/.ssh`.

mod error;
mod ssh;
mod tls;
mod watched;

pub(crate) use error::TransportError;

use bollard::{API_DEFAULT_VERSION, BollardRequest, Docker};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::Connect;
use hyper_util::rt::TokioExecutor;

use super::host::HostSpec;

/// The client for `spec`; the error names what is wrong (the scheme, a certificate file).
pub(crate) fn connect(
    spec: &HostSpec,
    timeout: std::time::Duration,
) -> Result<Docker, TransportError> {
    let secs = timeout.as_secs().max(1);
    let url = spec.url.as_str();
    if let Some(path) = url.strip_prefix("unix://") {
        return Ok(Docker::connect_with_unix(path, secs, API_DEFAULT_VERSION)?);
    }
    if spec.is_ssh() {
        return ssh::client(spec, secs);
    }
    if spec.is_tls() {
        return tls::client(spec, secs);
    }
    if url.starts_with("tcp://") || url.starts_with("http://") {
        return Ok(Docker::connect_with_http(url, secs, API_DEFAULT_VERSION)?);
    }
    Err(TransportError::Unsupported {
        url: url.to_string(),
    })
}

/// A hyper client over `connector`, pooling its connections.
fn pooled<C, B>(connector: C) -> Client<C, B>
where
    C: Connect + Clone,
    B: hyper::body::Body + Send,
    B::Data: Send,
{
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(std::time::Duration::from_secs(30))
        .build(connector)
}

/// A bollard client whose requests go to `address` (`https://host:port`) through a pool of
/// `connector`'s connections; a failed request's cause is `explain`'s reading of it, when it
/// has one.
fn custom<C>(
    connector: C,
    address: &str,
    secs: u64,
    explain: impl Fn(&hyper_util::client::legacy::Error) -> Option<String> + Send + Sync + 'static,
) -> Result<Docker, TransportError>
where
    C: Connect + Clone + Send + Sync + 'static,
{
    let client = std::sync::Arc::new(pooled(connector));
    let explain = std::sync::Arc::new(explain);
    Docker::connect_with_custom_transport(
        move |request: BollardRequest| {
            let client = client.clone();
            let explain = explain.clone();
            async move {
                client
                    .request(request)
                    .await
                    .map_err(|e| match explain(&e) {
                        Some(cause) => bollard::errors::Error::from(std::io::Error::other(cause)),
                        None => bollard::errors::Error::from(e),
                    })
            }
        },
        Some(address),
        secs,
        API_DEFAULT_VERSION,
    )
    .map_err(TransportError::from)
}
