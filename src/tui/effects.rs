//! The one place the console's messages meet `update` and its effects are carried out. Every
//! message the loop has (a key, a fleet event, the clock, what an exec leaves behind) goes
//! through `step`; each effect `update` returns goes to a `Carrier`, and whatever messages
//! carrying it out produces (the terminal's size and the outcome after an exec) go through
//! `update` again in turn, so that no effect is ever dropped. The carrier is a trait so that
//! tests can watch what was carried out without a terminal or a daemon.

use crate::engine::Fleet;
use std::collections::VecDeque;

use crate::app::{AppState, Effect, Msg, update};
use crate::session::CliError;

/// Where the console's own log lines are filed (the log pane shows them).
pub const LOG_TARGET: &str = "fleetdeck";

/// What carries out the effects: the console's terminal, tasks and streams.
pub(crate) trait Carrier {
    /// Carries out one effect (never [`Effect::Quit`], which [`step`] reads itself); returns
    /// the messages it produced for `update`, in order.
    async fn carry(&mut self, effect: Effect, fleet: &Fleet) -> Result<Vec<Msg>, CliError>;
}

/// Whether the loop goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Quit,
}

/// Applies `msgs` in order, and the messages their effects produce after them, carrying out
/// every effect. Returns [`Flow::Quit`] once an effect asked for it (the effects already
/// returned beside it are still carried out).
pub(crate) async fn step<C: Carrier>(
    state: &mut AppState,
    carrier: &mut C,
    msgs: impl IntoIterator<Item = Msg>,
) -> Result<Flow, CliError> {
    let mut queue: VecDeque<Msg> = msgs.into_iter().collect();
    let mut flow = Flow::Continue;
    while let Some(msg) = queue.pop_front() {
        if let Msg::ActionsDone(done) = &msg {
            for d in done {
                if d.ok() {
                    log::info!(target: LOG_TARGET, "{}", d.describe());
                } else {
                    log::error!(target: LOG_TARGET, "{}", d.describe());
                }
            }
        }
        for effect in update(state, msg) {
            match effect {
                Effect::Quit => flow = Flow::Quit,
                effect => queue.extend(carrier.carry(effect, &state.fleet).await?),
            }
        }
    }
    Ok(flow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixture::{container, select, state_at};
    use crate::config::keys::KeyChord;
    use crate::engine::{ContainerId, FleetUpdate, RunState};

    /// Records what it is asked to carry out; an exec "returns" to a terminal of `after_exec`.
    struct Recorder {
        carried: Vec<Effect>,
        after_exec: (u16, u16),
    }

    impl Carrier for Recorder {
        async fn carry(&mut self, effect: Effect, _: &Fleet) -> Result<Vec<Msg>, CliError> {
            let back = match &effect {
                Effect::Exec(target) => vec![
                    Msg::Resize {
                        width: self.after_exec.0,
                        height: self.after_exec.1,
                    },
                    Msg::Notice {
                        text: format!("exec sh in {}: exit 0", target.name),
                        is_error: false,
                    },
                ],
                _ => Vec::new(),
            };
            self.carried.push(effect);
            Ok(back)
        }
    }

    impl Recorder {
        /// The last stats set asked for.
        fn watched(&self) -> Option<&Vec<ContainerId>> {
            self.carried.iter().rev().find_map(|e| match e {
                Effect::WatchStats(ids) => Some(ids),
                _ => None,
            })
        }
    }

    fn run<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
            .block_on(future)
    }

    #[test]
    fn rows_shown_after_a_resize_during_an_exec_get_stats() {
        run(async {
            let mut s = state_at(80, 12);
            let fleet: Vec<_> = (0..40)
                .map(|i| container(&format!("svc-{i:02}"), "busybox", RunState::Running))
                .collect();
            let mut carrier = Recorder {
                carried: Vec::new(),
                after_exec: (80, 40),
            };
            let msgs = [
                Msg::Fleet(FleetUpdate::Snapshot(
                    crate::engine::LOCAL_HOST.to_string(),
                    fleet,
                )),
                Msg::Resize {
                    width: 80,
                    height: 12,
                },
            ];
            let flow = step(&mut s, &mut carrier, msgs).await.expect("step");
            assert_eq!(flow, Flow::Continue);
            let before = carrier.watched().cloned().unwrap_or_default();
            assert!(!before.is_empty());
            select(&mut s, "svc-00");
            carrier.carried.clear();

            // The shell's terminal was made taller meanwhile: the console comes back to it.
            let flow = step(&mut s, &mut carrier, [Msg::Key(KeyChord::char('e'))]).await;
            assert_eq!(flow.expect("step"), Flow::Continue);
            assert!(matches!(carrier.carried.first(), Some(Effect::Exec(t)) if t.name == "svc-00"));
            let after = carrier.watched().expect("stats asked for after the exec");
            assert!(after.len() > before.len(), "{after:?} vs {before:?}");
            let shown: Vec<ContainerId> = s
                .visible_rows()
                .iter()
                .filter_map(|r| match r {
                    crate::app::rows::Row::Container(id) => Some(id.clone()),
                    crate::app::rows::Row::Group { .. } | crate::app::rows::Row::Missing(_) => None,
                })
                .take(s.settings.max_stats_streams)
                .collect();
            assert_eq!(after, &shown);
            assert_eq!(
                s.status.as_ref().map(|l| l.text.as_str()),
                Some("exec sh in svc-00: exit 0")
            );
        });
    }

    #[test]
    fn quit_still_carries_out_the_effects_beside_it() {
        run(async {
            let mut s = state_at(80, 24);
            let mut carrier = Recorder {
                carried: Vec::new(),
                after_exec: (80, 24),
            };
            let flow = step(&mut s, &mut carrier, [Msg::Key(KeyChord::char('q'))]).await;
            assert_eq!(flow.expect("step"), Flow::Quit);
            assert!(!carrier.carried.contains(&Effect::Quit));
        });
    }
}
