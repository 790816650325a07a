//! What `new --dry-run` lists besides the files: per environment, the units
//! the project deploys (CloudFormation stacks, Terraform roots and their
//! module instantiations, CDK stages and their stacks) and how many resources
//! each declares, counted in the rendered files.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;

use crate::answers::Answers;
use crate::blueprint::Blueprint;
use crate::output::RenderedFile;

/// The inventory as text, for the flavour the answers name.
pub fn text(files: &[RenderedFile], answers: &Answers, blueprints: &[Blueprint]) -> String {
    let by_path: BTreeMap<&str, &str> = files
        .iter()
        .filter_map(|f| Some((f.path.as_str(), std::str::from_utf8(&f.content).ok()?)))
        .collect();
    match answers.flavor.as_str() {
        "terraform" => terraform(&by_path, answers),
        "cdk" => cdk(&by_path, answers),
        _ => cloudformation(&by_path, answers, blueprints),
    }
}

type Files<'a> = BTreeMap<&'a str, &'a str>;

// ---- CloudFormation -------------------------------------------------------

#[derive(Deserialize)]
struct Template {
    #[serde(rename = "Resources", default)]
    resources: BTreeMap<String, Resource>,
}

#[derive(Deserialize)]
struct Resource {
    #[serde(rename = "Condition")]
    condition: Option<serde_yaml::Value>,
}

/// (resources, of them conditional) declared in a template, or why not.
pub fn count_template(text: &str) -> Result<(usize, usize), String> {
    let t: Template = crate::yaml::parse_any(text)?;
    let conditional = t
        .resources
        .values()
        .filter(|r| r.condition.is_some())
        .count();
    Ok((t.resources.len(), conditional))
}

/// The stacks of each environment in deploy order, read from the parameter
/// files the project carries (`params/<env>.json` names every stack that
/// environment deploys) and the blueprints' stack order.
fn cloudformation(files: &Files, answers: &Answers, blueprints: &[Blueprint]) -> String {
    let stacks: Vec<(&str, &str)> = blueprints
        .iter()
        .flat_map(|bp| bp.manifest.stacks.iter())
        .filter(|s| files.contains_key(s.template.as_str()))
        .map(|s| (s.name.as_str(), s.template.as_str()))
        .collect();
    let mut out = String::from(
        "Stacks per environment, in deploy order, with the resources each rendered template declares\n\
         (conditional: declared with a Condition, created only where it holds):\n",
    );
    let mut groups: Vec<(String, String)> = answers
        .environments
        .iter()
        .map(|e| (e.name.clone(), format!("params/{}.json", e.name)))
        .collect();
    groups.push(("pipeline (once)".into(), "params/pipeline.json".into()));
    let mut any = false;
    for (group, params) in groups {
        let Some(wanted) = files
            .get(params.as_str())
            .and_then(|t| serde_json::from_str::<BTreeMap<String, serde_json::Value>>(t).ok())
        else {
            continue;
        };
        let mut rows = Vec::new();
        let mut seen = Vec::new();
        for (name, template) in &stacks {
            if !wanted.contains_key(*name) || seen.contains(name) {
                continue;
            }
            seen.push(name);
            rows.push(match count_template(files[template]) {
                Ok((n, c)) => (
                    format!("{name:<12} {template:<28}"),
                    n,
                    format!("{n:>4} resources{}", conditional(c)),
                ),
                Err(e) => (
                    format!("{name:<12} {template:<28}"),
                    0,
                    format!("not counted: {e}"),
                ),
            });
        }
        if rows.is_empty() {
            continue;
        }
        any = true;
        let total: usize = rows.iter().map(|r| r.1).sum();
        let _ = writeln!(
            out,
            "  {group}: {} stack{}, {total} resources",
            rows.len(),
            plural(rows.len())
        );
        for (head, _, count) in rows {
            let _ = writeln!(out, "    {head} {count}");
        }
    }
    if !any {
        out.push_str("  no stacks\n");
    }
    out
}

fn conditional(c: usize) -> String {
    if c == 0 {
        String::new()
    } else {
        format!(" ({c} conditional)")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

// ---- Terraform ------------------------------------------------------------

/// `resource` blocks in one folder's `.tf` files, and the folders its
/// `module` blocks instantiate: (resources, with count/for_each, modules).
fn tf_folder<'a>(files: &Files<'a>, dir: &str) -> (usize, usize, Vec<(String, String)>) {
    let (mut resources, mut repeated, mut modules) = (0, 0, Vec::new());
    let prefix = format!("{dir}/");
    for (path, text) in files.range(prefix.as_str()..) {
        let Some(rest) = path.strip_prefix(&prefix) else {
            break;
        };
        if rest.contains('/') || !rest.ends_with(".tf") {
            continue;
        }
        let Ok(body) = hcl::parse(text) else { continue };
        for b in body.blocks() {
            match b.identifier() {
                "resource" => {
                    resources += 1;
                    if b.body()
                        .attributes()
                        .any(|a| a.key() == "count" || a.key() == "for_each")
                    {
                        repeated += 1;
                    }
                }
                "module" => {
                    let source = b
                        .body()
                        .attributes()
                        .find(|a| a.key() == "source")
                        .and_then(|a| match a.expr() {
                            hcl::Expression::String(s) => Some(s.clone()),
                            _ => None,
                        });
                    if let (Some(label), Some(source)) = (b.labels().first(), source) {
                        modules.push((label.as_str().to_string(), join(dir, &source)));
                    }
                }
                _ => {}
            }
        }
    }
    (resources, repeated, modules)
}

/// `dir` joined with a relative module source (`../../modules/network`).
fn join(dir: &str, source: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').collect();
    for p in source.split('/') {
        match p {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Resources of one module instantiation, its nested modules included.
fn tf_module(files: &Files, dir: &str, depth: usize) -> (usize, usize) {
    let (mut n, mut r, modules) = tf_folder(files, dir);
    if depth < 8 {
        for (_, sub) in modules {
            let (sn, sr) = tf_module(files, &sub, depth + 1);
            n += sn;
            r += sr;
        }
    }
    (n, r)
}

fn terraform(files: &Files, answers: &Answers) -> String {
    let mut out = String::from(
        "Terraform roots per environment, the module instantiations of each and their `resource`\n\
         blocks (nested modules included; a block with count or for_each counted once):\n",
    );
    let mut roots: Vec<(String, String)> = answers
        .environments
        .iter()
        .map(|e| (e.name.clone(), format!("envs/{}", e.name)))
        .collect();
    roots.push(("pipeline (once)".into(), "pipeline".into()));
    let mut any = false;
    for (group, dir) in roots {
        let (own, own_r, modules) = tf_folder(files, &dir);
        if own == 0 && modules.is_empty() {
            continue;
        }
        any = true;
        let mut rows = Vec::new();
        if own > 0 {
            rows.push((format!("{dir}/ (root)"), own, own_r));
        }
        for (label, source) in &modules {
            let (n, r) = tf_module(files, source, 0);
            rows.push((format!("module.{label} ({source})"), n, r));
        }
        let total: usize = rows.iter().map(|r| r.1).sum();
        let _ = writeln!(
            out,
            "  {group}: root {dir}/, {} module{}, {total} resource blocks",
            modules.len(),
            plural(modules.len())
        );
        for (head, n, r) in rows {
            let _ = writeln!(
                out,
                "    {head:<44} {n:>4} resources{}",
                if r == 0 {
                    String::new()
                } else {
                    format!(" ({r} with count/for_each)")
                }
            );
        }
    }
    if !any {
        out.push_str("  no roots\n");
    }
    out
}

// ---- CDK --------------------------------------------------------------------

/// `new XStack(scope, 'Id'` constructions in one TypeScript file, in order.
fn cdk_stacks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in text.split("new ").skip(1) {
        let Some((class, rest)) = part.split_once('(') else {
            continue;
        };
        if !class.ends_with("Stack") || !class.chars().all(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let id = rest
            .split(',')
            .nth(1)
            .map(|s| s.trim().trim_matches(|c| c == '\'' || c == '"' || c == '`'))
            .unwrap_or("");
        out.push(if id.is_empty() {
            class.to_string()
        } else {
            id.to_string()
        });
    }
    out
}

fn cdk(files: &Files, answers: &Answers) -> String {
    let mut out = String::from(
        "CDK stages per environment and the stacks of each (lib/stage.ts); their resources exist\n\
         only once the app is synthesized (`npx cdk synth`), so stackwright does not count them:\n",
    );
    let stage = files
        .get("lib/stage.ts")
        .map(|t| cdk_stacks(t))
        .unwrap_or_default();
    for e in &answers.environments {
        let _ = writeln!(
            out,
            "  {}: stage {}, {} stack{}: {}",
            e.name,
            e.name,
            stage.len(),
            plural(stage.len()),
            stage.join(", ")
        );
    }
    let pipeline = files
        .get("lib/app.ts")
        .map(|t| cdk_stacks(t))
        .unwrap_or_default();
    if !pipeline.is_empty() {
        let _ = writeln!(
            out,
            "  pipeline (once): {} stack{}: {}",
            pipeline.len(),
            plural(pipeline.len()),
            pipeline.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_counts_its_resources_and_the_conditional_ones() {
        let t = "Conditions:\n  HasNat: !Equals [a, a]\nResources:\n  A:\n    Type: AWS::S3::Bucket\n  B:\n    Type: AWS::EC2::NatGateway\n    Condition: HasNat\n    Properties: {AllocationId: !Ref X}\nOutputs: {}\n";
        assert_eq!(count_template(t), Ok((2, 1)));
        assert_eq!(count_template("Resources: {}\n"), Ok((0, 0)));
    }

    #[test]
    fn terraform_modules_are_followed_through_relative_sources() {
        let files: Files = [
            ("envs/dev/main.tf", "module \"net\" {\n  source = \"../../modules/network\"\n}\nresource \"aws_s3_bucket\" \"x\" {}\n"),
            ("modules/network/main.tf", "resource \"aws_vpc\" \"v\" {}\nresource \"aws_subnet\" \"s\" {\n  count = 2\n}\nmodule \"b\" {\n  source = \"../bucket\"\n}\n"),
            ("modules/network/variables.tf", "variable \"x\" {}\n"),
            ("modules/bucket/main.tf", "resource \"aws_s3_bucket\" \"b\" {}\n"),
        ]
        .into_iter()
        .collect();
        assert_eq!(join("envs/dev", "../../modules/network"), "modules/network");
        assert_eq!(tf_module(&files, "modules/network", 0), (3, 1));
        let (own, _, modules) = tf_folder(&files, "envs/dev");
        assert_eq!((own, modules.len()), (1, 1));
    }

    #[test]
    fn cdk_stacks_are_read_from_their_constructions() {
        let ts = "this.a = new SecurityStack(this, 'Security', {});\nconst b = new NetworkStack(this, 'Network', { x });\nnew Map();\n";
        assert_eq!(cdk_stacks(ts), ["Security", "Network"]);
    }
}
