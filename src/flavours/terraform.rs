//! The Terraform flavour: one root module per environment (`envs/<env>/`)
//! calling the project's modules (`modules/<concern>/`), with its tfvars and
//! partial backend settings. Every `.tf`, `.tfvars` and `.hcl` file is parsed
//! (the format table); this model then checks what Terraform would only find
//! at `init` or `plan`: every module call names a module the project writes,
//! passes only variables it declares and every variable it requires, and
//! every tfvars value is a variable of its root.

pub mod inventory;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use tera::{Kwargs, State, Tera};

use super::cloudformation::{scan_template, TemplateDoc};
use crate::answers::Answers;
use crate::blueprint::flavour::{control_of, python_tests, Deploy, Doc, Eval, Flavour, Texts};
use crate::blueprint::{Blueprint, SkipDoc};
use crate::error::{Error, Result};
use crate::output::RenderedFile;

/// Terraform root modules per environment over shared modules.
pub struct Terraform;

impl Flavour for Terraform {
    fn register(&self, tera: &mut Tera, a: &Answers) {
        tera.register_filter("hcl_str", |s: &str, _: Kwargs, _: &State| hcl_quote(s));
        let mut fixed = vec![
            ("Project".to_string(), a.project.name.clone()),
            ("Environment".to_string(), String::new()),
            ("Owner".to_string(), a.project.owner.clone()),
            ("CostCenter".to_string(), a.project.cost_center.clone()),
            ("ManagedBy".to_string(), "stackwright".to_string()),
        ];
        fixed.extend(a.project.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
        tera.register_function(
            "tf_tags",
            move |kwargs: Kwargs, _: &State| -> tera::TeraResult<String> {
                let env: &str = kwargs.must_get("environment")?;
                let indent: Option<usize> = kwargs.get("indent")?;
                let tags: Vec<(String, String)> = fixed
                    .iter()
                    .map(|(k, v)| {
                        let v = if k == "Environment" { env } else { v.as_str() };
                        (k.clone(), v.to_string())
                    })
                    .collect();
                Ok(hcl_object(&tags, indent.unwrap_or(0)))
            },
        );
    }

    fn deploy(
        &self,
        _answers: &Answers,
        _eval: &Eval,
        _applied: &[&Blueprint],
        _tctx: &tera::Context,
    ) -> Result<Box<dyn Deploy>> {
        Ok(Box::new(Roots))
    }

    fn inventory(&self, files: &Texts, answers: &Answers, _blueprints: &[Blueprint]) -> String {
        inventory::terraform(files, answers)
    }

    fn next_steps(&self, target: &Path, a: &Answers) -> Option<String> {
        let env = a
            .environments
            .first()
            .map(|e| e.name.as_str())
            .unwrap_or("dev");
        Some(format!(
            "next:\n  cd {}\n  make test          # terraform test (mock provider) and the offline pytest suite\n  make lint scan     # fmt, validate, tflint and checkov\n  make plan ENV={env} # after the bootstrap stack; see README.md\n",
            target.display()
        ))
    }
}

/// A double-quoted HCL string: JSON escapes, and `${` / `%{` kept literal.
pub fn hcl_quote(s: &str) -> String {
    serde_json::to_string(s)
        .expect("strings serialize")
        .replace("${", "$${")
        .replace("%{", "%%{")
}

/// A key as HCL writes it: bare when it is an identifier, quoted otherwise.
fn hcl_key(k: &str) -> String {
    let ident = k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ident {
        k.to_string()
    } else {
        hcl_quote(k)
    }
}

/// A multi-line HCL object of strings, `=` aligned as `terraform fmt` aligns them.
pub fn hcl_object(entries: &[(String, String)], indent: usize) -> String {
    let keys: Vec<String> = entries.iter().map(|(k, _)| hcl_key(k)).collect();
    let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
    let pad = " ".repeat(indent + 2);
    let mut out = String::from("{\n");
    for (key, (_, v)) in keys.iter().zip(entries) {
        let gap = " ".repeat(width - key.chars().count());
        out.push_str(&format!("{pad}{key}{gap} = {}\n", hcl_quote(v)));
    }
    out.push_str(&" ".repeat(indent));
    out.push('}');
    out
}

/// The deploy model: the root modules are the `envs/<env>/` folders.
struct Roots;

/// A parsed `.tf` or `.tfvars` file, with its text for the checker skips.
struct TfDoc {
    body: hcl::Body,
    text: String,
}

const META_ARGUMENTS: [&str; 6] = [
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "depends_on",
];

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `a/b/../../c` relative to `dir`, lexically.
fn join(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Variables of a module folder: name → has a default.
fn variables<'a>(docs: &'a BTreeMap<String, TfDoc>, dir: &str) -> BTreeMap<&'a str, bool> {
    let mut out = BTreeMap::new();
    for (path, doc) in docs {
        if dir_of(path) != dir || !path.ends_with(".tf") {
            continue;
        }
        for b in doc.body.blocks().filter(|b| b.identifier() == "variable") {
            if let Some(label) = b.labels().first() {
                let has_default = b.body().attributes().any(|a| a.key() == "default");
                out.insert(label.as_str(), has_default);
            }
        }
    }
    out
}

impl Deploy for Roots {
    fn read(&self, path: &str, text: &str) -> Option<std::result::Result<Doc, String>> {
        // The CloudFormation stacks of the project (the state bucket, the
        // apply roles): read like the CloudFormation flavour reads its templates.
        if path.starts_with("bootstrap/") && path.ends_with(".yaml") {
            return Some(scan_template(text).map(|d| Box::new(d) as Doc));
        }
        if !(path.ends_with(".tf") || path.ends_with(".tfvars")) {
            return None;
        }
        Some(
            hcl::parse(text)
                .map(|body| {
                    Box::new(TfDoc {
                        body,
                        text: text.to_string(),
                    }) as Doc
                })
                .map_err(|e| e.to_string()),
        )
    }

    fn finish(
        &self,
        docs: BTreeMap<String, Doc>,
        files: &[RenderedFile],
        _summary: &mut tera::Context,
    ) -> Result<Vec<SkipDoc>> {
        let mut docs_tf = BTreeMap::new();
        let mut stacks = BTreeMap::new();
        for (path, doc) in docs {
            match doc.downcast::<TfDoc>() {
                Ok(tf) => {
                    docs_tf.insert(path, *tf);
                }
                Err(other) => {
                    if let Ok(t) = other.downcast::<TemplateDoc>() {
                        stacks.insert(path, *t);
                    }
                }
            }
        }
        let docs = docs_tf;
        let blueprint_of = |path: &str| {
            files
                .iter()
                .find(|f| f.path == path)
                .map_or("stackwright", |f| f.blueprint.as_str())
                .to_string()
        };
        let dirs: BTreeSet<&str> = docs
            .keys()
            .filter(|p| p.ends_with(".tf"))
            .map(|p| dir_of(p))
            .collect();
        // Module calls.
        for (path, doc) in docs.iter().filter(|(p, _)| p.ends_with(".tf")) {
            for call in doc.body.blocks().filter(|b| b.identifier() == "module") {
                let name = call.labels().first().map_or("", |l| l.as_str());
                let fail = |msg: String| {
                    Err(Error::blueprint(
                        blueprint_of(path),
                        format!("{path}: module \"{name}\": {msg}"),
                    ))
                };
                let Some(source) = call.body().attributes().find(|a| a.key() == "source") else {
                    return fail("has no source".into());
                };
                let hcl::Expression::String(source) = source.expr() else {
                    return fail("source is not a literal string".into());
                };
                if !source.starts_with("./") && !source.starts_with("../") {
                    continue; // a registry or remote module: not ours to check
                }
                let target = join(dir_of(path), source).unwrap_or_default();
                if !dirs.contains(target.as_str()) {
                    return fail(format!(
                        "source {source} is {target}/, where the project writes no .tf file"
                    ));
                }
                let declared = variables(&docs, &target);
                let passed: BTreeSet<&str> = call
                    .body()
                    .attributes()
                    .map(|a| a.key())
                    .filter(|k| !META_ARGUMENTS.contains(k))
                    .collect();
                for arg in &passed {
                    if !declared.contains_key(arg) {
                        let known: Vec<&str> = declared.keys().copied().collect();
                        return fail(format!(
                            "passes {arg}, which {target}/ does not declare (its variables: {})",
                            known.join(", ")
                        ));
                    }
                }
                for (var, has_default) in &declared {
                    if !has_default && !passed.contains(var) {
                        return fail(format!(
                            "does not pass {var}, which {target}/ declares without a default"
                        ));
                    }
                }
            }
        }
        // tfvars against the variables of their root.
        for (path, doc) in docs.iter().filter(|(p, _)| p.ends_with(".tfvars")) {
            let dir = dir_of(path);
            let declared = variables(&docs, dir);
            for a in doc.body.attributes() {
                if !declared.contains_key(a.key()) {
                    return Err(Error::blueprint(
                        blueprint_of(path),
                        format!(
                            "{path} sets {}, which {dir}/ does not declare as a variable",
                            a.key()
                        ),
                    ));
                }
            }
            for (var, has_default) in &declared {
                if !has_default && !doc.body.attributes().any(|a| a.key() == *var) {
                    return Err(Error::blueprint(
                        blueprint_of(path),
                        format!(
                            "{dir}/ declares {var} without a default, but {path} does not set it"
                        ),
                    ));
                }
            }
        }
        let mut skips = find_skips(&docs);
        for (path, doc) in &stacks {
            for (resource, check, reason) in &doc.skips {
                skips.push(SkipDoc {
                    check: check.clone(),
                    file: path.clone(),
                    resource: resource.clone(),
                    reason: reason.clone(),
                });
            }
        }
        Ok(skips)
    }

    fn tests(&self, files: &[RenderedFile]) -> BTreeMap<String, Vec<String>> {
        let mut tests = python_tests(files);
        for f in files.iter().filter(|f| f.path.ends_with(".tftest.hcl")) {
            let Ok(body) = hcl::parse(std::str::from_utf8(&f.content).unwrap_or_default()) else {
                continue;
            };
            for run in body.blocks().filter(|b| b.identifier() == "run") {
                let Some(name) = run.labels().first().map(|l| l.as_str()) else {
                    continue;
                };
                if let Some(id) = control_of(name) {
                    tests
                        .entry(id)
                        .or_default()
                        .push(format!("{}::{name}", f.path));
                }
            }
        }
        tests
    }
}

/// Inline checkov skips (`#checkov:skip=CKV_X:reason`) with the resource they sit in.
fn find_skips(docs: &BTreeMap<String, TfDoc>) -> Vec<SkipDoc> {
    let mut skips = Vec::new();
    for (path, doc) in docs.iter().filter(|(p, _)| p.ends_with(".tf")) {
        let mut resource = String::new();
        for line in doc.text.lines() {
            let t = line.trim();
            if let Some(rest) = t
                .strip_prefix("resource ")
                .or_else(|| t.strip_prefix("data "))
                .or_else(|| t.strip_prefix("module "))
            {
                let labels: Vec<&str> = rest
                    .split('"')
                    .enumerate()
                    .filter(|(i, _)| i % 2 == 1)
                    .map(|(_, s)| s)
                    .collect();
                resource = labels.join(".");
            }
            if let Some(skip) = t.strip_prefix("#checkov:skip=") {
                let (check, reason) = skip.split_once(':').unwrap_or((skip, ""));
                skips.push(SkipDoc {
                    check: check.trim().to_string(),
                    file: path.clone(),
                    resource: resource.clone(),
                    reason: reason.trim().to_string(),
                });
            }
        }
    }
    skips
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_strings_keep_interpolation_literal() {
        assert_eq!(hcl_quote("a${b}%{c}\"d"), r#""a$${b}%%{c}\"d""#);
        let body = hcl::parse(&format!("x = {}\n", hcl_quote("a${b}\n\"q\""))).unwrap();
        assert_eq!(body.attributes().count(), 1);
    }

    #[test]
    fn lexical_join() {
        assert_eq!(
            join("envs/dev", "../../modules/network").as_deref(),
            Some("modules/network")
        );
        assert_eq!(join("", "./modules/app").as_deref(), Some("modules/app"));
        assert_eq!(join("a", "../../x"), None);
    }
}
