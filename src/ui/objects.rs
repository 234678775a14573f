//! The host views: images, volumes, networks (one row per object, the name column taking the
//! width the others leave) and disk usage (four lines per host). A HOST column leads with
//! several hosts. Only the rows on screen are formatted; sizes only the disk-usage call knows
//! show `…` while it runs and `-` where the daemon did not say.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use super::{fit, pad};
use crate::app::AppState;
use crate::app::objects::{ObjectView, ObjectsState};
use crate::engine::objects::DiskUsage;
use crate::geometry::list_geometry;
use crate::present::bytes;
use crate::sanitize::printable;

/// A column: its header, its width (`0`: takes what the others leave, up to `MAX_FLEX`), and
/// when it goes on a narrow screen (`0`: never; `1` first, then `2`).
struct Column {
    header: &'static str,
    width: usize,
    drop: u8,
}

const fn col(header: &'static str, width: usize) -> Column {
    Column {
        header,
        width,
        drop: 0,
    }
}

const fn droppable(header: &'static str, width: usize, drop: u8) -> Column {
    Column {
        header,
        width,
        drop,
    }
}

/// The name column is never squeezed below this while a droppable column can go instead.
const MIN_FLEX: usize = 24;
const MAX_FLEX: usize = 72;

fn columns(view: ObjectView) -> Vec<Column> {
    match view {
        ObjectView::Images => vec![
            col("IMAGE", 0),
            col("ID", 12),
            col("SIZE", 10),
            droppable("SHARED", 10, 2),
            droppable("CREATED", 9, 1),
            col("CONTAINERS", 10),
            col("DANGLING", 12),
        ],
        ObjectView::Volumes => vec![
            col("VOLUME", 0),
            col("DRIVER", 8),
            col("SIZE", 10),
            col("CONTAINERS", 10),
            col("KIND", 9),
        ],
        ObjectView::Networks => vec![
            col("NETWORK", 0),
            col("DRIVER", 8),
            droppable("SCOPE", 6, 2),
            col("SUBNET", 18),
            droppable("GATEWAY", 15, 1),
            col("CONTAINERS", 10),
            col("INTERNAL", 8),
        ],
        ObjectView::Df => vec![
            col("TYPE", 0),
            col("TOTAL", 7),
            col("ACTIVE", 7),
            col("SIZE", 10),
            col("RECLAIMABLE", 18),
        ],
    }
}

/// A size only the disk-usage call knows: `…` while it runs, `-` where it did not say.
fn usage_size(objects: &ObjectsState, host: &str, size: Option<u64>) -> String {
    match size {
        Some(n) => bytes(n),
        None if objects.usage_loading && !objects.usage.contains_key(host) => "…".into(),
        None => "-".into(),
    }
}

fn usage_of<'a>(objects: &'a ObjectsState, host: &str) -> Option<&'a DiskUsage> {
    objects
        .usage
        .get(host)
        .and_then(|r| r.as_ref().ok())
        .map(|b| &**b)
}

/// The cells of row `i` (without the host).
fn cells(state: &AppState, objects: &ObjectsState, i: usize) -> Option<(String, Vec<String>)> {
    match objects.view {
        ObjectView::Images => image_cells(state, objects, i),
        ObjectView::Volumes => volume_cells(objects, i),
        ObjectView::Networks => network_cells(objects, i),
        ObjectView::Df => df_cells(objects, i),
    }
}

fn count(n: u64) -> String {
    n.to_string()
}

fn image_cells(
    state: &AppState,
    objects: &ObjectsState,
    i: usize,
) -> Option<(String, Vec<String>)> {
    let (host, image) = objects.images.get(i)?;
    let shared = usage_of(objects, host)
        .and_then(|u| u.image_shared.get(&image.id))
        .and_then(|(shared, _)| *shared)
        .or(image.shared_size);
    let created = chrono::DateTime::from_timestamp(image.created, 0)
        .map_or_else(|| "-".into(), |t| crate::present::ago(t, state.now));
    let flag = if image.dangling {
        "dangling"
    } else if image.intermediate {
        "intermediate"
    } else {
        ""
    };
    Some((
        host.clone(),
        vec![
            image.name().to_string(),
            image.short_id().to_string(),
            bytes(image.size),
            usage_size(objects, host, shared),
            created,
            count(image.containers),
            flag.to_string(),
        ],
    ))
}

fn volume_cells(objects: &ObjectsState, i: usize) -> Option<(String, Vec<String>)> {
    let (host, v) = objects.volumes.get(i)?;
    let size = usage_of(objects, host)
        .and_then(|u| u.volume_sizes.get(&v.name).copied())
        .or(v.size);
    Some((
        host.clone(),
        vec![
            v.name.clone(),
            v.driver.clone(),
            usage_size(objects, host, size),
            count(v.containers),
            if v.anonymous { "anonymous" } else { "named" }.to_string(),
        ],
    ))
}

fn network_cells(objects: &ObjectsState, i: usize) -> Option<(String, Vec<String>)> {
    let (host, n) = objects.networks.get(i)?;
    Some((
        host.clone(),
        vec![
            n.name.clone(),
            n.driver.clone(),
            n.scope.clone(),
            n.subnet.clone().unwrap_or_default(),
            n.gateway.clone().unwrap_or_default(),
            count(n.containers),
            if n.internal { "yes" } else { "" }.to_string(),
        ],
    ))
}

/// Four rows a host: images, containers, volumes, build cache.
fn df_cells(objects: &ObjectsState, i: usize) -> Option<(String, Vec<String>)> {
    let (host, result) = objects.usage.iter().nth(i / 4)?;
    let Ok(usage) = result else {
        let first = if i % 4 == 0 { "unavailable" } else { "" };
        return Some((host.clone(), vec![first.to_string()]));
    };
    let (name, line) = [
        ("Images", &usage.images),
        ("Containers", &usage.containers),
        ("Local volumes", &usage.volumes),
        ("Build cache", &usage.build_cache),
    ][i % 4];
    let percent = (line.size > 0).then(|| line.reclaimable.saturating_mul(100) / line.size);
    Some((
        host.clone(),
        vec![
            name.to_string(),
            count(line.count),
            count(line.active),
            bytes(line.size),
            match percent {
                Some(p) => format!("{} ({p}%)", bytes(line.reclaimable)),
                None => bytes(line.reclaimable),
            },
        ],
    ))
}

/// The title: the view, its count, what is loading, and the keys to switch.
fn title(state: &AppState, objects: &ObjectsState, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!(" {} ", objects.view.title()),
        theme.title(),
    )];
    if objects.view != ObjectView::Df {
        spans.push(Span::raw(format!("{} ", objects.len())));
    }
    if !objects.loading.is_empty() || objects.usage_loading {
        spans.push(Span::styled("reading… ", theme.muted()));
    }
    for (host, e) in &objects.errors {
        spans.push(Span::styled(
            format!("{host}: {} ", printable(e)),
            theme.error(),
        ));
    }
    if objects.view == ObjectView::Df {
        for (host, e) in objects
            .usage
            .iter()
            .filter_map(|(h, r)| r.as_ref().err().map(|e| (h, e)))
        {
            spans.push(Span::styled(
                format!("{host}: {} ", printable(e)),
                theme.error(),
            ));
        }
    }
    let _ = state;
    spans.push(Span::styled(
        ":images :volumes :networks :df ",
        theme.muted(),
    ));
    Line::from(spans)
}

/// The widths of the columns at `width` (the host's first with several hosts): the flexible
/// one takes the rest, within [`MIN_FLEX`]..[`MAX_FLEX`], droppable columns going (`None`)
/// while it would be narrower.
fn widths(columns: &[Column], several: bool, width: usize) -> Vec<Option<usize>> {
    let host_w = if several { 10 } else { 0 };
    let mut dropped = 0u8;
    let flex = loop {
        let fixed: usize = columns
            .iter()
            .filter(|c| c.drop == 0 || c.drop > dropped)
            .map(|c| c.width + 1)
            .sum::<usize>()
            + host_w;
        let flex = width.saturating_sub(fixed);
        if flex >= MIN_FLEX || !columns.iter().any(|c| c.drop > dropped) {
            break flex.clamp(8, MAX_FLEX);
        }
        dropped += 1;
    };
    let mut out: Vec<Option<usize>> = several
        .then(|| Some(host_w.saturating_sub(1)))
        .into_iter()
        .collect();
    out.extend(columns.iter().map(|c| match c.width {
        _ if c.drop != 0 && c.drop <= dropped => None,
        0 => Some(flex),
        w => Some(w),
    }));
    out
}

fn line_of(cells: &[String], widths: &[Option<usize>]) -> String {
    let mut text = String::new();
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        let Some(w) = *w else { continue };
        if i > 0 {
            text.push(' ');
        }
        text.push_str(&pad(&fit(&printable(cell), w), w));
    }
    text.trim_end().to_string()
}

/// Draws the open host view.
pub fn render(frame: &mut Frame<'_>, area: Rect, state: &AppState, theme: &Theme) {
    let Some(objects) = state.objects.as_deref() else {
        return;
    };
    let geometry = list_geometry(area);
    if geometry.bordered {
        frame.render_widget(Block::bordered().title(title(state, objects, theme)), area);
    }
    let several = state.fleet.several_hosts();
    let cols = columns(objects.view);
    let widths = widths(&cols, several, usize::from(geometry.inner.width));
    if let Some(header) = geometry.header {
        let mut names: Vec<String> = several.then(|| "HOST".to_string()).into_iter().collect();
        names.extend(cols.iter().map(|c| c.header.to_string()));
        frame.render_widget(
            Paragraph::new(line_of(&names, &widths)).style(theme.header()),
            header,
        );
    }
    let body = geometry.body;
    if objects.is_empty() {
        let text = if objects.loading.is_empty() && !objects.usage_loading {
            "none"
        } else {
            "reading…"
        };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.muted())), body);
        return;
    }
    let height = usize::from(body.height);
    let offset = objects.offset.min(objects.len().saturating_sub(1));
    let lines: Vec<Line> = (offset..objects.len().min(offset + height))
        .filter_map(|i| {
            let (host, row) = cells(state, objects, i)?;
            let mut all: Vec<String> = several.then_some(host).into_iter().collect();
            all.extend(row);
            let text = line_of(&all, &widths);
            Some(if i == objects.selected && objects.view != ObjectView::Df {
                Line::styled(pad(&text, usize::from(body.width)), theme.selected())
            } else {
                Line::raw(text)
            })
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
}
