//! The docker CLI's contexts and environment: `DOCKER_HOST` with `DOCKER_TLS_VERIFY` /
//! `DOCKER_TLS` / `DOCKER_CERT_PATH`, `DOCKER_CONTEXT`, and the contexts in the docker CLI's
//! config dir (`DOCKER_CONFIG`, else `~/.docker`): `config.json`'s `currentContext`, the meta
//! store under `contexts/meta/<sha256 of the name>/meta.json`, the TLS files under
//! `contexts/tls/<sha256 of the name>/docker/{ca,cert,key}.pem` (the layout `docker context
//! create` writes).
//!
//! The public functions read the process environment; each hands it to an inner function that
//! takes the config dir and the variables as arguments, which the tests call (a test that set
//! variables would race with every other test of the process).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::host::{HostError, HostSpec, TlsFiles};

/// The name of the docker CLI's context that is no context: `DOCKER_HOST` or the local socket.
const DEFAULT_CONTEXT: &str = "default";

/// The docker CLI's config dir: `DOCKER_CONFIG`, else `~/.docker`.
pub fn config_dir() -> Option<PathBuf> {
    config_dir_from(&env)
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

fn config_dir_from(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|home| home.join(".docker")))
}

/// The host a docker context names, called by the context's name. `default` is the docker
/// CLI's own: `DOCKER_HOST`, else the local socket.
pub fn from_context(name: &str) -> Result<HostSpec, HostError> {
    if name == DEFAULT_CONTEXT {
        let mut spec = from_env()?.unwrap_or_else(HostSpec::local);
        spec.name = DEFAULT_CONTEXT.to_string();
        spec.origin = format!("context {name}");
        return Ok(spec);
    }
    let dir = config_dir().ok_or_else(|| HostError::Context {
        name: name.to_string(),
        why: "no home directory to find ~/.docker in (set DOCKER_CONFIG)".into(),
    })?;
    context_in(&dir, name)
}

/// The docker CLI's current context (`DOCKER_CONTEXT`, else `config.json`'s
/// `currentContext`), when it is not `default`. A `config.json` that is there but cannot be
/// read is an error (the docker CLI refuses it too), not a silent fall back to the local socket.
pub fn current_context() -> Result<Option<String>, HostError> {
    current_in(env("DOCKER_CONTEXT"), config_dir().as_deref())
}

/// `DOCKER_HOST`, with TLS when `DOCKER_TLS_VERIFY` (or `DOCKER_TLS`) is set: the files of
/// `DOCKER_CERT_PATH`, else of the config dir.
pub fn from_env() -> Result<Option<HostSpec>, HostError> {
    from_env_with(&env)
}

/// With `DOCKER_TLS_VERIFY` set, a `tcp://` host gets the TLS files of `DOCKER_CERT_PATH`
/// (else of the config dir), verified; with `DOCKER_TLS` alone, not verified.
pub fn apply_env_tls(spec: &mut HostSpec) -> Result<(), HostError> {
    apply_env_tls_with(&env, spec);
    Ok(())
}

fn from_env_with(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<HostSpec>, HostError> {
    let Some(url) = env("DOCKER_HOST") else {
        return Ok(None);
    };
    let mut spec = HostSpec::from_url(&url, "DOCKER_HOST")?;
    apply_env_tls_with(env, &mut spec);
    Ok(Some(spec))
}

/// As the docker CLI reads them: any non-empty value turns a variable on (`DOCKER_TLS_VERIFY=0`
/// too).
fn apply_env_tls_with(env: &dyn Fn(&str) -> Option<String>, spec: &mut HostSpec) {
    let verify = env("DOCKER_TLS_VERIFY").is_some();
    let tls = verify || env("DOCKER_TLS").is_some();
    if !tls || !spec.url.starts_with("tcp://") || spec.tls.is_some() {
        return;
    }
    let dir = env("DOCKER_CERT_PATH")
        .map(PathBuf::from)
        .or_else(|| config_dir_from(env))
        .unwrap_or_else(|| PathBuf::from(".docker"));
    spec.tls = Some(TlsFiles::in_dir(&dir));
    spec.tls_verify = verify;
}

/// `DOCKER_CONTEXT` (given as `env_context`) or `config.json`'s `currentContext` in `dir`.
fn current_in(
    env_context: Option<String>,
    dir: Option<&Path>,
) -> Result<Option<String>, HostError> {
    let name = match env_context {
        Some(name) => Some(name),
        None => match dir {
            Some(dir) => current_in_config(dir)?,
            None => None,
        },
    };
    Ok(name.filter(|n| !n.is_empty() && n != DEFAULT_CONTEXT))
}

fn current_in_config(dir: &Path) -> Result<Option<String>, HostError> {
    #[derive(Deserialize)]
    struct Config {
        #[serde(rename = "currentContext", default)]
        current_context: Option<String>,
    }
    let path = dir.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(config_error(&path, &e.to_string())),
    };
    let config: Config =
        serde_json::from_str(&text).map_err(|e| config_error(&path, &e.to_string()))?;
    Ok(config.current_context)
}

fn config_error(path: &Path, why: &str) -> HostError {
    HostError::Bad {
        text: path.display().to_string(),
        why: format!("the docker CLI's config cannot be read: {why}"),
    }
}

/// The context `name` in the config dir `dir`.
fn context_in(dir: &Path, name: &str) -> Result<HostSpec, HostError> {
    let error = |why: String| HostError::Context {
        name: name.to_string(),
        why,
    };
    let digest = format!("{:x}", Sha256::digest(name.as_bytes()));
    let meta_path = dir
        .join("contexts")
        .join("meta")
        .join(&digest)
        .join("meta.json");
    let text = match std::fs::read_to_string(&meta_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(error(format!(
                "no such context in {} (`docker context ls` lists them)",
                dir.display()
            )));
        }
        Err(e) => return Err(error(format!("cannot read {}: {e}", meta_path.display()))),
    };
    let meta: Meta = serde_json::from_str(&text)
        .map_err(|e| error(format!("cannot read {}: {e}", meta_path.display())))?;
    let docker = meta
        .endpoints
        .docker
        .ok_or_else(|| error("it names no docker endpoint".into()))?;
    let url = docker
        .host
        .filter(|h| !h.is_empty())
        .ok_or_else(|| error("its docker endpoint names no host".into()))?;
    let mut spec = HostSpec::from_url(&url, &format!("context {name}")).map_err(|e| match e {
        HostError::Bad { why, .. } => error(format!("bad host '{url}': {why}")),
        other => other,
    })?;
    spec.name = host_name(name);
    spec.tls_verify = !docker.skip_tls_verify;
    let tls_dir = dir
        .join("contexts")
        .join("tls")
        .join(&digest)
        .join("docker");
    if tls_dir.is_dir() {
        spec.tls = Some(TlsFiles::in_dir(&tls_dir));
    }
    Ok(spec)
}

/// A context's name as a host name: the characters a host name cannot hold (a context may
/// hold `+`) become `-`.
fn host_name(context: &str) -> String {
    context
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A context's `meta.json`, the parts read here.
#[derive(Debug, Deserialize)]
struct Meta {
    #[serde(rename = "Endpoints", default)]
    endpoints: Endpoints,
}

#[derive(Debug, Default, Deserialize)]
struct Endpoints {
    #[serde(default)]
    docker: Option<DockerEndpoint>,
}

#[derive(Debug, Deserialize)]
struct DockerEndpoint {
    #[serde(rename = "Host", default)]
    host: Option<String>,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: bool,
}

#[cfg(test)]
#[path = "context_tests.rs"]
mod tests;
