//! The stacks of each environment and the resources their templates declare,
//! for `new --dry-run`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;

use crate::answers::Answers;
use crate::blueprint::flavour::Texts as Files;
use crate::blueprint::Blueprint;
use crate::inventory::{conditional, plural};

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
pub fn cloudformation(files: &Files, answers: &Answers, blueprints: &[Blueprint]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_counts_its_resources_and_the_conditional_ones() {
        let t = "Conditions:\n  HasNat: !Equals [a, a]\nResources:\n  A:\n    Type: AWS::S3::Bucket\n  B:\n    Type: AWS::EC2::NatGateway\n    Condition: HasNat\n    Properties: {AllocationId: !Ref X}\nOutputs: {}\n";
        assert_eq!(count_template(t), Ok((2, 1)));
        assert_eq!(count_template("Resources: {}\n"), Ok((0, 0)));
    }
}
