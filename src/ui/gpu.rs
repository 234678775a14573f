//! The GPU pane: per GPU its index, name, memory used/total as a bar and in figures,
//! utilisation, temperature and power, a GPU over the memory threshold marked in words (not by
//! colour alone); then each process holding GPU memory (host PID, PID in its container, GPU,
//! memory, command, container; a process gone but still counted is said to be), and the GPU
//! memory summed per container. Where there is no GPU it says why. It draws the report the
//! sampler made off the event loop; nothing here reads NVML or `/proc`. Beside each GPU's
//! memory figures, its memory over the last samples as a one-row sparkline.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::spark::blocks;
use super::theme::Theme;
use super::{fit, pad};
use crate::app::AppState;
use crate::app::gpu::line_count;
use crate::app::history::{History, Ring};
use crate::geometry::{pane_inner, scroll_position, wrap_words};
use crate::gpu::{GpuReport, GpuState, GpuView, ProcessView};
use crate::present::bytes;
use crate::sanitize::printable;

/// The memory bar's width in a pane of this inner width.
fn bar_width(width: usize) -> usize {
    width.saturating_sub(48).clamp(10, 50)
}

/// `[█████░░░░░]`: the used share of `width` cells.
pub fn bar(used_pct: f64, width: usize) -> String {
    let filled = ((used_pct / 100.0) * width as f64)
        .round()
        .clamp(0.0, width as f64) as usize;
    format!("[{}{}]", "█".repeat(filled), "░".repeat(width - filled))
}

/// The GPU's memory over the last samples, in the cells left of the line after its figures
/// (at most 30); nothing until there are two samples (a trend needs two points) or room for 4.
fn memory_trend(g: &GpuView, history: Option<&Ring<u64>>, room: usize) -> Option<String> {
    let ring = history.filter(|r| r.len() >= 2)?;
    let width = room.saturating_sub(2).min(30);
    if width < 4 {
        return None;
    }
    let values = ring.newest(width).map(|v| *v as f64);
    Some(format!(
        "  {}",
        blocks(values, g.info.memory_total_bytes as f64, width)
    ))
}

fn gpu_lines(
    g: &GpuView,
    history: Option<&Ring<u64>>,
    threshold: f64,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let info = &g.info;
    let mut head = vec![Span::styled(
        format!("GPU {}  {}", info.index, printable(&info.name)),
        theme.header(),
    )];
    if g.over_threshold {
        head.push(Span::styled(
            format!("  ▲ OVER {threshold:.0} %"),
            theme.warn(),
        ));
    }
    let figures = format!(
        " {} / {} ({:.0} %)",
        bytes(info.memory_used_bytes),
        bytes(info.memory_total_bytes),
        g.memory_used_pct
    );
    let bar_style = if g.over_threshold {
        theme.warn()
    } else {
        theme.ok()
    };
    let na = || "n/a".to_string();
    let util = info.utilization_pct.map_or_else(na, |u| format!("{u} %"));
    let temp = info.temperature_c.map_or_else(na, |t| format!("{t} °C"));
    let power = info
        .power_mw
        .map_or_else(na, |p| format!("{:.0} W", f64::from(p) / 1000.0));
    let bar_text = bar(g.memory_used_pct, bar_width(width));
    let used = 9 + bar_text.chars().count() + figures.chars().count();
    let mut memory = vec![
        Span::raw("  memory "),
        Span::styled(bar_text, bar_style),
        Span::raw(figures),
    ];
    if let Some(trend) = memory_trend(g, history, width.saturating_sub(used)) {
        memory.push(Span::styled(trend, bar_style));
    }
    vec![
        Line::from(head),
        Line::from(memory),
        Line::raw(format!("  util {util} · temp {temp} · power {power}")),
    ]
}

fn process_line(p: &ProcessView, width: usize, theme: &Theme) -> Line<'static> {
    let memory = p.memory_used_bytes.map_or_else(|| "n/a".into(), bytes);
    let cpid = p
        .container_pid
        .map_or_else(|| "-".into(), |n| n.to_string());
    let (container, command, style) = if !p.alive {
        (
            "(gone)".to_string(),
            "exited; memory still held".to_string(),
            theme.warn(),
        )
    } else {
        (
            p.container
                .as_ref()
                .map_or_else(|| "(host)".into(), |c| printable(&c.name).into_owned()),
            p.command
                .as_deref()
                .map_or_else(String::new, |c| printable(c).into_owned()),
            ratatui::style::Style::new(),
        )
    };
    let left = format!(
        "  {} {} {} {} {} ",
        pad(&p.host_pid.to_string(), 8),
        pad(&cpid, 6),
        pad(&p.gpu_index.to_string(), 3),
        pad(&memory, 10),
        pad(&fit(&container, 16), 16),
    );
    let room = width.saturating_sub(left.chars().count());
    Line::from(vec![
        Span::raw(left),
        Span::styled(fit(&command, room), style),
    ])
}

fn report_lines(
    report: &GpuReport,
    history: &History,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for g in &report.gpus {
        let ring = history.gpus.get(&g.info.index);
        lines.extend(gpu_lines(g, ring, report.threshold_pct, width, theme));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("Processes ({})", report.processes.len()),
        theme.title(),
    ));
    if report.processes.is_empty() {
        lines.push(Line::styled("  none holds GPU memory", theme.muted()));
    } else {
        lines.push(Line::styled(
            format!(
                "  {} {} {} {} {} COMMAND",
                pad("PID", 8),
                pad("CPID", 6),
                pad("GPU", 3),
                pad("MEMORY", 10),
                pad("CONTAINER", 16)
            ),
            theme.header(),
        ));
        lines.extend(
            report
                .processes
                .iter()
                .map(|p| process_line(p, width, theme)),
        );
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("Per container", theme.title()));
    if report.containers.is_empty() {
        lines.push(Line::styled(
            "  no container holds GPU memory",
            theme.muted(),
        ));
    } else {
        lines.push(Line::styled(
            format!("  {} {} PROCESSES", pad("CONTAINER", 24), pad("MEMORY", 10)),
            theme.header(),
        ));
        for c in &report.containers {
            lines.push(Line::raw(format!(
                "  {} {} {}",
                pad(&fit(&printable(&c.name), 24), 24),
                pad(&bytes(c.memory_used_bytes), 10),
                c.processes
            )));
        }
    }
    lines
}

/// Splits `text` at spaces into lines of at most `width` columns (a longer word is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    wrap_words(&printable(text), width)
        .into_iter()
        .map(|l| fit(&l, width.max(10)))
        .collect()
}

/// Every line of the pane, at this inner width.
pub fn lines(state: &AppState, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    match &state.gpu {
        GpuState::Unknown => vec![Line::styled("  sampling the GPUs …", theme.muted())],
        GpuState::Unavailable { reason } => {
            let mut lines: Vec<Line<'static>> = wrap(&reason.to_string(), width.saturating_sub(2))
                .into_iter()
                .map(|l| Line::styled(format!("  {l}"), theme.warn()))
                .collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "  GPU memory is not shown; everything else works as usual.",
                theme.muted(),
            ));
            lines
        }
        GpuState::Available { report, .. } => report_lines(report, &state.history, width, theme),
    }
}

fn title_line(state: &AppState, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(" GPU ", theme.title())];
    if let GpuState::Available { report, .. } = &state.gpu {
        let over = report.gpus.iter().filter(|g| g.over_threshold).count();
        spans.push(Span::raw(format!(
            "{} GPUs · threshold {:.0} % ",
            report.gpus.len(),
            report.threshold_pct
        )));
        if over > 0 {
            spans.push(Span::styled(format!("· {over} over "), theme.warn()));
        }
    }
    Line::from(spans)
}

/// Draws the GPU pane.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let inner = pane_inner(area);
    let content = lines(state, usize::from(inner.width), theme);
    // The count `update` scrolls by.
    let total = line_count(state, usize::from(inner.width));
    debug_assert_eq!(
        content.len(),
        total,
        "gpu: the line count and the lines disagree"
    );
    if inner != area {
        let page = usize::from(inner.height);
        let position = scroll_position(state.gpu_scroll, page, total);
        frame.render_widget(
            Block::bordered()
                .title(title_line(state, theme))
                .title_bottom(Line::from(position).right_aligned()),
            area,
        );
    }
    let shown: Vec<Line<'static>> = content
        .into_iter()
        .skip(state.gpu_scroll)
        .take(usize::from(inner.height))
        .collect();
    frame.render_widget(Paragraph::new(shown), inner);
}
