//! The help overlay: every key of the current view, drawn from the keymap table (the same one
//! that dispatches keys, so the two cannot drift). Mutations are marked unavailable under
//! `--read-only`. Scrolls when the terminal is short.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::layout::{centered, inner};
use super::theme::Theme;
use crate::app::keymap::KeyMode;
use crate::app::{AppState, Base};

const KEYS_WIDTH: usize = 16;

/// The overlay's lines.
pub fn lines(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let mode = match state.base {
        Base::List => KeyMode::List,
        Base::Inspect => KeyMode::Inspect,
        Base::Logs => KeyMode::Logs,
        Base::Triage => KeyMode::Triage,
        Base::Gpu => KeyMode::Gpu,
    };
    let mut lines = vec![Line::styled(
        format!("Keys in the {} view", mode.name()),
        theme.header(),
    )];
    for info in state.keymap.commands(mode) {
        let keys = state.keymap.keys_text(info.command);
        let unavailable = info.mutates && state.settings.read_only;
        let mut spans = vec![Span::styled(format!("  {keys:<KEYS_WIDTH$}"), theme.key())];
        if unavailable {
            spans.push(Span::styled(
                format!("{} (unavailable: read-only)", info.description),
                theme.muted(),
            ));
        } else {
            spans.push(Span::raw(info.description));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("In a confirm dialog", theme.header()));
    for info in state.keymap.commands(KeyMode::Confirm) {
        let keys = state.keymap.keys_text(info.command);
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<KEYS_WIDTH$}"), theme.key()),
            Span::raw(info.description),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Typing a filter or a command", theme.header()));
    for (keys, what) in [
        ("Enter", "apply"),
        ("Esc", "cancel"),
        ("Backspace", "delete a character"),
        ("Ctrl-u", "clear"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {keys:<KEYS_WIDTH$}"), theme.key()),
            Span::raw(what),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Commands: :stop NAME…  :start  :restart  :kill [-s SIG]  :rm [-f]",
        theme.muted(),
    ));
    lines.push(Line::styled(
        "          :sort COLUMN [asc|desc]  :filter TEXT  :stopped  :q",
        theme.muted(),
    ));
    lines.push(Line::styled(
        "Filter: web  !exited  state:unhealthy  image:nginx  label:env=prod",
        theme.muted(),
    ));
    lines
}

fn popup(area: Rect, count: usize) -> Rect {
    let height = u16::try_from(count + 2).unwrap_or(u16::MAX);
    centered(
        area,
        78.min(area.width.saturating_sub(2)).max(area.width.min(20)),
        height.min(area.height.saturating_sub(2).max(3)),
    )
}

/// (lines of content, lines that fit).
pub fn geometry(state: &AppState) -> (usize, usize) {
    let count = lines(state, &Theme::plain()).len();
    let area = popup(state.viewport, count);
    (count, usize::from(inner(area).height))
}

/// Draws the help overlay.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let content = lines(state, theme);
    let total = content.len();
    let popup = popup(area, total);
    let page = usize::from(inner(popup).height);
    let position = crate::ui::layout::scroll_position(state.help_scroll, page, total);
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(Span::styled(" help · ? or Esc closes ", theme.title()))
        .title_bottom(Line::from(position).right_aligned());
    let scroll = u16::try_from(state.help_scroll).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(content).block(block).scroll((scroll, 0)),
        popup,
    );
}
