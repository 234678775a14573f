//! Files that hold what operators did (the audit log, the history store: commands, container
//! names, parameters) are private, as shells keep their history: created `0600` in a folder
//! created `0700`. A file that already exists keeps its mode, but one that other users can read
//! is warned about, once per file per process.

use std::collections::HashSet;
use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The mode a new private file gets.
pub const FILE_MODE: u32 = 0o600;
/// The mode a folder made for one gets.
pub const DIR_MODE: u32 = 0o700;

/// Makes `path`'s folder (and any missing above it) `0700`; existing folders are left as they
/// are.
pub fn create_parent(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir),
        None => Ok(()),
    }
}

/// Opens `path` for appending: created `0600` (its folder `0700`) when missing; an existing file
/// that others can read is warned about once.
pub fn open_append(path: &Path, what: &str) -> std::io::Result<File> {
    create_parent(path)?;
    warn_if_readable(path, what);
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(FILE_MODE)
        .open(path)
}

/// Makes sure `path` exists, created empty and `0600` (its folder `0700`) when missing, for a
/// library that would create it with the usual `0644` (SQLite, which then gives its journal
/// files the same mode); an existing file that others can read is warned about once.
pub fn ensure(path: &Path, what: &str) -> std::io::Result<()> {
    create_parent(path)?;
    warn_if_readable(path, what);
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
    {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop),
    }
}

/// What to say about an existing `path` that users other than its owner can read (its group
/// or everyone); `None` for a private file or no file.
pub fn readable_by_others(path: &Path, what: &str) -> Option<String> {
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then(|| {
        format!(
            "the {what} {} can be read by other users (mode {mode:04o}): it holds commands, \
             container names and parameters; make it private with `chmod 600 {}`",
            path.display(),
            path.display()
        )
    })
}

/// Warns (`log::warn!`) about `path` if others can read it, the first time it is asked for
/// that file in this process; returns the warning when it was given now.
pub fn warn_if_readable(path: &Path, what: &str) -> Option<String> {
    static WARNED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    let warning = readable_by_others(path, what)?;
    let mut warned = WARNED.lock().unwrap_or_else(PoisonError::into_inner);
    if !warned
        .get_or_insert_with(HashSet::new)
        .insert(path.to_path_buf())
    {
        return None;
    }
    log::warn!("{warning}");
    Some(warning)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn new_files_are_0600_in_0700_folders_and_existing_modes_are_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a").join("b").join("audit.jsonl");
        open_append(&path, "audit log").expect("created");
        assert_eq!(mode(&path), FILE_MODE);
        assert_eq!(mode(&dir.path().join("a")), DIR_MODE);
        assert_eq!(mode(&dir.path().join("a").join("b")), DIR_MODE);

        let shared = dir.path().join("shared.db");
        std::fs::write(&shared, b"x").expect("written");
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        ensure(&shared, "store").expect("exists");
        assert_eq!(mode(&shared), 0o640, "an existing file keeps its mode");
        assert_eq!(std::fs::read(&shared).expect("read"), b"x", "and its bytes");
    }

    #[test]
    fn a_file_others_can_read_is_warned_about_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("fleet.db");
        assert_eq!(
            warn_if_readable(&path, "store"),
            None,
            "no file, no warning"
        );
        std::fs::write(&path, b"").expect("written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let warning = warn_if_readable(&path, "store").expect("warned the first time");
        assert!(warning.contains(&path.display().to_string()), "{warning}");
        assert!(
            warning.contains("0644") && warning.contains("chmod 600"),
            "{warning}"
        );
        assert_eq!(warn_if_readable(&path, "store"), None, "only once");

        let private = dir.path().join("audit.jsonl");
        std::fs::write(&private, b"").expect("written");
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert_eq!(readable_by_others(&private, "audit log"), None);
    }
}
