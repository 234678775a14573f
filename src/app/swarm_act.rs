//! Acting on Swarm services and nodes from the console, through the same action layer as the
//! headless `fleetdeck service …` and `fleetdeck node …` (audited, refused under
//! `--read-only`): in the Services view (or a service's Tasks) `+`/`-` scale the service by
//! one, `U` asks for a new image (the command line, filled in with `update NAME `), `R` forces
//! a rolling restart, `b` rolls back, `d` removes it (asked first); in the Nodes view drain
//! (asked first), pause, activate, promote, demote (asked first). `:scale NAME=N` and
//! `:update NAME IMAGE` name the service as the view shows it or by its short name within its
//! stack. The request goes to the loop as [`Effect::SwarmAction`]; the manager's answer comes
//! back as a [`SwarmDone`] for the status line, and the view follows from the manager's events.
//! `l` (and Enter in a service's Tasks) opens the service's logs in the logs pane.

use super::messages::Effect;
use super::state::{AppState, Overlay};
use super::swarm::SwarmPane;
use crate::actions::swarm::{Availability, NodeAction, ServiceAction};
use crate::config::keys::ConsoleCommand;
use crate::engine::swarm::ServiceRow;

/// A Swarm action the loop runs on the manager (`manager`: its host's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwarmRequest {
    Service {
        manager: String,
        name: String,
        action: ServiceAction,
    },
    Node {
        manager: String,
        name: String,
        action: NodeAction,
    },
}

impl SwarmRequest {
    /// The manager's host name.
    pub fn manager(&self) -> &str {
        match self {
            Self::Service { manager, .. } | Self::Node { manager, .. } => manager,
        }
    }

    /// What is asked, in words: "scale shop_web to 5", "drain node node-2".
    pub fn describe(&self) -> String {
        match self {
            Self::Service { name, action, .. } => match action {
                ServiceAction::Scale { replicas } => format!("scale {name} to {replicas}"),
                ServiceAction::UpdateImage { image } => format!("update {name} to {image}"),
                ServiceAction::ForceRestart => format!("restart every task of {name}"),
                ServiceAction::Rollback => format!("roll back {name}"),
                ServiceAction::Remove => format!("remove service {name}"),
            },
            Self::Node { name, action, .. } => {
                let verb = action.verb().trim_start_matches("node ");
                format!("{verb} node {name}")
            }
        }
    }

    /// Whether the console asks first: removing a service, draining or demoting a node.
    pub fn asks_first(&self) -> bool {
        match self {
            Self::Service { action, .. } => action.is_destructive(),
            Self::Node { action, .. } => action.is_disruptive(),
        }
    }

    /// The verb as the action layer names it ("service scale").
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Service { action, .. } => action.verb(),
            Self::Node { action, .. } => action.verb(),
        }
    }
}

/// What the manager answered to a [`SwarmRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmDone {
    pub request: SwarmRequest,
    /// The outcome's word (`scaled`, `unchanged`, ...), or the error in words.
    pub result: Result<&'static str, String>,
    pub warnings: Vec<String>,
    pub audit_error: Option<String>,
}

impl SwarmDone {
    /// One line for the status line: "scale shop_web to 5: scaled".
    pub fn describe(&self) -> String {
        let mut text = match &self.result {
            Ok(outcome) => format!("{}: {}", self.request.describe(), outcome.replace('_', " ")),
            Err(why) => format!("{} failed: {why}", self.request.describe()),
        };
        if !self.warnings.is_empty() {
            text.push_str(&format!(
                " (the manager warns: {})",
                self.warnings.join("; ")
            ));
        }
        if let Some(e) = &self.audit_error {
            text.push_str(&format!(" (audit not written: {e})"));
        }
        text
    }
}

/// The service `query` names among `services`: its full name (`shop_web`, as the views show
/// it), its short name within its stack (`web`), or its id (or a prefix of 4 or more).
pub fn resolve_service<'a>(
    services: &'a [ServiceRow],
    query: &str,
) -> Result<&'a ServiceRow, String> {
    if let Some(s) = services.iter().find(|s| s.name == query || s.id == query) {
        return Ok(s);
    }
    let short: Vec<&ServiceRow> = services
        .iter()
        .filter(|s| {
            s.stack
                .as_deref()
                .is_some_and(|stack| s.name == format!("{stack}_{query}"))
        })
        .collect();
    let by_id: Vec<&ServiceRow> = if query.len() >= 4 {
        services
            .iter()
            .filter(|s| s.id.starts_with(query))
            .collect()
    } else {
        Vec::new()
    };
    match (short.as_slice(), by_id.as_slice()) {
        ([one], _) | ([], [one]) => Ok(one),
        ([], []) => Err(format!("no service '{query}'")),
        (many, _) if !many.is_empty() => {
            let names: Vec<&str> = many.iter().map(|s| s.name.as_str()).collect();
            Err(format!("'{query}' is ambiguous: {}", names.join(", ")))
        }
        _ => Err(format!("'{query}' is ambiguous: name the service in full")),
    }
}

/// The replicas after `+`/`-` (`delta` ±1) on a service; why not, for a global one or at 0.
pub fn scaled_by(service: &ServiceRow, delta: i64) -> Result<u64, String> {
    if !service.mode.starts_with("replicated") || service.mode.ends_with("job") {
        return Err(format!(
            "{} is {}: only a replicated service scales",
            service.name, service.mode
        ));
    }
    let now = service.replicas.unwrap_or(service.desired);
    match now.checked_add_signed(delta) {
        Some(n) => Ok(n),
        None => Err(format!("{} already runs no replica", service.name)),
    }
}

/// `:scale NAME=N` (or `NAME N`): the service's name and the replicas.
pub fn parse_scale(rest: &[String]) -> Result<(String, u64), String> {
    let usage = || "scale: give NAME=REPLICAS (e.g. :scale web=5)".to_string();
    let (name, count) = match rest {
        [one] => one.split_once('=').ok_or_else(usage)?,
        [name, count] => (name.as_str(), count.as_str()),
        _ => return Err(usage()),
    };
    let count = count
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("scale: '{count}' is not a number of replicas"))?;
    if name.trim().is_empty() {
        return Err(usage());
    }
    Ok((name.trim().to_string(), count))
}

/// `:update NAME IMAGE`: the service's name and the image.
pub fn parse_update(rest: &[String]) -> Result<(String, String), String> {
    match rest {
        [name, image] => Ok((name.clone(), image.clone())),
        _ => Err("update: give NAME IMAGE (e.g. :update web shop/web:3)".into()),
    }
}

/// The service the keys act on: the selected one in Services, the shown one in Tasks.
fn current_service(state: &AppState) -> Option<&ServiceRow> {
    match state.swarm.pane {
        SwarmPane::Services => state.swarm.selected_service(),
        SwarmPane::Tasks => state.swarm.shown_service(),
        _ => None,
    }
}

/// A key in the Swarm views; `false` when it is one the main views handle (the command line,
/// help, quit, the other views).
pub(super) fn run_command(
    state: &mut AppState,
    command: ConsoleCommand,
    effects: &mut Vec<Effect>,
) -> bool {
    use ConsoleCommand as Cmd;
    match command {
        Cmd::Up | Cmd::Down | Cmd::Top | Cmd::Bottom | Cmd::PageUp | Cmd::PageDown => {
            super::swarm::move_selection(state, command);
        }
        Cmd::Inspect if state.swarm.pane == SwarmPane::Tasks => open_logs(state, effects),
        Cmd::Inspect => super::swarm::enter(state, effects),
        Cmd::Back => super::swarm::back(state, effects),
        Cmd::Logs => open_logs(state, effects),
        Cmd::ScaleUp | Cmd::ScaleDown => {
            let delta = if command == Cmd::ScaleUp { 1 } else { -1 };
            scale_key(state, delta, effects);
        }
        Cmd::ServiceUpdate => update_prompt(state),
        Cmd::ServiceRestart => service_key(state, ServiceAction::ForceRestart, effects),
        Cmd::ServiceRollback => service_key(state, ServiceAction::Rollback, effects),
        Cmd::ServiceRemove => service_key(state, ServiceAction::Remove, effects),
        Cmd::NodeDrain => node_key(state, avail(Availability::Drain), effects),
        Cmd::NodePause => node_key(state, avail(Availability::Pause), effects),
        Cmd::NodeActivate => node_key(state, avail(Availability::Active), effects),
        Cmd::NodePromote => node_key(state, NodeAction::Promote, effects),
        Cmd::NodeDemote => node_key(state, NodeAction::Demote, effects),
        _ => return false,
    }
    state.dirty = true;
    true
}

fn avail(availability: Availability) -> NodeAction {
    NodeAction::Availability { availability }
}

/// Refused under `--read-only`, in the same words as a container action.
fn read_only(state: &mut AppState, verb: &str) -> bool {
    if state.settings.read_only {
        state.set_status(
            format!("read-only: {verb} is unavailable (fleetdeck was started with --read-only)"),
            true,
        );
    }
    state.settings.read_only
}

/// The manager's host, as last read.
fn manager(state: &AppState) -> Option<String> {
    state.swarm.snapshot.as_ref().map(|s| s.manager.clone())
}

fn scale_key(state: &mut AppState, delta: i64, effects: &mut Vec<Effect>) {
    let Some(mut service) = current_service(state).cloned() else {
        state.set_status("scale: select a service (:services)", true);
        return;
    };
    // A `+` before the manager's next read counts from what was asked.
    if let Some(asked) = state.swarm.asked.get(&service.name) {
        service.replicas = Some(*asked);
    }
    match scaled_by(&service, delta) {
        Ok(replicas) => {
            let action = ServiceAction::Scale { replicas };
            request_service(state, &service.name, action, effects);
        }
        Err(why) => state.set_status(format!("scale: {why}"), true),
    }
}

fn service_key(state: &mut AppState, action: ServiceAction, effects: &mut Vec<Effect>) {
    match current_service(state).map(|s| s.name.clone()) {
        Some(name) => request_service(state, &name, action, effects),
        None => state.set_status(
            format!("{}: select a service (:services)", action.verb()),
            true,
        ),
    }
}

/// `U`: the command line, filled in with `update NAME ` and the image now, to edit.
fn update_prompt(state: &mut AppState) {
    if read_only(state, "service update") {
        return;
    }
    let Some(service) = current_service(state) else {
        state.set_status("service update: select a service (:services)", true);
        return;
    };
    state.input = format!("update {} {}", service.name, service.image);
    state.overlay = Some(Overlay::Command);
}

fn node_key(state: &mut AppState, action: NodeAction, effects: &mut Vec<Effect>) {
    let node = (state.swarm.pane == SwarmPane::Nodes)
        .then_some(state.swarm.snapshot.as_ref())
        .flatten()
        .and_then(|s| s.nodes.get(state.swarm.selected));
    let Some(node) = node else {
        state.set_status(format!("{}: select a node (:nodes)", action.verb()), true);
        return;
    };
    let name = if node.hostname.is_empty() {
        node.id.clone()
    } else {
        node.hostname.clone()
    };
    if read_only(state, action.verb()) {
        return;
    }
    let Some(manager) = manager(state) else {
        return;
    };
    let request = SwarmRequest::Node {
        manager,
        name,
        action,
    };
    confirm_or_send(state, request, effects);
}

/// A service action on `name` (as the views show it): refused read-only, asked first when
/// destructive, else sent.
pub(super) fn request_service(
    state: &mut AppState,
    name: &str,
    action: ServiceAction,
    effects: &mut Vec<Effect>,
) {
    if read_only(state, action.verb()) {
        return;
    }
    let Some(manager) = manager(state) else {
        state.set_status(
            format!(
                "{}: no swarm manager read yet (open :services first)",
                action.verb()
            ),
            true,
        );
        return;
    };
    let request = SwarmRequest::Service {
        manager,
        name: name.to_string(),
        action,
    };
    confirm_or_send(state, request, effects);
}

/// `:scale NAME=N` and `:update NAME IMAGE`, by name.
pub(super) fn by_name(
    state: &mut AppState,
    query: &str,
    action: ServiceAction,
    effects: &mut Vec<Effect>,
) {
    let verb = action.verb();
    let Some(snapshot) = &state.swarm.snapshot else {
        state.set_status(
            format!("{verb}: no swarm manager read yet (open :services first)"),
            true,
        );
        return;
    };
    match resolve_service(&snapshot.services, query) {
        Ok(service) => {
            let name = service.name.clone();
            request_service(state, &name, action, effects);
        }
        Err(why) => state.set_status(format!("{verb}: {why}"), true),
    }
}

fn confirm_or_send(state: &mut AppState, request: SwarmRequest, effects: &mut Vec<Effect>) {
    if request.asks_first() {
        state.swarm.pending = Some(request);
        state.overlay = Some(Overlay::Confirm);
        return;
    }
    send(state, request, effects);
}

fn send(state: &mut AppState, request: SwarmRequest, effects: &mut Vec<Effect>) {
    state.set_status(format!("{} …", request.describe()), false);
    if let Some((name, replicas)) = scale_of(&request) {
        state.swarm.asked.insert(name.to_string(), replicas);
    }
    effects.push(Effect::SwarmAction(request));
}

/// The service and replicas of a scale request.
fn scale_of(request: &SwarmRequest) -> Option<(&str, u64)> {
    match request {
        SwarmRequest::Service {
            name,
            action: ServiceAction::Scale { replicas },
            ..
        } => Some((name, *replicas)),
        _ => None,
    }
}

/// The question of the pending Swarm action, and whether it destroys something.
pub fn question(state: &AppState) -> Option<(String, bool)> {
    let pending = state.swarm.pending.as_ref()?;
    let destructive = matches!(
        pending,
        SwarmRequest::Service {
            action: ServiceAction::Remove,
            ..
        }
    );
    let mut text = pending.describe();
    match pending {
        SwarmRequest::Service {
            action: ServiceAction::Remove,
            ..
        } => text.push_str(" and every task of it"),
        SwarmRequest::Node {
            action: NodeAction::Availability { .. },
            ..
        } => text.push_str(": its tasks move to the other nodes"),
        SwarmRequest::Node { .. } => text.push_str(": it no longer votes among the managers"),
        SwarmRequest::Service { .. } => {}
    }
    Some((text, destructive))
}

/// The answer to a pending Swarm action; `false` when none was pending.
pub(super) fn answer(state: &mut AppState, yes: bool, effects: &mut Vec<Effect>) -> bool {
    let Some(pending) = state.swarm.pending.take() else {
        return false;
    };
    if yes {
        send(state, pending, effects);
    } else {
        state.set_status(format!("cancelled: {}", pending.describe()), false);
    }
    true
}

/// The manager's answer.
pub(super) fn on_done(state: &mut AppState, done: &SwarmDone) {
    state.set_status(done.describe(), done.result.is_err());
    if done.result.is_err()
        && let Some((name, _)) = scale_of(&done.request)
    {
        state.swarm.asked.remove(name);
    }
    state.dirty = true;
}

/// `l` (or Enter in a service's Tasks): the service's logs, every task merged, in the logs
/// pane.
fn open_logs(state: &mut AppState, effects: &mut Vec<Effect>) {
    match current_service(state).cloned() {
        Some(service) => open_service_logs(state, service, effects),
        None => state.set_status("logs: select a service (:services)", true),
    }
}

/// Opens the logs pane on `service`'s tasks.
pub(super) fn open_service_logs(
    state: &mut AppState,
    service: ServiceRow,
    effects: &mut Vec<Effect>,
) {
    let Some(manager) = manager(state) else {
        state.set_status(
            "logs: no swarm manager read yet (open :services first)",
            true,
        );
        return;
    };
    super::logs::open_service(state, &service.name);
    effects.push(Effect::OpenServiceLogs {
        manager,
        service: Box::new(service),
    });
}

#[cfg(test)]
#[path = "swarm_act_tests.rs"]
mod tests;
