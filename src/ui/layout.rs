//! Where each pane goes, from the terminal's size and the state: pure geometry, shared by
//! render and by `update` (to know how many rows fit and where a click landed), so the two
//! always agree. Below 80x24 panes collapse: the footer goes first, then the side-by-side
//! inspect, then borders; nothing here can fail at any size.

use ratatui::layout::Rect;

use crate::app::{AppState, Base};
use crate::engine::Connection;

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
pub fn panes(area: Rect, state: &AppState) -> Panes {
    let mut panes = Panes::default();
    if area.width == 0 || area.height == 0 {
        return panes;
    }
    let mut rest = area;
    panes.status = Some(take_bottom(&mut rest, 1));
    if area.height >= 12 {
        panes.footer = Some(take_bottom(&mut rest, 1));
    }
    if matches!(state.fleet.connection, Connection::Disconnected { .. }) && rest.height >= 3 {
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
    if state.show_log {
        if rest.height >= 14 {
            let height = (rest.height / 3).max(5);
            panes.log = Some(take_bottom(&mut rest, height));
        } else {
            panes.log = Some(rest);
            return panes;
        }
    }
    match state.base {
        Base::List => panes.list = Some(rest),
        Base::Inspect if rest.width >= SIDE_BY_SIDE_WIDTH => {
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
        Base::Inspect => panes.inspect = Some(rest),
        Base::Logs => panes.logs = Some(rest),
        Base::Triage => panes.triage = Some(rest),
        Base::Gpu => panes.gpu = Some(rest),
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

/// The scroll position shown in a pane's border (" 1-20 of 22 "), or nothing when all fits.
pub fn scroll_position(scroll: usize, page: usize, total: usize) -> String {
    if total > page {
        format!(" {}-{} of {total} ", scroll + 1, (scroll + page).min(total))
    } else {
        String::new()
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

/// The list's body (the rows) for the current state, if the list is shown.
pub fn list_body(area: Rect, state: &AppState) -> Option<Rect> {
    panes(area, state).list.map(|l| list_geometry(l).body)
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
