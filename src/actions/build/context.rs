//! A build context as a tar stream: the context directory walked in name order on a blocking
//! thread, what `.dockerignore` excludes left out (the Dockerfile and `.dockerignore` are sent
//! whatever it says, as the docker CLI does), the archive written in [`CHUNK`]-sized pieces
//! into a channel of [`DEPTH`] pieces that the request body reads. So at most
//! `CHUNK * (DEPTH + 2)` bytes of the context are in memory at once, whatever its size; a
//! slow daemon makes the walker wait (the channel is full), never grow.
//!
//! A Dockerfile outside the context, or given inline, is added under a name of its own.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::dockerignore::DockerIgnore;

/// The size of one piece sent to the daemon.
pub const CHUNK: usize = 64 * 1024;
/// How many pieces wait in the channel.
pub const DEPTH: usize = 8;
/// The name an inline (or outside) Dockerfile gets in the context.
pub const EXTRA_DOCKERFILE: &str = ".fleetdeck.Dockerfile";

/// The Dockerfile to send, besides the context's own files.
#[derive(Debug, Clone)]
pub enum ExtraDockerfile {
    /// The text itself (`dockerfile_inline`).
    Inline(String),
    /// A file outside the context.
    File(PathBuf),
}

/// What goes into the archive.
#[derive(Debug, Clone)]
pub struct ContextSpec {
    pub dir: PathBuf,
    /// The Dockerfile's path in the context (kept even when `.dockerignore` excludes it).
    pub dockerfile: String,
    pub extra: Option<ExtraDockerfile>,
}

/// Writes into the channel in `CHUNK` pieces; blocks while the channel is full.
struct ChannelWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<io::Result<Bytes>>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(Ok(Bytes::from(piece)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the daemon stopped reading"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Reads the context's `.dockerignore` (none: nothing excluded), keeping the Dockerfile.
pub fn ignore_rules(spec: &ContextSpec) -> io::Result<DockerIgnore> {
    let path = spec.dir.join(".dockerignore");
    let mut rules = match std::fs::read_to_string(&path) {
        Ok(text) => DockerIgnore::parse(&text)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => DockerIgnore::default(),
        Err(e) => return Err(e),
    };
    if rules.excludes(".dockerignore") {
        rules.keep(".dockerignore");
    }
    if rules.excludes(&spec.dockerfile) {
        rules.keep(&spec.dockerfile);
    }
    Ok(rules)
}

/// Walks `dir` (relative name `rel`) into the archive.
fn walk<W: Write>(
    tar: &mut tar::Builder<W>,
    rules: &DockerIgnore,
    dir: &Path,
    rel: &str,
) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path_rel = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let kind = entry.file_type()?;
        let excluded = rules.excludes(&path_rel);
        if kind.is_dir() {
            if !excluded {
                tar.append_dir(&path_rel, entry.path())?;
            }
            // An excluded directory is walked only for what an exception takes back.
            if !excluded || rules.has_exceptions() {
                walk(tar, rules, &entry.path(), &path_rel)?;
            }
        } else if !excluded {
            tar.append_path_with_name(entry.path(), &path_rel)
                .map_err(|e| io::Error::new(e.kind(), format!("{path_rel}: {e}")))?;
        }
    }
    Ok(())
}

fn write_archive(spec: &ContextSpec, out: ChannelWriter) -> io::Result<()> {
    let rules = ignore_rules(spec)?;
    let mut tar = tar::Builder::new(out);
    tar.follow_symlinks(false);
    walk(&mut tar, &rules, &spec.dir, "")?;
    match &spec.extra {
        Some(ExtraDockerfile::Inline(text)) => {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, EXTRA_DOCKERFILE, text.as_bytes())?;
        }
        Some(ExtraDockerfile::File(path)) => {
            tar.append_path_with_name(path, EXTRA_DOCKERFILE)?;
        }
        None => {}
    }
    let mut out = tar.into_inner()?;
    out.flush()
}

/// Starts writing the archive on a blocking thread; the receiver gives its pieces, then ends
/// (an error as the last item). The handle gives the walk's own error, if any.
pub fn stream(
    spec: ContextSpec,
) -> (
    mpsc::Receiver<io::Result<Bytes>>,
    tokio::task::JoinHandle<io::Result<()>>,
) {
    let (tx, rx) = mpsc::channel(DEPTH);
    let handle = tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            buf: Vec::with_capacity(CHUNK),
            tx: tx.clone(),
        };
        let result = write_archive(&spec, writer);
        if let Err(e) = &result {
            let _ = tx.blocking_send(Err(io::Error::new(e.kind(), e.to_string())));
        }
        result
    });
    (rx, handle)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn names(spec: ContextSpec) -> Vec<String> {
        let (mut rx, handle) = stream(spec);
        let mut all = Vec::new();
        while let Some(piece) = rx.recv().await {
            let piece = piece.expect("a piece");
            assert!(piece.len() <= CHUNK);
            all.extend_from_slice(&piece);
        }
        handle.await.expect("joined").expect("written");
        let mut archive = tar::Archive::new(all.as_slice());
        archive
            .entries()
            .expect("entries")
            .map(|e| {
                let e = e.expect("entry");
                e.path().expect("path").display().to_string()
            })
            .collect()
    }

    #[tokio::test]
    async fn the_archive_leaves_out_what_dockerignore_says_and_keeps_the_dockerfile() {
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        std::fs::write(d.join("Dockerfile"), "FROM scratch\n").expect("write");
        std::fs::write(
            d.join(".dockerignore"),
            "secret.txt\nbuild\nDockerfile\n*.log\n!keep.log\n",
        )
        .expect("write");
        std::fs::write(d.join("secret.txt"), "no").expect("write");
        std::fs::write(d.join("app.txt"), "yes").expect("write");
        std::fs::write(d.join("a.log"), "no").expect("write");
        std::fs::write(d.join("keep.log"), "yes").expect("write");
        std::fs::create_dir_all(d.join("build/deep")).expect("mkdir");
        std::fs::write(d.join("build/deep/x"), "no").expect("write");
        std::fs::create_dir_all(d.join("src")).expect("mkdir");
        std::fs::write(d.join("src/main.rs"), vec![b'x'; 3 * CHUNK + 5]).expect("write");
        let spec = ContextSpec {
            dir: d.to_path_buf(),
            dockerfile: "Dockerfile".into(),
            extra: Some(ExtraDockerfile::Inline("FROM scratch\n".into())),
        };
        let got = names(spec).await;
        assert_eq!(
            got,
            vec![
                ".dockerignore",
                "Dockerfile",
                "app.txt",
                "keep.log",
                "src",
                "src/main.rs",
                EXTRA_DOCKERFILE
            ]
        );
    }

    #[tokio::test]
    async fn a_missing_context_is_an_error_at_the_end_of_the_stream() {
        let spec = ContextSpec {
            dir: PathBuf::from("/nonexistent/fleetdeck-context"),
            dockerfile: "Dockerfile".into(),
            extra: None,
        };
        let (mut rx, handle) = stream(spec);
        let last = rx.recv().await.expect("an item");
        assert!(last.is_err());
        assert!(handle.await.expect("joined").is_err());
    }
}
