//! The stages of each environment and their stacks, for `new --dry-run`.

use std::fmt::Write as _;

use crate::answers::Answers;
use crate::blueprint::flavour::Texts as Files;
use crate::inventory::plural;

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

pub fn cdk(files: &Files, answers: &Answers) -> String {
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
    fn cdk_stacks_are_read_from_their_constructions() {
        let ts = "this.a = new SecurityStack(this, 'Security', {});\nconst b = new NetworkStack(this, 'Network', { x });\nnew Map();\n";
        assert_eq!(cdk_stacks(ts), ["Security", "Network"]);
    }
}
