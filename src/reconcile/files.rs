//! A service's secrets and configs as its container gets them, as Docker Compose v2 does
//! without Swarm: a `file:` source is a read-only bind mount at the target; a value
//! (`environment:`, `content:`) is a file written into the container before it starts, owned
//! by `uid`:`gid` (default 0:0) with `mode` (default `0444`). Pure: the action layer writes.

use bollard::models::{Mount as DockerMount, MountType};

use super::compose::{FileRef, FileSource, Project, ServiceSpec};
use crate::actions::files::FileCopy;

/// The default mode of a secret or config written by value.
pub const DEFAULT_MODE: u32 = 0o444;

/// The bind mounts and the files of `spec`'s secrets and configs.
pub fn secret_files(project: &Project, spec: &ServiceSpec) -> (Vec<DockerMount>, Vec<FileCopy>) {
    let mut mounts = Vec::new();
    let mut files = Vec::new();
    let all = spec
        .secrets
        .iter()
        .map(|r| (r, project.secrets.get(&r.source)))
        .chain(
            spec.configs
                .iter()
                .map(|r| (r, project.configs.get(&r.source))),
        );
    for (r, source) in all {
        match source {
            Some(FileSource::File(path)) => mounts.push(DockerMount {
                typ: Some(MountType::BIND),
                source: Some(path.display().to_string()),
                target: Some(r.target.clone()),
                read_only: Some(true),
                ..DockerMount::default()
            }),
            Some(source) => {
                // A source without a value (external, unset) is refused before the create:
                // see `unavailable`.
                if let Some(value) = source.value() {
                    files.push(copy(r, value.expose()));
                }
            }
            None => {}
        }
    }
    (mounts, files)
}

/// Why `spec`'s container cannot be created without Swarm, if it cannot: a secret or config
/// it uses is external, or its `environment:` variable was not set (both load with a warning).
pub fn unavailable(project: &Project, spec: &ServiceSpec) -> Option<String> {
    let secrets = spec.secrets.iter().map(|r| ("secret", r, &project.secrets));
    let configs = spec.configs.iter().map(|r| ("config", r, &project.configs));
    secrets.chain(configs).find_map(|(what, r, all)| {
        let why = all.get(&r.source)?.unavailable()?;
        Some(format!(
            "service {} uses {what} '{}', which it cannot be given: {why}",
            spec.name, r.source
        ))
    })
}

fn copy(r: &FileRef, value: &str) -> FileCopy {
    let id = |s: &Option<String>| s.as_deref().and_then(|v| v.parse().ok()).unwrap_or(0);
    FileCopy {
        path: r.target.clone(),
        content: value.as_bytes().to_vec(),
        uid: id(&r.uid),
        gid: id(&r.gid),
        mode: r.mode.unwrap_or(DEFAULT_MODE),
    }
}

/// Carries the old container's anonymous volumes over to its replacement, as compose does on
/// a recreate: each volume mount of `old` whose volume is none of the project's named ones
/// (a service's `- /data` or an image's `VOLUME`) is mounted again at the same path, unless
/// the new container mounts something else there; the new container's own anonymous volume
/// at that path is replaced by it.
pub fn carry_anonymous_volumes(
    project: &Project,
    old: &bollard::models::ContainerInspectResponse,
    new: &mut crate::actions::compose::ContainerCreate,
) {
    let named: Vec<&str> = project.volumes.values().map(|v| v.name.as_str()).collect();
    let Some(host) = new.body.host_config.as_mut() else {
        return;
    };
    let bind_targets: Vec<String> = host
        .binds
        .iter()
        .flatten()
        .filter_map(|b| b.split(':').nth(1).map(str::to_string))
        .collect();
    let mounts = host.mounts.get_or_insert_with(Vec::new);
    for m in old.mounts.iter().flatten() {
        let (Some(name), Some(target)) = (&m.name, &m.destination) else {
            continue;
        };
        if m.typ.as_deref() != Some("volume") || named.contains(&name.as_str()) {
            continue;
        }
        let taken = bind_targets.contains(target)
            || mounts.iter().any(|n| {
                n.target.as_ref() == Some(target)
                    && !(n.typ == Some(MountType::VOLUME) && n.source.is_none())
            });
        if taken {
            continue;
        }
        mounts.retain(|n| n.target.as_ref() != Some(target));
        mounts.push(DockerMount {
            typ: Some(MountType::VOLUME),
            source: Some(name.clone()),
            target: Some(target.clone()),
            read_only: Some(!m.rw.unwrap_or(true)),
            ..DockerMount::default()
        });
    }
    if mounts.is_empty() {
        host.mounts = None;
    }
}
