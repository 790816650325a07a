//! The wizard's whole state, in one struct. `update` changes it; `view` only reads it.

use std::path::PathBuf;

use crate::answers::{Answers, Loaded};
use crate::blueprint::{Blueprint, Plan};
use crate::error::{Diagnostic, Error};
use crate::ui::fields::{self, Field, Kind, Slot, Step};

use super::keys::Context;

/// A line being typed, with a cursor counted in characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub value: String,
    pub cursor: usize,
}

impl Input {
    pub fn new(value: String) -> Self {
        let cursor = value.chars().count();
        Input { value, cursor }
    }

    fn byte(&self, char_idx: usize) -> usize {
        self.value
            .char_indices()
            .nth(char_idx)
            .map_or(self.value.len(), |(i, _)| i)
    }

    pub fn insert(&mut self, text: &str) {
        let at = self.byte(self.cursor);
        self.value.insert_str(at, text);
        self.cursor += text.chars().count();
    }

    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let at = self.byte(self.cursor);
            self.value.remove(at);
        }
    }

    pub fn delete(&mut self) {
        if self.cursor < self.value.chars().count() {
            let at = self.byte(self.cursor);
            self.value.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.value.chars().count());
    }
}

/// Work for the loop to do outside `update` (it touches the disk).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Write,
    Save,
}

/// How the wizard ended.
#[derive(Debug)]
pub enum Exit {
    Cancelled,
    /// The project was written (or listed, on a dry run); the summary to print.
    Written(String),
    Saved(PathBuf),
    Failed(Error),
}

/// The rendered project for the current answers, or why there is none.
#[derive(Debug)]
pub enum Preview {
    Ready {
        loaded: Box<Loaded>,
        plan: Plan,
    },
    /// The answers do not validate yet; every problem.
    Invalid(Vec<Diagnostic>),
    /// The engine failed (e.g. a blueprint being edited); its message.
    Failed(String),
    /// Valid answers whose files are being rendered off the input thread.
    Rendering(Box<Loaded>),
}

/// The fixed facts the wizard works with.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    pub blueprints: Vec<Blueprint>,
    /// The flavour of `blueprints`; another built-in flavour chosen in the
    /// wizard renders with its own built-in blueprints. Empty: always these.
    pub flavor: String,
    /// `--out`, or `./<project name>` when `None`.
    pub out: Option<PathBuf>,
    /// Where `s` saves the answers.
    pub save_to: Option<PathBuf>,
    pub dry_run: bool,
    pub force: bool,
}

#[derive(Debug)]
pub struct App {
    pub answers: Answers,
    pub setup: Setup,
    pub step: Step,
    /// Index into `step.slots()`.
    pub focus: usize,
    /// The text being typed in the focused text or search field.
    pub input: Option<Input>,
    /// Cursor over a multi field's options.
    pub option: usize,
    /// Selected row of the region list (filtered by `input`).
    pub region_row: usize,
    /// Selected file on the review.
    pub file_row: usize,
    /// Lines the preview is scrolled from where the focused field shows (PgUp/PgDn).
    pub scroll: i32,
    /// The review shows the cost estimate's line items and assumptions.
    pub show_cost: bool,
    pub preview: Preview,
    /// A message for the status line (a refused move, a saved file).
    pub status: Option<String>,
    pub help: bool,
    pub done: Option<Exit>,
    /// Set when the wizard has finished; the loop then leaves.
    pub exit: Option<Exit>,
    pub effect: Option<Effect>,
    /// The answers the wizard started from: quitting with others asks first.
    pub initial: Answers,
    /// `q` was pressed with unsaved edits; the next key decides.
    pub confirm_quit: bool,
    /// Render previews off the input thread: [`App::take_render_job`] hands
    /// the work out and [`App::rendered`] takes the result (the terminal loop
    /// sets this; without it every change renders at once, as tests expect).
    pub deferred: bool,
    /// Answers waiting to be checked and rendered off the input thread,
    /// numbered so late results are dropped.
    job: Option<(u64, Box<Answers>)>,
    generation: u64,
    /// Deferred mode: answers changed and their check has not come back yet,
    /// so `preview` still describes earlier answers.
    pub checking: bool,
    /// Leaving this step waits for the check of the current answers.
    pub leaving: Option<Step>,
    /// Answers the preview was last rendered from.
    rendered: Option<Answers>,
}

impl App {
    pub fn new(answers: Answers, setup: Setup) -> Self {
        let mut app = App {
            initial: answers.clone(),
            confirm_quit: false,
            deferred: false,
            job: None,
            generation: 0,
            checking: false,
            leaving: None,
            answers,
            setup,
            step: Step::Project,
            focus: 0,
            input: None,
            option: 0,
            region_row: 0,
            file_row: 0,
            scroll: 0,
            show_cost: false,
            preview: Preview::Invalid(Vec::new()),
            status: None,
            help: false,
            done: None,
            exit: None,
            effect: None,
            rendered: None,
        };
        app.refresh();
        app.enter_field();
        app
    }

    pub fn slots(&self) -> Vec<Slot> {
        self.step.slots(&self.answers)
    }

    pub fn slot(&self) -> Option<Slot> {
        self.slots().get(self.focus).copied()
    }

    pub fn kind(&self) -> Option<Kind> {
        self.slot().map(|s| s.field.kind())
    }

    /// The contexts whose bindings apply now, most specific first.
    pub fn contexts(&self) -> Vec<Context> {
        if self.help || self.done.is_some() {
            return vec![Context::Modal];
        }
        let mut c = Vec::new();
        match self.kind() {
            Some(Kind::Text | Kind::Search) => c.push(Context::Typing),
            Some(Kind::Choice) => c.extend([Context::Choice, Context::Command]),
            Some(Kind::Multi) => c.extend([Context::Multi, Context::Command]),
            None => c.extend([Context::Review, Context::Command]),
        }
        if self.step == Step::Environments {
            c.insert(0, Context::Environments);
        }
        c.push(Context::Global);
        c
    }

    /// Whether leaving now would lose edits: answers changed since the start,
    /// or text typed in the focused field and not yet accepted.
    pub fn unsaved(&self) -> bool {
        if self.answers != self.initial {
            return true;
        }
        match (self.slot(), &self.input) {
            (Some(slot), Some(input)) if slot.field.kind() == Kind::Text => {
                input.value != fields::text(&self.answers, slot)
            }
            _ => false,
        }
    }

    /// Prepares the focused field for editing.
    pub fn enter_field(&mut self) {
        self.input = None;
        self.option = 0;
        self.scroll = 0;
        if let Some(slot) = self.slot() {
            match slot.field.kind() {
                Kind::Text => self.input = Some(Input::new(fields::text(&self.answers, slot))),
                Kind::Search => {
                    self.input = Some(Input::default());
                    self.region_row = fields::selected(&self.answers, slot);
                }
                _ => {}
            }
        }
    }

    /// Region codes matching the search text.
    pub fn regions(&self) -> Vec<String> {
        let q = self
            .input
            .as_ref()
            .map(|i| i.value.to_lowercase())
            .unwrap_or_default();
        fields::options(&self.answers, Field::Region)
            .into_iter()
            .filter(|code| {
                q.is_empty()
                    || code.contains(&q)
                    || fields::note(&self.answers, Field::Region, code)
                        .to_lowercase()
                        .contains(&q)
            })
            .collect()
    }

    /// The problem with the text being typed, if any.
    pub fn input_problem(&self) -> Option<crate::answers::validate::Problem> {
        let slot = self.slot()?;
        if slot.field.kind() != Kind::Text {
            return None;
        }
        let input = self.input.as_ref()?;
        fields::check(&self.answers, slot, &input.value).err()
    }

    /// Re-renders the preview when the answers changed since the last render.
    pub fn refresh(&mut self) {
        let answers = self.answers.clone();
        self.render_preview(answers);
    }

    /// Re-renders the preview with the text being typed, when it is a valid
    /// value, so the preview follows the keys before the field is accepted.
    pub fn refresh_typed(&mut self) {
        let (Some(slot), Some(input)) = (self.slot(), self.input.as_ref()) else {
            return;
        };
        if slot.field.kind() != Kind::Text
            || fields::check(&self.answers, slot, &input.value).is_err()
        {
            return;
        }
        let mut next = self.answers.clone();
        fields::set_text(&mut next, slot, &input.value.clone());
        self.render_preview(next);
    }

    fn render_preview(&mut self, answers: Answers) {
        if self.rendered.as_ref() == Some(&answers) {
            return;
        }
        self.generation += 1;
        self.job = None;
        if self.deferred {
            // Checking reads the whole answers: off the input thread, like
            // rendering. What needs the result waits for it (leaving a step,
            // writing); the earlier preview stays until then.
            self.job = Some((self.generation, Box::new(answers.clone())));
            self.checking = true;
        } else {
            self.preview = match check(&answers) {
                Preview::Rendering(loaded) => {
                    render_for(*loaded, &self.setup.blueprints, &self.setup.flavor)
                }
                other => other,
            };
            self.clamp_file_row();
        }
        self.rendered = Some(answers);
    }

    fn clamp_file_row(&mut self) {
        let files = self.files().len();
        self.file_row = self.file_row.min(files.saturating_sub(1));
    }

    /// The checking and rendering waiting to be done, for a worker thread
    /// (deferred mode): [`check`], then [`render_for`] when the answers are valid.
    pub fn take_render_job(&mut self) -> Option<(u64, Box<Answers>)> {
        self.job.take()
    }

    /// A worker's check of the answers of `generation` ([`check`]); dropped
    /// when the answers changed since. A step waiting to be left is left now,
    /// or says what stops it.
    pub fn checked(&mut self, generation: u64, preview: Preview) {
        if generation != self.generation || !self.checking {
            return;
        }
        self.checking = false;
        self.preview = preview;
        self.clamp_file_row();
        if let Some(step) = self.leaving.take() {
            if step == self.step {
                super::update::leave_step(self);
            }
        }
    }

    /// A worker's result; dropped when the answers changed since it was asked for.
    pub fn rendered(&mut self, generation: u64, preview: Preview) {
        if generation == self.generation
            && !self.checking
            && matches!(self.preview, Preview::Rendering(_))
        {
            self.preview = preview;
            self.clamp_file_row();
        }
    }

    /// Checks now whatever is still waiting to be checked (before writing),
    /// on the calling thread; a later result of the worker is dropped.
    pub fn finish_checking(&mut self) {
        if !self.checking {
            return;
        }
        self.generation += 1;
        self.job = None;
        self.checking = false;
        self.leaving = None;
        let answers = self
            .rendered
            .clone()
            .unwrap_or_else(|| self.answers.clone());
        self.preview = check(&answers);
        self.clamp_file_row();
    }

    /// Checks and renders now whatever is still waiting (before writing, so
    /// the files written are always those of the current answers).
    pub fn finish_rendering(&mut self) {
        self.finish_checking();
        self.job = None;
        if let Preview::Rendering(loaded) = &self.preview {
            self.preview = render_for(
                (**loaded).clone(),
                &self.setup.blueprints,
                &self.setup.flavor,
            );
            self.clamp_file_row();
        }
    }

    /// The resolved answers of the preview, when they are valid: what `auto` became.
    pub fn resolved(&self) -> Option<&Answers> {
        match &self.preview {
            Preview::Ready { loaded, .. } | Preview::Rendering(loaded) => Some(&loaded.answers),
            _ => None,
        }
    }

    pub fn plan(&self) -> Option<&Plan> {
        match &self.preview {
            Preview::Ready { plan, .. } => Some(plan),
            _ => None,
        }
    }

    pub fn files(&self) -> Vec<(String, usize)> {
        self.plan()
            .map(|p| {
                p.files
                    .iter()
                    .map(|f| (f.path.clone(), f.content.len()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The file the preview pane shows: the review's selection, or the part of
    /// the project the focused field shapes.
    pub fn preview_path(&self) -> Option<String> {
        let files = self.files();
        if self.step == Step::Review {
            return files.get(self.file_row).map(|(p, _)| p.clone());
        }
        let env = self
            .slot()
            .and_then(|s| self.answers.environments.get(s.env))
            .map(|e| e.name.clone())
            .unwrap_or_default();
        let wanted = match self.slot().map(|s| s.field) {
            Some(Field::EnvApproval) => "templates/pipeline.yaml".to_string(),
            Some(Field::EnvAccount) => "params/pipeline.json".to_string(),
            _ => match self.step {
                Step::Project => "README.md".to_string(),
                Step::Region | Step::Network => "templates/network.yaml".into(),
                Step::Environments => format!("params/{env}.json"),
                Step::Database => "templates/database.yaml".into(),
                Step::Pipeline => "templates/pipeline.yaml".into(),
                Step::App => "templates/app.yaml".into(),
                Step::Review => unreachable!(),
            },
        };
        files
            .iter()
            .find(|(p, _)| *p == wanted)
            .or_else(|| files.iter().find(|(p, _)| p.starts_with("templates/")))
            .or_else(|| files.iter().find(|(p, _)| p == ".stackwright/answers.yaml"))
            .map(|(p, _)| p.clone())
    }

    /// Text to look for in the previewed file: where the focused field shows.
    /// The typed value first, then the key the field sets.
    pub fn preview_anchors(&self) -> Vec<String> {
        let Some(slot) = self.slot() else {
            return Vec::new();
        };
        let value = match (&self.input, slot.field.kind()) {
            (Some(i), Kind::Text) => i.value.clone(),
            _ => fields::text(&self.answers, slot),
        };
        let keys: &[&str] = match slot.field {
            Field::Azs => &["AvailabilityZone:"],
            Field::Nat => &["AWS::EC2::NatGateway"],
            Field::Endpoints => &["VpcEndpointType"],
            Field::TrustedCidrs | Field::AllowPublic => &["SecurityGroupIngress"],
            Field::EnvProfile => &["\"MultiAZ\"", "\"NatMode\""],
            Field::EnvCidr => &["\"VpcCidr\""],
            Field::EnvApproval => &["Approval"],
            Field::Engine => &["Engine:"],
            Field::Version => &["EngineVersion:"],
            Field::Class => &["DbInstanceClass", "DBInstanceClass"],
            Field::DbName => &["DBName:"],
            Field::Stages => &["Stages:"],
            Field::Repository => &["FullRepositoryId:"],
            Field::Branch => &["BranchName:"],
            Field::Email => &["Endpoint:"],
            Field::Port => &["Port"],
            _ => &[],
        };
        let by_value = matches!(slot.field.kind(), Kind::Text) && value.len() >= 3;
        by_value
            .then_some(value)
            .into_iter()
            .chain(keys.iter().map(|k| k.to_string()))
            .collect()
    }

    /// The line the preview starts at: a little above the focused field's place.
    pub fn preview_focus_line(&self, text: &str) -> usize {
        if self.step == Step::Review {
            return 0;
        }
        self.preview_anchors()
            .iter()
            .find_map(|a| text.lines().position(|l| l.contains(a.as_str())))
            .map_or(0, |line| line.saturating_sub(3))
    }

    pub fn preview_text(&self) -> Result<(String, String), String> {
        if self.checking {
            return Err("Rendering the preview…".to_string());
        }
        match &self.preview {
            Preview::Ready { plan, .. } => {
                let path = self.preview_path().ok_or("no files")?;
                let file = plan
                    .files
                    .iter()
                    .find(|f| f.path == path)
                    .ok_or("no file")?;
                Ok((path, String::from_utf8_lossy(&file.content).into_owned()))
            }
            Preview::Invalid(diags) => Err(format!(
                "Nothing to preview until the answers are valid:\n\n{}",
                diags
                    .iter()
                    .map(problem_line)
                    .collect::<Vec<_>>()
                    .join("\n")
            )),
            Preview::Failed(msg) => Err(format!(
                "The blueprint engine could not render these answers:\n\n{msg}"
            )),
            Preview::Rendering(_) => Err("Rendering the preview…".to_string()),
        }
    }

    /// Where the project goes.
    pub fn target(&self) -> PathBuf {
        self.setup
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from(&self.answers.project.name))
    }

    pub fn save_path(&self) -> PathBuf {
        self.setup
            .save_to
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("{}.answers.yaml", self.answers.project.name)))
    }

    /// Problems of the whole answers that belong to `step`.
    pub fn step_problems(&self, step: Step) -> Vec<&Diagnostic> {
        match &self.preview {
            Preview::Invalid(diags) => diags.iter().filter(|d| step.owns(&d.field)).collect(),
            _ => Vec::new(),
        }
    }
}

/// Checks the whole answers (and resolves `auto`): valid answers become
/// [`Preview::Rendering`], waiting for their files; otherwise every problem.
pub fn check(answers: &Answers) -> Preview {
    match crate::ui::resolve(answers) {
        Ok(loaded) => Preview::Rendering(Box::new(loaded)),
        Err(Error::InvalidAnswers(diags)) => Preview::Invalid(diags),
        Err(e) => Preview::Failed(e.to_string()),
    }
}

/// Renders the project files for valid answers into a preview.
pub fn render(loaded: Loaded, blueprints: &[Blueprint]) -> Preview {
    render_for(loaded, blueprints, "")
}

/// [`render`] when `blueprints` are those of `flavor` (empty: of any flavour
/// the answers name); another built-in flavour renders with its built-ins.
pub fn render_for(loaded: Loaded, blueprints: &[Blueprint], flavor: &str) -> Preview {
    let start = if flavor.is_empty() {
        loaded.answers.flavor.as_str()
    } else {
        flavor
    };
    match crate::flavours::blueprints_for(&loaded.answers.flavor, start, blueprints)
        .and_then(|bps| crate::flavours::render(&loaded, &bps))
    {
        Ok(plan) => Preview::Ready {
            loaded: Box::new(loaded),
            plan,
        },
        Err(e) => Preview::Failed(e.to_string()),
    }
}

/// One problem, as the answers file would report it (without a file location).
pub fn problem_line(d: &Diagnostic) -> String {
    let mut s = if d.field.is_empty() {
        d.message.clone()
    } else {
        format!("{}: {}", d.field, d.message)
    };
    if let Some(h) = &d.hint {
        s.push_str(&format!(" (hint: {h})"));
    }
    s
}
