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
            why: why.to_string(),
        })?;
        let mut spec = HostSpec::from_url(&self.url, "config [[hosts]]")?;
        spec.name.clone_from(&self.name);
        let from_dir = self
            .tls_cert_path
            .as_deref()
            .map(|dir| TlsFiles::in_dir(&home(dir)));
        let any_file = self.tls_ca.is_some() || self.tls_cert.is_some() || self.tls_key.is_some();
        if from_dir.is_some() || any_file {
            let base = from_dir.unwrap_or_else(|| TlsFiles::in_dir(std::path::Path::new(".")));
            let file =
                |given: &Option<PathBuf>, default: PathBuf| given.as_deref().map_or(default, home);
            spec.tls = Some(TlsFiles {
                ca: file(&self.tls_ca, base.ca),
                cert: file(&self.tls_cert, base.cert),
                key: file(&self.tls_key, base.key),
            });
        }
        spec.tls_verify = self.tls_verify;
        spec.ssh_key = self.ssh_key.as_deref().map(home);
        Ok(spec)
    }
}

/// A path with a leading `~/` read as the home directory (the config's example writes
/// `ssh_key = "~/.ssh/id_ed25519"`).
fn home(path: &std::path::Path) -> PathBuf {
    match (path.strip_prefix("~"), dirs::home_dir()) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(toml_text: &str) -> HostSpec {
        toml::from_str::<HostConfig>(toml_text)
            .expect("an entry")
            .spec()
            .expect("a host")
    }

    #[test]
    fn files_and_keys_under_the_home_directory() {
        let Some(home_dir) = dirs::home_dir() else {
            return;
        };
        let spec = entry(
            "name = \"edge\"\nurl = \"ssh://ops@edge:2222\"\nssh_key = \"~/.ssh/id_ed25519\"\n",
        );
        assert_eq!(spec.ssh_key, Some(home_dir.join(".ssh/id_ed25519")));
        let spec = entry(
            "name = \"tls\"\nurl = \"tcp://10.0.0.7:2376\"\ntls_cert_path = \"~/certs\"\n\
             tls_ca = \"/etc/ca.pem\"\n",
        );
        assert!(spec.tls_verify && spec.is_tls());
        let tls = spec.tls.expect("TLS files");
        assert_eq!(tls.ca, PathBuf::from("/etc/ca.pem"));
        assert_eq!(tls.cert, home_dir.join("certs/cert.pem"));
    }
}
