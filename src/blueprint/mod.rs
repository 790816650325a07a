//! The blueprint engine: manifests and sources, the template context, and the
//! render plan. Everything is rendered and checked in memory; nothing here
//! touches the target directory.

pub mod context;
mod handlers;
pub mod manifest;
pub mod source;
pub mod typescript;

use std::collections::BTreeMap;
use std::io::Write;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tera::{Kwargs, State, Tera};

use crate::answers::{self, Answers};
use crate::aws::facts;
use crate::error::{Error, Result};
use crate::output::{check_case_collisions, safe_relative_path};
pub use context::Context;
pub use source::Blueprint;

/// Largest file a template may produce; stops runaway loops from eating memory.
const MAX_RENDERED_BYTES: usize = 4 * 1024 * 1024;

/// One file of the project, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: String,
    pub content: Vec<u8>,
    /// The blueprint that wrote it (`stackwright` for the stored answers).
    pub blueprint: String,
}

/// A control present in the project, with where it lives and what proves it.
#[derive(Debug, Clone, Serialize)]
pub struct ControlDoc {
    pub id: String,
    pub area: String,
    pub title: String,
    pub prevents: String,
    pub file: String,
    pub resource: String,
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

/// A stack of the project, in deploy order.
#[derive(Debug, Clone, Serialize)]
pub struct StackDoc {
    pub name: String,
    pub template: String,
    pub scope: manifest::Scope,
    pub blueprint: String,
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
    pub skips: Vec<SkipDoc>,
}

/// Renders every applicable blueprint for these (validated) answers.
///
/// Each blueprint is compiled, and its files rendered and checked, on all
/// cores; every step that combines blueprints (parameters, controls,
/// summaries) runs after them in a fixed order, and errors are reported in
/// blueprint order, so nothing depends on scheduling.
pub fn render(loaded: &answers::Loaded, blueprints: &[Blueprint]) -> Result<Plan> {
    let a = &loaded.answers;
    let ctx = Context::new(a);
    let mut tctx =
        tera::Context::from_serialize(&ctx).map_err(|e| Error::blueprint("context", chain(&e)))?;
    tctx.insert("warnings", &loaded.warnings);
    // Conditions, paths and parameter expressions are small inline templates:
    // a Tera without blueprint templates evaluates them.
    let exprs = new_tera(a);

    let mut applied = Vec::new();
    for bp in blueprints {
        if eval_when(&exprs, bp, bp.manifest.when.as_deref(), &tctx)? {
            applied.push(bp);
        }
    }
    let stacks = collect_stacks(&exprs, &applied, &tctx)?;
    tctx.insert("stacks", &stacks);
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
            let tera = build_tera(a, bp)?;
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
                    .map(|f| check_file(f, &stacks))
                    .transpose()
            }))?;
            Ok((
                tera,
                checked.into_iter().flatten().collect::<Vec<Checked>>(),
            ))
        }))
    };
    // Parameter files and control claims need no rendered file: they are
    // worked out while the blueprints render.
    let side_work = || -> Result<_> {
        // Parameter files exist for flavours that deploy stacks.
        let params = if stacks.is_empty() {
            Vec::new()
        } else {
            render_params(&exprs, &applied, &tctx, &env_ctxs, &ctx)?
        };
        Ok((params, claim_controls(&exprs, &applied, &tctx)?))
    };
    let (units, side) = rayon::join(render_blueprints, side_work);
    let (units, (param_files, claims)) = (units?, side?);

    let mut files = Vec::new();
    let mut parsed = Parsed::new();
    let mut compiled = Vec::new();
    for (tera, checked) in units {
        compiled.push(tera);
        for (file, doc) in checked {
            if let Some(doc) = doc {
                parsed.insert(file.path.clone(), doc);
            }
            files.push(file);
        }
    }
    for f in param_files {
        files.push(check_file(f, &stacks)?.0);
    }
    let params = parse_params(&files);
    check_parameters(&stacks, &files, &parsed, &params)?;

    let skips = find_skips(&parsed);
    let controls = collect_controls(claims, &files)?;

    let mut listed: Vec<FileDoc> = files
        .iter()
        .map(|f| FileDoc {
            path: f.path.clone(),
            bytes: f.content.len(),
        })
        .collect();
    listed.sort_by(|x, y| x.path.cmp(&y.path));
    let mut summary_ctx = tctx;
    summary_ctx.insert("controls", &controls);
    summary_ctx.insert("skips", &skips);
    summary_ctx.insert("acknowledgments", &typescript::acknowledgments(&files));
    summary_ctx.insert("files", &listed);
    summary_ctx.insert(
        "stack_parameters",
        &stack_parameters(&stacks, &parsed, &params),
    );
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
    rayon::spawn(move || drop((compiled, parsed, env_ctxs, summary_ctx, exprs)));

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
    blueprints: &[Blueprint],
    deadline: std::time::Duration,
) -> Result<Plan> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (loaded, blueprints) = (loaded.clone(), blueprints.to_vec());
    std::thread::Builder::new()
        .name("render".into())
        .spawn(move || {
            let _ = tx.send(render(&loaded, &blueprints));
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

/// A Tera instance with stackwright's filters and functions, no templates yet.
fn new_tera(a: &Answers) -> Tera {
    let mut tera = Tera::new();
    tera.autoescape_on(Vec::<&str>::new());
    tera.register_filter("yaml_str", |s: &str, _: Kwargs, _: &State| quote(s));
    tera.register_filter("json_str", |s: &str, _: Kwargs, _: &State| quote(s));
    tera.register_filter("md", |s: &str, _: Kwargs, _: &State| escape_markdown(s));
    tera.register_filter("sh", |s: &str, _: Kwargs, _: &State| shell_quote(s));
    tera.register_filter("pascal", |s: &str, _: Kwargs, _: &State| context::pascal(s));
    handlers::register(&mut tera);

    let fixed = fixed_tags(a);
    let list_tags = fixed.clone();
    tera.register_function(
        "cfn_tags",
        move |kwargs: Kwargs, _: &State| -> tera::TeraResult<String> {
            let name: Option<&str> = kwargs.get("name")?;
            Ok(cfn_tags_list(&list_tags, name))
        },
    );
    tera.register_function("cfn_tags_map", move |_: Kwargs, _: &State| {
        cfn_tags_map(&fixed)
    });
    tera
}

/// A Tera holding one blueprint's templates, named `<blueprint>/<path>`.
fn build_tera(a: &Answers, bp: &Blueprint) -> Result<Tera> {
    let mut tera = new_tera(a);
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
    let mut tera = new_tera(a);
    for (name, text) in templates {
        tera.add_raw_template(&name, text).map_err(|e| {
            Error::blueprint(&bp.manifest.name, format!("template {name}: {}", chain(&e)))
        })?;
    }
    Ok(tera)
}

/// Project-wide tags (Environment is added from the EnvironmentName parameter).
fn fixed_tags(a: &Answers) -> Vec<(String, String)> {
    let mut tags = vec![
        ("Project".to_string(), a.project.name.clone()),
        ("Owner".to_string(), a.project.owner.clone()),
        ("CostCenter".to_string(), a.project.cost_center.clone()),
        ("ManagedBy".to_string(), "stackwright".to_string()),
    ];
    tags.extend(a.project.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    tags
}

/// A YAML flow sequence of CloudFormation tags, values quoted so no answer can break the YAML.
fn cfn_tags_list(fixed: &[(String, String)], name: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some(name) = name {
        parts.push(format!(
            "{{Key: Name, Value: !Sub {}}}",
            quote(&format!("{}-${{EnvironmentName}}-{name}", fixed[0].1))
        ));
    }
    parts.push(format!("{{Key: Project, Value: {}}}", quote(&fixed[0].1)));
    parts.push("{Key: Environment, Value: !Ref EnvironmentName}".to_string());
    for (k, v) in &fixed[1..] {
        parts.push(format!("{{Key: {}, Value: {}}}", quote(k), quote(v)));
    }
    format!("[{}]", parts.join(", "))
}

/// A YAML flow mapping of tags, for resources whose Tags property is a map.
fn cfn_tags_map(fixed: &[(String, String)]) -> String {
    let mut parts = vec![
        format!("Project: {}", quote(&fixed[0].1)),
        "Environment: !Ref EnvironmentName".to_string(),
    ];
    for (k, v) in &fixed[1..] {
        parts.push(format!("{}: {}", quote(k), quote(v)));
    }
    format!("{{{}}}", parts.join(", "))
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

fn collect_stacks(
    tera: &Tera,
    applied: &[&Blueprint],
    tctx: &tera::Context,
) -> Result<Vec<StackDoc>> {
    let mut stacks = Vec::new();
    for bp in applied {
        for st in &bp.manifest.stacks {
            if eval_when(tera, bp, st.when.as_deref(), tctx)? {
                stacks.push(StackDoc {
                    name: st.name.clone(),
                    template: safe_relative_path(&st.template)?,
                    scope: st.scope,
                    blueprint: bp.manifest.name.clone(),
                });
            }
        }
    }
    Ok(stacks)
}

/// `params/<env>.json` (every environment- and account-scoped stack) and
/// `params/pipeline.json`, in CloudFormation template-configuration shape per stack.
fn render_params(
    tera: &Tera,
    applied: &[&Blueprint],
    tctx: &tera::Context,
    env_ctxs: &[tera::Context],
    ctx: &Context,
) -> Result<Vec<RenderedFile>> {
    use manifest::Scope;
    type Params = BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>;
    let render_one = |bp: &Blueprint,
                      st: &manifest::StackSpec,
                      c: &tera::Context|
     -> Result<BTreeMap<String, String>> {
        let mut values = BTreeMap::new();
        for (key, expr) in &st.parameters {
            let v = expand(tera, expr, c).map_err(|e| {
                Error::blueprint(
                    &bp.manifest.name,
                    format!("parameter {key} of stack {}: {}", st.name, chain(&e)),
                )
            })?;
            values.insert(key.clone(), v);
        }
        Ok(values)
    };
    let to_file = |path: String, params: &Params| RenderedFile {
        path,
        content: (serde_json::to_string_pretty(params).expect("params serialize") + "\n")
            .into_bytes(),
        blueprint: "stackwright".into(),
    };
    let mut out = Vec::new();
    let mut pipeline: Params = BTreeMap::new();
    for (env, c) in ctx.environments.iter().zip(env_ctxs) {
        let mut params: Params = BTreeMap::new();
        for bp in applied {
            for st in &bp.manifest.stacks {
                let wanted = match st.scope {
                    Scope::Environment => true,
                    Scope::Account => env.cross_account,
                    Scope::Pipeline => false,
                };
                if wanted && eval_when(tera, bp, st.when.as_deref(), c)? {
                    params.insert(
                        st.name.clone(),
                        BTreeMap::from([("Parameters".to_string(), render_one(bp, st, c)?)]),
                    );
                }
            }
        }
        out.push(to_file(format!("params/{}.json", env.name), &params));
    }
    for bp in applied {
        for st in bp
            .manifest
            .stacks
            .iter()
            .filter(|s| s.scope == Scope::Pipeline)
        {
            if eval_when(tera, bp, st.when.as_deref(), tctx)? {
                pipeline.insert(
                    st.name.clone(),
                    BTreeMap::from([("Parameters".to_string(), render_one(bp, st, tctx)?)]),
                );
            }
        }
    }
    if !pipeline.is_empty() {
        out.push(to_file("params/pipeline.json".into(), &pipeline));
    }
    Ok(out)
}

/// The parameter files (`params/<name>.json`), parsed: name → stack → `Parameters`.
type Params = Vec<(String, serde_json::Value)>;

fn parse_params(files: &[RenderedFile]) -> Params {
    files
        .iter()
        .filter_map(|f| {
            let name = f.path.strip_prefix("params/")?.strip_suffix(".json")?;
            Some((name.to_string(), serde_json::from_slice(&f.content).ok()?))
        })
        .collect()
}

/// Every parameter a params file passes is declared by its template, and every
/// template parameter without a default is passed.
fn check_parameters(
    stacks: &[StackDoc],
    files: &[RenderedFile],
    parsed: &Parsed,
    params: &Params,
) -> Result<()> {
    for st in stacks {
        if !files.iter().any(|f| f.path == st.template) {
            return Err(Error::blueprint(
                &st.blueprint,
                format!(
                    "stack {} deploys {}, which no blueprint writes",
                    st.name, st.template
                ),
            ));
        }
        let declared: Vec<(&str, bool)> = parsed
            .get(&st.template)
            .map(|doc| {
                doc.parameters
                    .iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str().unwrap_or_default(), v.get("Default").is_some()))
                    .collect()
            })
            .unwrap_or_default();
        for (name, p) in params {
            let Some(given) = p
                .get(&st.name)
                .and_then(|s| s.get("Parameters"))
                .and_then(|p| p.as_object())
            else {
                continue;
            };
            for key in given.keys() {
                if !declared.iter().any(|(d, _)| d == key) {
                    return Err(Error::blueprint(
                        &st.blueprint,
                        format!(
                            "params/{name}.json passes parameter {key} to stack {}, but {} does not declare it",
                            st.name, st.template
                        ),
                    ));
                }
            }
            for (key, has_default) in &declared {
                if !has_default && !given.contains_key(*key) {
                    return Err(Error::blueprint(&st.blueprint, format!("{} declares parameter {key} without a default, but params/{name}.json does not pass it", st.template)));
                }
            }
        }
    }
    Ok(())
}

/// One template parameter as documented in the README.
#[derive(Debug, Clone, Serialize)]
pub struct ParamDoc {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    pub default: String,
    /// Allowed values, pattern or range, in words.
    pub allowed: String,
    /// The value each environment passes (`pipeline` for the pipeline scope).
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StackParamsDoc {
    pub stack: String,
    pub template: String,
    pub scope: manifest::Scope,
    pub parameters: Vec<ParamDoc>,
}

fn scalar_text(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Sequence(items) => {
            items.iter().map(scalar_text).collect::<Vec<_>>().join(", ")
        }
        serde_yaml::Value::Null => String::new(),
        other => crate::yaml::to_string(other).trim().to_string(),
    }
}

/// Every stack's parameters with their constraints and each environment's value.
fn stack_parameters(stacks: &[StackDoc], parsed: &Parsed, params: &Params) -> Vec<StackParamsDoc> {
    let mut out = Vec::new();
    for st in stacks {
        let Some(doc) = parsed.get(&st.template) else {
            continue;
        };
        let Some(map) = &doc.parameters else {
            continue;
        };
        let parameters = map
            .iter()
            .map(|(k, v)| {
                let name = k.as_str().unwrap_or_default().to_string();
                let field = |f: &str| v.get(f).map(scalar_text).unwrap_or_default();
                let allowed = if let Some(a) = v.get("AllowedValues") {
                    scalar_text(a)
                } else if let Some(p) = v.get("AllowedPattern") {
                    format!("pattern {}", scalar_text(p))
                } else if v.get("MinValue").is_some() || v.get("MaxValue").is_some() {
                    format!("{} to {}", field("MinValue"), field("MaxValue"))
                } else {
                    String::new()
                };
                let values = params
                    .iter()
                    .filter_map(|(env, p)| {
                        let value = p.get(&st.name)?.get("Parameters")?.get(&name)?.as_str()?;
                        Some((env.clone(), value.to_string()))
                    })
                    .collect();
                ParamDoc {
                    name,
                    kind: field("Type"),
                    description: field("Description"),
                    default: field("Default"),
                    allowed,
                    values,
                }
            })
            .collect();
        out.push(StackParamsDoc {
            stack: st.name.clone(),
            template: st.template.clone(),
            scope: st.scope,
            parameters,
        });
    }
    out
}

/// What the engine reads from a rendered CloudFormation template: its
/// parameters, and the inline checker skips of its resources.
#[derive(Debug, Default)]
struct TemplateDoc {
    parameters: Option<serde_yaml::Mapping>,
    /// (resource, check id, reason) in document order.
    skips: Vec<(String, String, String)>,
}

#[derive(Debug, Default, Deserialize)]
struct ParametersSection {
    #[serde(rename = "Parameters", default)]
    parameters: Option<serde_yaml::Mapping>,
}

/// Rendered CloudFormation templates (under `templates/`, or deployed as a stack) by path.
type Parsed = BTreeMap<String, TemplateDoc>;

/// One pass over a rendered template: the scanner checks the syntax and picks
/// out `Resources.<name>.Metadata.checkov.skip[i].{id,comment}`; only the
/// `Parameters` section is parsed again, with serde, for its values.
fn scan_template(text: &str) -> std::result::Result<TemplateDoc, String> {
    use crate::yaml::Step;
    let mut skips: Vec<(String, usize, String, String)> = Vec::new();
    let top = crate::yaml::scan_rendered(text, |path, value| {
        let [Step::Key(r), Step::Key(name), Step::Key(m), Step::Key(c), Step::Key(s), Step::Index(i), Step::Key(field)] =
            path
        else {
            return;
        };
        if (r.as_str(), m.as_str(), c.as_str(), s.as_str())
            != ("Resources", "Metadata", "checkov", "skip")
        {
            return;
        }
        if !matches!(skips.last(), Some((n, j, _, _)) if n == name && j == i) {
            skips.push((name.clone(), *i, String::new(), String::new()));
        }
        let entry = skips.last_mut().expect("pushed above");
        match field.as_str() {
            "id" => entry.2 = value.to_string(),
            "comment" => entry.3 = value.to_string(),
            _ => {}
        }
    })?;
    let section = match &top {
        Some(entries) => match entries.iter().find(|(k, _)| k == "Parameters") {
            Some((_, range)) => crate::yaml::parse_any::<ParametersSection>(&text[range.clone()])?,
            None => ParametersSection::default(),
        },
        // Not a block mapping at the top: read it whole.
        None => crate::yaml::parse_any::<ParametersSection>(text)?,
    };
    Ok(TemplateDoc {
        parameters: section.parameters,
        skips: skips.into_iter().map(|(n, _, id, c)| (n, id, c)).collect(),
    })
}

/// A rendered file that passed [`check_file`], with its template data if it is one.
type Checked = (RenderedFile, Option<TemplateDoc>);

/// Collects parallel results in their original order; the first error in that
/// order wins, whichever finished first.
fn in_order<T: Send>(results: impl IndexedParallelIterator<Item = Result<T>>) -> Result<Vec<T>> {
    results.collect::<Vec<Result<T>>>().into_iter().collect()
}

/// Every YAML and JSON file must parse before anything is written;
/// CloudFormation templates (under `templates/`, or deployed as a stack) are
/// kept for the checks and documentation that read them.
fn check_file(f: RenderedFile, stacks: &[StackDoc]) -> Result<Checked> {
    let text = std::str::from_utf8(&f.content)
        .map_err(|_| Error::blueprint(&f.blueprint, format!("{} is not valid UTF-8", f.path)))?;
    let invalid = |problem: String| {
        Error::blueprint(
            &f.blueprint,
            format!("rendered {} is not valid: {problem}", f.path),
        )
    };
    let yaml = f.path.ends_with(".yaml") || f.path.ends_with(".yml");
    let mut doc = None;
    if f.path.ends_with(".ts") {
        typescript::check_balanced(text).map_err(invalid)?;
    } else if f.path.ends_with(".json") {
        serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| invalid(e.to_string()))?;
    } else if yaml
        && (f.path.starts_with("templates/") || stacks.iter().any(|s| s.template == f.path))
    {
        doc = Some(scan_template(text).map_err(invalid)?);
    } else if yaml {
        crate::yaml::scan_rendered(text, |_, _| {}).map_err(invalid)?;
    }
    Ok((f, doc))
}

/// Inline checkov skips (`Metadata.checkov.skip`) of every rendered template.
fn find_skips(parsed: &Parsed) -> Vec<SkipDoc> {
    let mut skips = Vec::new();
    for (path, doc) in parsed.iter().filter(|(p, _)| p.starts_with("templates/")) {
        for (resource, check, reason) in &doc.skips {
            skips.push(SkipDoc {
                check: check.clone(),
                file: path.clone(),
                resource: resource.clone(),
                reason: reason.clone(),
            });
        }
    }
    skips
}

/// Test functions named after controls (`def test_net_03_…`) in the rendered tests.
fn find_tests(files: &[RenderedFile]) -> BTreeMap<String, Vec<String>> {
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
            let mut parts = func.splitn(3, '_');
            let (Some(area), Some(num)) = (parts.next(), parts.next()) else {
                continue;
            };
            if num.len() == 2 && num.bytes().all(|b| b.is_ascii_digit()) {
                let id = format!("{}-{num}", area.to_uppercase());
                tests
                    .entry(id)
                    .or_default()
                    .push(format!("{}::test_{func}", f.path));
            }
        }
    }
    tests
}

/// A control a blueprint carries in this project (its `when` is true), with
/// where it lives.
struct Claim<'a> {
    blueprint: &'a str,
    id: &'a str,
    file: String,
    resource: String,
}

fn claim_controls<'a>(
    tera: &Tera,
    applied: &[&'a Blueprint],
    tctx: &tera::Context,
) -> Result<Vec<Claim<'a>>> {
    let mut claims = Vec::new();
    for bp in applied {
        for c in &bp.manifest.controls {
            if !eval_when(tera, bp, c.when.as_deref(), tctx)? {
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
    Ok(claims)
}

/// The controls of the project from the blueprints' claims, each with the
/// generated tests named after it; a claim without a test is refused.
fn collect_controls(claims: Vec<Claim>, files: &[RenderedFile]) -> Result<Vec<ControlDoc>> {
    let mut tests = find_tests(files);
    for (id, found) in typescript::jest_tests(files) {
        tests.entry(id).or_default().extend(found);
    }
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
            tests: found,
        });
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

    #[test]
    fn tag_lists_are_valid_yaml_with_tags() {
        let fixed = vec![
            ("Project".into(), "p".into()),
            ("Owner".into(), "a: b # c".into()),
        ];
        let text = format!("Tags: {}\n", cfn_tags_list(&fixed, Some("vpc")));
        let parsed: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let tags = parsed["Tags"].as_sequence().unwrap();
        assert_eq!(tags.len(), 4);
        assert_eq!(tags[3]["Value"].as_str(), Some("a: b # c"));
    }
}
