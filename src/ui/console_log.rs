//! The console's own log pane ("fleetdeck log"): tui-logger's smart widget, one
//! `HH:MM:SS:LEVEL:text` line per record, the newest at the bottom, a long line wrapped under
//! a 9-column indent, errors and warnings in the theme's colours. While the pane has the keys
//! (`T`, `Overlay::ConsoleLog`) its target list is shown beside it: each target fleetdeck's log
//! has seen, with the level shown of each, changed with the keys the state sends as
//! `Effect::ConsoleLogKey`.
//!
//! **The one pane that reads something besides `&AppState`**: the records are in tui-logger's
//! buffer (a process global, filled by `tui::log_feed`), and the widget reads them there under
//! its lock when drawn. Nothing else in `ui` or `app` touches it; the widget's own state (the
//! target list's selection, the levels shown, the scroll) is [`LogPaneState`], kept in
//! `ViewState` like any widget state. Drawing reads the records that fit, newest first.

use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use tui_logger::{TuiLoggerLevelOutput, TuiLoggerSmartWidget, TuiWidgetEvent, TuiWidgetState};

use super::theme::Theme;
use crate::app::AppState;
use crate::app::feeds::ConsoleLogKey;
use crate::app::state::Overlay;

/// The log widget's own state: selection, levels shown per target, scroll.
pub struct LogPaneState {
    widget: TuiWidgetState,
    /// Whether the widget shows its target list now (it only toggles).
    targets_shown: AtomicBool,
}

impl Default for LogPaneState {
    fn default() -> Self {
        let widget = TuiWidgetState::new();
        // The target list is shown only while the pane has the keys.
        widget.transition(TuiWidgetEvent::HideKey);
        Self {
            widget,
            targets_shown: AtomicBool::new(false),
        }
    }
}

impl std::fmt::Debug for LogPaneState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogPaneState")
            .field("targets_shown", &self.targets_shown.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl LogPaneState {
    /// Carries out one key of the pane (from `Effect::ConsoleLogKey`).
    pub fn key(&self, key: ConsoleLogKey) {
        use ConsoleLogKey as K;
        self.widget.transition(match key {
            K::Up => TuiWidgetEvent::UpKey,
            K::Down => TuiWidgetEvent::DownKey,
            K::Fewer => TuiWidgetEvent::LeftKey,
            K::More => TuiWidgetEvent::RightKey,
            K::HideOff => TuiWidgetEvent::SpaceKey,
            K::Focus => TuiWidgetEvent::FocusKey,
            K::PageUp => TuiWidgetEvent::PrevPageKey,
            K::PageDown => TuiWidgetEvent::NextPageKey,
            K::Follow => TuiWidgetEvent::EscapeKey,
        });
    }

    /// Shows the target list exactly while `shown`.
    fn show_targets(&self, shown: bool) {
        if self.targets_shown.swap(shown, Ordering::Relaxed) != shown {
            self.widget.transition(TuiWidgetEvent::HideKey);
        }
    }
}

pub fn render(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &AppState,
    theme: &Theme,
    pane: &LogPaneState,
) {
    // The widget's two panes need a few columns; below that the pane stays empty.
    if area.width < 24 || area.height < 3 {
        return;
    }
    pane.show_targets(state.overlay == Some(Overlay::ConsoleLog));
    let widget = TuiLoggerSmartWidget::default()
        .title_log(Line::from(Span::styled(" fleetdeck log ", theme.title())))
        .title_target(Line::from(Span::styled(" level shown ", theme.title())))
        .output_separator(':')
        .output_timestamp(Some("%H:%M:%S".to_string()))
        .output_level(Some(TuiLoggerLevelOutput::Long))
        .output_target(false)
        .output_file(false)
        .output_line(false)
        .style_error(theme.error())
        .style_warn(theme.warn())
        .highlight_style(theme.selected())
        .state(&pane.widget);
    frame.render_widget(widget, area);
}

#[cfg(test)]
#[path = "console_log_tests.rs"]
mod tests;
