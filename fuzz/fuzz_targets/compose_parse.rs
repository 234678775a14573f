//! The compose loader (`reconcile::compose::load`: saphyr-parser events into a tree, anchors and
//! merge keys, interpolation, a second file merged over the first, `.env`, every service key)
//! on arbitrary text, and what `fleetdeck up` does next with a project: the start order, the
//! config hashes, the plan against an empty daemon.
//!
//! Input: `[flags] compose.yaml \0 override.yaml \0 .env`; the override and the `.env` are
//! optional (no NUL, no such file). `flags` bit 0: `-p fuzz`, bit 1: `--profile debug`. The
//! files are written to a directory of the temp dir (the loader reads files, as `up -f` does).
//!
//! What must hold: nothing panics; an error that names one of the files given (or the `.env`)
//! names a line within it; a project that loads has a valid name, unique service names, no dependency
//! cycle (the loader refuses them), stable config hashes, field hashes that read back from
//! their label.

#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fleetdeck::reconcile::compose::{LoadOptions, is_valid_project_name, load};
use fleetdeck::reconcile::hash::{
    config_hash, field_hashes, field_hashes_label, parse_field_hashes,
};
use fleetdeck::reconcile::order::levels;
use fleetdeck::reconcile::plan::{PlanOptions, plan};
use libfuzzer_sys::fuzz_target;

/// The project directory, one per fuzzing process.
fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("fleetdeck-fuzz-compose-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("project dir");
        dir
    })
}

fn put(path: &Path, part: Option<&[u8]>) {
    match part {
        Some(bytes) => std::fs::write(path, bytes).expect("write"),
        None => match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("remove {}: {e}", path.display()),
        },
    }
}

/// The lines of a file, as its reader counts them: YAML breaks lines at LF, CRLF and a lone
/// CR; the `.env` reader at LF only.
fn lines(bytes: Option<&[u8]>, yaml: bool) -> usize {
    bytes.map_or(0, |b| {
        let lone_cr = b
            .iter()
            .enumerate()
            .filter(|&(i, &c)| yaml && c == b'\r' && b.get(i + 1) != Some(&b'\n'))
            .count();
        b.iter().filter(|&&c| c == b'\n').count() + lone_cr + 1
    })
}

fuzz_target!(|input: &[u8]| {
    let Some((&flags, rest)) = input.split_first() else {
        return;
    };
    let mut parts = rest.splitn(3, |b| *b == 0);
    let main = parts.next().unwrap_or_default();
    let over = parts.next();
    let dotenv = parts.next();

    let dir = dir();
    let main_path = dir.join("compose.yaml");
    let over_path = dir.join("compose.override.yaml");
    let env_path = dir.join(".env");
    put(&main_path, Some(main));
    put(&over_path, over);
    put(&env_path, dotenv);

    let mut files = vec![main_path.clone()];
    if over.is_some() {
        files.push(over_path.clone());
    }
    let env: BTreeMap<String, String> = [
        ("TAG", "1.25"),
        ("EMPTY", ""),
        ("HOME", "/home/fuzz"),
        ("PORT", "8080"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let opts = LoadOptions {
        files,
        project_name: (flags & 1 != 0).then(|| "fuzz".to_string()),
        profiles: if flags & 2 != 0 {
            vec!["debug".to_string()]
        } else {
            Vec::new()
        },
        env,
    };
    let project = match load(&opts) {
        Ok(project) => project,
        Err(e) => {
            let _ = e.to_string();
            let (named, text) = if e.file == main_path {
                ("compose.yaml", Some(main))
            } else if e.file == over_path && over.is_some() {
                ("compose.override.yaml", over)
            } else if e.file == env_path && dotenv.is_some() {
                (".env", dotenv)
            } else {
                // An `env_file:` the text names (any path, as compose reads it).
                return;
            };
            let n = lines(text, named != ".env");
            assert!(e.line <= n, "{named}: line {} of {n}", e.line);
            return;
        }
    };
    assert!(is_valid_project_name(&project.name), "{:?}", project.name);
    let names: BTreeSet<&str> = project.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names.len(),
        project.services.len(),
        "duplicate service names"
    );
    let order = levels(&project.services).expect("the loader refuses dependency cycles");
    assert_eq!(
        order.iter().map(Vec::len).sum::<usize>(),
        project.services.len()
    );
    for spec in &project.services {
        assert_eq!(config_hash(spec), config_hash(&spec.clone()));
        assert_eq!(
            parse_field_hashes(&field_hashes_label(spec)),
            field_hashes(spec)
        );
    }
    let _ = plan(&project, &[], &PlanOptions::default());
});
