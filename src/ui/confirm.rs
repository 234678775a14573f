//! The confirm dialog: names what will be done to which containers, and the keys that answer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::theme::Theme;
use crate::app::AppState;
use crate::app::keymap::KeyMode;
use crate::geometry::centered;
use crate::sanitize::printable;

/// Draws the dialog for the pending action.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let (question, destructive) = match &state.confirm {
        Some(pending) => (pending.question(), pending.action.is_destructive()),
        None => match crate::app::objects::question(state)
            .or_else(|| crate::app::swarm_act::question(state))
            .or_else(|| crate::app::compose::question(state))
        {
            Some(asked) => asked,
            None => return,
        },
    };
    let question = format!("{}?", printable(&question));
    let width = 60.min(area.width.saturating_sub(2)).max(area.width.min(16));
    let text_width = usize::from(width.saturating_sub(2)).max(1);
    let question_lines = question.chars().count().div_ceil(text_width);
    let height = u16::try_from(question_lines + 4).unwrap_or(u16::MAX);
    let popup = centered(area, width, height.min(area.height));
    let mut answers = Vec::new();
    for info in state.keymap.commands(KeyMode::Confirm) {
        if !answers.is_empty() {
            answers.push(Span::raw("   "));
        }
        answers.push(Span::styled(
            state.keymap.keys_text(info.command),
            theme.key(),
        ));
        answers.push(Span::raw(format!(" {}", info.description)));
    }
    let style = if destructive {
        theme.error()
    } else {
        theme.warn()
    };
    let lines = vec![
        Line::styled(question, style),
        Line::raw(""),
        Line::from(answers),
    ];
    frame.render_widget(Clear, popup);
    let block = Block::bordered().title(Span::styled(" confirm ", theme.title()));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        popup,
    );
}
