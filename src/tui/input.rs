//! Terminal events → console messages: crossterm's key and mouse events become the
//! terminal-independent [`KeyChord`] and [`MouseMsg`] that `update` reads.

use ratatui::crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind,
};

use crate::app::{MouseMsg, Msg};
use crate::config::keys::{KeyChord, KeyName};

/// The chord of a key press; `None` for releases and keys the console has no name for.
pub fn chord(key: &KeyEvent) -> Option<KeyChord> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let name = match key.code {
        // The character already carries the shift state ('G').
        KeyCode::Char(c) => KeyName::Char(if key.modifiers.contains(KeyModifiers::CONTROL) {
            c.to_ascii_lowercase()
        } else {
            c
        }),
        KeyCode::Enter => KeyName::Enter,
        KeyCode::Esc => KeyName::Esc,
        KeyCode::Tab => KeyName::Tab,
        KeyCode::BackTab => KeyName::BackTab,
        KeyCode::Backspace => KeyName::Backspace,
        KeyCode::Delete => KeyName::Delete,
        KeyCode::Insert => KeyName::Insert,
        KeyCode::Up => KeyName::Up,
        KeyCode::Down => KeyName::Down,
        KeyCode::Left => KeyName::Left,
        KeyCode::Right => KeyName::Right,
        KeyCode::Home => KeyName::Home,
        KeyCode::End => KeyName::End,
        KeyCode::PageUp => KeyName::PageUp,
        KeyCode::PageDown => KeyName::PageDown,
        KeyCode::F(n) => KeyName::F(n),
        _ => return None,
    };
    Some(KeyChord {
        key: name,
        ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
        alt: key.modifiers.contains(KeyModifiers::ALT),
    })
}

fn mouse(event: &MouseEvent) -> Option<MouseMsg> {
    let (column, row) = (event.column, event.row);
    match event.kind {
        MouseEventKind::Down(_) => Some(MouseMsg::Click { column, row }),
        MouseEventKind::ScrollUp => Some(MouseMsg::ScrollUp { column, row }),
        MouseEventKind::ScrollDown => Some(MouseMsg::ScrollDown { column, row }),
        _ => None,
    }
}

/// The message for a terminal event, if it is one the console reads.
pub fn message(event: &Event) -> Option<Msg> {
    match event {
        Event::Key(key) => chord(key).map(Msg::Key),
        Event::Mouse(m) => mouse(m).map(Msg::Mouse),
        Event::Resize(width, height) => Some(Msg::Resize {
            width: *width,
            height: *height,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_translate() {
        let k = |code, modifiers| chord(&KeyEvent::new(code, modifiers));
        assert_eq!(
            k(KeyCode::Char('k'), KeyModifiers::CONTROL),
            Some(KeyChord::ctrl('k'))
        );
        assert_eq!(
            k(KeyCode::Char('G'), KeyModifiers::SHIFT),
            Some(KeyChord::char('G'))
        );
        assert_eq!(
            k(KeyCode::Char(' '), KeyModifiers::NONE),
            Some(KeyChord::char(' '))
        );
        assert_eq!(
            k(KeyCode::PageDown, KeyModifiers::NONE),
            Some(KeyChord::plain(KeyName::PageDown))
        );
        assert_eq!(k(KeyCode::CapsLock, KeyModifiers::NONE), None);
    }
}
