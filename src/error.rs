//! One error type for the whole program. Every variant knows its exit code and
//! prints a message meant for the person who ran the command.

use std::fmt;
use std::path::PathBuf;

/// Where in which input a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// A file path, `<stdin>`, `--set …`, or `built-in defaults`.
    pub source: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.source)
        } else {
            write!(f, "{}:{}:{}", self.source, self.line, self.col)
        }
    }
}

/// One problem with the answers: where, which field, what is wrong, what would be valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Option<Location>,
    /// Field path such as `environments[2].vpc_cidr`; empty for whole-document problems.
    pub field: String,
    pub message: String,
    pub hint: Option<String>,
    /// The source line the location points into, with the span to underline.
    pub excerpt: Option<Box<Excerpt>>,
}

/// One line of the input and the byte range of the offending text in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    pub line: String,
    pub span: std::ops::Range<usize>,
}

impl Excerpt {
    /// The excerpt for a 1-based line and column of `text`: the line, and the
    /// token starting at the column (a quoted string up to its closing quote, a
    /// key up to its colon, a flow value up to `,`, `]` or `}`).
    pub fn locate(text: &str, line: usize, col: usize) -> Option<Excerpt> {
        let content = text.lines().nth(line.checked_sub(1)?)?;
        let content = content.strip_suffix('\r').unwrap_or(content);
        let start = content
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(content.len(), |(b, _)| b);
        let rest = &content[start..];
        let len = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].find(q).map_or(rest.len(), |end| end + 2),
            Some(_) => {
                let mut end = rest.len();
                for (i, c) in rest.char_indices() {
                    let next_is_space = rest[i + c.len_utf8()..]
                        .chars()
                        .next()
                        .is_none_or(char::is_whitespace);
                    if matches!(c, ',' | ']' | '}')
                        || (c == ':' && next_is_space)
                        || (c == '#' && i > 0 && rest[..i].ends_with(' '))
                    {
                        end = i;
                        break;
                    }
                }
                rest[..end].trim_end().len()
            }
            None => 0,
        };
        Some(Excerpt {
            line: content.to_string(),
            span: start..start + len.max(usize::from(start < content.len())),
        })
    }
}

impl Diagnostic {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            location: None,
            field: field.into(),
            message: message.into(),
            hint: None,
            excerpt: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn at(mut self, location: Option<Location>) -> Self {
        if self.location.is_none() {
            self.location = location;
        }
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        write!(f, "{}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n    hint: {hint}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The answers are invalid; every problem found is listed.
    #[error("{}", render_diagnostics(.0))]
    InvalidAnswers(Vec<Diagnostic>),

    /// The command line is wrong or cannot be satisfied as given.
    #[error("{0}")]
    Usage(String),

    #[error("{action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}: the directory is not empty; stackwright refuses to write into it.\n    hint: choose another --out, or pass --force to add and update stackwright's files there (files it does not write are left untouched, nothing is deleted)", .0.display())]
    TargetNotEmpty(PathBuf),

    #[error("unsafe output path {path:?}: {reason}")]
    UnsafePath { path: String, reason: String },

    #[error("blueprint {blueprint}: {message}")]
    Blueprint { blueprint: String, message: String },

    #[error("cancelled")]
    Cancelled,

    /// An update merged everything it could; these files need a person.
    /// The summary (what was written) comes first.
    #[error("{summary}{} file(s) need you: resolve the conflict markers (<<<<<<< ours … >>>>>>> theirs) or review the kept files, then commit\n{}", .files.len(), .files.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
    Conflicts { summary: String, files: Vec<String> },
}

/// Exit code of `stackwright update` when some files need a person (conflicts).
pub const EXIT_CONFLICTS: i32 = 3;

fn render_diagnostics(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&d.to_string());
    }
    if diags.len() > 1 {
        out.push_str(&format!("\n{} problems found in the answers", diags.len()));
    }
    out
}

/// "1 problem", "14 problems".
pub fn problems(n: usize) -> String {
    if n == 1 {
        "1 problem".to_string()
    } else {
        format!("{n} problems")
    }
}

/// Renders diagnostics the way compilers do: a `file:line:col: field: message`
/// title, the source line with the offending text underlined, and the hint.
pub fn render_report(diags: &[Diagnostic], color: bool) -> String {
    use annotate_snippets::{Level, Renderer, Snippet};
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let mut title = String::new();
        if let Some(loc) = &d.location {
            title.push_str(&format!("{loc}: "));
        }
        if !d.field.is_empty() {
            title.push_str(&format!("{}: ", d.field));
        }
        title.push_str(&d.message);
        let mut message = Level::Error.title(&title);
        let line_start = d.location.as_ref().map_or(1, |l| l.line.max(1));
        if let Some(ex) = &d.excerpt {
            message = message.snippet(
                Snippet::source(&ex.line)
                    .line_start(line_start)
                    .annotation(Level::Error.span(ex.span.clone())),
            );
        }
        if let Some(hint) = &d.hint {
            message = message.footer(Level::Help.title(hint));
        }
        out.push_str(&renderer.render(message).to_string());
        out.push_str("\n\n");
    }
    out
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::InvalidAnswers(_) | Error::Usage(_) => 2,
            Error::Cancelled => 130,
            Error::Conflicts { .. } => EXIT_CONFLICTS,
            _ => 1,
        }
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub fn blueprint(blueprint: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Blueprint {
            blueprint: blueprint.into(),
            message: message.into(),
        }
    }

    pub fn invalid(diag: Diagnostic) -> Self {
        Error::InvalidAnswers(vec![diag])
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
