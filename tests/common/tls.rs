//! Certificates for a daemon that speaks TLS on 127.0.0.1, made by the test with `openssl`
//! (EC P-256, valid for two days): a CA, a server certificate with the IP SAN 127.0.0.1, and a
//! client certificate; and a second CA with a client certificate of its own, the wrong ones.
//! Each set sits in a directory as the docker CLI names the files (`ca.pem`, `cert.pem`,
//! `key.pem`), so that a directory is what `tls_cert_path` or `DOCKER_CERT_PATH` takes.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Certs {
    pub dir: tempfile::TempDir,
}

/// The script that makes every file; `$1` is the directory.
const MAKE: &str = r#"
set -eu
cd "$1"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() { # dir name
  mkdir -p "$1"
  key "$1/ca-key.pem"
  openssl req -x509 -new -key "$1/ca-key.pem" -out "$1/ca.pem" -days 2 -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
signed() { # ca-dir out-cert out-key cn extensions
  key "$3"
  openssl req -new -key "$3" -out "$2.csr" -subj "/CN=$4"
  printf '%b' "$5" > "$2.ext"
  openssl x509 -req -in "$2.csr" -CA "$1/ca.pem" -CAkey "$1/ca-key.pem" -CAcreateserial \
    -out "$2" -days 2 -extfile "$2.ext" 2>/dev/null
  rm -f "$2.csr" "$2.ext"
}
ca client fleetdeck-test-ca
ca other fleetdeck-test-other-ca
mkdir -p server
cp client/ca.pem server/ca.pem
signed client server/cert.pem server/key.pem 127.0.0.1 \
  'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n'
signed client client/cert.pem client/key.pem fleetdeck-test-client \
  'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n'
signed other other/cert.pem other/key.pem fleetdeck-test-stranger \
  'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n'
"#;

impl Certs {
    /// Makes every file; panics with openssl's words when it cannot.
    pub fn make() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = Command::new("sh")
            .args(["-c", MAKE, "make-certs"])
            .arg(dir.path())
            .output()
            .expect("run sh (openssl is needed: apt-get install openssl)");
        assert!(
            out.status.success(),
            "making the test certificates failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { dir }
    }

    /// The client's files, the CA that signed the daemon's certificate among them.
    pub fn client(&self) -> PathBuf {
        self.dir.path().join("client")
    }

    /// The other CA, and a client certificate it signed (the daemon trusts neither).
    pub fn other(&self) -> PathBuf {
        self.dir.path().join("other")
    }

    /// The daemon's files.
    pub fn server(&self) -> PathBuf {
        self.dir.path().join("server")
    }

    /// The `dockerd` flags of a TLS listener on `127.0.0.1:port` that checks client
    /// certificates against the CA.
    pub fn dockerd_flags(&self, port: u16) -> Vec<String> {
        let file = |name: &str| self.server().join(name).display().to_string();
        vec![
            "--host".into(),
            format!("tcp://127.0.0.1:{port}"),
            "--tlsverify".into(),
            format!("--tlscacert={}", file("ca.pem")),
            format!("--tlscert={}", file("cert.pem")),
            format!("--tlskey={}", file("key.pem")),
        ]
    }
}

/// A port on 127.0.0.1 that nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

/// The one file of `dir` named `name`, as a path string for a config file.
pub fn file(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}
