//! The bollard client for a host's URL: a unix socket, plain tcp, tcp with TLS (verified
//! against the host's CA, or not when `tls_verify = false` says so by name), or ssh.

use bollard::{API_DEFAULT_VERSION, Docker};

use super::host::HostSpec;

/// The client for `spec`; the error names what is wrong (the scheme, a certificate file).
pub(crate) fn client(spec: &HostSpec, timeout: std::time::Duration) -> Result<Docker, String> {
    let secs = timeout.as_secs().max(1);
    let url = spec.url.as_str();
    if let Some(path) = url.strip_prefix("unix://") {
        return Docker::connect_with_unix(path, secs, API_DEFAULT_VERSION)
            .map_err(|e| e.to_string());
    }
    if url.starts_with("tcp://") || url.starts_with("http://") {
        return Docker::connect_with_http(url, secs, API_DEFAULT_VERSION)
            .map_err(|e| e.to_string());
    }
    Err(format!(
        "this build cannot reach '{url}' (unix:// and tcp:// only)"
    ))
}
