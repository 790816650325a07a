//! Keys are data: one table maps keys to actions, per context. The footer
//! hints and the `?` help overlay are both generated from it.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Back,
    Help,
    Accept,
    NextField,
    PrevField,
    Left,
    Right,
    Toggle,
    AddEnv,
    RemoveEnv,
    EnvEarlier,
    EnvLater,
    Save,
    ScrollUp,
    ScrollDown,
    Backspace,
    Delete,
    Home,
    End,
    ClearInput,
    /// On the review: the cost estimate's line items instead of the files (or the answers).
    ToggleCost,
}

/// Where the focus is; decides which bindings apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere.
    Global,
    /// A text or search field: printable keys are typed, not commands.
    Typing,
    /// A choice or multi field, or the review: single letters are commands.
    Command,
    Choice,
    Multi,
    Environments,
    Review,
    /// The help overlay or the done screen: any key closes it.
    Modal,
}

pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the key is written in hints, e.g. `←/→`.
    pub label: &'static str,
    pub action: Action,
    pub what: &'static str,
    pub context: Context,
    /// Shown in the footer (the help overlay shows every binding).
    pub hint: bool,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;
const ALT: KeyModifiers = KeyModifiers::ALT;

macro_rules! b {
    ($ctx:ident, [$($key:expr, $mods:expr);+], $label:literal, $action:ident, $what:literal, $hint:literal) => {
        Binding {
            keys: &[$(($key, $mods)),+],
            label: $label,
            action: Action::$action,
            what: $what,
            context: Context::$ctx,
            hint: $hint,
        }
    };
}

/// Every binding. Within one context the first match wins; contexts are
/// tried most specific first (see [`action`]).
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    b!(Review, [KeyCode::Enter, NONE], "enter", Accept, "write the project", true),
    b!(Review, [KeyCode::Char('s'), NONE], "s", Save, "save answers only", true),
    b!(Review, [KeyCode::Char('c'), NONE], "c", ToggleCost, "cost details", true),
    b!(Typing, [KeyCode::F(1), NONE], "f1", Help, "help (? types ?)", true),
    b!(Global, [KeyCode::Enter, NONE], "enter", Accept, "accept, next", true),
    b!(Global, [KeyCode::Esc, NONE], "esc", Back, "back a step", true),
    b!(Global, [KeyCode::Tab, NONE; KeyCode::Down, NONE], "tab/↓", NextField, "next field", false),
    b!(Global, [KeyCode::BackTab, SHIFT; KeyCode::BackTab, NONE; KeyCode::Up, NONE], "s-tab/↑", PrevField, "previous field", false),
    b!(Global, [KeyCode::PageUp, NONE], "pgup", ScrollUp, "scroll preview", false),
    b!(Global, [KeyCode::PageDown, NONE], "pgdn", ScrollDown, "scroll preview", false),
    b!(Global, [KeyCode::Char('s'), CTRL], "ctrl-s", Save, "save answers only", false),
    b!(Global, [KeyCode::F(1), NONE], "f1", Help, "all keys", true),
    b!(Global, [KeyCode::Char('c'), CTRL], "ctrl-c", Quit, "quit, write nothing", true),
    b!(Command, [KeyCode::Char('?'), NONE], "?", Help, "all keys", false),
    b!(Command, [KeyCode::Char('q'), NONE], "q", Quit, "quit", false),
    b!(Environments, [KeyCode::Char('n'), CTRL; KeyCode::Insert, NONE], "ctrl-n", AddEnv, "add environment", true),
    b!(Environments, [KeyCode::Char('d'), CTRL], "ctrl-d", RemoveEnv, "remove environment", true),
    b!(Environments, [KeyCode::Up, ALT; KeyCode::Up, SHIFT], "alt-↑", EnvEarlier, "move earlier", true),
    b!(Environments, [KeyCode::Down, ALT; KeyCode::Down, SHIFT], "alt-↓", EnvLater, "move later", true),
    b!(Typing, [KeyCode::Left, NONE], "←", Left, "cursor left", false),
    b!(Typing, [KeyCode::Right, NONE], "→", Right, "cursor right", false),
    b!(Typing, [KeyCode::Backspace, NONE], "backspace", Backspace, "delete left", false),
    b!(Typing, [KeyCode::Delete, NONE], "del", Delete, "delete right", false),
    b!(Typing, [KeyCode::Home, NONE; KeyCode::Char('a'), CTRL], "home", Home, "line start", false),
    b!(Typing, [KeyCode::End, NONE; KeyCode::Char('e'), CTRL], "end", End, "line end", false),
    b!(Typing, [KeyCode::Char('u'), CTRL], "ctrl-u", ClearInput, "clear the field", true),
    b!(Choice, [KeyCode::Left, NONE; KeyCode::Right, NONE; KeyCode::Char(' '), NONE], "←/→", Right, "change", true),
    b!(Multi, [KeyCode::Left, NONE], "←", Left, "previous option", false),
    b!(Multi, [KeyCode::Right, NONE], "→", Right, "next option", false),
    b!(Multi, [KeyCode::Char(' '), NONE], "space", Toggle, "toggle option", true),
];

/// The action bound to `key` in the active contexts, if any.
pub fn action(key: KeyEvent, active: &[Context]) -> Option<Action> {
    let mods = key.modifiers - KeyModifiers::SHIFT;
    let matches = |b: &&Binding| {
        b.keys.iter().any(|(code, m)| {
            *code == key.code
                && (*m == key.modifiers
                    || (matches!(code, KeyCode::Char(_) | KeyCode::BackTab) && *m - SHIFT == mods))
        })
    };
    let b = active
        .iter()
        .find_map(|ctx| BINDINGS.iter().filter(|b| b.context == *ctx).find(matches))?;
    // Choice fields step backwards with ←.
    Some(
        if b.context == Context::Choice && key.code == KeyCode::Left {
            Action::Left
        } else {
            b.action
        },
    )
}

/// The footer: hints of the bindings active here.
pub fn hints(active: &[Context]) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for ctx in active {
        for b in BINDINGS.iter().filter(|b| b.hint && b.context == *ctx) {
            // The most specific meaning of a key wins, as in `action`.
            if !out.iter().any(|(label, _)| *label == b.label) {
                out.push((b.label, b.what));
            }
        }
    }
    out
}

pub fn context_title(c: Context) -> &'static str {
    match c {
        Context::Global => "everywhere",
        Context::Typing => "in a text field",
        Context::Command => "outside text fields",
        Context::Choice => "on a choice",
        Context::Multi => "on a multi-select",
        Context::Environments => "on the environments step",
        Context::Review => "on the review",
        Context::Modal => "",
    }
}
