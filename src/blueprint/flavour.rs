//! What a flavour (an IaC dialect: CloudFormation, Terraform, ...) gives the
//! engine. The engine renders blueprints and checks every file's syntax by its
//! extension; a flavour adds its template functions, its deploy model (the
//! stacks and parameter files of CloudFormation, the root modules and backends
//! of Terraform), reads the rendered documents it cares about and runs the
//! checks that span files. The engine only knows this interface; the flavours
//! themselves live in `crate::flavours`.

use std::any::Any;
use std::collections::BTreeMap;
use std::path::Path;

use tera::Tera;

use super::format::Formats;
use super::{chain, eval_when, expand, Blueprint, Context, SkipDoc};
use crate::answers::validate::Findings;
use crate::answers::Answers;
use crate::error::{Error, Result};
use crate::output::RenderedFile;

/// A rendered document parsed by a flavour; only that flavour looks inside.
pub type Doc = Box<dyn Any + Send + Sync>;

/// The rendered files that are UTF-8: path → text.
pub type Texts<'a> = BTreeMap<&'a str, &'a str>;

/// Evaluates a blueprint's manifest expressions (conditions, paths, values).
pub struct Eval<'a> {
    pub(crate) tera: &'a Tera,
}

impl Eval<'_> {
    /// A `when` condition; no condition is true.
    pub fn when(&self, bp: &Blueprint, expr: Option<&str>, ctx: &tera::Context) -> Result<bool> {
        eval_when(self.tera, bp, expr, ctx)
    }

    /// A manifest string with its Tera syntax rendered; `what` names it in errors.
    pub fn expand(
        &self,
        bp: &Blueprint,
        what: &str,
        text: &str,
        ctx: &tera::Context,
    ) -> Result<String> {
        expand(self.tera, text, ctx)
            .map_err(|e| Error::blueprint(&bp.manifest.name, format!("{what}: {}", chain(&e))))
    }
}

/// An IaC dialect.
pub trait Flavour: Send + Sync {
    /// Filters and functions its templates call, added to every Tera the engine builds.
    fn register(&self, _tera: &mut Tera, _answers: &Answers) {}

    /// Its own answer rules, beyond the generic ones: answers it refuses or
    /// warns about, each under its field path (the generic validator locates
    /// them in the answers the person wrote).
    fn answer_rules(&self, _answers: &Answers) -> Findings {
        Findings::default()
    }

    /// File formats its blueprints write beyond the engine's table
    /// ([`FORMATS`](super::format::FORMATS)), checked the same way.
    fn formats(&self) -> &'static Formats {
        &[]
    }

    /// The deploy model of this project, worked out from the answers and the
    /// blueprints that apply before any file renders.
    fn deploy(
        &self,
        answers: &Answers,
        eval: &Eval,
        applied: &[&Blueprint],
        tctx: &tera::Context,
    ) -> Result<Box<dyn Deploy>>;

    /// What `new --dry-run` lists besides the files: per environment, the
    /// units this flavour deploys and what each declares, read from the
    /// rendered files.
    fn inventory(&self, files: &Texts, answers: &Answers, blueprints: &[Blueprint]) -> String;

    /// What to tell the user after writing the project, if anything.
    fn next_steps(&self, _target: &Path, _answers: &Answers) -> Option<String> {
        None
    }
}

/// One project's deploy model.
pub trait Deploy: Send + Sync {
    /// Adds what templates read about the deploy model to the context (before rendering).
    fn context(&self, _tctx: &mut tera::Context) {}

    /// Files the deploy model writes itself (parameter files), worked out
    /// while the blueprints render; the engine checks them like any other file.
    fn files(
        &self,
        _eval: &Eval,
        _applied: &[&Blueprint],
        _tctx: &tera::Context,
        _env_ctxs: &[tera::Context],
        _ctx: &Context,
    ) -> Result<Vec<RenderedFile>> {
        Ok(Vec::new())
    }

    /// Parses a rendered file this flavour reads, checking its syntax at
    /// least as strictly as the format table would. `None`: not one of its
    /// files, the format table checks it.
    fn read(&self, _path: &str, _text: &str) -> Option<std::result::Result<Doc, String>> {
        None
    }

    /// Checks that span files, once everything is rendered; returns the inline
    /// checker skips and adds what the summary files (README, docs) read to `summary`.
    fn finish(
        &self,
        docs: BTreeMap<String, Doc>,
        files: &[RenderedFile],
        summary: &mut tera::Context,
    ) -> Result<Vec<SkipDoc>>;

    /// Generated tests named after a control (`test_net_03_...`): control id →
    /// `file::test`. By default the Python tests under `tests/`.
    fn tests(&self, files: &[RenderedFile]) -> BTreeMap<String, Vec<String>> {
        python_tests(files)
    }
}

/// The control id a test named `test_<area>_<nn>_...` (or `<area>_<nn>_...`
/// without the prefix) is about, such as `NET-03`.
pub fn control_of(name: &str) -> Option<String> {
    let name = name.strip_prefix("test_").unwrap_or(name);
    let mut parts = name.splitn(3, '_');
    let (Some(area), Some(num)) = (parts.next(), parts.next()) else {
        return None;
    };
    (!area.is_empty()
        && area.bytes().all(|b| b.is_ascii_alphabetic())
        && num.len() == 2
        && num.bytes().all(|b| b.is_ascii_digit()))
    .then(|| format!("{}-{num}", area.to_uppercase()))
}

/// Test functions named after controls (`def test_net_03_…`) in the rendered Python tests.
pub fn python_tests(files: &[RenderedFile]) -> BTreeMap<String, Vec<String>> {
    let mut tests: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files
        .iter()
        .filter(|f| f.path.starts_with("tests/") && f.path.ends_with(".py"))
    {
        for line in std::str::from_utf8(&f.content).unwrap_or_default().lines() {
            let Some(rest) = line.trim_start().strip_prefix("def test_") else {
                continue;
            };
            let func: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if let Some(id) = control_of(&func) {
                tests
                    .entry(id)
                    .or_default()
                    .push(format!("{}::test_{func}", f.path));
            }
        }
    }
    tests
}
