//! The list's rows: the fleet filtered, grouped by compose project (then the rest), and sorted.
//! Computed in `update` when the fleet, the filter, the sort or a fold changes, never in render,
//! so that drawing costs only the rows on screen. A change to one container that leaves its
//! [`RowKey`] alone (what decides whether, where and under which header it is listed) changes
//! no row: the list is rebuilt only when the order can change, at most once per frame.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::config::Column;
use crate::engine::stats::StatsSample;
use crate::engine::{Container, ContainerId, Fleet, RunState};

use super::filter::Filter;

/// A compose project, or `None` for containers outside any project; with several hosts,
/// `HOST/PROJECT` (`HOST/` for those outside any), so that the list groups by host, then
/// project (host names and project names hold no `/`).
pub type GroupKey = Option<String>;

/// The group `c` is listed under: its compose project, else its Podman pod (`pod NAME`: a
/// project name holds no space, so the two never clash).
pub fn group_of(fleet: &Fleet, c: &Container) -> GroupKey {
    let own = c
        .compose_project
        .clone()
        .or_else(|| c.pod.as_ref().map(|pod| format!("{POD_GROUP}{pod}")))
        .or_else(|| swarm_group(c));
    if fleet.several_hosts() {
        Some(format!("{}/{}", c.host, own.unwrap_or_default()))
    } else {
        own
    }
}

/// A Swarm task container's group: its stack (`stack shop`), else its service
/// (`service web`); `None` for any other container.
fn swarm_group(c: &Container) -> Option<String> {
    use crate::engine::swarm::{STACK_LABEL, TASK_ID_LABEL, TASK_SERVICE_LABEL};
    if !c.labels.contains_key(TASK_ID_LABEL) {
        return None;
    }
    match (c.labels.get(STACK_LABEL), c.labels.get(TASK_SERVICE_LABEL)) {
        (Some(stack), _) => Some(format!("stack {stack}")),
        (None, Some(service)) => Some(format!("service {service}")),
        (None, None) => None,
    }
}

/// How a pod's group key (and header) starts.
pub const POD_GROUP: &str = "pod ";

/// The group of the console's compose project `project` (on the first host named).
pub fn project_group(fleet: &Fleet, project: &str) -> GroupKey {
    match (&fleet.primary, fleet.several_hosts()) {
        (Some(host), true) => Some(format!("{host}/{project}")),
        _ => Some(project.to_string()),
    }
}

/// A group's header: `shop`, `(no project)`, or with several hosts `edge-2 · shop`.
pub fn group_title(key: &GroupKey) -> String {
    match key.as_deref() {
        None => "(no project)".into(),
        Some(key) => match key.split_once('/') {
            Some((host, "")) => format!("{host} · (no project)"),
            Some((host, project)) => format!("{host} · {project}"),
            None => key.to_string(),
        },
    }
}

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A compose project's header (or "no project").
    Group {
        key: GroupKey,
        /// Containers of the group that pass the filter.
        count: usize,
        /// How many of them are up.
        up: usize,
        collapsed: bool,
    },
    Container(ContainerId),
    /// A container the compose file wants that does not exist, by name
    /// ([`super::compose::MissingRow`]); listed last in its project's group.
    Missing(String),
}

/// The sort: a column and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Self {
            column: Column::Name,
            descending: false,
        }
    }
}

/// Everything that decides the rows.
pub struct RowInputs<'a> {
    pub fleet: &'a Fleet,
    pub filter: &'a Filter,
    pub sort: Sort,
    pub show_stopped: bool,
    pub collapsed: &'a BTreeSet<GroupKey>,
    pub stats: &'a HashMap<ContainerId, StatsSample>,
    /// The GPU report, for sorting by GPU memory.
    pub gpu: Option<&'a crate::gpu::GpuReport>,
    /// The compose file's containers that do not exist (empty without a file).
    pub missing: &'a [super::compose::MissingRow],
}

impl RowInputs<'_> {
    /// Whether `c` is listed (filter and the stopped switch).
    pub fn shows(&self, c: &Container) -> bool {
        (self.show_stopped || c.state.is_up()) && self.filter.matches(c)
    }
}

/// What decides whether, where and under which header a container is listed (the sort by
/// CPU, memory or GPU aside: stats samples put the order off until the next frame).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowKey {
    shown: bool,
    up: bool,
    project: Option<String>,
    name: String,
    image: String,
    state: RunState,
    health: Option<crate::engine::Health>,
    started_at: Option<chrono::DateTime<chrono::Utc>>,
    finished_at: Option<chrono::DateTime<chrono::Utc>>,
    restart_count: Option<u64>,
    first_port: Option<crate::engine::Port>,
}

impl RowInputs<'_> {
    /// The row key of `c`.
    pub fn key(&self, c: &Container) -> RowKey {
        RowKey {
            shown: self.shows(c),
            up: c.state.is_up(),
            project: group_of(self.fleet, c),
            name: c.name.clone(),
            image: c.image.clone(),
            state: c.state,
            health: c.health,
            started_at: c.started_at,
            finished_at: c.finished_at,
            restart_count: c.restart_count,
            first_port: c.ports.first().cloned(),
        }
    }
}

/// Whether the sort follows the stats samples (so that each sample may reorder the list).
pub fn sorts_by_stats(sort: Sort) -> bool {
    matches!(sort.column, Column::Cpu | Column::Memory | Column::Trend)
}

fn state_rank(state: RunState) -> u8 {
    match state {
        RunState::Running => 0,
        RunState::Restarting => 1,
        RunState::Paused => 2,
        RunState::Created => 3,
        RunState::Removing => 4,
        RunState::Exited => 5,
        RunState::Dead => 6,
        RunState::Unknown => 7,
    }
}

fn compare(a: &Container, b: &Container, inputs: &RowInputs<'_>) -> Ordering {
    let cpu = |c: &Container| inputs.stats.get(&c.id).and_then(|s| s.cpu_percent);
    let mem = |c: &Container| inputs.stats.get(&c.id).map(|s| s.memory_used);
    let gpu = |c: &Container| inputs.gpu.and_then(|r| r.container_memory(&c.id.0));
    let primary = match inputs.sort.column {
        Column::Name => Ordering::Equal,
        Column::Image => a.image.cmp(&b.image),
        Column::State => state_rank(a.state)
            .cmp(&state_rank(b.state))
            .then_with(|| a.health.cmp(&b.health)),
        // Longest up first, then the most recently exited.
        Column::Status => state_rank(a.state)
            .cmp(&state_rank(b.state))
            .then_with(|| a.started_at.cmp(&b.started_at))
            .then_with(|| b.finished_at.cmp(&a.finished_at)),
        Column::Restarts => a.restart_count.cmp(&b.restart_count),
        // The trend sorts as the CPU it draws.
        Column::Cpu | Column::Trend => cpu(a).partial_cmp(&cpu(b)).unwrap_or(Ordering::Equal),
        Column::Memory => mem(a).cmp(&mem(b)),
        Column::Gpu => gpu(a).cmp(&gpu(b)),
        Column::Ports => a.ports.first().cmp(&b.ports.first()),
        Column::Id => a.id.cmp(&b.id),
        Column::Host => a.host.cmp(&b.host),
    };
    let primary = if inputs.sort.descending {
        primary.reverse()
    } else {
        primary
    };
    let by_name = a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id));
    primary.then(
        if inputs.sort.descending && inputs.sort.column == Column::Name {
            by_name.reverse()
        } else {
            by_name
        },
    )
}

/// Builds the rows. Headers appear only when at least one listed container is in a project.
pub fn build(inputs: &RowInputs<'_>) -> Vec<Row> {
    let mut groups: BTreeMap<String, Vec<&Container>> = BTreeMap::new();
    let mut rest: Vec<&Container> = Vec::new();
    for c in inputs.fleet.containers().filter(|c| inputs.shows(c)) {
        match group_of(inputs.fleet, c) {
            Some(p) => groups.entry(p).or_default().push(c),
            None => rest.push(c),
        }
    }
    // Missing rows pass the filter as the container they would be, whatever the stopped switch.
    let mut missing: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for m in inputs.missing {
        if let Some(p) = &m.container.compose_project
            && inputs.filter.matches(&m.container)
            && let Some(key) = project_group(inputs.fleet, p)
        {
            groups.entry(key.clone()).or_default();
            missing
                .entry(key)
                .or_default()
                .push(m.container.name.as_str());
        }
    }
    let sort = |list: &mut Vec<&Container>| list.sort_by(|a, b| compare(a, b, inputs));
    if groups.is_empty() {
        sort(&mut rest);
        return rest
            .into_iter()
            .map(|c| Row::Container(c.id.clone()))
            .collect();
    }
    let mut rows = Vec::new();
    let mut push_group = |key: GroupKey, mut members: Vec<&Container>, missing: &[&str]| {
        let collapsed = inputs.collapsed.contains(&key);
        rows.push(Row::Group {
            count: members.len(),
            up: members.iter().filter(|c| c.state.is_up()).count(),
            key,
            collapsed,
        });
        if !collapsed {
            sort(&mut members);
            rows.extend(members.into_iter().map(|c| Row::Container(c.id.clone())));
            rows.extend(missing.iter().map(|name| Row::Missing((*name).to_string())));
        }
    };
    for (project, members) in groups {
        let wanted = missing.get(&project).map_or(&[][..], Vec::as_slice);
        push_group(Some(project), members, wanted);
    }
    if !rest.is_empty() {
        push_group(None, rest, &[]);
    }
    rows
}

/// The containers of one group that are listed (whether the group is folded or not).
pub fn members<'a>(inputs: &RowInputs<'a>, key: &GroupKey) -> Vec<&'a Container> {
    let mut list: Vec<&Container> = inputs
        .fleet
        .containers()
        .filter(|c| group_of(inputs.fleet, c) == *key && inputs.shows(c))
        .collect();
    list.sort_by(|a, b| compare(a, b, inputs));
    list
}
