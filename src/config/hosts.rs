//! `[[hosts]]`: the daemons a run talks to when no `--host` or `--context` names them, and
//! `[daemon]`: how long any call to any of them may take.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::engine::host::{HostError, HostSpec, TlsFiles, check_name};

/// One `[[hosts]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// The short name (HOST column, `NAME@HOST` targets).
    pub name: String,
    /// `unix:///path`, `tcp://host:port`, `ssh://user@host[:port]`.
    pub url: String,
    /// A directory holding `ca.pem`, `cert.pem` and `key.pem` (a TLS host).
    #[serde(default)]
    pub tls_cert_path: Option<PathBuf>,
    /// The files one by one (over `tls_cert_path`).
    #[serde(default)]
    pub tls_ca: Option<PathBuf>,
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// Check the daemon's certificate (default on; off is warned on every start).
    #[serde(default = "yes")]
    pub tls_verify: bool,
    /// The private key an `ssh://` host logs in with.
    #[serde(default)]
    pub ssh_key: Option<PathBuf>,
}

fn yes() -> bool {
    true
}

impl HostConfig {
    /// The host this entry names.
    pub fn spec(&self) -> Result<HostSpec, HostError> {
        check_name(&self.name).map_err(|why| HostError::Bad {
            text: self.name.clone(),
            why,
        })?;
        let mut spec = HostSpec::from_url(&self.url, "config [[hosts]]")?;
        spec.name.clone_from(&self.name);
        let from_dir = self.tls_cert_path.as_deref().map(TlsFiles::in_dir);
        let any_file = self.tls_ca.is_some() || self.tls_cert.is_some() || self.tls_key.is_some();
        if from_dir.is_some() || any_file {
            let base = from_dir.unwrap_or_else(|| TlsFiles::in_dir(std::path::Path::new(".")));
            spec.tls = Some(TlsFiles {
                ca: self.tls_ca.clone().unwrap_or(base.ca),
                cert: self.tls_cert.clone().unwrap_or(base.cert),
                key: self.tls_key.clone().unwrap_or(base.key),
            });
        }
        spec.tls_verify = self.tls_verify;
        spec.ssh_key.clone_from(&self.ssh_key);
        Ok(spec)
    }
}

/// `[daemon]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// How long any daemon call may take before its host counts as not answering ("5s").
    #[serde(deserialize_with = "crate::duration::duration")]
    pub timeout: Duration,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        Self {
            timeout: crate::engine::host::DEFAULT_TIMEOUT,
        }
    }
}
