//! Unit tests of the GC planner: owner gone, alive, on another host, reused pid, keeper jobs,
//! protection, max age, groups, and never a container fleetdeck does not own.

use super::*;

const HOST: &str = "box";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

fn owned(id: &str, pid: u32, extra: &[(&str, &str)]) -> Container {
    let mut c = Container::new(ContainerId(id.into()), format!("c-{id}"));
    let mut labels: std::collections::BTreeMap<String, String> = [
        (OWNER_LABEL, "fleetdeck".to_string()),
        (OWNER_PID_LABEL, pid.to_string()),
        (OWNER_HOST_LABEL, HOST.to_string()),
        (OWNER_START_LABEL, "100".to_string()),
        (KIND_LABEL, "run".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        labels.insert(k.to_string(), v.to_string());
    }
    c.set_labels(labels);
    c.created = Some(now() - chrono::Duration::hours(1));
    c
}

/// Pid 1 is alive (started at 100); every other pid is gone.
fn alive(pid: u32, start: Option<u64>) -> bool {
    pid == 1 && start.is_none_or(|s| s == 100)
}

fn verdicts(cs: &[Container], opts: &GcOptions) -> Vec<(String, bool, String)> {
    plan(cs, now(), HOST, alive, opts)
        .into_iter()
        .map(|i| (i.id.0, i.remove, i.reason))
        .collect()
}

#[test]
fn owner_gone_is_removed_alive_is_kept() {
    let v = verdicts(
        &[owned("a", 1, &[]), owned("b", 2, &[])],
        &GcOptions::default(),
    );
    assert_eq!(v.len(), 2);
    assert!(!v[0].1, "{v:?}");
    assert!(v[0].2.contains("alive"), "{v:?}");
    assert!(v[1].1, "{v:?}");
    assert!(v[1].2.contains("owner process 2"), "{v:?}");
}

#[test]
fn a_reused_pid_is_not_the_owner() {
    let c = owned("a", 1, &[(OWNER_START_LABEL, "999")]);
    let v = verdicts(&[c], &GcOptions::default());
    assert!(v[0].1, "pid 1 now is another process: {v:?}");
}

#[test]
fn unowned_containers_are_never_listed() {
    let mut stranger = owned("a", 2, &[]);
    stranger.labels.remove(OWNER_LABEL);
    let mut other_owner = owned("b", 2, &[]);
    other_owner
        .labels
        .insert(OWNER_LABEL.into(), "someone-else".into());
    let opts = GcOptions {
        max_age: Some(Duration::from_secs(1)),
        ..GcOptions::default()
    };
    assert!(plan(&[stranger, other_owner], now(), HOST, |_, _| false, &opts).is_empty());
}

#[test]
fn other_hosts_and_compose_containers_are_kept() {
    let mut elsewhere = owned("a", 2, &[]);
    elsewhere
        .labels
        .insert(OWNER_HOST_LABEL.into(), "far".into());
    let mut compose = owned("b", 2, &[]);
    compose.labels.remove(OWNER_PID_LABEL);
    compose.labels.remove(KIND_LABEL);
    let opts = GcOptions {
        max_age: Some(Duration::from_secs(1)),
        ..GcOptions::default()
    };
    let v = verdicts(&[elsewhere.clone(), compose], &opts);
    // Past the max age, a one-shot goes wherever its owner is; a compose container never.
    assert!(v[0].1 && v[0].2.contains("max age"), "{v:?}");
    assert!(!v[1].1 && v[1].2.contains("compose"), "{v:?}");
    let v = verdicts(&[elsewhere], &GcOptions::default());
    assert!(!v[0].1 && v[0].2.contains("another host"), "{v:?}");
}

#[test]
fn a_keeper_job_is_named_by_its_instance() {
    let c = owned(
        "a",
        2,
        &[(OWNER_KIND_LABEL, "keeper"), (OWNER_ID_LABEL, "box:2:100")],
    );
    let v = verdicts(&[c], &GcOptions::default());
    assert!(v[0].1);
    assert!(v[0].2.contains("keeper instance box:2:100"), "{v:?}");
}

#[test]
fn protection_holds_until_its_time() {
    let later = owned("a", 2, &[(PROTECTED_UNTIL_LABEL, "2024-05-01T13:00:00Z")]);
    let past = owned("b", 2, &[(PROTECTED_UNTIL_LABEL, "2024-05-01T11:00:00Z")]);
    let garbage = owned("c", 2, &[(PROTECTED_UNTIL_LABEL, "soon")]);
    let v = verdicts(&[later, past, garbage], &GcOptions::default());
    assert!(!v[0].1 && v[0].2.contains("protected until"), "{v:?}");
    assert!(v[1].1, "{v:?}");
    assert!(!v[2].1 && v[2].2.contains("not an RFC 3339"), "{v:?}");
}

#[test]
fn max_age_removes_old_one_shots_of_live_owners() {
    let opts = GcOptions {
        max_age: Some(Duration::from_secs(1800)),
        ..GcOptions::default()
    };
    let mut young = owned("b", 1, &[]);
    young.created = Some(now() - chrono::Duration::minutes(5));
    let v = verdicts(&[owned("a", 1, &[]), young], &opts);
    assert!(v[0].1 && v[0].2.contains("max age"), "{v:?}");
    assert!(!v[1].1, "{v:?}");
}

#[test]
fn group_narrows_the_run() {
    let a = owned("a", 2, &[(GROUP_LABEL, "batch")]);
    let b = owned("b", 2, &[(GROUP_LABEL, "other")]);
    let c = owned("c", 2, &[]);
    let opts = GcOptions {
        group: Some("batch".into()),
        ..GcOptions::default()
    };
    let v = plan(&[a, b, c], now(), HOST, alive, &opts);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].group.as_deref(), Some("batch"));
}
