//! The inspect pane's charts: the container's CPU and its memory over the last samples, side by
//! side, each a ratatui `Sparkline` newest at the right. CPU is scaled to 100 % (or its peak,
//! above one core); memory to the container's limit when it has one, drawn as a line over the
//! chart and written in its title, else to its peak. "no samples yet" until the first sample.
//! The work is the cells drawn: only the newest samples that fit are read.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, RenderDirection, Sparkline, SparklineBar};

use super::spark::cpu_max;
use super::theme::Theme;
use crate::app::history::{Point, Ring};
use crate::app::{AppState, InspectView};
use crate::present::bytes;

/// The container's memory limit, from its details (Docker reports the host's memory as the
/// limit of a container without one, so the sample's figure is not used).
fn memory_limit(view: &InspectView) -> Option<u64> {
    view.detail
        .as_ref()
        .and_then(|d| d.limits.memory_bytes)
        .and_then(|n| u64::try_from(n).ok())
        .filter(|n| *n > 0)
}

fn empty(frame: &mut Frame<'_>, area: Rect, title: &str, theme: &Theme) {
    frame.render_widget(
        Paragraph::new(Line::styled(" no samples yet", theme.muted()))
            .block(Block::bordered().title(Span::styled(format!(" {title} "), theme.title()))),
        area,
    );
}

fn cpu(frame: &mut Frame<'_>, area: Rect, ring: &Ring<Point>, theme: &Theme) {
    let width = usize::from(area.width.saturating_sub(2));
    let values: Vec<f64> = ring
        .newest(width)
        .map(|p| f64::from(p.cpu_percent.unwrap_or(0.0)))
        .collect();
    // Seconds sampled while CPU-throttled at the limit: drawn in the warning style, counted
    // in the title.
    let throttled: Vec<bool> = ring.newest(width).map(|p| p.throttled).collect();
    let throttled_n = throttled.iter().filter(|t| **t).count();
    let max = cpu_max(values.iter().copied());
    let peak = values.iter().copied().fold(0.0, f64::max);
    let now = ring
        .last()
        .and_then(|p| p.cpu_percent)
        .map_or_else(|| "-".into(), |c| format!("{c:.1} %"));
    let mut title = vec![
        Span::styled(" CPU ", theme.title()),
        Span::raw(format!("{now} · peak {peak:.1} % ")),
    ];
    if throttled_n > 0 {
        title.push(Span::styled(
            format!("· throttled {throttled_n} s "),
            theme.warn(),
        ));
    }
    let block = Block::bordered().title(Line::from(title)).title_bottom(
        Line::styled(format!(" {} samples ", values.len()), theme.muted()).right_aligned(),
    );
    let data: Vec<SparklineBar> = values
        .iter()
        .zip(&throttled)
        .map(|(v, t)| {
            let bar = SparklineBar::from((v * 10.0).round() as u64);
            if *t { bar.style(theme.warn()) } else { bar }
        })
        .collect();
    frame.render_widget(
        Sparkline::default()
            .block(block)
            .data(data)
            .max((max * 10.0).round() as u64)
            .direction(RenderDirection::RightToLeft)
            .style(theme.ok()),
        area,
    );
}

fn memory(
    frame: &mut Frame<'_>,
    area: Rect,
    ring: &Ring<Point>,
    limit: Option<u64>,
    theme: &Theme,
) {
    let width = usize::from(area.width.saturating_sub(2));
    let data: Vec<u64> = ring.newest(width).map(|p| p.memory_used).collect();
    let peak = data.iter().copied().max().unwrap_or(0);
    let now = ring.last().map_or(0, |p| p.memory_used);
    let scale = match limit {
        Some(l) => format!("limit {} ", bytes(l)),
        None => "no limit ".into(),
    };
    let block = Block::bordered()
        .title(Line::from(vec![
            Span::styled(" memory ", theme.title()),
            Span::raw(format!("{} · {scale}", bytes(now))),
        ]))
        .title_bottom(
            Line::styled(format!(" peak {} ", bytes(peak)), theme.muted()).right_aligned(),
        );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut chart = inner;
    if let Some(l) = limit.filter(|_| inner.height > 1) {
        // The limit: a line over the chart, whose top is the limit.
        let label = format!(" limit {} ", bytes(l));
        let dashes = usize::from(inner.width).saturating_sub(label.chars().count());
        let line = Line::from(vec![
            Span::styled("┄".repeat(dashes.min(2)), theme.warn()),
            Span::styled(label, theme.warn()),
            Span::styled("┄".repeat(dashes.saturating_sub(2)), theme.warn()),
        ]);
        frame.render_widget(Paragraph::new(line), Rect { height: 1, ..inner });
        chart = Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        };
    }
    let style = if limit.is_some_and(|l| now >= l / 10 * 9) {
        theme.warn()
    } else {
        theme.ok()
    };
    frame.render_widget(
        Sparkline::default()
            .data(data)
            .max(limit.unwrap_or(peak).max(1))
            .direction(RenderDirection::RightToLeft)
            .style(style),
        chart,
    );
}

/// Draws the two charts in `area`.
pub fn render(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &AppState,
    view: &InspectView,
    theme: &Theme,
) {
    let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(area);
    match state.history.of(&view.id).filter(|r| !r.is_empty()) {
        Some(ring) => {
            cpu(frame, left, ring, theme);
            memory(frame, right, ring, memory_limit(view), theme);
        }
        None => {
            empty(frame, left, "CPU", theme);
            empty(frame, right, "memory", theme);
        }
    }
}
