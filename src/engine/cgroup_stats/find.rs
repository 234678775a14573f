//! Finding a container's cgroup directory when it is not where Docker puts it. Podman's are
//! `libpod_parent/libpod-<id>` (cgroupfs driver) or `machine.slice/libpod-<id>.scope`
//! (systemd, rootful): tried right after Docker's two ([`candidates`]). Anything else — a
//! Podman pod's container (`libpod_parent/<pod id>/libpod-<id>`,
//! `machine.slice/machine-libpod_pod_<pod id>.slice/libpod-<id>.scope`), rootless Podman
//! (`user.slice/user-UID.slice/user@UID.service/user.slice/libpod-<id>.scope`), a custom
//! `--cgroup-parent` — is found by [`Finder`]: one walk of the CPU hierarchy that indexes
//! every directory named after a full container id, made at most once per [`WALK_EVERY`] and
//! only while a running container is still unfound, so a fleet whose cgroups are elsewhere
//! (a daemon in a VM) costs one bounded walk every few seconds, not one per container.
//!
//! The kernel names the cgroup of a container's process in `/proc/PID/cgroup`, but the PID is
//! the daemon's to tell (an inspect per container) and the sampler reads no daemon: the
//! directory names say the same for every engine here, and conmon's own cgroup
//! (`libpod-conmon-<id>`) is left out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{CgroupLayout, ContainerCgroup};

/// The least time between two walks of the hierarchy.
pub const WALK_EVERY: Duration = Duration::from_secs(5);
/// How deep a walk goes below the hierarchy's root (rootless Podman's scopes are at 5).
const MAX_DEPTH: usize = 8;
/// The most directories one walk reads: bounds its cost whatever the machine.
const MAX_DIRS: usize = 100_000;

/// Whether `id` is a full container id (64 hexadecimal digits; also what a path may hold).
pub fn is_full_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Podman's places for container `id`'s cgroup, below a hierarchy's root: cgroupfs, then
/// systemd.
pub fn candidates(id: &str) -> [PathBuf; 2] {
    [
        Path::new("libpod_parent").join(format!("libpod-{id}")),
        Path::new("machine.slice").join(format!("libpod-{id}.scope")),
    ]
}

/// The container id a cgroup directory's name carries, if it is a container's: `<id>`,
/// `docker-<id>.scope`, `libpod-<id>`, `libpod-<id>.scope`, `crio-<id>.scope`,
/// `cri-containerd-<id>.scope`. Conmon's (`libpod-conmon-<id>`) is not.
pub fn id_in_name(name: &str) -> Option<&str> {
    let stem = name.strip_suffix(".scope").unwrap_or(name);
    if stem.contains("conmon") {
        return None;
    }
    let id = stem.rsplit('-').next().unwrap_or(stem);
    is_full_id(id).then_some(id)
}

/// The walk's index and when it was made.
#[derive(Debug, Default)]
pub struct Finder {
    /// Container id → its directory below the hierarchy's root.
    index: HashMap<String, PathBuf>,
    walked_at: Option<Instant>,
}

impl Finder {
    /// Finds container `id`'s cgroup: Docker's and Podman's places first, then the last walk's
    /// index, then a new walk when the last is older than [`WALK_EVERY`].
    pub fn locate(&mut self, layout: &CgroupLayout, id: &str) -> Option<ContainerCgroup> {
        if let Some(found) = layout.locate(id) {
            return Some(found);
        }
        if !is_full_id(id) {
            return None;
        }
        if let Some(found) = self.index.get(id).and_then(|rel| layout.at(rel)) {
            return Some(found);
        }
        let now = Instant::now();
        if self
            .walked_at
            .is_some_and(|at| now.saturating_duration_since(at) < WALK_EVERY)
        {
            return None;
        }
        self.walked_at = Some(now);
        self.index = walk(layout.cpu_root());
        self.index.get(id).and_then(|rel| layout.at(rel))
    }
}

/// Every directory under `root` (to [`MAX_DEPTH`], at most [`MAX_DIRS`]) named after a
/// container id, by id. Unreadable directories are skipped.
pub fn walk(root: &Path) -> HashMap<String, PathBuf> {
    let mut index = HashMap::new();
    let mut queue = vec![(PathBuf::new(), 0usize)];
    let mut seen = 0usize;
    while let Some((rel, depth)) = queue.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            seen += 1;
            if seen > MAX_DIRS {
                log::debug!(
                    "cgroup walk of {} stopped at {MAX_DIRS} directories",
                    root.display()
                );
                return index;
            }
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let child = rel.join(name);
            if let Some(id) = id_in_name(name) {
                // The first (shallowest on its branch) wins. Still descended into: a pod's
                // cgroupfs directory is named by the pod's id, its containers' are below.
                index.entry(id.to_string()).or_insert_with(|| child.clone());
            }
            if depth + 1 < MAX_DEPTH {
                queue.push((child, depth + 1));
            }
        }
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "59b56edd8dd6739386738c0f4fd85c72bffe933dfae1c6f8ff59acbd763d3b8a";
    const POD: &str = "5a24a52d679147cbcc532d25596ed552cc79b9a611f5853b30d96ebb427e3f14";

    #[test]
    fn directory_names_that_carry_a_container_id() {
        assert_eq!(id_in_name(ID), Some(ID));
        assert_eq!(id_in_name(&format!("libpod-{ID}")), Some(ID));
        assert_eq!(id_in_name(&format!("libpod-{ID}.scope")), Some(ID));
        assert_eq!(id_in_name(&format!("docker-{ID}.scope")), Some(ID));
        assert_eq!(id_in_name(&format!("cri-containerd-{ID}.scope")), Some(ID));
        assert_eq!(id_in_name(&format!("libpod-conmon-{ID}.scope")), None);
        assert_eq!(id_in_name("libpod_parent"), None);
        assert_eq!(id_in_name("user@1000.service"), None);
        assert_eq!(id_in_name(&format!("libpod-{}", &ID[..63])), None);
    }

    /// A v1 hierarchy (hybrid, as on the test machines) holding `rels` in cpuacct and memory.
    fn v1_with(rels: &[PathBuf]) -> (tempfile::TempDir, CgroupLayout) {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        for controller in ["cpuacct", "memory"] {
            std::fs::create_dir_all(root.join(controller)).expect("mkdir");
        }
        std::fs::write(root.join("cpuacct/cpuacct.usage"), "1\n").expect("write");
        std::fs::write(root.join("memory/memory.usage_in_bytes"), "1\n").expect("write");
        for rel in rels {
            for controller in ["cpuacct", "memory"] {
                std::fs::create_dir_all(root.join(controller).join(rel)).expect("mkdir");
            }
        }
        let layout = super::super::CgroupRoot::detect(root).expect("a v1 layout");
        (dir, layout)
    }

    #[test]
    fn podmans_own_places_are_found_without_a_walk() {
        let rel = Path::new("libpod_parent").join(format!("libpod-{ID}"));
        let (_dir, layout) = v1_with(std::slice::from_ref(&rel));
        let found = layout.locate(ID).expect("found");
        assert!(found.cpu_dir().ends_with(&rel));
        let rel = Path::new("machine.slice").join(format!("libpod-{ID}.scope"));
        let (_dir, layout) = v1_with(std::slice::from_ref(&rel));
        assert!(layout.locate(ID).is_some());
    }

    #[test]
    fn a_pods_and_a_rootless_container_are_found_by_the_walk() {
        let in_pod = Path::new("libpod_parent")
            .join(POD)
            .join(format!("libpod-{ID}"));
        let other = "a".repeat(64);
        let rootless = Path::new("user.slice/user-1000.slice/user@1000.service/user.slice")
            .join(format!("libpod-{other}.scope"));
        let conmon = Path::new("machine.slice").join(format!("libpod-conmon-{ID}.scope"));
        let (_dir, layout) = v1_with(&[in_pod.clone(), rootless.clone(), conmon]);
        assert!(layout.locate(ID).is_none(), "not in a fixed place");
        let mut finder = Finder::default();
        let found = finder.locate(&layout, ID).expect("found by the walk");
        assert!(
            found.cpu_dir().ends_with(&in_pod),
            "not conmon's: {found:?}"
        );
        // The same walk found the rootless one: no second walk needed (and none allowed yet).
        let found = finder.locate(&layout, &other).expect("from the index");
        assert!(found.cpu_dir().ends_with(&rootless));
        assert!(finder.locate(&layout, &"b".repeat(64)).is_none());
        assert!(finder.locate(&layout, "short").is_none());
    }
}
