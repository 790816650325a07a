//! Everything that can happen to the wizard.

use std::path::PathBuf;

use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind};

use crate::error::Error;

#[derive(Debug)]
pub enum Message {
    Key(KeyEvent),
    /// Bracketed paste: the whole pasted text at once.
    Paste(String),
    /// The terminal changed size; only a redraw is needed.
    Resize,
    /// The project was written (the summary) or writing failed.
    Written(Result<String, Error>),
    Saved(Result<PathBuf, Error>),
}

impl Message {
    /// The message for a terminal event; `None` for events the wizard ignores
    /// (key releases, mouse, focus), which then cause no redraw either.
    pub fn from_event(event: Event) -> Option<Message> {
        match event {
            Event::Key(k) if k.kind != KeyEventKind::Release => Some(Message::Key(k)),
            Event::Paste(text) => Some(Message::Paste(text)),
            Event::Resize(..) => Some(Message::Resize),
            _ => None,
        }
    }
}
