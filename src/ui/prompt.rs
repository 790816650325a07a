//! `--plain`: the wizard's questions asked line by line, for plain terminals and
//! screen readers. The prompts sit behind [`Prompter`], so tests script them.
//!
//! Every answer is checked when it is given, cross-field rules included (an
//! overlapping VPC range is refused at that range, not at the end); questions
//! that do not apply are skipped; Esc goes back one question; the last step is
//! a review of the resolved answers and a confirmation before anything is written.

use std::collections::VecDeque;
use std::io::Write as _;
use std::rc::Rc;

use inquire::InquireError;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{cursor, queue, style, terminal};

use crate::answers::model::{Answers, Environment};
use crate::answers::validate::{self, Problem, MAX_ENVIRONMENTS};
use crate::error::{Error, Result};
use crate::ui::fields::{self, Field, Kind, Slot, Step};
use crate::ui::tui::app::Input;

/// Returns the message for an invalid value.
pub type Check = Rc<dyn Fn(&str) -> std::result::Result<(), String>>;

/// One way of asking questions. `Ok(None)` means "back one question" (Esc).
pub trait Prompter {
    fn text(
        &mut self,
        label: &str,
        help: &str,
        default: &str,
        check: Check,
    ) -> Result<Option<String>>;
    /// Index of the chosen option.
    fn select(
        &mut self,
        label: &str,
        help: &str,
        options: &[String],
        default: usize,
    ) -> Result<Option<usize>>;
    /// Which options are picked.
    fn multi(
        &mut self,
        label: &str,
        help: &str,
        options: &[String],
        picked: &[bool],
    ) -> Result<Option<Vec<bool>>>;
    /// Shows a message (a refused choice, the review).
    fn note(&mut self, text: &str);
}

fn problem_text(p: Problem) -> String {
    match p.hint {
        Some(h) => format!("{} (hint: {h})", p.message),
        None => p.message,
    }
}

/// What the review shows, and what confirming it does.
pub struct Review {
    /// The resolved answers, one line each.
    pub text: String,
    /// e.g. "Write 96 files to demo/".
    pub action: String,
}

/// One question of the plain prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Question {
    /// The environment names, as one list.
    Environments,
    Field(Slot),
}

/// The questions that apply to these answers, in order.
fn questions(a: &Answers) -> Vec<Question> {
    let mut out = Vec::new();
    for step in Step::ALL {
        match step {
            Step::Review => {}
            Step::Environments => {
                out.push(Question::Environments);
                for env in 0..a.environments.len() {
                    for field in &Field::ENV[1..] {
                        out.push(Question::Field(Slot { field: *field, env }));
                    }
                }
            }
            _ => out.extend(
                step.slots(a)
                    .into_iter()
                    .filter(|s| fields::applies(a, *s))
                    .filter(|s| {
                        !matches!(s.field.kind(), Kind::Choice | Kind::Search)
                            || fields::options(a, s.field).len() >= 2
                    })
                    .map(Question::Field),
            ),
        }
    }
    out
}

/// Asks every question that applies, starting from `start`, then shows the
/// review `review` makes and asks for confirmation. Returns the answers to write.
pub fn ask(
    p: &mut dyn Prompter,
    start: Answers,
    review: &mut dyn FnMut(&Answers) -> Result<Review>,
) -> Result<Answers> {
    let mut a = start;
    let mut history: Vec<Question> = Vec::new();
    // `None`: the review.
    let mut at: Option<Question> = questions(&a).first().copied();
    loop {
        let Some(q) = at else {
            match finish(p, &a, review)? {
                Some(true) => return Ok(a),
                Some(false) => return Err(Error::Cancelled),
                None => {
                    at = history.pop();
                    continue;
                }
            }
        };
        let answered = match q {
            Question::Environments => environments(p, &mut a)?,
            Question::Field(slot) => {
                let prefix = if Field::ENV.contains(&slot.field) {
                    format!("{} · ", a.environments[slot.env].name)
                } else {
                    String::new()
                };
                ask_slot(p, &mut a, slot, &prefix)?
            }
        };
        if answered {
            history.push(q);
            let now = questions(&a);
            let next = now.iter().position(|x| *x == q).map_or(0, |i| i + 1);
            at = now.get(next).copied();
        } else if let Some(previous) = history.pop() {
            at = Some(previous);
        } else {
            p.note("This is the first question; Ctrl-C quits without writing anything.");
        }
    }
}

/// The review and the confirmation: `Some(true)` write, `Some(false)` quit, `None` back.
fn finish(
    p: &mut dyn Prompter,
    a: &Answers,
    review: &mut dyn FnMut(&Answers) -> Result<Review>,
) -> Result<Option<bool>> {
    let r = match review(a) {
        Ok(r) => r,
        Err(Error::InvalidAnswers(diags)) => {
            // A rule no single question could check: say so and go back.
            for d in &diags {
                p.note(&format!(
                    "problem: {}",
                    crate::ui::tui::app::problem_line(d)
                ));
            }
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    p.note(&r.text);
    let options = vec![
        r.action.clone(),
        "Go back to the last question".to_string(),
        "Quit without writing anything".to_string(),
    ];
    Ok(
        match p.select(
            "Review",
            "The resolved answers are above. Esc goes back one question.",
            &options,
            0,
        )? {
            Some(0) => Some(true),
            Some(2) => Some(false),
            _ => None,
        },
    )
}

/// Asks one field; false when the person went back.
fn ask_slot(p: &mut dyn Prompter, a: &mut Answers, slot: Slot, prefix: &str) -> Result<bool> {
    let f = slot.field;
    let label = format!("{prefix}{}", f.label());
    let help = f.help().replace('\n', " ");
    match f.kind() {
        Kind::Text => {
            let snapshot = a.clone();
            let check: Check = Rc::new(move |v: &str| {
                fields::check(&snapshot, slot, v).map_err(problem_text)?;
                let mut next = snapshot.clone();
                fields::set_text(&mut next, slot, v);
                fields::cross_check(&next, slot)
            });
            let Some(value) = p.text(&label, &help, &fields::text(a, slot), check)? else {
                return Ok(false);
            };
            fields::set_text(a, slot, &value);
        }
        Kind::Choice | Kind::Search => {
            let options = fields::options(a, f);
            let shown: Vec<String> = options
                .iter()
                .map(|o| match fields::note(a, f, o) {
                    n if n.is_empty() => o.clone(),
                    n => format!("{o:<16} {n}"),
                })
                .collect();
            let mut default = fields::selected(a, slot);
            loop {
                let Some(i) = p.select(&label, &help, &shown, default)? else {
                    return Ok(false);
                };
                let mut next = a.clone();
                fields::set_choice(&mut next, slot, i);
                match fields::cross_check(&next, slot) {
                    Ok(()) => {
                        *a = next;
                        break;
                    }
                    Err(m) => {
                        p.note(&format!("{}: {m}", options[i]));
                        default = i;
                    }
                }
            }
        }
        Kind::Multi => {
            let options = fields::options(a, f);
            let mut picked = fields::picked(a, f);
            loop {
                let Some(want) = p.multi(&label, &help, &options, &picked)? else {
                    return Ok(false);
                };
                let mut next = a.clone();
                fields::set_picked(&mut next, f, &want);
                match fields::cross_check(&next, slot) {
                    Ok(()) => {
                        *a = next;
                        break;
                    }
                    Err(m) => {
                        p.note(&m);
                        picked = want;
                    }
                }
            }
        }
    }
    Ok(true)
}

fn check_env_names(v: &str) -> std::result::Result<(), String> {
    let names = fields::split_list(v);
    if names.is_empty() || names.len() > MAX_ENVIRONMENTS {
        return Err(format!(
            "{} environments given (hint: list 1 to {MAX_ENVIRONMENTS} environments in promotion order)",
            names.len()
        ));
    }
    for (i, n) in names.iter().enumerate() {
        validate::environment_name(n).map_err(problem_text)?;
        if names[..i].contains(n) {
            return Err(format!(
                "environment `{n}` is listed twice (hint: environment names must be unique)"
            ));
        }
    }
    Ok(())
}

/// Asks the environment names; false when the person went back.
fn environments(p: &mut dyn Prompter, a: &mut Answers) -> Result<bool> {
    let current: Vec<String> = a.environments.iter().map(|e| e.name.clone()).collect();
    let Some(names) = p.text(
        "Environments",
        "Comma-separated, in promotion order (1 to 8), e.g. dev, staging, prod. Each gets its own stacks and params/<name>.json.",
        &current.join(", "),
        Rc::new(check_env_names),
    )?
    else {
        return Ok(false);
    };
    let names = fields::split_list(&names);
    if names != current {
        a.environments = names
            .iter()
            .map(|n| {
                a.environments
                    .iter()
                    .find(|e| e.name == *n)
                    .cloned()
                    .unwrap_or_else(|| Environment {
                        name: n.clone(),
                        ..Environment::default()
                    })
            })
            .collect();
    }
    Ok(true)
}

fn map_err(e: InquireError) -> Error {
    match e {
        InquireError::OperationCanceled | InquireError::OperationInterrupted => Error::Cancelled,
        InquireError::NotTTY => Error::Usage(crate::ui::NO_TERMINAL.into()),
        other => Error::Usage(format!("the prompt failed: {other}")),
    }
}

/// Esc (inquire's "cancel") is "back"; Ctrl-C is still "quit".
fn back_on_esc<T>(r: std::result::Result<T, InquireError>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(InquireError::OperationCanceled) => Ok(None),
        Err(e) => Err(map_err(e)),
    }
}

/// The real prompts, on the terminal.
pub struct Inquire;

impl Prompter for Inquire {
    fn text(
        &mut self,
        label: &str,
        help: &str,
        default: &str,
        check: Check,
    ) -> Result<Option<String>> {
        line_editor(label, help, default, &check)
    }

    fn select(
        &mut self,
        label: &str,
        help: &str,
        options: &[String],
        default: usize,
    ) -> Result<Option<usize>> {
        back_on_esc(
            inquire::Select::new(label, options.to_vec())
                .with_help_message(&format!("{help} (↑↓ choose, enter accept, esc back)"))
                .with_starting_cursor(default)
                .with_page_size(10)
                .raw_prompt()
                .map(|o| o.index),
        )
    }

    fn multi(
        &mut self,
        label: &str,
        help: &str,
        options: &[String],
        picked: &[bool],
    ) -> Result<Option<Vec<bool>>> {
        let defaults: Vec<usize> = (0..options.len()).filter(|i| picked[*i]).collect();
        let chosen = back_on_esc(
            inquire::MultiSelect::new(label, options.to_vec())
                .with_help_message(&format!("{help} (space toggles, enter accepts, esc back)"))
                .with_default(&defaults)
                .with_page_size(10)
                .raw_prompt(),
        )?;
        Ok(chosen.map(|chosen| {
            (0..options.len())
                .map(|i| chosen.iter().any(|o| o.index == i))
                .collect()
        }))
    }

    fn note(&mut self, text: &str) {
        println!("{text}");
    }
}

/// Leaves raw mode on every way out.
struct RawMode;

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// The part of `value` that fits `width` columns with the cursor in view:
/// (the visible text, the cursor's column in it). Long values scroll sideways.
pub fn window(value: &str, cursor: usize, width: usize) -> (String, usize) {
    let chars: Vec<char> = value.chars().collect();
    let width = width.max(2);
    if chars.len() < width {
        return (value.to_string(), cursor);
    }
    let start = (cursor + 1).saturating_sub(width - 1);
    let end = (start + width - 1).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    if start > 0 {
        shown.replace_range(..shown.char_indices().nth(1).map_or(0, |(i, _)| i), "…");
    }
    (shown, cursor - start)
}

/// Words of `text` in lines of at most `width` characters (a longer word is cut).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(10);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.extend(word.chars().take(width));
    }
    out.push(line);
    out
}

/// One text question on one line, edited in place: ←/→, Home/End (Ctrl-A/E),
/// Backspace/Del, Ctrl-U clears, Enter accepts (when the check passes), Esc
/// goes back, Ctrl-C quits. The line below shows the problem or the help.
fn line_editor(label: &str, help: &str, initial: &str, check: &Check) -> Result<Option<String>> {
    let io = |e| Error::io("using", "the terminal", e);
    terminal::enable_raw_mode().map_err(io)?;
    let _raw = RawMode;
    let mut out = std::io::stdout();
    let mut input = Input::new(initial.to_string());
    let mut problem: Option<String> = None;
    let keys = "enter accept · esc back · ctrl-u clear · ctrl-c quit";
    let draw = |out: &mut std::io::Stdout,
                input: &Input,
                problem: &Option<String>,
                done: Option<&str>|
     -> std::io::Result<()> {
        let width = terminal::size().map_or(80, |(w, _)| w as usize).max(20);
        let head = format!("? {label}: ");
        let room = width.saturating_sub(head.chars().count() + 1).max(4);
        let (shown, col) = window(&input.value, input.cursor, room);
        let fit = |s: &str| s.chars().take(width - 1).collect::<String>();
        queue!(
            out,
            cursor::MoveToColumn(0),
            terminal::Clear(terminal::ClearType::FromCursorDown)
        )?;
        if let Some(mark) = done {
            queue!(
                out,
                style::Print(fit(&format!("{mark} {label}: {}", input.value))),
                style::Print("\r\n")
            )?;
            return out.flush();
        }
        // A problem is shown in full, wrapped; the help is cut to one line.
        let below: Vec<String> = match problem {
            Some(p) => wrap_words(&format!("✗ {p}"), width - 3)
                .into_iter()
                .map(|l| format!("  {l}"))
                .collect(),
            None => vec![fit(&format!("  {help}"))],
        };
        queue!(out, style::Print(&head), style::Print(&shown))?;
        for line in &below {
            queue!(out, style::Print("\r\n"), style::Print(line))?;
        }
        queue!(
            out,
            style::Print("\r\n"),
            style::Print(fit(&format!("  {keys}"))),
            cursor::MoveUp(below.len() as u16 + 1),
            cursor::MoveToColumn((head.chars().count() + col) as u16)
        )?;
        out.flush()
    };
    loop {
        draw(&mut out, &input, &problem, None).map_err(io)?;
        let Event::Key(k) = event::read().map_err(io)? else {
            continue;
        };
        if k.kind == KeyEventKind::Release {
            continue;
        }
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Enter => match check(&input.value) {
                Ok(()) => {
                    draw(&mut out, &input, &None, Some("✓")).map_err(io)?;
                    return Ok(Some(input.value));
                }
                Err(m) => problem = Some(m),
            },
            KeyCode::Esc => {
                draw(&mut out, &input, &None, Some("↩")).map_err(io)?;
                return Ok(None);
            }
            KeyCode::Char('c') if ctrl => {
                draw(&mut out, &input, &None, Some("✗")).map_err(io)?;
                return Err(Error::Cancelled);
            }
            KeyCode::Char('u') if ctrl => {
                input = Input::default();
                problem = None;
            }
            KeyCode::Char('a') if ctrl => input.cursor = 0,
            KeyCode::Char('e') if ctrl => input.cursor = input.value.chars().count(),
            KeyCode::Home => input.cursor = 0,
            KeyCode::End => input.cursor = input.value.chars().count(),
            KeyCode::Left => input.left(),
            KeyCode::Right => input.right(),
            KeyCode::Backspace => input.backspace(),
            KeyCode::Delete => input.delete(),
            KeyCode::Char(c)
                if !k
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                input.insert(&c.to_string());
            }
            _ => {}
        }
    }
}

/// A scripted answer for tests.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Accept the default.
    Enter,
    Text(String),
    /// The first option starting with this.
    Pick(String),
    /// Flip the options starting with these.
    Toggle(Vec<String>),
    /// Esc: back one question.
    Back,
    /// Ctrl-C.
    Cancel,
}

/// Replays replies; records every question, every refused value and every note.
#[derive(Debug, Default)]
pub struct Scripted {
    pub replies: VecDeque<Reply>,
    pub asked: Vec<String>,
    pub refused: Vec<String>,
    pub notes: Vec<String>,
}

impl Scripted {
    pub fn new(replies: impl IntoIterator<Item = Reply>) -> Self {
        Scripted {
            replies: replies.into_iter().collect(),
            ..Scripted::default()
        }
    }

    fn next(&mut self, label: &str) -> Result<Reply> {
        self.asked.push(label.to_string());
        match self.replies.pop_front() {
            Some(Reply::Cancel) => Err(Error::Cancelled),
            Some(r) => Ok(r),
            None => Err(Error::Usage(format!("script ran out at `{label}`"))),
        }
    }
}

impl Prompter for Scripted {
    fn text(
        &mut self,
        label: &str,
        _: &str,
        default: &str,
        check: Check,
    ) -> Result<Option<String>> {
        loop {
            let v = match self.next(label)? {
                Reply::Text(t) => t,
                Reply::Back => return Ok(None),
                _ => default.to_string(),
            };
            match check(&v) {
                Ok(()) => return Ok(Some(v)),
                // Refused like the real prompt: the question is asked again.
                Err(m) => self.refused.push(m),
            }
        }
    }

    fn select(
        &mut self,
        label: &str,
        _: &str,
        options: &[String],
        default: usize,
    ) -> Result<Option<usize>> {
        Ok(match self.next(label)? {
            Reply::Back => None,
            Reply::Pick(p) => Some(
                options
                    .iter()
                    .position(|o| o.starts_with(&p))
                    .unwrap_or(default),
            ),
            _ => Some(default),
        })
    }

    fn multi(
        &mut self,
        label: &str,
        _: &str,
        options: &[String],
        picked: &[bool],
    ) -> Result<Option<Vec<bool>>> {
        let mut out = picked.to_vec();
        match self.next(label)? {
            Reply::Back => return Ok(None),
            Reply::Toggle(names) => {
                for n in names {
                    if let Some(i) = options.iter().position(|o| *o == n) {
                        out[i] = !out[i];
                    }
                }
            }
            _ => {}
        }
        Ok(Some(out))
    }

    fn note(&mut self, text: &str) {
        self.notes.push(text.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enters(n: usize) -> Vec<Reply> {
        vec![Reply::Enter; n]
    }

    fn review(a: &Answers) -> Result<Review> {
        let loaded = crate::ui::resolve(a)?;
        Ok(Review {
            text: crate::ui::review_lines(&loaded.answers, a).join("\n"),
            action: "Write".into(),
        })
    }

    fn run_from(start: Answers, replies: Vec<Reply>) -> (Result<Answers>, Scripted) {
        let mut p = Scripted::new(replies);
        let r = ask(&mut p, start, &mut review);
        (r, p)
    }

    fn run(replies: Vec<Reply>) -> (Result<Answers>, Scripted) {
        run_from(Answers::default(), replies)
    }

    #[test]
    fn enter_everywhere_keeps_the_defaults() {
        let (r, p) = run(enters(200));
        assert_eq!(r.unwrap(), Answers::default());
        assert!(p.refused.is_empty());
        // The built-in flavours are a real choice; Enter keeps cloudformation.
        assert!(p.asked.iter().any(|q| q == "Flavour"));
        assert!(p.asked.iter().any(|q| q == "prod · Approval"));
    }

    #[test]
    fn invalid_text_is_refused_with_the_answers_file_message_and_asked_again() {
        let mut replies = vec![
            Reply::Text("Bad Name".into()),
            Reply::Text("payments".into()),
        ];
        replies.extend(enters(200));
        let (r, p) = run(replies);
        assert_eq!(r.unwrap().project.name, "payments");
        assert_eq!(
            p.refused,
            vec![problem_text(
                validate::project_name("Bad Name").unwrap_err()
            )]
        );
    }

    #[test]
    fn scripted_changes_reach_the_answers() {
        let mut replies = enters(4); // name, owner, cost centre, flavour
        replies.push(Reply::Pick("existing".into())); // account trail
        replies.push(Reply::Pick("eu-west-1".into()));
        replies.push(Reply::Text("dev, staging, staging".into()));
        replies.push(Reply::Text("dev, staging, prod".into()));
        replies.extend(enters(12)); // 3 environments × profile, approval, account, cidr
        replies.extend(enters(2)); // azs, nat
        replies.push(Reply::Toggle(vec!["kms".into()]));
        replies.extend(enters(2)); // allow public, trusted
        replies.push(Reply::Pick("mysql".into()));
        replies.extend(enters(3)); // version, class, name
        replies.push(Reply::Toggle(vec!["security_scan".into()]));
        replies.extend(enters(10));
        let (r, p) = run(replies);
        let a = r.unwrap();
        assert_eq!(a.region, "eu-west-1");
        assert_eq!(
            a.security.account_trail,
            crate::answers::model::AccountTrail::Existing
        );
        let names: Vec<_> = a.environments.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["dev", "staging", "prod"]);
        assert!(a.environments[2].approval, "prod keeps its settings");
        assert!(!a.network.endpoints.contains(&"kms".to_string()));
        assert_eq!(a.database.engine.as_str(), "mysql");
        assert_eq!(a.pipeline.stages.len(), 4);
        assert_eq!(p.refused.len(), 1);
        assert!(p.refused[0].contains("listed twice"));
    }

    #[test]
    fn the_lock_table_is_asked_after_choosing_terraform() {
        let mut replies = enters(3); // name, owner, cost centre
        replies.push(Reply::Pick("terraform".into()));
        replies.push(Reply::Pick("yes".into()));
        replies.extend(enters(200));
        let (r, p) = run(replies);
        let a = r.unwrap();
        assert_eq!(a.flavor, "terraform");
        assert!(a.state.lock_table);
        let at = p.asked.iter().position(|q| q == "Flavour").unwrap();
        assert_eq!(p.asked[at + 1], "DynamoDB lock table");
        // Enter keeps cloudformation, which has no lock-table question.
        let (_, p) = run(enters(200));
        assert!(!p.asked.iter().any(|q| q == "DynamoDB lock table"));
    }

    #[test]
    fn questions_that_do_not_apply_are_skipped() {
        let (r, p) = run(enters(200));
        r.unwrap();
        // The default has no app: no port question; a database: its name is asked.
        assert!(!p.asked.iter().any(|q| q == "App port"), "{:?}", p.asked);
        assert!(p.asked.iter().any(|q| q == "Database name"));
        let mut start = Answers::default();
        start.database.engine = crate::answers::model::Engine::None;
        start.pipeline.stages.clear();
        start.app.kind = crate::answers::model::AppKind::Ec2;
        let (r, p) = run_from(start, enters(200));
        r.unwrap();
        for gone in [
            "Version",
            "Instance class",
            "Database name",
            "Repository",
            "Branch",
        ] {
            assert!(
                !p.asked.iter().any(|q| q == gone),
                "{gone} asked: {:?}",
                p.asked
            );
        }
        assert!(p.asked.iter().any(|q| q == "App port"));
    }

    #[test]
    fn esc_goes_back_one_question() {
        let mut replies = vec![
            Reply::Text("payments".into()),
            Reply::Back, // at Owner: back to the project name
            Reply::Text("billing".into()),
        ];
        replies.extend(enters(200));
        let (r, p) = run(replies);
        assert_eq!(r.unwrap().project.name, "billing");
        assert_eq!(p.asked[..3], ["Project name", "Owner", "Project name"]);
    }

    #[test]
    fn overlapping_ranges_are_refused_where_they_are_typed() {
        let mut replies = enters(6); // name, owner, cost centre, flavour, account trail, region
        replies.push(Reply::Enter); // environments: dev, prod
        replies.extend(enters(3)); // dev: profile, approval, account
        replies.push(Reply::Text("10.0.0.0/16".into()));
        replies.extend(enters(3)); // prod: profile, approval, account
        replies.push(Reply::Text("10.0.128.0/17".into())); // overlaps dev
        replies.push(Reply::Text("10.1.0.0/16".into()));
        replies.extend(enters(200));
        let (r, p) = run(replies);
        let a = r.unwrap();
        assert_eq!(a.environments[1].vpc_cidr.as_deref(), Some("10.1.0.0/16"));
        assert_eq!(p.refused.len(), 1, "{:?}", p.refused);
        assert!(
            p.refused[0].contains("overlaps environments[0].vpc_cidr"),
            "{:?}",
            p.refused
        );
    }

    #[test]
    fn the_review_shows_resolved_answers_and_can_quit_or_go_back() {
        // Enter everywhere, then at the review: back (to the last question), Enter, quit.
        let n = questions(&Answers::default()).len();
        let mut replies = enters(n);
        replies.push(Reply::Back);
        replies.push(Reply::Enter);
        replies.push(Reply::Pick("Quit".into()));
        let (r, p) = run(replies);
        assert!(matches!(r, Err(Error::Cancelled)));
        let review = p
            .notes
            .iter()
            .find(|n| n.contains("10.0.0.0/16"))
            .expect("review shown");
        assert!(review.contains("10.1.0.0/16 (auto)"), "{review}");
        assert_eq!(p.asked.iter().filter(|q| *q == "Review").count(), 2);
    }

    #[test]
    fn long_values_scroll_sideways_with_the_cursor_in_view() {
        assert_eq!(window("short", 5, 20), ("short".to_string(), 5));
        let long = "0123456789abcdefghij";
        let (shown, col) = window(long, 20, 10);
        // 8 characters and the cursor cell after them fill 9 of the 10 columns.
        assert_eq!(shown.chars().count(), 8);
        assert!(shown.starts_with('…') && shown.ends_with('j'), "{shown}");
        assert_eq!(col, 8);
        let (shown, col) = window(long, 0, 10);
        assert_eq!((shown.as_str(), col), ("012345678", 0));
    }

    #[test]
    fn cancel_is_cancelled() {
        let (r, _) = run(vec![Reply::Enter, Reply::Cancel]);
        assert!(matches!(r, Err(Error::Cancelled)));
        assert_eq!(Error::Cancelled.exit_code(), 130);
        assert_eq!(map_err(InquireError::NotTTY).exit_code(), 2);
        assert_eq!(map_err(InquireError::OperationInterrupted).exit_code(), 130);
        assert_eq!(map_err(InquireError::OperationCanceled).exit_code(), 130);
    }
}
