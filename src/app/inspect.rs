//! The inspect pane's state and its part of `update`: opening it on a container (the details
//! are fetched by the loop), revealing secrets, and scrolling. The scroll range comes from a
//! count of the pane's lines made from the state without building (or styling) any of them;
//! render draws exactly these lines and uses the same count for its scroll position, so
//! `update` and render agree on the range.

use super::{AppState, Base, Effect};
use crate::config::keys::ConsoleCommand;
use crate::engine::ContainerId;
use crate::engine::detail::ContainerDetail;
use crate::geometry;

/// The inspect pane's state.
#[derive(Debug, Clone, PartialEq)]
pub struct InspectView {
    pub id: ContainerId,
    /// The name when opened, to say what went away if it is removed.
    pub name: String,
    /// Fetched with secrets unmasked; render masks them unless `reveal`.
    pub detail: Option<Box<ContainerDetail>>,
    pub error: Option<String>,
    pub scroll: usize,
    pub reveal: bool,
    /// What the history store recorded of the container.
    pub history: InspectHistory,
}

/// The inspect pane's recorded history: loading, the events (newest last), or why there is
/// none.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum InspectHistory {
    #[default]
    Loading,
    Loaded(Vec<crate::store::EventRow>),
    Unavailable(String),
}

/// The pane's history lines, one per line drawn: the recorded deaths, restarts and OOM kills
/// with their times, or one line saying why there are none.
pub fn history_lines(view: &InspectView) -> Vec<String> {
    match &view.history {
        InspectHistory::Loading => vec!["loading …".into()],
        InspectHistory::Unavailable(why) => vec![format!("no history ({why})")],
        InspectHistory::Loaded(rows) if rows.is_empty() => vec!["nothing recorded".into()],
        InspectHistory::Loaded(rows) => rows
            .iter()
            .map(|r| {
                let time = r
                    .time
                    .with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S");
                let word = match r.action.as_str() {
                    "die" if r.exit_code == Some(137) => "died (killed)",
                    "die" => "died",
                    "oom" => "OOM kill",
                    "start" => "started",
                    "restart" => "restarted",
                    "destroy" => "removed",
                    other => other,
                };
                let detail = r.detail();
                if detail.is_empty() {
                    format!("{time}  {word}")
                } else {
                    format!("{time}  {word}: {detail}")
                }
            })
            .collect(),
    }
}

/// Opens the pane on the selected container, if a container is selected.
pub(super) fn open(state: &mut AppState, effects: &mut Vec<Effect>) {
    let Some((id, name)) = state
        .selected_container()
        .map(|c| (c.id.clone(), c.name.clone()))
    else {
        return;
    };
    inspect_container(state, id, name, effects);
}

/// Opens the inspect pane on one container (fetching its details unless already shown).
pub(super) fn inspect_container(
    state: &mut AppState,
    id: ContainerId,
    name: String,
    effects: &mut Vec<Effect>,
) {
    if state.inspect.as_ref().is_some_and(|v| v.id == id) {
        state.base = Base::Inspect;
        return;
    }
    state.base = Base::Inspect;
    state.inspect = Some(InspectView {
        id: id.clone(),
        name,
        detail: None,
        error: None,
        scroll: 0,
        reveal: false,
        history: InspectHistory::Loading,
    });
    effects.push(Effect::FetchDetail(id.clone()));
    effects.push(Effect::LoadHistory(id));
}

/// Shows or masks the secret-looking environment values.
pub(super) fn toggle_reveal(state: &mut AppState) {
    if let Some(view) = state.inspect.as_mut() {
        view.reveal = !view.reveal;
    }
}

/// Scrolls the pane within its lines.
pub(super) fn scroll(state: &mut AppState, command: ConsoleCommand) {
    let (lines, page) = geometry(state);
    let max = lines.saturating_sub(page);
    if let Some(view) = state.inspect.as_mut() {
        view.scroll = super::scroll(view.scroll, max, page.max(1), command);
    }
}

/// How many lines the inspect pane has for `view`: one per line `ui::inspect` draws.
pub fn line_count(state: &AppState, view: &InspectView) -> usize {
    let live = state.fleet.get(&view.id);
    // The name.
    let mut n = 1;
    if let Some(c) = live {
        // The state, then one line of times if there is one, then the last signal.
        n += 1;
        let time = if c.state.is_up() {
            c.started_at.is_some()
        } else {
            c.finished_at.is_some()
        };
        n += usize::from(time || c.created.is_some());
        n += usize::from(c.last_signal.is_some());
    }
    n += usize::from(view.error.is_some());
    let Some(detail) = view.detail.as_ref() else {
        // "loading …" unless the fetch failed.
        return n + usize::from(view.error.is_none());
    };
    n += usize::from(detail.error.is_some());
    // Health, and the last checks when there is a health check.
    n += 1;
    if live
        .and_then(|c| c.health)
        .or(detail.container.health)
        .is_some()
    {
        n += detail.health_log.len().min(5);
    }
    // Image, command, entrypoint; workdir and user when set; restart, resources.
    n += 3;
    n += usize::from(detail.working_dir.is_some());
    n += usize::from(detail.user.is_some());
    n += 2;
    // A list field takes one line per value, or one saying "none".
    let ports = live.map_or(detail.container.ports.len(), |c| c.ports.len());
    n += ports.max(1);
    n += detail.mounts.len().max(1);
    n += detail.networks.len().max(1);
    n += detail.labels().len().max(1);
    n += detail.env.len().max(1);
    n + history_lines(view).len()
}

/// (lines of content, lines that fit): what `update` needs to bound the scroll.
pub fn geometry(state: &AppState) -> (usize, usize) {
    let Some(view) = &state.inspect else {
        return (0, 0);
    };
    (
        line_count(state, view),
        geometry::inspect_page(state.panes().inspect),
    )
}

/// An inspect's detail, for the view when it still shows that container.
pub(super) fn on_detail(
    state: &mut AppState,
    id: &ContainerId,
    result: Result<Box<ContainerDetail>, super::LoadError>,
) {
    if let Some(view) = state.inspect.as_mut().filter(|v| v.id == *id) {
        match result {
            Ok(detail) => {
                view.detail = Some(detail);
                view.error = None;
            }
            Err(e) => view.error = Some(e.to_string()),
        }
        state.dirty = true;
    }
}

/// A container's history from the store, for the view when it still shows that container.
pub(super) fn on_history(
    state: &mut AppState,
    id: &ContainerId,
    result: Result<Vec<crate::store::EventRow>, super::LoadError>,
) {
    if let Some(view) = state.inspect.as_mut().filter(|v| v.id == *id) {
        view.history = match result {
            Ok(rows) => InspectHistory::Loaded(rows),
            Err(why) => InspectHistory::Unavailable(why.to_string()),
        };
        state.dirty = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(history: InspectHistory) -> InspectView {
        InspectView {
            id: ContainerId("abc".into()),
            name: "web".into(),
            detail: None,
            error: None,
            scroll: 0,
            reveal: false,
            history,
        }
    }

    #[test]
    fn history_lines_say_what_was_recorded_or_why_nothing() {
        let row = |action: &str, exit_code| crate::store::EventRow {
            time: chrono::DateTime::from_timestamp(1_714_557_600, 0).unwrap_or_default(),
            host: "h".into(),
            container_id: "abc".into(),
            name: Some("web".into()),
            action: action.into(),
            exit_code,
            attributes: serde_json::Value::Null,
        };
        let lines = history_lines(&view(InspectHistory::Loaded(vec![
            row("oom", None),
            row("die", Some(137)),
            row("start", None),
        ])));
        assert_eq!(lines.len(), 3);
        assert!(lines[0].ends_with("OOM kill"), "{lines:?}");
        assert!(lines[1].ends_with("died (killed): exit 137"), "{lines:?}");
        assert!(lines[2].ends_with("started"), "{lines:?}");
        let none = history_lines(&view(InspectHistory::Unavailable("no store yet".into())));
        assert_eq!(none, ["no history (no store yet)"]);
        assert_eq!(
            history_lines(&view(InspectHistory::Loaded(Vec::new()))),
            ["nothing recorded"]
        );
    }
}
