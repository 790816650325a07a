//! Asking the questions: the full-screen wizard ([`tui`]) and the line-by-line
//! prompts ([`prompt`]). Both start from the merged answers, ask the questions
//! of [`fields`], and hand back plain [`Answers`] that go through the same
//! loading, validation and rendering as an answers file.

pub mod fields;
pub mod prompt;
pub mod tui;

use std::path::Path;

use crate::answers::{self, Answers, Layers, Loaded, Source};
use crate::error::{Error, Result};

/// Loads wizard answers exactly as an answers file with the same content.
pub fn resolve(a: &Answers) -> Result<Loaded> {
    answers::load(&Layers {
        answers: Some(Source::new("wizard answers", answers::to_yaml(a))),
        ..Layers::default()
    })
}

/// The answers file `s` saves: `auto` values stay `auto`.
pub fn answers_file(a: &Answers) -> String {
    format!(
        "# stackwright answers (version 1), saved by the wizard.\n# Make the project: stackwright new --answers <this file>\n{}",
        answers::to_yaml(a)
    )
}

/// Writes an answers file; refuses to replace a file unless it is the one being edited.
pub fn save_answers(path: &Path, text: &str, overwrite: bool) -> Result<()> {
    if path.exists() && !overwrite {
        return Err(Error::Usage(format!(
            "{}: already exists; nothing was saved",
            path.display()
        )));
    }
    std::fs::write(path, text).map_err(|e| Error::io("writing", path, e))
}

/// The message when there is no terminal to ask on.
pub const NO_TERMINAL: &str = "no terminal to ask questions on; run non-interactively:\n    stackwright new --answers team.yaml --out DIR   (or --answers - to read standard input)\n    stackwright new --defaults --out DIR";
