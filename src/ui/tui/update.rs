//! `update`: the only place the wizard's state changes. The preview is
//! re-rendered here when an answer changes, never while drawing.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{problem_line, App, Effect, Exit, Input, Preview};
use super::keys::{self, Action};
use super::message::Message;
use crate::ui::fields::{self, Field, Kind, Step};

pub fn update(app: &mut App, msg: Message) {
    match msg {
        Message::Resize => {}
        Message::Paste(text) => paste(app, &text),
        Message::Written(r) => {
            app.done = Some(match r {
                Ok(summary) => Exit::Written(summary),
                Err(e) => Exit::Failed(e),
            })
        }
        Message::Saved(r) => {
            app.done = Some(match r {
                Ok(path) => Exit::Saved(path),
                Err(e) => Exit::Failed(e),
            })
        }
        Message::Key(k) => key(app, k),
    }
}

fn key(app: &mut App, k: KeyEvent) {
    let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
    if let Some(done) = app.done.take() {
        app.exit = Some(done);
        return;
    }
    if app.help && !ctrl_c {
        app.help = false;
        return;
    }
    if ctrl_c {
        // Ctrl-C always leaves at once, edits or not.
        app.exit = Some(Exit::Cancelled);
        return;
    }
    if app.confirm_quit {
        app.confirm_quit = false;
        app.status = None;
        match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => app.exit = Some(Exit::Cancelled),
            KeyCode::Char('s') | KeyCode::Char('S') => {
                if commit(app) {
                    app.effect = Some(Effect::Save);
                }
            }
            _ => app.status = Some("kept editing; nothing was lost".into()),
        }
        return;
    }
    app.status = None;
    match keys::action(k, &app.contexts()) {
        Some(a) => act(app, a),
        None => {
            if let KeyCode::Char(c) = k.code {
                if !k
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                {
                    type_text(app, &c.to_string());
                }
            }
        }
    }
}

fn act(app: &mut App, a: Action) {
    let kind = app.kind();
    match a {
        Action::Quit => quit(app),
        Action::Help => app.help = true,
        Action::Back => back(app),
        Action::Accept => accept(app),
        Action::NextField | Action::PrevField => {
            let down = a == Action::NextField;
            match kind {
                Some(Kind::Search) => {
                    let n = app.regions().len();
                    app.region_row = step_index(app.region_row, n, down, false);
                }
                None => {
                    let n = app.files().len();
                    app.file_row = step_index(app.file_row, n, down, false);
                    app.scroll = 0;
                }
                _ => {
                    if commit(app) {
                        let n = app.slots().len();
                        let to = step_index(app.focus, n, down, false);
                        if to != app.focus {
                            app.focus = to;
                            app.enter_field();
                        }
                    }
                }
            }
        }
        Action::Left | Action::Right => {
            let right = a == Action::Right;
            match (kind, app.slot()) {
                (Some(Kind::Text | Kind::Search), _) => {
                    if let Some(i) = app.input.as_mut() {
                        if right {
                            i.right()
                        } else {
                            i.left()
                        }
                    }
                }
                (Some(Kind::Choice), Some(slot)) => {
                    let n = fields::options(&app.answers, slot.field).len();
                    let cur = fields::selected(&app.answers, slot);
                    fields::set_choice(&mut app.answers, slot, step_index(cur, n, right, true));
                    app.refresh();
                }
                (Some(Kind::Multi), Some(slot)) => {
                    let n = fields::options(&app.answers, slot.field).len();
                    app.option = step_index(app.option, n, right, true);
                }
                _ => {}
            }
        }
        Action::Toggle => {
            if let Some(slot) = app.slot() {
                fields::toggle(&mut app.answers, slot.field, app.option);
                app.refresh();
            }
        }
        Action::AddEnv | Action::RemoveEnv | Action::EnvEarlier | Action::EnvLater => {
            if commit(app) {
                environments(app, a);
            }
        }
        Action::Save => {
            if commit(app) {
                app.effect = Some(Effect::Save);
            }
        }
        Action::ToggleCost => {
            app.show_cost = !app.show_cost;
            app.scroll = 0;
        }
        Action::ScrollUp => app.scroll = app.scroll.saturating_sub(10),
        Action::ScrollDown => app.scroll = app.scroll.saturating_add(10),
        Action::Backspace | Action::Delete | Action::Home | Action::End | Action::ClearInput => {
            if let Some(i) = app.input.as_mut() {
                match a {
                    Action::Backspace => i.backspace(),
                    Action::Delete => i.delete(),
                    Action::Home => i.cursor = 0,
                    Action::End => i.cursor = i.value.chars().count(),
                    _ => *i = Input::default(),
                }
            }
            match kind {
                Some(Kind::Search) => app.region_row = 0,
                Some(Kind::Text) => app.refresh_typed(),
                _ => {}
            }
        }
    }
}

/// Moves an index up or down within `n`, wrapping or stopping at the ends.
fn step_index(i: usize, n: usize, forward: bool, wrap: bool) -> usize {
    match (n, forward, wrap) {
        (0, _, _) => 0,
        (_, true, true) => (i + 1) % n,
        (_, false, true) => (i + n - 1) % n,
        (_, true, false) => (i + 1).min(n - 1),
        (_, false, false) => i.saturating_sub(1),
    }
}

fn type_text(app: &mut App, text: &str) {
    if let Some(i) = app.input.as_mut() {
        i.insert(text);
        match app.kind() {
            Some(Kind::Search) => app.region_row = 0,
            Some(Kind::Text) => app.refresh_typed(),
            _ => {}
        }
    }
}

/// Leaves, or with unsaved edits asks first (y quits, s saves, any other key stays).
fn quit(app: &mut App) {
    if app.unsaved() {
        app.confirm_quit = true;
    } else {
        app.exit = Some(Exit::Cancelled);
    }
}

fn paste(app: &mut App, text: &str) {
    let Some(slot) = app.slot() else { return };
    if app.input.is_none() {
        return;
    }
    let text = if slot.field == Field::TrustedCidrs {
        fields::split_list(text).join(", ")
    } else {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    type_text(app, &text);
}

/// Stores the text being typed, if valid; otherwise says why and keeps the focus.
fn commit(app: &mut App) -> bool {
    let (Some(slot), Some(input)) = (app.slot(), app.input.as_ref()) else {
        return true;
    };
    if slot.field.kind() != Kind::Text {
        return true;
    }
    match fields::check(&app.answers, slot, &input.value) {
        Ok(()) => {
            let value = input.value.clone();
            fields::set_text(&mut app.answers, slot, &value);
            app.refresh();
            true
        }
        Err(p) => {
            app.status = Some(match p.hint {
                Some(h) => format!("{} (hint: {h})", p.message),
                None => p.message,
            });
            false
        }
    }
}

fn accept(app: &mut App) {
    match app.kind() {
        // Writing needs the check of the current answers: it waits for it.
        None => {
            app.finish_checking();
            match &app.preview {
                // Still rendering: the loop finishes the rendering before writing.
                Preview::Ready { .. } | Preview::Rendering(_) => app.effect = Some(Effect::Write),
                Preview::Invalid(d) => {
                    app.status = Some(format!(
                        "cannot write yet: {}",
                        d.first().map(problem_line).unwrap_or_default()
                    ))
                }
                Preview::Failed(m) => app.status = Some(format!("cannot write: {m}")),
            }
        }
        Some(Kind::Search) => {
            if let Some(code) = app.regions().get(app.region_row).cloned() {
                fields::set_region(&mut app.answers, &code);
                app.refresh();
                next_step(app);
            } else {
                app.status = Some("no region matches; backspace to widen the search".into());
            }
        }
        Some(_) => {
            if commit(app) {
                if app.focus + 1 < app.slots().len() {
                    app.focus += 1;
                    app.enter_field();
                } else {
                    next_step(app);
                }
            }
        }
    }
}

fn next_step(app: &mut App) {
    if app.checking {
        // The answers are still being checked: the step is left (or says
        // what stops it) when the check comes back.
        app.leaving = Some(app.step);
        return;
    }
    leave_step(app);
}

/// Goes to the next step, unless the current one has problems: then the first.
pub(super) fn leave_step(app: &mut App) {
    if let Some(first) = app.step_problems(app.step).first() {
        app.status = Some(problem_line(first));
        return;
    }
    goto(
        app,
        Step::ALL[(app.step.index() + 1).min(Step::ALL.len() - 1)],
    );
}

fn back(app: &mut App) {
    match app.step.index() {
        0 => quit(app),
        i => goto(app, Step::ALL[i - 1]),
    }
}

fn goto(app: &mut App, step: Step) {
    app.leaving = None;
    app.step = step;
    app.focus = 0;
    app.scroll = 0;
    app.file_row = 0;
    app.enter_field();
}

fn environments(app: &mut App, a: Action) {
    let Some(slot) = app.slot() else { return };
    let per = Field::ENV.len();
    let offset = app.focus % per;
    let envs = &mut app.answers.environments;
    let (env, offset) = match a {
        Action::AddEnv => match fields::add_environment(&mut app.answers, slot.env) {
            Some(at) => (at, 0),
            None => {
                app.status = Some("8 environments at most".into());
                return;
            }
        },
        Action::RemoveEnv if envs.len() == 1 => {
            app.status = Some("at least one environment is needed".into());
            return;
        }
        Action::RemoveEnv => {
            envs.remove(slot.env);
            (slot.env.min(envs.len() - 1), 0)
        }
        Action::EnvEarlier if slot.env > 0 => {
            envs.swap(slot.env, slot.env - 1);
            (slot.env - 1, offset)
        }
        Action::EnvLater if slot.env + 1 < envs.len() => {
            envs.swap(slot.env, slot.env + 1);
            (slot.env + 1, offset)
        }
        _ => return,
    };
    app.focus = env * per + offset;
    app.refresh();
    app.enter_field();
}
