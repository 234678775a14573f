//! Process → container: a PID's `/proc/PID/cgroup` names the container it runs in. Handles
//! cgroup v1 and v2, the cgroupfs driver (`/docker/<id>`) and the systemd driver
//! (`/system.slice/docker-<id>.scope`), and nested paths (Docker in Docker, Kubernetes pods):
//! the container is the innermost 64-hex token that the daemon knows.

use std::io;
use std::path::Path;

/// Prefixes and suffixes that runtimes put around a container id in a cgroup path segment.
const PREFIXES: &[&str] = &["docker-", "cri-containerd-", "crio-", "libpod-"];
const SUFFIXES: &[&str] = &[".scope", ".slice"];

fn is_container_id(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The 64-hex tokens in one cgroup path, outermost first.
fn ids_in_path(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|segment| {
        let mut token = segment;
        for prefix in PREFIXES {
            if let Some(rest) = token.strip_prefix(prefix) {
                token = rest;
                break;
            }
        }
        for suffix in SUFFIXES {
            if let Some(rest) = token.strip_suffix(suffix) {
                token = rest;
                break;
            }
        }
        is_container_id(token).then_some(token)
    })
}

/// The container a process belongs to, from the text of its `/proc/PID/cgroup`: the innermost
/// 64-hex token in any hierarchy's path for which `known` holds.
pub fn container_of(cgroup_text: &str, known: impl Fn(&str) -> bool) -> Option<String> {
    let mut found: Option<&str> = None;
    for line in cgroup_text.lines() {
        // hierarchy-ID:controller-list:cgroup-path (v2 has "0::/path").
        let Some(path) = line.splitn(3, ':').nth(2) else {
            continue;
        };
        if let Some(id) = ids_in_path(path).filter(|id| known(id)).last() {
            found = Some(id);
        }
    }
    found.map(str::to_string)
}

/// Reads `/proc/PID/cgroup` under `proc_root`. `Ok(None)` when the process has gone.
pub fn read_cgroup(proc_root: &Path, pid: u32) -> io::Result<Option<String>> {
    read_optional(&proc_root.join(pid.to_string()).join("cgroup"))
}

/// The PID inside the process's innermost PID namespace (the last field of `NSpid`).
pub fn namespace_pid(proc_root: &Path, pid: u32) -> Option<u32> {
    let status = read_optional(&proc_root.join(pid.to_string()).join("status")).ok()??;
    let line = status.lines().find(|l| l.starts_with("NSpid:"))?;
    line.split_whitespace().last()?.parse().ok()
}

/// The process's command line, arguments joined by spaces.
pub fn command_line(proc_root: &Path, pid: u32) -> Option<String> {
    let raw = std::fs::read(proc_root.join(pid.to_string()).join("cmdline")).ok()?;
    let text: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|part| !part.is_empty())
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect();
    (!text.is_empty()).then(|| text.join(" "))
}

fn read_optional(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        // A PID that vanished between the sample and the read is skipped, not an error.
        Err(e) if matches!(e.kind(), io::ErrorKind::NotFound) || e.raw_os_error() == Some(3) => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "2548f13f1f6b2851026bdf144d0de6953a83362d0d264f3400d36d8e6c43b01e";
    const OUTER: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn any(_: &str) -> bool {
        true
    }

    #[test]
    fn v1_cgroupfs() {
        // As read on this project's machines (Docker 20.10, cgroup v1, cgroupfs driver).
        let text = format!(
            "12:memory:/docker/{ID}\n9:name=systemd:/docker/{ID}\n8:pids:/docker/{ID}\n1:cpuset:/docker/{ID}\n"
        );
        assert_eq!(container_of(&text, any).as_deref(), Some(ID));
    }

    #[test]
    fn v1_systemd() {
        let text = format!(
            "11:memory:/system.slice/docker-{ID}.scope\n1:name=systemd:/system.slice/docker-{ID}.scope\n"
        );
        assert_eq!(container_of(&text, any).as_deref(), Some(ID));
    }

    #[test]
    fn v2_cgroupfs() {
        let text = format!("0::/docker/{ID}\n");
        assert_eq!(container_of(&text, any).as_deref(), Some(ID));
    }

    #[test]
    fn v2_systemd() {
        let text = format!("0::/system.slice/docker-{ID}.scope\n");
        assert_eq!(container_of(&text, any).as_deref(), Some(ID));
    }

    #[test]
    fn nested_takes_the_innermost_known() {
        let text = format!("0::/docker/{OUTER}/docker/{ID}\n");
        assert_eq!(container_of(&text, any).as_deref(), Some(ID));
        // When only the outer one is a container this daemon knows, that is the answer.
        assert_eq!(
            container_of(&text, |id| id == OUTER).as_deref(),
            Some(OUTER)
        );
        let kube = format!(
            "0::/kubepods.slice/kubepods-burstable.slice/kubepods-pod1.slice/cri-containerd-{ID}.scope\n"
        );
        assert_eq!(container_of(&kube, any).as_deref(), Some(ID));
    }

    #[test]
    fn no_container() {
        assert_eq!(
            container_of("0::/user.slice/user-0.slice/session-1.scope\n", any),
            None
        );
        assert_eq!(container_of("9:name=systemd:/\n8:pids:/\n", any), None);
        // A 64-hex token the daemon does not know is not a container of ours.
        assert_eq!(container_of(&format!("0::/docker/{ID}\n"), |_| false), None);
        // A token of the wrong length is not an id.
        assert_eq!(container_of("0::/docker/abc123\n", any), None);
        assert_eq!(container_of("garbage", any), None);
    }

    #[test]
    fn vanished_pid_is_none_not_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert!(matches!(read_cgroup(dir.path(), 424242), Ok(None)));
        assert_eq!(namespace_pid(dir.path(), 424242), None);
        assert_eq!(command_line(dir.path(), 424242), None);
    }
}
