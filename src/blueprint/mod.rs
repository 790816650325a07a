//! The blueprint engine: manifests and sources, the template context, and the
//! render plan. Everything is rendered and checked in memory; nothing here
//! touches the target directory.

pub mod context;
pub mod controls;
pub mod flavour;
pub mod format;
pub mod manifest;
pub mod source;

use std::collections::BTreeMap;
use std::io::Write;

use rayon::prelude::*;
use serde::Serialize;
use tera::{Kwargs, State, Tera};

use crate::answers::{self, Answers};
use crate::aws::facts;
use crate::error::{Error, Result};
use crate::output::{check_case_collisions, safe_relative_path};
pub use context::Context;
use flavour::{Deploy, Doc, Eval, Flavour};
pub use source::Blueprint;

/// Largest file a template may produce; stops runaway loops from eating memory.
const MAX_RENDERED_BYTES: usize = 4 * 1024 * 1024;

pub use crate::output::RenderedFile;

/// A control present in the project, with where it lives and what proves it.
#[derive(Debug, Clone, Serialize)]
pub struct ControlDoc {
    pub id: String,
    pub area: String,
    pub title: String,
    pub prevents: String,
    pub file: String,
    pub resource: String,
    /// Each claim's file and resources, in blueprint order (`file` and
    /// `resource` above are these joined, for the generated docs).
    pub places: Vec<controls::Place>,
    /// `tests/unit/test_x.py::test_net_01_…` for every test named after the control.
    pub tests: Vec<String>,
}

/// An inline checker skip found in a rendered template.
#[derive(Debug, Clone, Serialize)]
pub struct SkipDoc {
    pub check: String,
    pub file: String,
    pub resource: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
struct FileDoc {
    path: String,
    bytes: usize,
}

/// The whole project in memory, sorted by path.
#[derive(Debug, Clone)]
pub struct Plan {
    pub files: Vec<RenderedFile>,
    pub controls: Vec<ControlDoc>,
    /// Catalog controls the project does not carry, with the reasons.
    pub not_applicable: Vec<controls::NotApplicable>,
    pub skips: Vec<SkipDoc>,
}

/// Renders every applicable blueprint for these (validated) answers.
///
/// Each blueprint is compiled, and its files rendered and checked, on all
/// cores; every step that combines blueprints (deploy files, controls,
/// summaries) runs after them in a fixed order, and errors are reported in
/// blueprint order, so nothing depends on scheduling.
pub fn render(
    loaded: &answers::Loaded,
    flavour: &dyn Flavour,
    blueprints: &[Blueprint],
) -> Result<Plan> {
    let a = &loaded.answers;
    let ctx = Context::new(a);
    let mut tctx =
        tera::Context::from_serialize(&ctx).map_err(|e| Error::blueprint("context", chain(&e)))?;
    tctx.insert("warnings", &loaded.warnings);
    // The monthly estimate the README shows, computed once here.
    tctx.insert("cost", &crate::cost::readme(&ctx));
    // Conditions, paths and parameter expressions are small inline templates:
    // a Tera without blueprint templates evaluates them.
    let exprs = new_tera(a, flavour);
    let eval = Eval { tera: &exprs };

    let mut applied = Vec::new();
    for bp in blueprints {
        if eval_when(&exprs, bp, bp.manifest.when.as_deref(), &tctx)? {
            applied.push(bp);
        }
    }
    let deploy = flavour.deploy(a, &eval, &applied, &tctx)?;
    deploy.context(&mut tctx);
    let env_ctxs: Vec<tera::Context> = ctx
        .environments
        .iter()
        .map(|env| {
            let mut c = tctx.clone();
            c.insert("env", env);
            c
        })
        .collect();

    // Each blueprint gets its own Tera (templates include only their own
    // folder); each file is checked as soon as it is rendered.
    let render_blueprints = || {
        in_order(applied.par_iter().map(|bp| {
            let tera = build_tera(a, flavour, bp)?;
            let mut jobs = Vec::new();
            for spec in bp.manifest.files.iter().filter(|s| !s.summary) {
                if spec.per_environment {
                    jobs.extend(env_ctxs.iter().map(|c| (spec, c)));
                } else {
                    jobs.push((spec, &tctx));
                }
            }
            let checked = in_order(jobs.par_iter().map(|(spec, c)| {
                render_spec(&exprs, &tera, bp, spec, c)?
                    .map(|f| check_file(f, flavour, deploy.as_ref()))
                    .transpose()
            }))?;
            Ok((
                tera,
                checked.into_iter().flatten().collect::<Vec<Checked>>(),
            ))
        }))
    };
    // The deploy model's own files and the control claims need no rendered
    // file: they are worked out while the blueprints render.
    let side_work = || -> Result<_> {
        let own = deploy.files(&eval, &applied, &tctx, &env_ctxs, &ctx)?;
        Ok((own, claim_controls(&exprs, blueprints, &applied, &tctx)?))
    };
    let (units, side) = rayon::join(render_blueprints, side_work);
    let (units, (deploy_files, (claims, unmet))) = (units?, side?);

    let mut files = Vec::new();
    let mut docs = BTreeMap::new();
    let mut compiled = Vec::new();
    for (tera, checked) in units {
        compiled.push(tera);
        for (file, doc) in checked {
            if let Some(doc) = doc {
                docs.insert(file.path.clone(), doc);
            }
            files.push(file);
        }
    }
    for f in deploy_files {
        files.push(check_file(f, flavour, deploy.as_ref())?.0);
    }
    let mut summary_ctx = tctx;
    let skips = deploy.finish(docs, &files, &mut summary_ctx)?;
    let controls = collect_controls(claims, deploy.tests(&files))?;
    let record = controls::Record::new(&a.project.name, &a.flavor, &controls, &unmet);

    let mut listed: Vec<FileDoc> = files
        .iter()
        .map(|f| FileDoc {
            path: f.path.clone(),
            bytes: f.content.len(),
        })
        .collect();
    listed.sort_by(|x, y| x.path.cmp(&y.path));
    summary_ctx.insert("controls", &controls);
    summary_ctx.insert("skips", &skips);
    summary_ctx.insert("not_applicable", &record.not_applicable);
    summary_ctx.insert("files", &listed);
    let summaries: Vec<_> = applied
        .iter()
        .zip(&compiled)
        .flat_map(|(bp, tera)| {
            bp.manifest
                .files
                .iter()
                .filter(|s| s.summary)
                .map(move |spec| (*bp, tera, spec))
        })
        .collect();
    let summaries = in_order(
        summaries
            .par_iter()
            .map(|(bp, tera, spec)| render_spec(&exprs, tera, bp, spec, &summary_ctx)),
    )?;
    files.extend(summaries.into_iter().flatten());
    // Freeing the compiled templates and contexts takes a while: it happens on
    // the pool while the caller goes on with the files.
    rayon::spawn(move || drop((compiled, deploy, env_ctxs, summary_ctx, exprs)));

    let stored = stored_answers(&loaded.chosen);
    files.push(RenderedFile {
        path: ".stackwright/answers.yaml".into(),
        content: stored.into_bytes(),
        blueprint: "stackwright".into(),
    });
    files.push(RenderedFile {
        path: ".stackwright/answers.schema.json".into(),
        content: answers::schema::json_schema().into_bytes(),
        blueprint: "stackwright".into(),
    });
    files.push(RenderedFile {
        path: controls::PATH.into(),
        content: record.to_text().into_bytes(),
        blueprint: "stackwright".into(),
    });

    let mut seen = BTreeMap::new();
    for f in &files {
        if let Some(other) = seen.insert(f.path.as_str(), f.blueprint.as_str()) {
            return Err(Error::blueprint(
                &f.blueprint,
                format!("writes {}, which blueprint {other} also writes", f.path),
            ));
        }
    }
    files.sort_by(|x, y| x.path.cmp(&y.path));
    check_case_collisions(
        files
            .iter()
            .map(|f| (f.path.as_str(), f.blueprint.as_str())),
    )?;
    Ok(Plan {
        files,
        controls,
        not_applicable: record.not_applicable,
        skips,
    })
}

/// How long rendering may take before a blueprint is taken to be looping.
pub const RENDER_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// [`render`] on a worker thread with a deadline: a blueprint that loops
/// (nested `range` loops, say) is refused with an error instead of hanging.
/// On timeout the worker is left behind; the caller is expected to exit.
pub fn render_bounded(
    loaded: &answers::Loaded,
    flavour: &'static dyn Flavour,
    blueprints: &[Blueprint],
    deadline: std::time::Duration,
) -> Result<Plan> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (loaded, blueprints) = (loaded.clone(), blueprints.to_vec());
    std::thread::Builder::new()
        .name("render".into())
        .spawn(move || {
            let _ = tx.send(render(&loaded, flavour, &blueprints));
        })
        .map_err(|e| Error::blueprint("render", e.to_string()))?;
    match rx.recv_timeout(deadline) {
        Ok(result) => result,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(Error::blueprint(
            "render",
            format!("rendering took longer than {} s; a template loops without end (check nested loops in --blueprints templates)", deadline.as_secs()),
        )),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            Err(Error::blueprint("render", "the renderer stopped unexpectedly"))
        }
    }
}

/// The answers as chosen (`auto` stays `auto`) as stored in the project, with
/// an editor schema header. What `auto` resolved to is in `.stackwright/lock.yaml`.
pub fn stored_answers(a: &Answers) -> String {
    format!(
        "# yaml-language-server: $schema=answers.schema.json\n\
         # The answers this project was generated from; what `auto` resolved to is in lock.yaml.\n\
         # Change an answer: stackwright update --set KEY=VALUE (or edit this file, then stackwright update).\n\
         # Reproduce it byte for byte: stackwright new --answers .stackwright/answers.yaml --out <dir>\n{}",
        answers::to_yaml(a)
    )
}

fn tname(bp: &Blueprint, file: &str) -> String {
    format!("{}/{}", bp.manifest.name, file)
}

fn chain(err: &dyn std::error::Error) -> String {
    let mut msg = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(": ");
            msg.push_str(&text);
        }
        source = s.source();
    }
    msg
}

/// A Tera instance with stackwright's filters and the flavour's, no templates yet.
fn new_tera(a: &Answers, flavour: &dyn Flavour) -> Tera {
    let mut tera = Tera::new();
    tera.autoescape_on(Vec::<&str>::new());
    tera.register_filter("yaml_str", |s: &str, _: Kwargs, _: &State| quote(s));
    tera.register_filter("json_str", |s: &str, _: Kwargs, _: &State| quote(s));
    tera.register_filter("md", |s: &str, _: Kwargs, _: &State| escape_markdown(s));
    tera.register_filter("sh", |s: &str, _: Kwargs, _: &State| shell_quote(s));
    tera.register_filter("pascal", |s: &str, _: Kwargs, _: &State| context::pascal(s));
    flavour.register(&mut tera, a);
    tera
}

/// A Tera holding one blueprint's templates, named `<blueprint>/<path>`.
fn build_tera(a: &Answers, flavour: &dyn Flavour, bp: &Blueprint) -> Result<Tera> {
    let mut tera = new_tera(a, flavour);
    let templates: Vec<(String, &str)> = bp
        .files
        .iter()
        .map(|(path, text)| (tname(bp, path), text.as_ref()))
        .collect();
    // One call: adding templates one at a time re-checks every earlier template each time.
    if tera
        .add_raw_templates(templates.iter().map(|(n, t)| (n.as_str(), *t)))
        .is_ok()
    {
        return Ok(tera);
    }
    // Something is wrong: add them one by one so the message names the template.
    let mut tera = new_tera(a, flavour);
    for (name, text) in templates {
        tera.add_raw_template(&name, text).map_err(|e| {
            Error::blueprint(&bp.manifest.name, format!("template {name}: {}", chain(&e)))
        })?;
    }
    Ok(tera)
}

/// A double-quoted string that is valid JSON and valid YAML.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '(' | ')' | '#' | '+'
            | '!' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A manifest string with Tera syntax rendered; plain text as it is.
fn expand(tera: &Tera, text: &str, ctx: &tera::Context) -> tera::TeraResult<String> {
    if text.contains('{') {
        tera.render_str(text, ctx, false)
    } else {
        Ok(text.to_string())
    }
}

fn eval_when(tera: &Tera, bp: &Blueprint, expr: Option<&str>, ctx: &tera::Context) -> Result<bool> {
    let Some(expr) = expr else { return Ok(true) };
    let out = tera
        .render_str(&format!("{{% if {expr} %}}yes{{% endif %}}"), ctx, false)
        .map_err(|e| {
            Error::blueprint(
                &bp.manifest.name,
                format!("condition `{expr}`: {}", chain(&e)),
            )
        })?;
    Ok(out == "yes")
}

/// A writer that refuses to grow past the per-file limit.
struct Capped(Vec<u8>);

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_RENDERED_BYTES {
            return Err(std::io::Error::other(format!(
                "output exceeds {} MiB",
                MAX_RENDERED_BYTES / 1024 / 1024
            )));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One file spec rendered with one context; `None` when its condition is false.
fn render_spec(
    exprs: &Tera,
    tera: &Tera,
    bp: &Blueprint,
    spec: &manifest::FileSpec,
    c: &tera::Context,
) -> Result<Option<RenderedFile>> {
    let bp_err = |what: &str, e: &dyn std::error::Error| {
        Error::blueprint(&bp.manifest.name, format!("{what}: {}", chain(e)))
    };
    if !eval_when(exprs, bp, spec.when.as_deref(), c)? {
        return Ok(None);
    }
    let path = expand(exprs, &spec.to, c)
        .map_err(|e| bp_err(&format!("output path `{}`", spec.to), &e))?;
    let path = safe_relative_path(&path).map_err(|e| match e {
        Error::UnsafePath { path, reason } => Error::blueprint(
            &bp.manifest.name,
            format!(
                "output path `{}` (from `to: {}`): {reason}",
                crate::output::visible(&path),
                crate::output::visible(&spec.to)
            ),
        ),
        other => other,
    })?;
    let mut buf = Capped(Vec::new());
    tera.render_to(&tname(bp, &spec.template), c, &mut buf)
        .map_err(|e| bp_err(&format!("rendering {} for {path}", spec.template), &e))?;
    Ok(Some(RenderedFile {
        path,
        content: buf.0,
        blueprint: bp.manifest.name.clone(),
    }))
}

/// A rendered file that passed [`check_file`], with the flavour's document if it reads it.
type Checked = (RenderedFile, Option<Doc>);

/// Every file must be UTF-8 and, where the format table or the flavour's own
/// formats know its extension (or the flavour reads it), parse before
/// anything is written.
fn check_file(f: RenderedFile, flavour: &dyn Flavour, deploy: &dyn Deploy) -> Result<Checked> {
    let text = std::str::from_utf8(&f.content)
        .map_err(|_| Error::blueprint(&f.blueprint, format!("{} is not valid UTF-8", f.path)))?;
    let invalid = |problem: String| {
        Error::blueprint(
            &f.blueprint,
            format!("rendered {} is not valid: {problem}", f.path),
        )
    };
    if let Some(read) = deploy.read(&f.path, text) {
        let doc = read.map_err(invalid)?;
        return Ok((f, Some(doc)));
    }
    for check in format::checkers(&f.path, flavour.formats()) {
        check(text).map_err(invalid)?;
    }
    Ok((f, None))
}

/// Collects parallel results in their original order; the first error in that
/// order wins, whichever finished first.
fn in_order<T: Send>(results: impl IndexedParallelIterator<Item = Result<T>>) -> Result<Vec<T>> {
    results.collect::<Vec<Result<T>>>().into_iter().collect()
}

/// A control a blueprint carries in this project (its `when` is true), with
/// where it lives.
struct Claim<'a> {
    blueprint: &'a str,
    id: &'a str,
    file: String,
    resource: String,
}

/// The claims of the applied blueprints whose `when` holds, and for every
/// other claim of the flavour's blueprints the reason it does not hold here.
fn claim_controls<'a>(
    tera: &Tera,
    all: &'a [Blueprint],
    applied: &[&'a Blueprint],
    tctx: &tera::Context,
) -> Result<(Vec<Claim<'a>>, Vec<controls::Unmet<'a>>)> {
    let mut claims = Vec::new();
    let mut unmet = Vec::new();
    for bp in all {
        let name = &bp.manifest.name;
        if !applied.iter().any(|a| std::ptr::eq(*a, bp)) {
            let when = bp.manifest.when.as_deref().unwrap_or_default();
            unmet.extend(bp.manifest.controls.iter().map(|c| controls::Unmet {
                id: &c.id,
                reason: format!(
                    "the {name} blueprint is not part of this project: it applies when `{when}`"
                ),
            }));
        }
    }
    for bp in applied {
        for c in &bp.manifest.controls {
            if !eval_when(tera, bp, c.when.as_deref(), tctx)? {
                let reason = match &c.why_not {
                    Some(why) => expand(tera, why, tctx)
                        .map_err(|e| Error::blueprint(&bp.manifest.name, chain(&e)))?,
                    None => format!(
                        "the {} blueprint carries it only when `{}`, which these answers do not meet",
                        bp.manifest.name,
                        c.when.as_deref().unwrap_or_default()
                    ),
                };
                unmet.push(controls::Unmet { id: &c.id, reason });
                continue;
            }
            let expand = |text: &str| {
                expand(tera, text, tctx).map_err(|e| Error::blueprint(&bp.manifest.name, chain(&e)))
            };
            claims.push(Claim {
                blueprint: &bp.manifest.name,
                id: &c.id,
                file: expand(&c.file)?,
                resource: expand(&c.resource)?,
            });
        }
    }
    Ok((claims, unmet))
}

/// The controls of the project from the blueprints' claims, each with the
/// generated tests named after it; a claim without a test is refused.
fn collect_controls(
    claims: Vec<Claim>,
    tests: BTreeMap<String, Vec<String>>,
) -> Result<Vec<ControlDoc>> {
    let mut docs: BTreeMap<String, ControlDoc> = BTreeMap::new();
    for Claim {
        blueprint,
        id,
        file,
        resource,
    } in claims
    {
        let Some(cat) = facts().control(id) else {
            return Err(Error::blueprint(
                blueprint,
                format!("claims control {id}, which is not in the catalog"),
            ));
        };
        let found = tests.get(id).cloned().unwrap_or_default();
        if found.is_empty() {
            return Err(Error::blueprint(
                blueprint,
                format!(
                    "claims control {id} but no generated test is named test_{}_…",
                    id.to_lowercase().replace('-', "_")
                ),
            ));
        }
        let entry = docs.entry(id.to_string()).or_insert_with(|| ControlDoc {
            id: id.to_string(),
            area: cat.area.clone(),
            title: cat.title.clone(),
            prevents: cat.prevents.clone(),
            file: String::new(),
            resource: String::new(),
            places: Vec::new(),
            tests: found,
        });
        let place = controls::Place {
            file: file.clone(),
            resource: resource.trim().to_string(),
        };
        if !entry.places.contains(&place) {
            entry.places.push(place);
        }
        let sep = |s: &mut String| {
            if !s.is_empty() {
                s.push_str("; ")
            }
        };
        if !entry.file.split("; ").any(|x| x == file) {
            sep(&mut entry.file);
            entry.file.push_str(&file);
        }
        sep(&mut entry.resource);
        entry.resource.push_str(resource.trim());
    }
    // Catalog order, not alphabetical: GEN before SEC before NET, as in CONTROLS.md.
    let order: Vec<&str> = facts().controls.iter().map(|c| c.id.as_str()).collect();
    let mut out: Vec<ControlDoc> = docs.into_values().collect();
    out.sort_by_key(|c| order.iter().position(|o| *o == c.id).unwrap_or(usize::MAX));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_hostile_values() {
        let v = "a: b # c \"q\" {{ 7*7 }}";
        let yaml = format!("k: {}\n", quote(v));
        let parsed: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(parsed["k"].as_str(), Some(v));
        assert_eq!(escape_markdown("a|b*c"), "a\\|b\\*c");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
