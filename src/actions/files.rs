//! Files written into a created container before it starts: the secrets and configs a compose
//! file gives by value (`environment:`, `content:`), copied in with the archive API
//! (`PUT /containers/{id}/archive`) as Docker Compose v2 copies them. The value is held in a
//! type whose `Debug` is masked, and only the path ever reaches an audit line or an error.

use std::fmt;

use bollard::query_parameters::UploadToContainerOptionsBuilder;

use crate::engine::{Endpoint, daemon_message};

/// One file to write: its absolute path in the container, its content, owner and mode.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct FileCopy {
    pub path: String,
    pub content: Vec<u8>,
    pub uid: u64,
    pub gid: u64,
    pub mode: u32,
}

impl fmt::Debug for FileCopy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileCopy")
            .field("path", &self.path)
            .field(
                "content",
                &format_args!("({} bytes, masked)", self.content.len()),
            )
            .field("uid", &self.uid)
            .field("gid", &self.gid)
            .field("mode", &format_args!("{:o}", self.mode))
            .finish()
    }
}

/// The files as one tar archive, their paths relative to `/` (the daemon makes the missing
/// parent directories).
pub fn archive(files: &[FileCopy]) -> std::io::Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    for file in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(file.content.len() as u64);
        header.set_mode(file.mode);
        header.set_uid(file.uid);
        header.set_gid(file.gid);
        header.set_mtime(0);
        header.set_cksum();
        let name = file.path.trim_start_matches('/');
        tar.append_data(&mut header, name, file.content.as_slice())?;
    }
    tar.into_inner()
}

/// Why a created container could not be finished (its further networks, its files); the
/// create is undone and this is its reason. Names paths, never a file's content.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FinishError {
    #[error("connecting it to {network}: {reason}")]
    Connect { network: String, reason: String },
    #[error("writing {paths}: {source}")]
    Archive {
        paths: String,
        #[source]
        source: std::io::Error,
    },
    #[error("writing {paths}: {reason}")]
    Upload { paths: String, reason: String },
}

/// Writes `files` into container `id`; `Err` names the paths (never the content).
pub(crate) async fn copy_in(
    endpoint: &Endpoint,
    id: &str,
    files: &[FileCopy],
) -> Result<(), FinishError> {
    if files.is_empty() {
        return Ok(());
    }
    let paths = || {
        files
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let body = archive(files).map_err(|source| FinishError::Archive {
        paths: paths(),
        source,
    })?;
    let options = UploadToContainerOptionsBuilder::default().path("/").build();
    endpoint
        .client()
        .upload_to_container(id, Some(options), bollard::body_full(body.into()))
        .await
        .map_err(|e| FinishError::Upload {
            paths: paths(),
            reason: daemon_message(&e),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_holds_each_file_with_its_mode_and_owner() {
        let files = vec![FileCopy {
            path: "/run/secrets/token".into(),
            content: b"s3cret".to_vec(),
            uid: 1000,
            gid: 1001,
            mode: 0o440,
        }];
        let bytes = archive(&files).expect("archive");
        let mut read = tar::Archive::new(bytes.as_slice());
        let mut entries = read.entries().expect("entries");
        let entry = entries.next().expect("one").expect("entry");
        assert_eq!(
            entry.path().expect("path").display().to_string(),
            "run/secrets/token"
        );
        assert_eq!(entry.header().mode().expect("mode"), 0o440);
        assert_eq!(entry.header().uid().expect("uid"), 1000);
        assert_eq!(entry.header().gid().expect("gid"), 1001);
        assert!(!format!("{files:?}").contains("s3cret"), "Debug is masked");
    }
}
