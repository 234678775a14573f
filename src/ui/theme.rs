//! The theme: styles from the 16-colour palette of the config, or none at all under `NO_COLOR`
//! (then only bold, dim and reverse). State is always a glyph and a word as well, so nothing is
//! told by colour alone.

use ratatui::style::{Color, Modifier, Style};

use crate::config::{ColorMode, ColorName, ThemeConfig};
use crate::engine::{Container, Health, RunState};

/// The console's styles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub accent: Color,
    pub ok: Color,
    pub warn: Color,
    pub error: Color,
    pub muted: Color,
}

fn color(name: ColorName) -> Color {
    match name {
        ColorName::Default => Color::Reset,
        ColorName::Black => Color::Black,
        ColorName::Red => Color::Red,
        ColorName::Green => Color::Green,
        ColorName::Yellow => Color::Yellow,
        ColorName::Blue => Color::Blue,
        ColorName::Magenta => Color::Magenta,
        ColorName::Cyan => Color::Cyan,
        ColorName::Gray => Color::Gray,
        ColorName::DarkGray => Color::DarkGray,
        ColorName::LightRed => Color::LightRed,
        ColorName::LightGreen => Color::LightGreen,
        ColorName::LightYellow => Color::LightYellow,
        ColorName::LightBlue => Color::LightBlue,
        ColorName::LightMagenta => Color::LightMagenta,
        ColorName::LightCyan => Color::LightCyan,
        ColorName::White => Color::White,
    }
}

impl Default for Theme {
    fn default() -> Self {
        Self::from_config(&ThemeConfig::default(), false)
    }
}

impl Theme {
    /// The theme of the config; `no_color` is whether `NO_COLOR` is set (and not empty).
    pub fn from_config(config: &ThemeConfig, no_color: bool) -> Self {
        let use_color = match config.color {
            ColorMode::Auto => !no_color,
            ColorMode::Always => true,
            ColorMode::Never => false,
        };
        Self {
            color: use_color,
            accent: color(config.accent),
            ok: color(config.ok),
            warn: color(config.warn),
            error: color(config.error),
            muted: color(config.muted),
        }
    }

    /// No colours: modifiers only.
    pub fn plain() -> Self {
        Self::from_config(&ThemeConfig::default(), true)
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn title(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }
    pub fn header(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn marked(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }
    pub fn ok(&self) -> Style {
        self.fg(self.ok)
    }
    pub fn warn(&self) -> Style {
        self.fg(self.warn).add_modifier(Modifier::BOLD)
    }
    pub fn error(&self) -> Style {
        self.fg(self.error).add_modifier(Modifier::BOLD)
    }
    pub fn muted(&self) -> Style {
        if self.color {
            self.fg(self.muted)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }
    pub fn key(&self) -> Style {
        self.fg(self.accent).add_modifier(Modifier::BOLD)
    }
    pub fn banner(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(self.warn)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// The state as a glyph and a word, and its style.
    pub fn state(&self, c: &Container) -> (&'static str, Style) {
        match c.state {
            RunState::Running => ("● running", self.ok()),
            RunState::Paused => ("‖ paused", self.warn()),
            RunState::Restarting => ("↻ restarting", self.warn()),
            RunState::Created => ("○ created", self.muted()),
            RunState::Removing => ("… removing", self.muted()),
            RunState::Exited if c.exit_code.unwrap_or(0) == 0 && !c.oom_killed => {
                ("■ exited", self.muted())
            }
            RunState::Exited => ("✖ exited", self.error()),
            RunState::Dead => ("✖ dead", self.error()),
            RunState::Unknown => ("? unknown", self.muted()),
        }
    }

    /// The health as a glyph and a word, and its style.
    pub fn health(&self, health: Health) -> (&'static str, Style) {
        match health {
            Health::Healthy => ("♥ healthy", self.ok()),
            Health::Unhealthy => ("✚ unhealthy", self.error()),
            Health::Starting => ("◌ starting", self.warn()),
        }
    }
}
