//! The inspect pane: the selected container read for people: state and the exit reason in
//! words, health and the last checks' output, image, command, entrypoint, restart policy,
//! limits, ports, mounts, networks, labels, and the environment with secret-looking values
//! masked until revealed. Scrolls; long lines are cut, not wrapped, so that the line count (and
//! the scroll range `update` keeps) is exact. Above the text, when the pane has the rows, CPU
//! and memory over the last samples as two charts ([`super::charts`]).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use crate::app::inspect::line_count;
use crate::app::{AppState, InspectView};
use crate::engine::Container;
use crate::engine::detail::{ContainerDetail, Limits, MASK};
use crate::engine::exit::{ExitContext, read_exit};
use crate::geometry::{inspect_split, pane_inner, scroll_position};
use crate::present::{ago, bytes};
use crate::sanitize::printable;

const KEY_WIDTH: usize = 12;

/// A value made safe for the terminal: what the pane shows is the daemon's words, most of them
/// from the container's own configuration. (Fields that quote or join several values make
/// each one safe before they do, so that a sequence cannot swallow what follows it.)
fn safe(value: impl Into<String>) -> String {
    let value = value.into();
    match printable(&value) {
        Cow::Borrowed(_) => value,
        Cow::Owned(clean) => clean,
    }
}

fn field(key: &str, value: impl Into<String>, style: Style) -> Line<'static> {
    Line::from(vec![
        Span::styled(
            format!("{key:<KEY_WIDTH$}"),
            Style::new().add_modifier(ratatui::style::Modifier::BOLD),
        ),
        Span::styled(safe(value), style),
    ])
}

fn more(value: impl Into<String>, style: Style) -> Line<'static> {
    Line::from(vec![
        Span::raw(" ".repeat(KEY_WIDTH)),
        Span::styled(safe(value), style),
    ])
}

fn list_field(lines: &mut Vec<Line<'static>>, key: &str, values: Vec<String>, theme: &Theme) {
    if values.is_empty() {
        lines.push(field(key, "none", theme.muted()));
        return;
    }
    for (i, v) in values.into_iter().enumerate() {
        lines.push(if i == 0 {
            field(key, v, Style::new())
        } else {
            more(v, Style::new())
        });
    }
}

fn quoted(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.is_empty() || a.contains(char::is_whitespace) {
                format!("\"{}\"", printable(a))
            } else {
                printable(a).into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The pane's lines.
pub fn lines(state: &AppState, view: &InspectView, theme: &Theme) -> Vec<Line<'static>> {
    let now = state.now;
    let mut lines = Vec::new();
    let live = state.fleet.get(&view.id);
    title(&mut lines, view, live, theme);
    if let Some(c) = live {
        live_state(&mut lines, c, now, theme);
    }
    if let Some(error) = &view.error {
        lines.push(field(
            "Error",
            format!("cannot inspect: {}", printable(error)),
            theme.error(),
        ));
    }
    let Some(detail) = view.detail.as_ref() else {
        if view.error.is_none() {
            lines.push(more("loading …", theme.muted()));
        }
        return lines;
    };
    if let Some(error) = &detail.error {
        lines.push(field(
            "Docker error",
            printable(error).into_owned(),
            theme.error(),
        ));
    }
    health(&mut lines, live, detail, now, theme);
    command(&mut lines, detail);
    restart(&mut lines, live, detail);
    resources(&mut lines, &detail.limits, theme);
    lists(&mut lines, live, detail, theme);
    env(&mut lines, state, view, detail, theme);
    history(&mut lines, view, theme);
    lines
}

/// The name (live, or as inspected) and the short id.
fn title(
    lines: &mut Vec<Line<'static>>,
    view: &InspectView,
    live: Option<&Container>,
    theme: &Theme,
) {
    let name = live
        .map(|c| c.name.clone())
        .or_else(|| view.detail.as_ref().map(|d| d.container.name.clone()))
        .unwrap_or_default();
    lines.push(Line::from(vec![
        Span::styled(printable(&name).into_owned(), theme.title()),
        Span::styled(
            format!("  id {}", printable(view.id.short())),
            theme.muted(),
        ),
    ]));
}

/// The live state (with the exit read when down), its times, and the last signal sent.
fn live_state(lines: &mut Vec<Line<'static>>, c: &Container, now: DateTime<Utc>, theme: &Theme) {
    let (word, style) = theme.state(c);
    let mut state_text = word.to_string();
    if let Some(code) = c.exit_code.filter(|_| !c.state.is_up()) {
        let reading = read_exit(
            code,
            ExitContext {
                oom_killed: c.oom_killed,
                stop_timed_out: None,
            },
        );
        state_text.push_str(&format!(" · {}", reading.text));
    }
    lines.push(field("State", state_text, style));
    let mut times = Vec::new();
    if c.state.is_up() {
        if let Some(t) = c.started_at {
            times.push(format!(
                "up since {} ago",
                crate::present::short_duration((now - t).num_seconds())
            ));
        }
    } else if let Some(t) = c.finished_at {
        times.push(format!("finished {}", ago(t, now)));
    }
    if let Some(t) = c.created {
        times.push(format!("created {}", ago(t, now)));
    }
    if !times.is_empty() {
        lines.push(more(times.join(" · "), theme.muted()));
    }
    if let Some(signal) = &c.last_signal {
        lines.push(more(
            format!("last signal sent: {}", printable(signal)),
            theme.muted(),
        ));
    }
}

/// The health verdict and its last five checks, newest first.
fn health(
    lines: &mut Vec<Line<'static>>,
    live: Option<&Container>,
    detail: &ContainerDetail,
    now: DateTime<Utc>,
    theme: &Theme,
) {
    let Some(h) = live.and_then(|c| c.health).or(detail.container.health) else {
        lines.push(field("Health", "no health check", theme.muted()));
        return;
    };
    let (word, style) = theme.health(h);
    lines.push(field("Health", word, style));
    for check in detail.health_log.iter().rev().take(5) {
        let when = check.start.map_or_else(|| "?".into(), |t| ago(t, now));
        let code = check
            .exit_code
            .map_or_else(|| "?".into(), |c| c.to_string());
        let output = check.output.lines().next().unwrap_or("");
        let style = if check.exit_code == Some(0) {
            theme.muted()
        } else {
            theme.error()
        };
        lines.push(more(
            format!("{when:>8}  exit {code}  {}", printable(output)),
            style,
        ));
    }
}

/// The image, command, entrypoint, working directory and user.
fn command(lines: &mut Vec<Line<'static>>, detail: &ContainerDetail) {
    lines.push(field(
        "Image",
        printable(&detail.container.image).into_owned(),
        Style::new(),
    ));
    lines.push(field(
        "Command",
        if detail.cmd.is_empty() {
            "(image default)".into()
        } else {
            quoted(&detail.cmd)
        },
        Style::new(),
    ));
    lines.push(field(
        "Entrypoint",
        if detail.entrypoint.is_empty() {
            "none".into()
        } else {
            quoted(&detail.entrypoint)
        },
        Style::new(),
    ));
    if let Some(dir) = &detail.working_dir {
        lines.push(field("Workdir", printable(dir).into_owned(), Style::new()));
    }
    if let Some(user) = &detail.user {
        lines.push(field("User", printable(user).into_owned(), Style::new()));
    }
}

/// The restart policy and how many restarts (live when known).
fn restart(lines: &mut Vec<Line<'static>>, live: Option<&Container>, detail: &ContainerDetail) {
    let restarts = live
        .and_then(|c| c.restart_count)
        .or(detail.container.restart_count)
        .unwrap_or(0);
    lines.push(field(
        "Restart",
        format!(
            "{} · {restarts} restart{}",
            detail.restart_policy.as_deref().unwrap_or("no"),
            if restarts == 1 { "" } else { "s" }
        ),
        Style::new(),
    ));
}

/// The resource limits set, or "no limits".
fn resources(lines: &mut Vec<Line<'static>>, limits: &Limits, theme: &Theme) {
    let mut resources = Vec::new();
    let positive = |v: Option<i64>| v.and_then(|n| u64::try_from(n).ok());
    if let Some(m) = positive(limits.memory_bytes) {
        resources.push(format!("memory {}", bytes(m)));
    }
    if let Some(m) = positive(limits.memory_swap_bytes) {
        resources.push(format!("memory+swap {}", bytes(m)));
    }
    if let Some(n) = limits.nano_cpus {
        resources.push(format!("cpus {:.2}", n as f64 / 1e9));
    }
    if let Some(p) = limits.pids {
        resources.push(format!("pids {p}"));
    }
    lines.push(if resources.is_empty() {
        field("Resources", "no limits", theme.muted())
    } else {
        field("Resources", resources.join(" · "), Style::new())
    });
}

/// Ports (live when known), mounts, networks and labels, one a line.
fn lists(
    lines: &mut Vec<Line<'static>>,
    live: Option<&Container>,
    detail: &ContainerDetail,
    theme: &Theme,
) {
    let ports = live
        .map(|c| c.ports.clone())
        .unwrap_or_else(|| detail.container.ports.clone());
    list_field(
        lines,
        "Ports",
        ports.iter().map(ToString::to_string).collect(),
        theme,
    );
    list_field(
        lines,
        "Mounts",
        detail
            .mounts
            .iter()
            .map(|m| {
                format!(
                    "{} {} → {}{}",
                    printable(&m.kind),
                    printable(&m.source),
                    printable(&m.destination),
                    if m.read_only { " (ro)" } else { "" }
                )
            })
            .collect(),
        theme,
    );
    list_field(
        lines,
        "Networks",
        detail
            .networks
            .iter()
            .map(|n| printable(n).into_owned())
            .collect(),
        theme,
    );
    list_field(
        lines,
        "Labels",
        detail
            .labels()
            .iter()
            .map(|(k, v)| format!("{}={}", printable(k), printable(v)))
            .collect(),
        theme,
    );
}

/// The environment, secrets masked unless revealed (with the key that reveals them).
fn env(
    lines: &mut Vec<Line<'static>>,
    state: &AppState,
    view: &InspectView,
    detail: &ContainerDetail,
    theme: &Theme,
) {
    if detail.env.is_empty() {
        lines.push(field("Env", "none", theme.muted()));
    }
    let hint = state
        .keymap
        .keys_text(crate::config::keys::ConsoleCommand::Reveal);
    for (i, var) in detail.env.iter().enumerate() {
        let mut spans = vec![Span::raw(format!("{}=", printable(&var.key)))];
        if var.secret && !view.reveal {
            spans.push(Span::styled(MASK, theme.warn()));
            spans.push(Span::styled(format!("  ({hint} reveals)"), theme.muted()));
        } else {
            spans.push(Span::raw(printable(&var.value).into_owned()));
        }
        let key = if i == 0 { "Env" } else { "" };
        let mut line = vec![Span::styled(
            format!("{key:<KEY_WIDTH$}"),
            Style::new().add_modifier(ratatui::style::Modifier::BOLD),
        )];
        line.extend(spans);
        lines.push(Line::from(line));
    }
}

/// What the history store recorded of the container.
fn history(lines: &mut Vec<Line<'static>>, view: &InspectView, theme: &Theme) {
    let history = crate::app::inspect::history_lines(view);
    let style = if matches!(view.history, crate::app::inspect::InspectHistory::Loaded(ref r) if !r.is_empty())
    {
        Style::new()
    } else {
        theme.muted()
    };
    for (i, text) in history.into_iter().enumerate() {
        let text = printable(&text).into_owned();
        lines.push(if i == 0 {
            field("History", text, style)
        } else {
            more(text, style)
        });
    }
}

/// Draws the inspect pane.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let Some(view) = &state.inspect else {
        return;
    };
    let content = lines(state, view, theme);
    // The count `update` scrolls by.
    let total = line_count(state, view);
    debug_assert_eq!(
        content.len(),
        total,
        "inspect: the line count and the lines disagree"
    );
    let inner = pane_inner(area);
    let (charts, text_area) = inspect_split(inner);
    if inner != area {
        let page = usize::from(text_area.height);
        let position = scroll_position(view.scroll, page, total);
        let reveal = if view.reveal { "· secrets shown " } else { "" };
        let block = Block::bordered()
            .title(Line::from(vec![
                Span::styled(" inspect ", theme.title()),
                Span::styled(reveal, theme.warn()),
            ]))
            .title_bottom(Line::from(position).right_aligned());
        frame.render_widget(block, area);
    }
    if let Some(charts) = charts {
        super::charts::render(frame, charts, state, view, theme);
    }
    let scroll = u16::try_from(view.scroll).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(content).scroll((scroll, 0)), text_area);
}
