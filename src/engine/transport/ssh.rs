//! ssh to a host, as the docker CLI does it: each connection is the system's `ssh` running
//! `docker system dial-stdio` on the host, its stdin and stdout the connection. `ssh` runs with
//! `BatchMode=yes` (never a prompt: fleetdeck may own the terminal), `ConnectTimeout` from the
//! host's timeout, `-p` / `-l` from the URL, `-i` from the host's `ssh_key`, and everything
//! else (known hosts, jump hosts, agents) from the user's own ssh configuration. A connection
//! that fails is read back from what `ssh` wrote on stderr ("Permission denied (publickey)",
//! "Host key verification failed").
//!
//! Connections are pooled; at most [`STARTING`] requests wait for an answer at once, so that a
//! burst (an inspect per container) starts few ssh sessions at a time (sshd drops
//! unauthenticated connections past its `MaxStartups`, 10 by default).

use std::ffi::OsString;
use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, BollardRequest, Docker};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout};
use tokio::sync::{Semaphore, oneshot, watch};

use super::TransportError;
use super::error::SshUrlError;
use crate::engine::host::HostSpec;

/// How many requests may wait for their answer at once (each may be starting an ssh session).
const STARTING: usize = 8;
/// How much of an ssh's stderr is kept for its error.
const STDERR_KEPT: usize = 4096;
/// How long a failed request waits for the ssh that failed to say why.
const WHY_WAIT: Duration = Duration::from_secs(2);

/// Where an `ssh://[user@]host[:port]` URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Destination {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
}

impl Destination {
    pub fn parse(url: &str) -> Result<Self, SshUrlError> {
        let at = || url.to_string();
        let rest = url
            .strip_prefix("ssh://")
            .ok_or_else(|| SshUrlError::NotSsh { url: at() })?;
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#']) {
            return Err(SshUrlError::Path { url: at() });
        }
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((user, rest)) if !user.is_empty() => (Some(user.to_string()), rest),
            Some(_) => return Err(SshUrlError::EmptyUser { url: at() }),
            None => (None, authority),
        };
        let (host, port) = match host_port.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6
                    .split_once(']')
                    .ok_or_else(|| SshUrlError::Unclosed { url: at() })?;
                (host, after.strip_prefix(':'))
            }
            None => match host_port.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            },
        };
        if host.is_empty() || host.starts_with('-') {
            return Err(SshUrlError::NoHost { url: at() });
        }
        let port = port
            .map(|p| {
                p.parse::<u16>().map_err(|_| SshUrlError::Port {
                    url: at(),
                    port: p.to_string(),
                })
            })
            .transpose()?;
        Ok(Self {
            user,
            host: host.to_string(),
            port,
        })
    }
}

/// The arguments of `ssh` for one connection to `spec`'s host.
pub(super) fn arguments(spec: &HostSpec, to: &Destination, secs: u64) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-o", "BatchMode=yes", "-T"]
        .into_iter()
        .map(OsString::from)
        .collect();
    args.push("-o".into());
    args.push(format!("ConnectTimeout={secs}").into());
    if let Some(user) = &to.user {
        args.push("-l".into());
        args.push(user.into());
    }
    if let Some(port) = to.port {
        args.push("-p".into());
        args.push(port.to_string().into());
    }
    if let Some(key) = &spec.ssh_key {
        args.push("-i".into());
        args.push(key.into());
        args.push("-o".into());
        args.push("IdentitiesOnly=yes".into());
    }
    args.push("--".into());
    args.push((&to.host).into());
    for word in ["docker", "system", "dial-stdio"] {
        args.push(word.into());
    }
    args
}

/// The client for an ssh host.
pub(super) fn client(spec: &HostSpec, secs: u64) -> Result<Docker, TransportError> {
    let to = Destination::parse(&spec.url)?;
    if let Some(key) = &spec.ssh_key
        && let Err(e) = std::fs::metadata(key)
    {
        return Err(TransportError::SshKey {
            path: key.clone(),
            source: e,
        });
    }
    let (failed, _) = watch::channel(Failure::default());
    let connector = DialStdio {
        args: Arc::new(arguments(spec, &to, secs)),
        failed: failed.clone(),
    };
    let client = Arc::new(super::pooled(connector));
    let starting = Arc::new(Semaphore::new(STARTING));
    Docker::connect_with_custom_transport(
        move |request: BollardRequest| {
            let client = client.clone();
            let starting = starting.clone();
            let mut failures = failed.subscribe();
            async move {
                let seen = failures.borrow_and_update().count;
                let permit = starting.acquire_owned().await;
                let answer = client.request(request).await;
                drop(permit);
                let error = match answer {
                    Ok(response) => return Ok(response),
                    Err(e) => e,
                };
                match why(&mut failures, seen).await {
                    Some(why) => Err(bollard::errors::Error::from(io::Error::other(why))),
                    None => Err(bollard::errors::Error::from(error)),
                }
            }
        },
        // The daemon reads no Host header from dial-stdio; any name does.
        Some("http://docker"),
        secs,
        API_DEFAULT_VERSION,
    )
    .map_err(TransportError::from)
}

/// What the latest ssh that failed wrote, once one after the `seen`th has.
async fn why(failures: &mut watch::Receiver<Failure>, seen: u64) -> Option<String> {
    let waited = tokio::time::timeout(WHY_WAIT, failures.wait_for(|f| f.count > seen)).await;
    match waited {
        Ok(Ok(failure)) => Some(failure.text.clone()),
        _ => None,
    }
}

/// The ssh sessions that ended in failure: how many so far, and the last one's words.
#[derive(Debug, Clone, Default)]
struct Failure {
    count: u64,
    text: String,
}

/// Starts `ssh ... docker system dial-stdio` for each new connection.
#[derive(Clone)]
struct DialStdio {
    args: Arc<Vec<OsString>>,
    failed: watch::Sender<Failure>,
}

impl tower_service::Service<hyper::Uri> for DialStdio {
    type Response = TokioIo<SshPipe>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: hyper::Uri) -> Self::Future {
        let started = self.start();
        Box::pin(async move { started })
    }
}

impl DialStdio {
    fn start(&self) -> io::Result<TokioIo<SshPipe>> {
        let mut child = tokio::process::Command::new("ssh")
            .args(self.args.iter())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot run ssh: {e}")))?;
        let pipe = |what: &str| io::Error::other(format!("ssh's {what} is not a pipe"));
        let stdin = child.stdin.take().ok_or_else(|| pipe("stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| pipe("stdout"))?;
        let stderr = child.stderr.take().ok_or_else(|| pipe("stderr"))?;
        let (dropped, gone) = oneshot::channel();
        tokio::spawn(watch_ssh(child, stderr, gone, self.failed.clone()));
        Ok(TokioIo::new(SshPipe {
            stdin: Some(stdin),
            stdout,
            _dropped: dropped,
        }))
    }
}

/// Keeps an ssh's stderr until it ends, and records its words when it failed (exited non-zero
/// by itself); ends it when its connection is dropped first. The connection is often dropped
/// because ssh failed (its stdout closed): what it wrote is still read and recorded then.
async fn watch_ssh(
    mut child: Child,
    stderr: ChildStderr,
    gone: oneshot::Receiver<()>,
    failed: watch::Sender<Failure>,
) {
    let reading = tokio::spawn(read_kept(stderr));
    tokio::select! {
        _ = child.wait() => {}
        _ = gone => {
            let _ = child.start_kill();
        }
    }
    let status = child.wait().await;
    let kept = match tokio::time::timeout(WHY_WAIT, reading).await {
        Ok(Ok(kept)) => kept,
        _ => Vec::new(),
    };
    // Killed here (no exit code), or done: nothing to tell.
    let Some(code) = status.ok().and_then(|s| s.code()).filter(|&c| c != 0) else {
        return;
    };
    let text = String::from_utf8_lossy(&kept);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut text = if lines.is_empty() {
        format!("ssh exited with {code}")
    } else {
        format!("ssh: {}", lines.join(" "))
    };
    if text.contains("Host key verification failed") {
        // BatchMode never asks: the key is to be checked and accepted by the user, once.
        text.push_str(" (check and accept the host's key once with a plain `ssh` to it)");
    }
    failed.send_modify(|f| {
        f.count += 1;
        f.text = text;
    });
}

/// The first [`STDERR_KEPT`] bytes of what an ssh writes on stderr, read to its end.
async fn read_kept(mut stderr: ChildStderr) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut chunk = [0u8; 1024];
    while let Ok(n @ 1..) = stderr.read(&mut chunk).await {
        let room = STDERR_KEPT.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..n.min(room)]);
    }
    kept
}

/// One connection: ssh's stdin and stdout. Dropping it ends the ssh.
struct SshPipe {
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    _dropped: oneshot::Sender<()>,
}

impl AsyncRead for SshPipe {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stdout).poll_read(cx, buf)
    }
}

impl AsyncWrite for SshPipe {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut().stdin.as_mut() {
            Some(stdin) => Pin::new(stdin).poll_write(cx, buf),
            None => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().stdin.as_mut() {
            Some(stdin) => Pin::new(stdin).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Closes ssh's stdin: the write half of the connection.
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        drop(self.get_mut().stdin.take());
        Poll::Ready(Ok(()))
    }
}

impl Connection for SshPipe {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn urls_give_user_host_and_port() {
        let parse = Destination::parse;
        assert_eq!(
            parse("ssh://root@127.0.0.1:2222"),
            Ok(Destination {
                user: Some("root".into()),
                host: "127.0.0.1".into(),
                port: Some(2222)
            })
        );
        assert_eq!(
            parse("ssh://edge/"),
            Ok(Destination {
                user: None,
                host: "edge".into(),
                port: None
            })
        );
        assert_eq!(
            parse("ssh://ops@[::1]:22").map(|d| (d.host, d.port)),
            Ok(("::1".to_string(), Some(22)))
        );
        assert!(parse("ssh://edge:http").is_err());
        assert!(parse("ssh://edge/var/run/docker.sock").is_err());
        assert!(parse("ssh://-oProxyCommand=x").is_err());
        assert!(parse("ssh://@edge").is_err());
    }

    #[test]
    fn ssh_gets_the_port_the_user_the_key_and_no_prompt() {
        let mut spec = HostSpec::from_url("ssh://root@127.0.0.1:2222", "test").expect("url");
        spec.ssh_key = Some("/keys/id_ed25519".into());
        let to = Destination::parse(&spec.url).expect("ssh url");
        let args = words(&arguments(&spec, &to, 5));
        assert_eq!(
            args.join(" "),
            "-o BatchMode=yes -T -o ConnectTimeout=5 -l root -p 2222 -i /keys/id_ed25519 \
             -o IdentitiesOnly=yes -- 127.0.0.1 docker system dial-stdio"
        );
        let plain = HostSpec::from_url("ssh://edge", "test").expect("url");
        let to = Destination::parse(&plain.url).expect("ssh url");
        assert_eq!(
            words(&arguments(&plain, &to, 5)).join(" "),
            "-o BatchMode=yes -T -o ConnectTimeout=5 -- edge docker system dial-stdio"
        );
    }
}
