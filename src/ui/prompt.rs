//! `--plain`: the wizard's questions asked line by line, for plain terminals and
//! screen readers. The prompts sit behind [`Prompter`], so tests script them.

use std::collections::VecDeque;
use std::rc::Rc;

use inquire::validator::Validation;
use inquire::InquireError;

use crate::answers::model::{Answers, Environment};
use crate::answers::validate::{self, Problem, MAX_ENVIRONMENTS};
use crate::error::{Error, Result};
use crate::ui::fields::{self, Field, Kind, Slot, Step};

/// Returns the message for an invalid value.
pub type Check = Rc<dyn Fn(&str) -> std::result::Result<(), String>>;

/// One way of asking questions.
pub trait Prompter {
    fn text(&mut self, label: &str, help: &str, default: &str, check: Check) -> Result<String>;
    /// Index of the chosen option.
    fn select(
        &mut self,
        label: &str,
        help: &str,
        options: &[String],
        default: usize,
    ) -> Result<usize>;
    /// Which options are picked.
    fn multi(
        &mut self,
        label: &str,
        help: &str,
        options: &[String],
        picked: &[bool],
    ) -> Result<Vec<bool>>;
    fn confirm(&mut self, label: &str, help: &str, default: bool) -> Result<bool>;
}

fn problem_text(p: Problem) -> String {
    match p.hint {
        Some(h) => format!("{} (hint: {h})", p.message),
        None => p.message,
    }
}

/// Asks every question, starting from `start`; returns the answers as given.
pub fn ask(p: &mut dyn Prompter, start: Answers) -> Result<Answers> {
    let mut a = start;
    for step in Step::ALL {
        match step {
            Step::Review => {}
            Step::Environments => environments(p, &mut a)?,
            _ => {
                for slot in step.slots(&a) {
                    ask_slot(p, &mut a, slot, "")?;
                }
            }
        }
    }
    Ok(a)
}

fn ask_slot(p: &mut dyn Prompter, a: &mut Answers, slot: Slot, prefix: &str) -> Result<()> {
    let f = slot.field;
    let label = format!("{prefix}{}", f.label());
    let help = f.help().replace('\n', " ");
    match f.kind() {
        Kind::Text => {
            let snapshot = a.clone();
            let check: Check =
                Rc::new(move |v: &str| fields::check(&snapshot, slot, v).map_err(problem_text));
            let value = p.text(&label, &help, &fields::text(a, slot), check)?;
            fields::set_text(a, slot, &value);
        }
        Kind::Choice | Kind::Search => {
            let options = fields::options(a, f);
            if options.len() < 2 {
                return Ok(());
            }
            let shown: Vec<String> = options
                .iter()
                .map(|o| match fields::note(a, f, o) {
                    n if n.is_empty() => o.clone(),
                    n => format!("{o:<16} {n}"),
                })
                .collect();
            let i = p.select(&label, &help, &shown, fields::selected(a, slot))?;
            fields::set_choice(a, slot, i);
        }
        Kind::Multi => {
            let options = fields::options(a, f);
            let want = p.multi(&label, &help, &options, &fields::picked(a, f))?;
            fields::set_picked(a, f, &want);
        }
    }
    Ok(())
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

fn environments(p: &mut dyn Prompter, a: &mut Answers) -> Result<()> {
    let current: Vec<String> = a.environments.iter().map(|e| e.name.clone()).collect();
    let names = p.text(
        "Environments",
        "Comma-separated, in promotion order (1 to 8), e.g. dev, staging, prod. Each gets its own stacks and params/<name>.json.",
        &current.join(", "),
        Rc::new(check_env_names),
    )?;
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
    for env in 0..a.environments.len() {
        let prefix = format!("{} · ", a.environments[env].name);
        for field in &Field::ENV[1..] {
            ask_slot(p, a, Slot { field: *field, env }, &prefix)?;
        }
    }
    Ok(())
}

fn map_err(e: InquireError) -> Error {
    match e {
        InquireError::OperationCanceled | InquireError::OperationInterrupted => Error::Cancelled,
        InquireError::NotTTY => Error::Usage(crate::ui::NO_TERMINAL.into()),
        other => Error::Usage(format!("the prompt failed: {other}")),
    }
}

/// The real prompts, on the terminal.
pub struct Inquire;

impl Prompter for Inquire {
    fn text(&mut self, label: &str, help: &str, default: &str, check: Check) -> Result<String> {
        let validator = move |v: &str| {
            Ok(match check(v) {
                Ok(()) => Validation::Valid,
                Err(m) => Validation::Invalid(m.into()),
            })
        };
        let mut prompt = inquire::Text::new(label)
            .with_help_message(help)
            .with_validator(validator);
        if !default.is_empty() {
            prompt = prompt.with_default(default);
        }
        prompt.prompt().map_err(map_err)
    }

    fn select(
        &mut self,
        label: &str,
        help: &str,
        options: &[String],
        default: usize,
    ) -> Result<usize> {
        inquire::Select::new(label, options.to_vec())
            .with_help_message(help)
            .with_starting_cursor(default)
            .with_page_size(10)
            .raw_prompt()
            .map(|o| o.index)
            .map_err(map_err)
    }

    fn multi(
        &mut self,
        label: &str,
        help: &str,
        options: &[String],
        picked: &[bool],
    ) -> Result<Vec<bool>> {
        let defaults: Vec<usize> = (0..options.len()).filter(|i| picked[*i]).collect();
        let chosen = inquire::MultiSelect::new(label, options.to_vec())
            .with_help_message(help)
            .with_default(&defaults)
            .with_page_size(10)
            .raw_prompt()
            .map_err(map_err)?;
        Ok((0..options.len())
            .map(|i| chosen.iter().any(|o| o.index == i))
            .collect())
    }

    fn confirm(&mut self, label: &str, help: &str, default: bool) -> Result<bool> {
        inquire::Confirm::new(label)
            .with_help_message(help)
            .with_default(default)
            .prompt()
            .map_err(map_err)
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
    Yes(bool),
    /// Esc or Ctrl-C.
    Cancel,
}

/// Replays replies; records every question and every refused value.
#[derive(Debug, Default)]
pub struct Scripted {
    pub replies: VecDeque<Reply>,
    pub asked: Vec<String>,
    pub refused: Vec<String>,
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
    fn text(&mut self, label: &str, _: &str, default: &str, check: Check) -> Result<String> {
        loop {
            let v = match self.next(label)? {
                Reply::Text(t) => t,
                _ => default.to_string(),
            };
            match check(&v) {
                Ok(()) => return Ok(v),
                // Refused like inquire would: the question is asked again.
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
    ) -> Result<usize> {
        Ok(match self.next(label)? {
            Reply::Pick(p) => options
                .iter()
                .position(|o| o.starts_with(&p))
                .unwrap_or(default),
            _ => default,
        })
    }

    fn multi(
        &mut self,
        label: &str,
        _: &str,
        options: &[String],
        picked: &[bool],
    ) -> Result<Vec<bool>> {
        let mut out = picked.to_vec();
        if let Reply::Toggle(names) = self.next(label)? {
            for n in names {
                if let Some(i) = options.iter().position(|o| *o == n) {
                    out[i] = !out[i];
                }
            }
        }
        Ok(out)
    }

    fn confirm(&mut self, label: &str, _: &str, default: bool) -> Result<bool> {
        Ok(match self.next(label)? {
            Reply::Yes(b) => b,
            _ => default,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enters(n: usize) -> Vec<Reply> {
        vec![Reply::Enter; n]
    }

    fn run(replies: Vec<Reply>) -> (Result<Answers>, Scripted) {
        let mut p = Scripted::new(replies);
        let r = ask(&mut p, Answers::default());
        (r, p)
    }

    #[test]
    fn enter_everywhere_keeps_the_defaults() {
        let (r, p) = run(enters(200));
        assert_eq!(r.unwrap(), Answers::default());
        assert!(p.refused.is_empty());
        // The flavour has one option, so it is not asked.
        assert!(!p.asked.iter().any(|q| q == "Flavour"));
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
        let mut replies = enters(3); // name, owner, cost centre
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
    fn cancel_is_cancelled() {
        let (r, _) = run(vec![Reply::Enter, Reply::Cancel]);
        assert!(matches!(r, Err(Error::Cancelled)));
        assert_eq!(Error::Cancelled.exit_code(), 130);
        assert_eq!(map_err(InquireError::NotTTY).exit_code(), 2);
        assert_eq!(map_err(InquireError::OperationInterrupted).exit_code(), 130);
        assert_eq!(map_err(InquireError::OperationCanceled).exit_code(), 130);
    }
}
