//! TLS to a `tcp://` (or `https://`) host, with rustls: the daemon's certificate checked against
//! the host's CA file alone (a CA named for a host is the only one trusted for it, as the
//! docker CLI does for a context's CA), or not checked at all under `tls_verify = false`; the
//! client certificate and key presented either way. Every file is read here, once, so that a
//! missing or unreadable one is an error naming it before any call is made. A failed handshake
//! is read back into words: the daemon's certificate not trusted, ours refused, no TLS there.

use std::path::Path;
use std::sync::Arc;

use bollard::Docker;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{AlertDescription, ClientConfig, DigitallySignedStruct, RootCertStore};

use super::TransportError;
use super::watched::{LastFailure, Watching};
use crate::engine::host::{HostSpec, TlsFiles};

/// The client for a TLS host.
pub(super) fn client(spec: &HostSpec, secs: u64) -> Result<Docker, TransportError> {
    let config = config(spec)?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only()
        .enable_http1()
        .build();
    let last = LastFailure::default();
    let connector = Watching::new(connector, last.clone());
    let explained = spec.clone();
    let within = std::time::Duration::from_secs(secs);
    super::custom(connector, &address(&spec.url), secs, move |e| {
        explain(&explained, e, || last.take_within(within))
    })
}

/// `https://host:port` for `tcp://host:port` (and `https://...` as it is), without a path.
fn address(url: &str) -> String {
    let rest = url
        .strip_prefix("tcp://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or_default();
    format!("https://{authority}")
}

/// The rustls configuration of a TLS host: whom to trust, and what to present.
pub(super) fn config(spec: &HostSpec) -> Result<ClientConfig, TransportError> {
    let provider = Arc::new(ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(TransportError::TlsSetup)?;
    let files = spec.tls.as_ref();
    let builder = if spec.tls_verify {
        let ca = files
            .map(|f| f.ca.as_path())
            .ok_or(TransportError::NoCaFile)?;
        let mut roots = RootCertStore::empty();
        let (added, _) = roots.add_parsable_certificates(certificates(ca, "CA certificate")?);
        if added == 0 {
            return Err(TransportError::NoUsableCa {
                path: ca.to_path_buf(),
            });
        }
        builder.with_root_certificates(roots)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyServerCertificate(provider)))
    };
    match files.map(identity).transpose()?.flatten() {
        Some((chain, key)) => {
            let files = files.ok_or(TransportError::NoTlsFiles)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|source| TransportError::ClientAuth {
                    cert: files.cert.clone(),
                    key: files.key.clone(),
                    source,
                })
        }
        None => Ok(builder.with_no_client_auth()),
    }
}

/// The client certificate chain and key, when the host has them: both files or neither (a
/// daemon that asks for no client certificate needs none); one without the other is an error
/// naming the missing one.
#[allow(clippy::type_complexity)]
fn identity(
    files: &TlsFiles,
) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, TransportError> {
    match (files.cert.exists(), files.key.exists()) {
        (false, false) => return Ok(None),
        (true, false) => return Err(missing(&files.key, "client key")),
        (false, true) => return Err(missing(&files.cert, "client certificate")),
        (true, true) => {}
    }
    let chain = certificates(&files.cert, "client certificate")?;
    let pem = read(&files.key, "client key")?;
    let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => TransportError::NoKey {
            path: files.key.clone(),
        },
        source => TransportError::Pem {
            what: "client key",
            path: files.key.clone(),
            source,
        },
    })?;
    Ok(Some((chain, key)))
}

fn missing(path: &Path, what: &'static str) -> TransportError {
    TransportError::Missing {
        what,
        path: path.to_path_buf(),
    }
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, TransportError> {
    std::fs::read(path).map_err(|source| TransportError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Every certificate in a PEM file; none is an error.
fn certificates(
    path: &Path,
    what: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let pem = read(path, what)?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TransportError::Pem {
            what,
            path: path.to_path_buf(),
            source,
        })?;
    if chain.is_empty() {
        return Err(TransportError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(chain)
}

/// A failed request's cause in words, when TLS is what failed: the TLS error under `error`,
/// or else the one the host's connections met meanwhile (`met`; see [`super::watched`]).
pub(super) fn explain(
    spec: &HostSpec,
    error: &(dyn std::error::Error + 'static),
    met: impl FnOnce() -> Option<rustls::Error>,
) -> Option<String> {
    let failure = rustls_error(error).cloned().or_else(met)?;
    let failure = &failure;
    let files = spec.tls.as_ref();
    let shown = |pick: fn(&TlsFiles) -> &Path| {
        files.map_or_else(|| "(none)".to_string(), |f| pick(f).display().to_string())
    };
    Some(match failure {
        rustls::Error::InvalidCertificate(_) => format!(
            "the daemon's TLS certificate was not trusted ({failure}; checked against the CA {})",
            shown(|f| &f.ca)
        ),
        rustls::Error::AlertReceived(
            AlertDescription::BadCertificate
            | AlertDescription::CertificateRequired
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked,
        ) => format!(
            "the daemon refused the client certificate {} ({failure})",
            shown(|f| &f.cert)
        ),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            format!("TLS handshake failed ({failure}): is this the daemon's TLS port?")
        }
        _ => format!("TLS handshake failed: {failure}"),
    })
}

/// The rustls error under `error`, if any: as a source, or inside an I/O error, or inside one
/// inside another (hyper-rustls wraps tokio-rustls's), since an I/O error hides its inner error
/// from `source()`.
pub(super) fn rustls_error<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    if let Some(found) = error.downcast_ref::<rustls::Error>() {
        return Some(found);
    }
    let inner = error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        .map(|inner| inner as &(dyn std::error::Error + 'static));
    inner
        .and_then(rustls_error)
        .or_else(|| error.source().and_then(rustls_error))
}

/// `tls_verify = false`: any certificate is taken as the daemon's, but the handshake's
/// signatures are still checked (the daemon holds the key of the certificate it shows).
#[derive(Debug)]
struct AnyServerCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(url: &str, dir: &Path, verify: bool) -> HostSpec {
        let mut spec = HostSpec::from_url(url, "test").expect("url");
        spec.tls = Some(TlsFiles::in_dir(dir));
        spec.tls_verify = verify;
        spec
    }

    #[test]
    fn the_address_is_https_without_a_path() {
        assert_eq!(address("tcp://10.0.0.7:2376"), "https://10.0.0.7:2376");
        assert_eq!(address("tcp://edge:2376/"), "https://edge:2376");
        assert_eq!(address("https://[::1]:2376"), "https://[::1]:2376");
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let err = config(&spec("tcp://127.0.0.1:1", dir.path(), true))
            .expect_err("no ca")
            .to_string();
        assert!(
            err.contains("CA certificate") && err.contains("ca.pem"),
            "{err}"
        );

        std::fs::write(dir.path().join("ca.pem"), "not a certificate\n").expect("write");
        let err = config(&spec("tcp://127.0.0.1:1", dir.path(), true))
            .expect_err("bad ca")
            .to_string();
        assert!(
            err.contains("no certificate in") && err.contains("ca.pem"),
            "{err}"
        );

        std::fs::write(dir.path().join("key.pem"), "").expect("write");
        let err = config(&spec("tcp://127.0.0.1:1", dir.path(), false))
            .expect_err("no cert")
            .to_string();
        assert!(
            err.contains("client certificate") && err.contains("cert.pem"),
            "{err}"
        );
    }

    #[test]
    fn verification_needs_a_ca() {
        let mut bare = HostSpec::from_url("https://10.0.0.7:2376", "test").expect("url");
        assert!(bare.is_tls());
        let err = config(&bare).expect_err("no ca").to_string();
        assert!(err.contains("CA file"), "{err}");
        bare.tls_verify = false;
        assert!(config(&bare).is_ok(), "no check, no client certificate");
    }

    #[test]
    fn a_refusal_met_by_the_connection_explains_a_request_that_carries_none() {
        let dir = tempfile::tempdir().expect("temp dir");
        let spec = spec("tcp://127.0.0.1:1", dir.path(), true);
        let not_ready = std::io::Error::other("connection was not ready");
        assert_eq!(explain(&spec, &not_ready, || None), None, "no TLS error");

        let refusal = rustls::Error::AlertReceived(AlertDescription::BadCertificate);
        let said = explain(&spec, &not_ready, || Some(refusal.clone())).expect("explained");
        assert!(
            said.contains("refused the client certificate") && said.contains("cert.pem"),
            "{said}"
        );

        // The request's own TLS error comes first.
        let untrusted = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        let said = explain(&spec, &untrusted, || Some(refusal)).expect("explained");
        assert!(said.contains("was not trusted"), "{said}");
    }
}
