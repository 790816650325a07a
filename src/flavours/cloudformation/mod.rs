//! The CloudFormation flavour: tag functions for its templates, and the stack
//! deploy model — stacks in deploy order, `params/<env>.json` per environment
//! and `params/pipeline.json`, checked against each template's `Parameters`;
//! and what the stacks keep when they are deleted ([`retained`]).

pub mod inventory;
pub mod retained;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use tera::{Kwargs, State, Tera};

use crate::answers::{model::BUILTIN_FLAVOR, Answers, Findings};
use crate::blueprint::flavour::{Deploy, Doc, Eval, Flavour, Texts};
use crate::blueprint::manifest::{self, Scope};
use crate::blueprint::{quote, Blueprint, Context, SkipDoc};
use crate::error::{Error, Result};
use crate::output::{safe_relative_path, RenderedFile};

/// CloudFormation templates deployed as stacks with parameter files.
pub struct CloudFormation;

impl Flavour for CloudFormation {
    fn register(&self, tera: &mut Tera, a: &Answers) {
        super::handlers::register(tera);
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
    }

    fn answer_rules(&self, a: &Answers) -> Findings {
        let mut found = Findings::default();
        super::terraform_state_only(a, &mut found);
        found
    }

    fn deploy(
        &self,
        answers: &Answers,
        eval: &Eval,
        applied: &[&Blueprint],
        tctx: &tera::Context,
    ) -> Result<Box<dyn Deploy>> {
        Ok(Box::new(Stacks {
            stacks: collect_stacks(eval, applied, tctx)?,
            retained: retained::retained(answers),
        }))
    }

    fn inventory(&self, files: &Texts, answers: &Answers, blueprints: &[Blueprint]) -> String {
        inventory::cloudformation(files, answers, blueprints)
    }

    fn next_steps(&self, target: &Path, a: &Answers) -> Option<String> {
        (a.flavor == BUILTIN_FLAVOR).then(|| format!(
            "next:\n  cd {}\n  make venv          # .venv with the pinned cfn-lint, checkov, pytest and boto3\n  make test          # offline unit tests, one per control\n  make lint scan     # cfn-lint and checkov\n  make help          # the first deployment in order: push, bootstrap, preflight ENV={}, pipeline (README.md)\n",
            target.display(),
            a.environments.first().map(|e| e.name.as_str()).unwrap_or("dev")
        ))
    }
}

/// A stack of the project, in deploy order.
#[derive(Debug, Clone, Serialize)]
pub struct StackDoc {
    pub name: String,
    pub template: String,
    pub scope: Scope,
    pub blueprint: String,
}

/// The stacks of one project.
pub struct Stacks {
    pub stacks: Vec<StackDoc>,
    /// What the stacks keep when they are deleted.
    pub retained: Vec<retained::RetainedDoc>,
}

impl Deploy for Stacks {
    fn context(&self, tctx: &mut tera::Context) {
        tctx.insert("stacks", &self.stacks);
        tctx.insert("retained", &self.retained);
    }

    fn files(
        &self,
        eval: &Eval,
        applied: &[&Blueprint],
        tctx: &tera::Context,
        env_ctxs: &[tera::Context],
        ctx: &Context,
    ) -> Result<Vec<RenderedFile>> {
        // Parameter files exist for flavours that deploy stacks.
        if self.stacks.is_empty() {
            return Ok(Vec::new());
        }
        render_params(eval, applied, tctx, env_ctxs, ctx)
    }

    fn read(&self, path: &str, text: &str) -> Option<std::result::Result<Doc, String>> {
        let yaml = path.ends_with(".yaml") || path.ends_with(".yml");
        if yaml
            && (path.starts_with("templates/") || self.stacks.iter().any(|s| s.template == path))
        {
            Some(scan_template(text).map(|d| Box::new(d) as Doc))
        } else {
            None
        }
    }

    fn finish(
        &self,
        docs: BTreeMap<String, Doc>,
        files: &[RenderedFile],
        summary: &mut tera::Context,
    ) -> Result<Vec<SkipDoc>> {
        let parsed: Parsed = docs
            .into_iter()
            .filter_map(|(path, doc)| Some((path, *doc.downcast::<TemplateDoc>().ok()?)))
            .collect();
        let params = parse_params(files);
        check_parameters(&self.stacks, files, &parsed, &params)?;
        summary.insert(
            "stack_parameters",
            &stack_parameters(&self.stacks, &parsed, &params),
        );
        Ok(find_skips(&parsed))
    }
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

fn collect_stacks(
    eval: &Eval,
    applied: &[&Blueprint],
    tctx: &tera::Context,
) -> Result<Vec<StackDoc>> {
    let mut stacks = Vec::new();
    for bp in applied {
        for st in &bp.manifest.stacks {
            if eval.when(bp, st.when.as_deref(), tctx)? {
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
    eval: &Eval,
    applied: &[&Blueprint],
    tctx: &tera::Context,
    env_ctxs: &[tera::Context],
    ctx: &Context,
) -> Result<Vec<RenderedFile>> {
    type Params = BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>;
    let render_one = |bp: &Blueprint,
                      st: &manifest::StackSpec,
                      c: &tera::Context|
     -> Result<BTreeMap<String, String>> {
        let mut values = BTreeMap::new();
        for (key, expr) in &st.parameters {
            let what = format!("parameter {key} of stack {}", st.name);
            values.insert(key.clone(), eval.expand(bp, &what, expr, c)?);
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
                if wanted && eval.when(bp, st.when.as_deref(), c)? {
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
            if eval.when(bp, st.when.as_deref(), tctx)? {
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
pub(crate) struct TemplateDoc {
    parameters: Option<serde_yaml::Mapping>,
    /// (resource, check id, reason) in document order.
    pub(crate) skips: Vec<(String, String, String)>,
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
pub(crate) fn scan_template(text: &str) -> std::result::Result<TemplateDoc, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
