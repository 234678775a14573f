//! One plain `GET` to the daemon: for the disk-usage call, whose answer bollard reads only in
//! API 1.52's shape (`ImageUsage`...), losing an older daemon's (`LayersSize`, `Images`, ...),
//! and for the container list, read into only the fields fleetdeck keeps (bollard's summary
//! holds every network's endpoint settings: 14 MB at the peak of a 5,000-container list, for
//! nothing shown). Over the unix socket and plain tcp; other transports (TLS, ssh) go through
//! bollard's calls.

use std::pin::Pin;

use hyper::body::Body;
use hyper_util::rt::TokioIo;

/// Why a raw call failed: the transport (`Unreachable`) or the daemon's answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RawError {
    #[error("{0}")]
    Transport(String),
    #[error("the daemon answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("unsupported address {0}")]
    Unsupported(String),
}

/// Whether `url` is a transport this module speaks.
pub(crate) fn speaks(url: &str) -> bool {
    url.starts_with("unix://") || url.starts_with("tcp://") || url.starts_with("http://")
}

/// `GET path` (with its `/vX.Y` prefix) on the daemon at `url`; the answer's JSON.
pub(crate) async fn get_json(url: &str, path: &str) -> Result<serde_json::Value, RawError> {
    let body = get_bytes(url, path).await?;
    serde_json::from_slice(&body)
        .map_err(|e| RawError::Transport(format!("unreadable answer: {e}")))
}

/// `GET path` on the daemon at `url`; the answer's body, a success's only.
pub(crate) async fn get_bytes(url: &str, path: &str) -> Result<Vec<u8>, RawError> {
    let transport = |e: &dyn std::fmt::Display| RawError::Transport(e.to_string());
    let (status, body) = if let Some(socket) = url.strip_prefix("unix://") {
        let stream = tokio::net::UnixStream::connect(socket)
            .await
            .map_err(|e| transport(&e))?;
        exchange(stream, "localhost", path).await?
    } else if let Some(addr) = url
        .strip_prefix("tcp://")
        .or_else(|| url.strip_prefix("http://"))
    {
        let addr = addr.trim_end_matches('/');
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| transport(&e))?;
        exchange(stream, addr, path).await?
    } else {
        return Err(RawError::Unsupported(url.to_string()));
    };
    if !(200..300).contains(&status) {
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v.get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
        return Err(RawError::Status { status, message });
    }
    Ok(body)
}

impl From<RawError> for bollard::errors::Error {
    /// As bollard says it: the daemon's answer a server error, the rest an I/O error.
    fn from(e: RawError) -> Self {
        match e {
            RawError::Status { status, message } => {
                bollard::errors::Error::DockerResponseServerError {
                    status_code: status,
                    message,
                }
            }
            other => bollard::errors::Error::IOError {
                err: std::io::Error::other(other.to_string()),
            },
        }
    }
}

/// One HTTP/1 request on `stream`; the status and the whole body.
async fn exchange<S>(stream: S, host: &str, path: &str) -> Result<(u16, Vec<u8>), RawError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let transport = |e: &dyn std::fmt::Display| RawError::Transport(e.to_string());
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| transport(&e))?;
    let driver = tokio::spawn(connection);
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, host)
        .body(String::new())
        .map_err(|e| transport(&e))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| transport(&e))?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame = frame.map_err(|e| transport(&e))?;
        if let Ok(data) = frame.into_data() {
            bytes.extend_from_slice(&data);
        }
    }
    driver.abort();
    Ok((status, bytes))
}
