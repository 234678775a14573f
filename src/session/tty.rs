//! The crossterm side of an interactive exec: the operator's terminal in raw mode, for the
//! console (after it has suspended itself) and for `fleetdeck exec` alike.

use crate::actions::exec::Tty;

/// The operator's terminal through crossterm: raw mode entered only if it was not already on,
/// and left again (also on drop, so a panic does not leave the shell raw).
#[derive(Debug, Default)]
pub struct TerminalTty {
    entered: bool,
}

impl TerminalTty {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Tty for TerminalTty {
    fn size(&self) -> Option<(u16, u16)> {
        crossterm::terminal::size().ok()
    }

    fn enter_raw(&mut self) -> std::io::Result<()> {
        if !crossterm::terminal::is_raw_mode_enabled()? {
            crossterm::terminal::enable_raw_mode()?;
            self.entered = true;
        }
        Ok(())
    }

    fn leave_raw(&mut self) -> std::io::Result<()> {
        if std::mem::take(&mut self.entered) {
            crossterm::terminal::disable_raw_mode()?;
        }
        Ok(())
    }
}

impl Drop for TerminalTty {
    fn drop(&mut self) {
        let _ = self.leave_raw();
    }
}
