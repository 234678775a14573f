//! Where each pane goes and how much of it fits: pure geometry over a small input (the
//! terminal's size, which main view, which extra panes are shown, counts), shared by `update`
//! (how many rows fit, where a click landed, how far a pane scrolls) and by render (where to
//! draw), so the two always agree. It imports nothing from the crate: callers describe the
//! screen with a [`Screen`]. Below 80x24 panes collapse: the footer goes first, then the
//! side-by-side inspect, then borders; nothing here can fail at any size.

use ratatui::layout::Rect;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The main view under any overlay, as the layout sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MainView {
    List,
    Inspect,
    Logs,
    Triage,
    Gpu,
    /// The compose plan pane.
    Plan,
    /// The host views: images, volumes, networks, disk usage.
    Objects,
}

/// What the layout depends on besides the terminal's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    pub view: MainView,
    /// The daemon is unreachable: a banner takes the top.
    pub disconnected: bool,
    /// fleetdeck's own log pane is shown at the bottom.
    pub show_log: bool,
}

/// The rectangles of one frame; `None` for a pane not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Panes {
    pub banner: Option<Rect>,
    pub list: Option<Rect>,
    pub inspect: Option<Rect>,
    pub log: Option<Rect>,
    /// The logs pane (container logs).
    pub logs: Option<Rect>,
    /// The triage view.
    pub triage: Option<Rect>,
    /// The GPU pane.
    pub gpu: Option<Rect>,
    /// The compose plan pane.
    pub plan: Option<Rect>,
    /// The host views (images, volumes, networks, disk usage).
    pub objects: Option<Rect>,
    pub status: Option<Rect>,
    pub footer: Option<Rect>,
}

/// Inspect goes beside the list from this width on; below it, it takes the whole main area.
pub const SIDE_BY_SIDE_WIDTH: u16 = 120;

fn take_top(area: &mut Rect, height: u16) -> Rect {
    let height = height.min(area.height);
    let top = Rect { height, ..*area };
    area.y += height;
    area.height -= height;
    top
}

fn take_bottom(area: &mut Rect, height: u16) -> Rect {
    let height = height.min(area.height);
    area.height -= height;
    Rect {
        y: area.y + area.height,
        height,
        ..*area
    }
}

/// Lays out the screen.
pub fn panes(area: Rect, screen: Screen) -> Panes {
    let mut panes = Panes::default();
    if area.width == 0 || area.height == 0 {
        return panes;
    }
    let mut rest = area;
    panes.status = Some(take_bottom(&mut rest, 1));
    if area.height >= 12 {
        panes.footer = Some(take_bottom(&mut rest, 1));
    }
    if screen.disconnected && rest.height >= 3 {
        let height = if area.width < 100 && area.height >= 20 {
            2
        } else {
            1
        };
        panes.banner = Some(take_top(&mut rest, height));
    }
    if rest.height == 0 {
        return panes;
    }
    if screen.show_log {
        if rest.height >= 14 {
            let height = (rest.height / 3).max(5);
            panes.log = Some(take_bottom(&mut rest, height));
        } else {
            panes.log = Some(rest);
            return panes;
        }
    }
    match screen.view {
        MainView::List => panes.list = Some(rest),
        MainView::Inspect if rest.width >= SIDE_BY_SIDE_WIDTH => {
            let left = rest.width * 2 / 5;
            panes.list = Some(Rect {
                width: left,
                ..rest
            });
            panes.inspect = Some(Rect {
                x: rest.x + left,
                width: rest.width - left,
                ..rest
            });
        }
        MainView::Inspect => panes.inspect = Some(rest),
        MainView::Logs => panes.logs = Some(rest),
        MainView::Triage => panes.triage = Some(rest),
        MainView::Gpu => panes.gpu = Some(rest),
        MainView::Plan => panes.plan = Some(rest),
        MainView::Objects => panes.objects = Some(rest),
    }
    panes
}

/// The parts of a pane: a border when there is room, a header line, the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaneGeometry {
    pub bordered: bool,
    /// Inside the border.
    pub inner: Rect,
    pub header: Option<Rect>,
    pub body: Rect,
}

/// Splits a list pane; small panes lose the border, then the header.
pub fn list_geometry(pane: Rect) -> PaneGeometry {
    let bordered = pane.height >= 5 && pane.width >= 20;
    let inner = if bordered { inner(pane) } else { pane };
    let mut body = inner;
    let header = (inner.height >= 2).then(|| take_top(&mut body, 1));
    PaneGeometry {
        bordered,
        inner,
        header,
        body,
    }
}

/// Inside a one-cell border.
pub fn inner(pane: Rect) -> Rect {
    Rect {
        x: pane.x.saturating_add(1),
        y: pane.y.saturating_add(1),
        width: pane.width.saturating_sub(2),
        height: pane.height.saturating_sub(2),
    }
}

/// A bordered pane's inside, or the pane itself when too small for a border.
pub fn pane_inner(pane: Rect) -> Rect {
    if pane.height >= 5 && pane.width >= 20 {
        inner(pane)
    } else {
        pane
    }
}

/// The scroll position shown in a pane's border (" 1-20 of 22 "), or nothing when all fits.
pub fn scroll_position(scroll: usize, page: usize, total: usize) -> String {
    if total > page {
        format!(" {}-{} of {total} ", scroll + 1, (scroll + page).min(total))
    } else {
        String::new()
    }
}

/// The list's body (the rows), if the list is shown.
pub fn list_body(area: Rect, screen: Screen) -> Option<Rect> {
    panes(area, screen).list.map(|l| list_geometry(l).body)
}

/// How many lines fit inside a bordered pane (0 when it is not shown).
pub fn page(pane: Option<Rect>) -> usize {
    pane.map_or(0, |p| usize::from(pane_inner(p).height))
}

/// Rows the inspect pane's charts take at the top of its inner area (CPU and memory side by
/// side, each a bordered three-row chart).
pub const INSPECT_CHARTS: u16 = 5;

/// The inspect pane's inner area as (charts, text): the charts on top when at least 8 rows of
/// text remain below them, else the text alone.
pub fn inspect_split(inner: Rect) -> (Option<Rect>, Rect) {
    if inner.height < INSPECT_CHARTS + 8 {
        return (None, inner);
    }
    let charts = Rect {
        height: INSPECT_CHARTS,
        ..inner
    };
    let text = Rect {
        y: inner.y + INSPECT_CHARTS,
        height: inner.height - INSPECT_CHARTS,
        ..inner
    };
    (Some(charts), text)
}

/// How many lines of the inspect pane's text fit (0 when it is not shown).
pub fn inspect_page(pane: Option<Rect>) -> usize {
    pane.map_or(0, |p| usize::from(inspect_split(pane_inner(p)).1.height))
}

/// A box of at most `width` x `height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// Lines at the top of the plan pane that do not scroll: the counts, the apply's progress or
/// outcome, the column header.
pub const PLAN_HEAD_LINES: u16 = 3;

/// How many steps fit in the plan pane whose inside is `inner` (0 when it is not shown).
pub fn plan_page(inner: Option<Rect>) -> usize {
    inner.map_or(0, |r| usize::from(r.height.saturating_sub(PLAN_HEAD_LINES)))
}

/// The help overlay's box for `lines` lines of content.
pub fn help_popup(area: Rect, lines: usize) -> Rect {
    let height = u16::try_from(lines + 2).unwrap_or(u16::MAX);
    centered(
        area,
        78.min(area.width.saturating_sub(2)).max(area.width.min(20)),
        height.min(area.height.saturating_sub(2).max(3)),
    )
}

/// How many lines of the help overlay fit, for `lines` lines of content.
pub fn help_page(area: Rect, lines: usize) -> usize {
    usize::from(inner(help_popup(area, lines)).height)
}

/// From this inner width on, a triage problem takes one line; below it, two.
pub const ONE_LINE_WIDTH: u16 = 118;

/// Lines one triage problem takes in a pane of this inner width.
pub fn lines_per_problem(inner: Rect) -> usize {
    if inner.width >= ONE_LINE_WIDTH { 1 } else { 2 }
}

/// How many problems fit in the triage pane `pane` (0 when it is not shown).
pub fn visible_problems(pane: Option<Rect>) -> usize {
    pane.map_or(0, |pane| {
        let g = list_geometry(pane);
        usize::from(g.body.height) / lines_per_problem(g.inner)
    })
}

/// Splits `text` at spaces into lines of at most `width` characters (not less than 10); a
/// longer word stays whole here (the caller cuts it). The number of lines is what a pane of
/// wrapped text scrolls over.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// Cuts `text` to `width` columns, ending with `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Pads `text` with spaces to `width` columns.
pub fn pad(text: &str, width: usize) -> String {
    let w = text.width();
    if w >= width {
        text.to_string()
    } else {
        format!("{text}{}", " ".repeat(width - w))
    }
}

/// `text` cut to at most `cells` columns (no ellipsis).
pub fn cut(text: &str, cells: usize) -> &str {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += c.width().unwrap_or(0);
        if used > cells {
            return &text[..i];
        }
    }
    text
}

/// Cuts pieces of text into rows of `width` cells, at most `max_rows`, each piece keeping its
/// tag `S` (render's style, or nothing when only the count matters). A character never
/// straddles two rows.
pub fn wrap_pieces<S: Copy>(
    pieces: Vec<(String, S)>,
    width: usize,
    max_rows: usize,
) -> Vec<Vec<(String, S)>> {
    let width = width.max(1);
    let mut rows: Vec<Vec<(String, S)>> = Vec::new();
    let mut row: Vec<(String, S)> = Vec::new();
    let mut used = 0;
    for (text, tag) in pieces {
        let mut piece = String::new();
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                if !piece.is_empty() {
                    row.push((std::mem::take(&mut piece), tag));
                }
                rows.push(std::mem::take(&mut row));
                used = 0;
                if rows.len() >= max_rows {
                    return rows;
                }
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty() {
            row.push((piece, tag));
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen(view: MainView) -> Screen {
        Screen {
            view,
            disconnected: false,
            show_log: false,
        }
    }

    #[test]
    fn the_list_takes_what_the_bars_leave() {
        let p = panes(Rect::new(0, 0, 80, 24), screen(MainView::List));
        assert_eq!(p.status, Some(Rect::new(0, 23, 80, 1)));
        assert_eq!(p.footer, Some(Rect::new(0, 22, 80, 1)));
        assert_eq!(p.list, Some(Rect::new(0, 0, 80, 22)));
        // Border, then a header line.
        assert_eq!(
            list_body(Rect::new(0, 0, 80, 24), screen(MainView::List)),
            Some(Rect::new(1, 2, 78, 19))
        );
    }

    #[test]
    fn inspect_goes_beside_the_list_when_wide() {
        let wide = panes(Rect::new(0, 0, 160, 48), screen(MainView::Inspect));
        assert!(wide.list.is_some() && wide.inspect.is_some());
        let narrow = panes(Rect::new(0, 0, 80, 24), screen(MainView::Inspect));
        assert!(narrow.list.is_none() && narrow.inspect.is_some());
    }

    #[test]
    fn nothing_fails_at_any_size() {
        for w in 0..30 {
            for h in 0..30 {
                for view in [
                    MainView::List,
                    MainView::Inspect,
                    MainView::Logs,
                    MainView::Triage,
                    MainView::Gpu,
                    MainView::Plan,
                    MainView::Objects,
                ] {
                    let s = Screen {
                        view,
                        disconnected: true,
                        show_log: true,
                    };
                    let area = Rect::new(0, 0, w, h);
                    let p = panes(area, s);
                    let _ = visible_problems(p.triage);
                    let _ = page(p.inspect);
                    let _ = plan_page(p.plan.map(pane_inner));
                    let _ = help_page(area, 40);
                }
            }
        }
    }

    #[test]
    fn words_wrap_at_spaces() {
        assert_eq!(
            wrap_words("one two three four", 10),
            ["one two", "three four"]
        );
        assert_eq!(wrap_words("", 10), [""]);
    }
}
