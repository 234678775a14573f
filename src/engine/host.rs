//! Hosts: where each daemon is and how to reach it. A [`HostSpec`] comes from `--host`
//! (`URL` or `NAME=URL`, repeatable), `--context NAME` (the docker CLI's contexts, repeatable),
//! `[[hosts]]` in the config, `DOCKER_HOST` (with `DOCKER_TLS_VERIFY` / `DOCKER_CERT_PATH`), the
//! docker CLI's current context, or the local socket, in that order of precedence: the first
//! of these that names any host names them all. Each host has a short name, shown in the HOST
//! column and written in targets (`web-1@edge-2`).

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::model::LOCAL_HOST;

/// The address used when nothing names a host.
pub const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// How long a daemon call may take before the host counts as not answering, unless
/// `--timeout` or `[hosts] timeout` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The client certificate files of a TLS host: `ca.pem`, `cert.pem` and `key.pem`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// The three files in a directory, named as the docker CLI names them.
    pub fn in_dir(dir: &std::path::Path) -> Self {
        Self {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }
}

/// One daemon to talk to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    /// The short name (HOST column, `NAME@HOST` targets, `host` in `--json`).
    pub name: String,
    /// `unix:///path`, `tcp://host:port`, `ssh://user@host[:port]`.
    pub url: String,
    /// TLS for a `tcp://` host: the files, when it is a TLS host.
    pub tls: Option<TlsFiles>,
    /// Whether the daemon's certificate is checked against `tls.ca` (on unless turned off by
    /// name: `tls_verify = false`, warned on every start).
    pub tls_verify: bool,
    /// The private key an `ssh://` host logs in with (else ssh's own configuration).
    pub ssh_key: Option<PathBuf>,
    /// Where the host was named (`--host`, `DOCKER_HOST`, `context edge`, `config`), for errors.
    pub origin: String,
}

/// Why a host could not be named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    #[error("bad host '{text}': {why}")]
    Bad { text: String, why: String },
    #[error("docker context '{name}': {why}")]
    Context { name: String, why: String },
}

impl HostSpec {
    /// A host from its URL, named after it: `local` for a unix socket, the host part of a
    /// `tcp://` or `ssh://` URL.
    pub fn from_url(url: &str, origin: &str) -> Result<Self, HostError> {
        let bad = |why: &str| HostError::Bad {
            text: url.to_string(),
            why: why.to_string(),
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            bad("expected unix://PATH, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]")
        })?;
        let name = match scheme {
            "unix" | "npipe" => {
                if rest.is_empty() {
                    return Err(bad("no socket path"));
                }
                LOCAL_HOST.to_string()
            }
            "tcp" | "http" | "https" | "ssh" => {
                let authority = rest.split('/').next().unwrap_or_default();
                let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                let host = match host_port.strip_prefix('[') {
                    Some(v6) => v6.split_once(']').map_or(v6, |(h, _)| h),
                    None => host_port.split(':').next().unwrap_or_default(),
                };
                if host.is_empty() {
                    return Err(bad("no host name"));
                }
                host.to_string()
            }
            other => return Err(bad(&format!("unknown scheme '{other}'"))),
        };
        Ok(Self {
            name,
            url: url.to_string(),
            tls: None,
            tls_verify: true,
            ssh_key: None,
            origin: origin.to_string(),
        })
    }

    /// `--host URL` or `--host NAME=URL`.
    pub fn from_flag(text: &str) -> Result<Self, HostError> {
        match text.split_once('=') {
            Some((name, url)) if !name.contains("://") => {
                check_name(name).map_err(|why| HostError::Bad {
                    text: text.to_string(),
                    why: why.to_string(),
                })?;
                let mut spec = Self::from_url(url, "--host")?;
                spec.name = name.to_string();
                Ok(spec)
            }
            _ => Self::from_url(text, "--host"),
        }
    }

    /// The local Docker socket (`FLEETDECK_DOCKER_SOCKET`, else [`DEFAULT_SOCKET`]), named
    /// `local`. When nothing names a host, [`super::discover::local_host`] picks between it
    /// and a Podman socket.
    pub fn local() -> Self {
        Self {
            name: LOCAL_HOST.to_string(),
            url: format!("unix://{}", super::discover::docker_socket().display()),
            tls: None,
            tls_verify: true,
            ssh_key: None,
            origin: "default".to_string(),
        }
    }

    /// Whether this host is reached over ssh.
    pub fn is_ssh(&self) -> bool {
        self.url.starts_with("ssh://")
    }

    /// Whether this host is reached over TLS: an `https://` host, or a `tcp://` host with
    /// certificate files or with `tls_verify = false` (`http://` is plain, always).
    pub fn is_tls(&self) -> bool {
        self.url.starts_with("https://")
            || (self.url.starts_with("tcp://") && (self.tls.is_some() || !self.tls_verify))
    }

    /// Whether the daemon's TLS certificate goes unchecked (`tls_verify = false`, warned).
    pub fn skips_verification(&self) -> bool {
        self.is_tls() && !self.tls_verify
    }
}

/// Why a host name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostNameError {
    #[error("empty host name")]
    Empty,
    #[error("host name '{name}' holds '{bad}': use letters, digits, '.', '_' and '-'")]
    Character { name: String, bad: String },
}

/// A host name: letters, digits, `.`, `_` and `-` (it is written after `@` in targets).
pub fn check_name(name: &str) -> Result<(), HostNameError> {
    if name.is_empty() {
        return Err(HostNameError::Empty);
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(HostNameError::Character {
            name: name.to_string(),
            bad: bad.escape_default().to_string(),
        });
    }
    Ok(())
}

/// Gives hosts that share a name distinct ones (`edge`, `edge-2`, ...).
pub fn dedupe_names(hosts: &mut [HostSpec]) {
    let mut seen: Vec<String> = Vec::new();
    for host in hosts.iter_mut() {
        if seen.contains(&host.name) {
            let mut n = 2;
            while seen.contains(&format!("{}-{n}", host.name)) {
                n += 1;
            }
            host.name = format!("{}-{n}", host.name);
        }
        seen.push(host.name.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_named_after_their_urls() {
        let name = |url: &str| HostSpec::from_url(url, "t").map(|h| h.name);
        assert_eq!(name("unix:///var/run/docker.sock"), Ok("local".into()));
        assert_eq!(name("tcp://10.0.0.7:2376"), Ok("10.0.0.7".into()));
        assert_eq!(name("ssh://ops@edge-2:2222"), Ok("edge-2".into()));
        assert_eq!(name("tcp://[::1]:2375"), Ok("::1".into()));
        assert!(name("edge-2").is_err());
        assert!(name("ftp://x").is_err());
        assert!(name("tcp://").is_err());
    }

    #[test]
    fn a_flag_may_name_its_host() {
        let spec = HostSpec::from_flag("d2=unix:///tmp/d2/docker.sock").expect("named");
        assert_eq!(spec.name, "d2");
        assert_eq!(spec.url, "unix:///tmp/d2/docker.sock");
        assert!(HostSpec::from_flag("a b=tcp://x:1").is_err());
        assert!(HostSpec::from_flag("web@x=tcp://x:1").is_err());
    }

    #[test]
    fn derived_names_that_clash_get_a_number() {
        let mut hosts = vec![HostSpec::local(), HostSpec::local(), HostSpec::local()];
        dedupe_names(&mut hosts);
        let names: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["local", "local-2", "local-3"]);
    }
}
