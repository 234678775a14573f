//! When the console draws, decided from the kind of change waiting to be drawn and the time of
//! the last frame, with the instants given (no clock read here, so it is tested by driving it
//! with explicit instants). Input (a key, a paste, a resize) is drawn as soon as every input
//! already waiting has been handled; changes from the daemon (fleet events, logs, the clock)
//! at most `max_fps` times a second; stats samples and detail fills alone at most
//! `background_fps` times a second. Any frame draws everything pending.

use std::time::{Duration, Instant};

use crate::app::Msg;
use crate::engine::FleetUpdate;

/// What kind of change waits to be drawn, least urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Change {
    /// Stats samples and detail fills: coalesced, at most `background_fps` frames a second.
    Coalesced,
    /// Changes from the daemon and the clock: at most `max_fps` frames a second.
    Background,
    /// A key, a mouse event, a paste, a resize: drawn at once.
    Input,
}

impl Change {
    /// The kind of change a message makes (when `update` marks the screen dirty for it).
    pub(crate) fn of(msg: &Msg) -> Self {
        match msg {
            Msg::Key(_) | Msg::Mouse(_) | Msg::Resize { .. } => Self::Input,
            Msg::Stats(_) | Msg::StatsUnreadable(_) | Msg::Fleet(FleetUpdate::Refreshed(_)) => {
                Self::Coalesced
            }
            _ => Self::Background,
        }
    }
}

/// The frame schedule.
#[derive(Debug, Clone)]
pub(crate) struct FrameClock {
    /// The shortest time between two frames for background changes.
    frame: Duration,
    /// The shortest time between two frames for coalesced changes.
    coalesced: Duration,
    last_draw: Option<Instant>,
    /// The most urgent change not drawn yet.
    pending: Option<Change>,
}

impl FrameClock {
    pub(crate) fn new(max_fps: u32, background_fps: u32) -> Self {
        let frame = Duration::from_secs(1) / max_fps.clamp(1, 240);
        let coalesced = (Duration::from_secs(1) / background_fps.clamp(1, 240)).max(frame);
        Self {
            frame,
            coalesced,
            last_draw: None,
            pending: None,
        }
    }

    /// Notes a change to draw.
    pub(crate) fn mark(&mut self, change: Change) {
        self.pending = self.pending.max(Some(change));
    }

    /// Whether anything waits to be drawn.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Forgets the last frame: the next one is drawn at once (after a shell had the terminal).
    pub(crate) fn redraw_now(&mut self) {
        self.last_draw = None;
        self.mark(Change::Input);
    }

    /// When what is pending is due; `None` when nothing is.
    pub(crate) fn due(&self, now: Instant) -> Option<Instant> {
        let pending = self.pending?;
        let Some(last) = self.last_draw else {
            return Some(now);
        };
        Some(match pending {
            Change::Input => now,
            Change::Background => last + self.frame,
            Change::Coalesced => last + self.coalesced,
        })
    }

    /// Whether to draw now: something is due, and no input waits to be handled first.
    pub(crate) fn should_draw(&self, now: Instant, input_waiting: bool) -> bool {
        !input_waiting && self.due(now).is_some_and(|due| due <= now)
    }

    /// Notes a frame drawn at `now`: everything pending is on screen.
    pub(crate) fn drawn(&mut self, now: Instant) {
        self.last_draw = Some(now);
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixture::{press, state};
    use crate::app::update;
    use crate::config::keys::KeyChord;
    use crate::engine::stats::StatsSample;

    fn at(base: Instant, millis: u64) -> Instant {
        base + Duration::from_millis(millis)
    }

    #[test]
    fn input_is_drawn_at_once_and_background_at_the_frame_cap() {
        let t = Instant::now();
        let mut clock = FrameClock::new(30, 2);
        assert!(
            !clock.should_draw(t, false),
            "nothing pending, nothing drawn"
        );
        clock.mark(Change::Background);
        assert!(clock.should_draw(t, false), "the first frame is at once");
        clock.drawn(t);
        clock.mark(Change::Background);
        assert!(!clock.should_draw(at(t, 10), false));
        assert!(
            clock.should_draw(at(t, 34), false),
            "one frame of 30 fps later"
        );
        clock.drawn(at(t, 34));
        clock.mark(Change::Coalesced);
        assert!(!clock.should_draw(at(t, 100), false));
        assert!(
            !clock.should_draw(at(t, 500), false),
            "coalesced: 2 frames a second"
        );
        assert!(clock.should_draw(at(t, 534), false));
        // A key right after a frame is drawn at once, once no other input waits.
        clock.drawn(at(t, 534));
        clock.mark(Change::Input);
        assert!(
            !clock.should_draw(at(t, 535), true),
            "input waiting goes first"
        );
        assert!(clock.should_draw(at(t, 535), false));
    }

    #[test]
    fn a_key_handled_while_a_stats_flood_is_pending_is_drawn_first() {
        let t = Instant::now();
        let mut s = state();
        let mut clock = FrameClock::new(30, 2);
        clock.mark(Change::Background);
        clock.drawn(t);
        s.dirty = false;
        // A flood of samples: each marks the screen, none is due before the coalesced frame.
        let running: Vec<_> = s
            .fleet
            .containers()
            .filter(|c| c.state == crate::engine::RunState::Running)
            .map(|c| c.id.clone())
            .collect();
        s.watched = running.clone();
        for (i, id) in running.iter().cycle().take(500).enumerate() {
            let msg = Msg::Stats(StatsSample {
                id: id.clone(),
                cpu_percent: Some(i as f64),
                memory_used: 1 << 20,
                memory_limit: None,
            });
            let change = Change::of(&msg);
            let _ = update(&mut s, msg);
            if std::mem::take(&mut s.dirty) {
                clock.mark(change);
            }
            assert!(!clock.should_draw(at(t, 1 + i as u64 / 10), false));
        }
        // A key comes in: handled, then drawn at once, the pending samples with it.
        let now = at(t, 60);
        let key = Msg::Key(KeyChord::char('j'));
        let change = Change::of(&key);
        assert_eq!(change, Change::Input);
        let _ = press(&mut s, KeyChord::char('j'));
        assert!(std::mem::take(&mut s.dirty));
        clock.mark(change);
        assert!(
            clock.should_draw(now, false),
            "the key is drawn before the next slot"
        );
        clock.drawn(now);
        assert!(!clock.pending(), "the samples went with the key's frame");
    }
}
