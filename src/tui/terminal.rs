//! The terminal's modes: raw mode, the alternate screen and mouse capture are entered by a
//! guard and always left again: when the guard drops (quit, error, a signal) and, through a
//! panic hook installed first, on a panic, before the panic message is printed. Restoring is
//! idempotent and ignores write errors (after SIGHUP the terminal may be gone).

use std::io::{Write, stdout};
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::crossterm::{cursor, event, execute, terminal};

/// Whether the terminal is in the console's modes now.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether mouse capture was enabled.
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Leaves raw mode, the alternate screen and mouse capture, if entered. Safe to call twice.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = stdout();
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, event::DisableMouseCapture);
    }
    let _ = execute!(out, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// Installs (once) a panic hook that restores the terminal before the panic is reported.
fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// The console's hold on the terminal; dropping it gives the terminal back as it was.
#[derive(Debug)]
pub struct TerminalGuard(());

impl TerminalGuard {
    /// Enters raw mode and the alternate screen (and mouse capture when `mouse`).
    pub fn enter(mouse: bool) -> std::io::Result<Self> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = Self(());
        let mut out = stdout();
        execute!(out, terminal::EnterAlternateScreen, cursor::Hide)?;
        if mouse {
            execute!(out, event::EnableMouseCapture)?;
            MOUSE.store(true, Ordering::SeqCst);
        }
        Ok(guard)
    }
}

/// Enters the console's modes again after [`restore`] (the console resuming after an exec);
/// the guard that entered them first still leaves them at the end.
pub fn reenter(mouse: bool) -> std::io::Result<()> {
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = stdout();
    execute!(out, terminal::EnterAlternateScreen, cursor::Hide)?;
    if mouse {
        execute!(out, event::EnableMouseCapture)?;
        MOUSE.store(true, Ordering::SeqCst);
    }
    Ok(())
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}
