//! The host views' state and update: `:images`, `:volumes`, `:networks` and `:df`, on every
//! host (their rows tagged with it). Opening a view asks the loop for its lists
//! ([`ObjectsEffect::Load`]) and, where the view shows sizes only the disk-usage call knows
//! (images' shared size, volumes' size, the disk view), for that call
//! ([`ObjectsEffect::DiskUsage`]): both are carried out off the loop. The lists are kept live
//! from the image, volume and network events (and a container's create and destroy, which
//! change the "containers" counts): one reread in flight per host, another queued behind it
//! if more events came; the disk-usage call is never repeated on events (`R` asks again).
//!
//! Actions (remove, force-remove, pull, prune) are asked about first; prune shows its plan,
//! what goes and the bytes it frees, in the question, before anything goes.

use std::collections::{BTreeMap, BTreeSet};

use super::{AppState, Base, Effect, Overlay};
use crate::actions::objects::ObjectTarget;
use crate::actions::objects::prune::{PruneKind, PrunePlan};
use crate::config::keys::ConsoleCommand;
use crate::engine::objects::{DiskUsage, ImageRow, NetworkRow, ObjectKind, VolumeRow};
use crate::engine::{EventAction, FleetUpdate};

/// Which host view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ObjectView {
    #[default]
    Images,
    Volumes,
    Networks,
    /// Disk usage (`/system/df`).
    Df,
}

impl ObjectView {
    pub fn title(self) -> &'static str {
        match self {
            Self::Images => "images",
            Self::Volumes => "volumes",
            Self::Networks => "networks",
            Self::Df => "disk usage",
        }
    }

    /// The objects the view lists (none for the disk view).
    pub fn kind(self) -> Option<ObjectKind> {
        match self {
            Self::Images => Some(ObjectKind::Image),
            Self::Volumes => Some(ObjectKind::Volume),
            Self::Networks => Some(ObjectKind::Network),
            Self::Df => None,
        }
    }

    /// Whether the view shows what only the disk-usage call knows.
    fn needs_usage(self) -> bool {
        !matches!(self, Self::Networks)
    }

    /// What `P` prunes here.
    pub fn prune_kinds(self) -> Vec<PruneKind> {
        match self {
            Self::Images => vec![PruneKind::Images],
            Self::Volumes => vec![PruneKind::Volumes],
            Self::Networks => vec![PruneKind::Networks],
            Self::Df => PruneKind::ALL.to_vec(),
        }
    }
}

/// One host's list, as the loop read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    Images(Vec<ImageRow>),
    Volumes(Vec<VolumeRow>),
    Networks(Vec<NetworkRow>),
}

/// What the loop sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectsMsg {
    Listed {
        host: String,
        result: Result<Listed, String>,
    },
    Usage {
        host: String,
        result: Result<Box<DiskUsage>, String>,
    },
    /// The prune plans of every host, for the question.
    Planned(Result<Vec<(String, PrunePlan)>, String>),
    /// An action ended (or made progress: `done` false), in words for the status line.
    Done {
        text: String,
        is_error: bool,
        done: bool,
    },
}

/// What the console asks the loop to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectsEffect {
    /// Read the view's list: one host's, or (`None`) every host's.
    Load {
        view: ObjectView,
        host: Option<String>,
    },
    /// The disk-usage call on every host.
    DiskUsage,
    PlanPrune {
        kinds: Vec<PruneKind>,
    },
    RunPrune {
        plans: Vec<(String, PrunePlan)>,
    },
    Remove {
        host: String,
        target: ObjectTarget,
        force: bool,
    },
    Pull {
        host: String,
        reference: String,
    },
}

/// An action waiting for the user's yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Remove {
        host: String,
        target: ObjectTarget,
        force: bool,
    },
    Pull {
        host: String,
        reference: String,
    },
    Prune {
        plans: Vec<(String, PrunePlan)>,
    },
}

/// The host views' state.
#[derive(Debug, Clone, Default)]
pub struct ObjectsState {
    pub view: ObjectView,
    pub selected: usize,
    pub offset: usize,
    /// Each host's rows, by host.
    pub images: Vec<(String, ImageRow)>,
    pub volumes: Vec<(String, VolumeRow)>,
    pub networks: Vec<(String, NetworkRow)>,
    /// Each host's disk usage, or why there is none.
    pub usage: BTreeMap<String, Result<Box<DiskUsage>, String>>,
    /// Each host's last list error.
    pub errors: BTreeMap<String, String>,
    /// Hosts with a list read in flight, and those to read again when it ends.
    pub loading: BTreeSet<String>,
    pub queued: BTreeSet<String>,
    /// The disk-usage call is in flight.
    pub usage_loading: bool,
    pub pending: Option<Pending>,
}

impl ObjectsState {
    /// How many rows the view has.
    pub fn len(&self) -> usize {
        match self.view {
            ObjectView::Images => self.images.len(),
            ObjectView::Volumes => self.volumes.len(),
            ObjectView::Networks => self.networks.len(),
            ObjectView::Df => self.usage.len() * 4,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The selected row's host and target, in a view of objects.
    fn selected_target(&self) -> Option<(String, ObjectTarget)> {
        let target = |kind, id: &str, name: &str| ObjectTarget {
            kind,
            id: id.to_string(),
            name: name.to_string(),
        };
        match self.view {
            ObjectView::Images => self.images.get(self.selected).map(|(h, i)| {
                let name = if i.tags.is_empty() {
                    i.short_id()
                } else {
                    i.name()
                };
                (h.clone(), target(ObjectKind::Image, &i.id, name))
            }),
            ObjectView::Volumes => self
                .volumes
                .get(self.selected)
                .map(|(h, v)| (h.clone(), target(ObjectKind::Volume, &v.name, &v.name))),
            ObjectView::Networks => self
                .networks
                .get(self.selected)
                .map(|(h, n)| (h.clone(), target(ObjectKind::Network, &n.id, &n.name))),
            ObjectView::Df => None,
        }
    }

    /// Replaces one host's rows.
    fn set(&mut self, host: &str, listed: Listed) {
        fn replace<T>(rows: &mut Vec<(String, T)>, host: &str, fresh: Vec<T>) {
            rows.retain(|(h, _)| h != host);
            rows.extend(fresh.into_iter().map(|r| (host.to_string(), r)));
            // Stable: each host's rows keep the order the engine gave them.
            rows.sort_by(|a, b| a.0.cmp(&b.0));
        }
        match listed {
            Listed::Images(rows) => replace(&mut self.images, host, rows),
            Listed::Volumes(rows) => replace(&mut self.volumes, host, rows),
            Listed::Networks(rows) => replace(&mut self.networks, host, rows),
        }
    }
}

/// Opens a host view (`:images`...): reads its lists, and the disk usage where it shows it.
pub fn open(state: &mut AppState, view: ObjectView, effects: &mut Vec<Effect>) {
    let objects = state.objects.get_or_insert_with(Box::default);
    let changed = objects.view != view || state.base != Base::Objects;
    objects.view = view;
    if changed {
        objects.selected = 0;
        objects.offset = 0;
    }
    state.base = Base::Objects;
    state.inspect = None;
    state.dirty = true;
    reload(state, effects, true);
}

/// Reads the view's lists again (every host), and the disk usage when `usage` and the view
/// shows it.
fn reload(state: &mut AppState, effects: &mut Vec<Effect>, usage: bool) {
    let Some(objects) = state.objects.as_mut() else {
        return;
    };
    let view = objects.view;
    if view.kind().is_some() {
        let hosts: Vec<String> = state.fleet.connections.keys().cloned().collect();
        if hosts.iter().all(|h| !objects.loading.contains(h)) {
            objects.loading.extend(hosts);
            effects.push(Effect::Objects(ObjectsEffect::Load { view, host: None }));
        } else {
            objects.queued.extend(hosts);
        }
    }
    if usage && view.needs_usage() && !objects.usage_loading {
        objects.usage_loading = true;
        effects.push(Effect::Objects(ObjectsEffect::DiskUsage));
    }
}

/// Whether an event changes what the open view lists (a host connected again: what it
/// answered before may be stale or an error).
fn touches(view: ObjectView, update: &FleetUpdate) -> Option<String> {
    match update {
        FleetUpdate::Connection(host, crate::engine::Connection::Connected { .. })
            if view.kind().is_some() =>
        {
            Some(host.clone())
        }
        FleetUpdate::Object(e) if Some(e.kind) == view.kind() => Some(e.host.clone()),
        FleetUpdate::Event(e)
            if view.kind().is_some()
                && matches!(e.action, EventAction::Create | EventAction::Destroy) =>
        {
            Some(e.host.clone())
        }
        _ => None,
    }
}

/// A fleet update while a host view is open: its host's list is read again (one read in
/// flight per host; more events meanwhile queue one more).
pub(super) fn on_fleet(state: &mut AppState, update: &FleetUpdate, effects: &mut Vec<Effect>) {
    if state.base != Base::Objects {
        return;
    }
    let Some(objects) = state.objects.as_mut() else {
        return;
    };
    let Some(host) = touches(objects.view, update) else {
        return;
    };
    if objects.loading.contains(&host) {
        objects.queued.insert(host);
    } else {
        objects.loading.insert(host.clone());
        effects.push(Effect::Objects(ObjectsEffect::Load {
            view: objects.view,
            host: Some(host),
        }));
    }
}

/// What the loop sent back.
pub(super) fn on_msg(state: &mut AppState, msg: ObjectsMsg, effects: &mut Vec<Effect>) {
    let open = state.base == Base::Objects;
    let Some(objects) = state.objects.as_mut() else {
        return;
    };
    match msg {
        ObjectsMsg::Listed { host, result } => {
            objects.loading.remove(&host);
            match result {
                Ok(listed) => {
                    objects.errors.remove(&host);
                    objects.set(&host, listed);
                }
                Err(e) => {
                    objects.errors.insert(host.clone(), e);
                }
            }
            if objects.queued.remove(&host) && open {
                objects.loading.insert(host.clone());
                effects.push(Effect::Objects(ObjectsEffect::Load {
                    view: objects.view,
                    host: Some(host),
                }));
            }
            objects.selected = objects.selected.min(objects.len().saturating_sub(1));
        }
        ObjectsMsg::Usage { host, result } => {
            objects.usage_loading = false;
            objects.usage.insert(host, result);
        }
        ObjectsMsg::Planned(Ok(plans)) => {
            if plans.iter().all(|(_, p)| p.items.is_empty()) {
                state.set_status("prune: nothing to remove", false);
            } else {
                objects.pending = Some(Pending::Prune { plans });
                state.overlay = Some(Overlay::Confirm);
            }
        }
        ObjectsMsg::Planned(Err(e)) => state.set_status(format!("prune: {e}"), true),
        ObjectsMsg::Done {
            text,
            is_error,
            done,
        } => {
            state.set_status(text, is_error);
            if done {
                reload(state, effects, true);
            }
        }
    }
    state.dirty |= open;
}

/// A key in a host view.
pub(super) fn run_command(
    state: &mut AppState,
    command: ConsoleCommand,
    effects: &mut Vec<Effect>,
) {
    use ConsoleCommand as Cmd;
    match command {
        Cmd::Up | Cmd::Down | Cmd::Top | Cmd::Bottom | Cmd::PageUp | Cmd::PageDown => {
            move_selection(state, command);
        }
        Cmd::ObjectRemove | Cmd::ObjectForceRemove | Cmd::Pull | Cmd::Prune => {
            request(state, command, effects);
        }
        Cmd::Refresh => reload(state, effects, true),
        Cmd::Back => {
            state.base = super::Base::List;
            state.clamp_selection();
        }
        Cmd::Help => super::help::open(state),
        Cmd::Quit => effects.push(Effect::Quit),
        Cmd::CommandLine => {
            state.input.clear();
            state.overlay = Some(Overlay::Command);
        }
        _ => {}
    }
    state.dirty = true;
}

/// How many rows fit in the view's pane.
pub fn page(state: &AppState) -> usize {
    state.panes().objects.map_or(1, |pane| {
        usize::from(crate::geometry::list_geometry(pane).body.height).max(1)
    })
}

fn move_selection(state: &mut AppState, command: ConsoleCommand) {
    let page = page(state);
    let Some(objects) = state.objects.as_mut() else {
        return;
    };
    let max = objects.len().saturating_sub(1);
    objects.selected = super::scroll(objects.selected, max, page, command);
    if objects.selected < objects.offset {
        objects.offset = objects.selected;
    } else if objects.selected >= objects.offset + page {
        objects.offset = objects.selected + 1 - page;
    }
}

/// An action key: refused read-only, else asked about (prune: after its plan comes back).
fn request(state: &mut AppState, command: ConsoleCommand, effects: &mut Vec<Effect>) {
    if state.settings.read_only {
        state.set_status("refused: fleetdeck is read-only (--read-only)", true);
        return;
    }
    let Some(objects) = state.objects.as_mut() else {
        return;
    };
    if command == ConsoleCommand::Prune {
        let kinds = objects.view.prune_kinds();
        effects.push(Effect::Objects(ObjectsEffect::PlanPrune { kinds }));
        state.set_status("prune: reading what would go...", false);
        return;
    }
    let Some((host, target)) = objects.selected_target() else {
        state.set_status("nothing selected", true);
        return;
    };
    let pending = match command {
        ConsoleCommand::Pull => {
            let tag = objects
                .images
                .get(objects.selected)
                .and_then(|(_, i)| i.tags.first().cloned());
            match tag {
                Some(reference) if target.kind == ObjectKind::Image => {
                    Pending::Pull { host, reference }
                }
                _ => {
                    state.set_status("pull: select a tagged image", true);
                    return;
                }
            }
        }
        ConsoleCommand::ObjectForceRemove if target.kind != ObjectKind::Image => {
            state.set_status("force-remove is for images (volumes and networks: d)", true);
            return;
        }
        _ => Pending::Remove {
            host,
            target,
            force: command == ConsoleCommand::ObjectForceRemove,
        },
    };
    objects.pending = Some(pending);
    state.overlay = Some(Overlay::Confirm);
}

/// The question of the pending host action, with whether it destroys something.
pub fn question(state: &AppState) -> Option<(String, bool)> {
    let pending = state.objects.as_ref()?.pending.as_ref()?;
    Some(match pending {
        Pending::Remove { target, force, .. } => {
            let verb = if *force { "force-remove" } else { "remove" };
            let kind = match target.kind {
                ObjectKind::Image => "image",
                ObjectKind::Volume => "volume",
                ObjectKind::Network => "network",
            };
            (format!("{verb} {kind} {}", target.name), true)
        }
        Pending::Pull { reference, .. } => (format!("pull {reference}"), false),
        Pending::Prune { plans } => (prune_question(plans), true),
    })
}

/// "prune 3 images, 1 volume (12.0 MiB): ab12cd34ef56, old:1, ..."
fn prune_question(plans: &[(String, PrunePlan)]) -> String {
    let items: Vec<&crate::actions::objects::prune::PruneItem> =
        plans.iter().flat_map(|(_, p)| p.items.iter()).collect();
    let bytes: u64 = plans.iter().map(|(_, p)| p.bytes()).sum();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for i in &items {
        *counts.entry(i.kind.word()).or_default() += 1;
    }
    let counts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let names: Vec<&str> = items.iter().take(8).map(|i| i.name.as_str()).collect();
    let more = items.len().saturating_sub(names.len());
    let tail = if more > 0 {
        format!(", and {more} more")
    } else {
        String::new()
    };
    format!(
        "prune {} (frees {}): {}{tail}",
        counts.join(", "),
        crate::present::bytes(bytes),
        names.join(", ")
    )
}

/// The answer to a pending host action; `false` when none was pending.
pub(super) fn answer(state: &mut AppState, yes: bool, effects: &mut Vec<Effect>) -> bool {
    let Some(pending) = state.objects.as_mut().and_then(|o| o.pending.take()) else {
        return false;
    };
    if !yes {
        state.set_status("cancelled", false);
        return true;
    }
    let effect = match pending {
        Pending::Remove {
            host,
            target,
            force,
        } => ObjectsEffect::Remove {
            host,
            target,
            force,
        },
        Pending::Pull { host, reference } => ObjectsEffect::Pull { host, reference },
        Pending::Prune { plans } => ObjectsEffect::RunPrune { plans },
    };
    effects.push(Effect::Objects(effect));
    true
}
