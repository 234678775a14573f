//! Why a host's client could not be made: its URL, its ssh key, its TLS files.

use std::path::PathBuf;

/// Why the client for a host could not be made. Each names the URL or the file at fault.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransportError {
    /// bollard refused the address.
    #[error(transparent)]
    Client(#[from] bollard::errors::Error),
    #[error("this build cannot reach '{url}' (unix://, tcp://, https:// and ssh:// only)")]
    Unsupported { url: String },
    #[error(transparent)]
    SshUrl(#[from] SshUrlError),
    #[error("cannot read the ssh key {}: {source}", path.display())]
    SshKey {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("TLS cannot be set up: {0}")]
    TlsSetup(rustls::Error),
    #[error(
        "checking the daemon's TLS certificate needs the host's CA file (tls_ca or \
         tls_cert_path; tls_verify = false turns the check off)"
    )]
    NoCaFile,
    #[error("no usable CA certificate in {}", path.display())]
    NoUsableCa { path: PathBuf },
    #[error("no TLS files")]
    NoTlsFiles,
    #[error(
        "the client certificate {} and key {} cannot be used: {source}",
        cert.display(),
        key.display()
    )]
    ClientAuth {
        cert: PathBuf,
        key: PathBuf,
        source: rustls::Error,
    },
    #[error("the {what} {} does not exist", path.display())]
    Missing { what: &'static str, path: PathBuf },
    #[error("cannot read the {what} {}: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the {what} {}: {source}", path.display())]
    Pem {
        what: &'static str,
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("no private key in {}", path.display())]
    NoKey { path: PathBuf },
    #[error("no certificate in {}", path.display())]
    NoCertificate { path: PathBuf },
}

/// Why an `ssh://` URL does not name a host to reach.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SshUrlError {
    #[error("'{url}' is not an ssh:// URL")]
    NotSsh { url: String },
    #[error("'{url}': an ssh:// host takes no path (ssh://[USER@]HOST[:PORT])")]
    Path { url: String },
    #[error("'{url}': empty user name")]
    EmptyUser { url: String },
    #[error("'{url}': unclosed '['")]
    Unclosed { url: String },
    #[error("'{url}': no host name")]
    NoHost { url: String },
    #[error("'{url}': bad port '{port}'")]
    Port { url: String, port: String },
}
