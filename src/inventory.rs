//! What `new --dry-run` lists besides the files: per environment, the units
//! the project deploys and how many resources each declares, counted in the
//! rendered files. Each flavour knows its units
//! ([`Flavour::inventory`](crate::blueprint::flavour::Flavour::inventory):
//! CloudFormation stacks, Terraform roots and their module instantiations,
//! CDK stages and their stacks); this module hands it the rendered texts.

use crate::answers::Answers;
use crate::blueprint::flavour::{Flavour, Texts};
use crate::blueprint::Blueprint;
use crate::output::RenderedFile;

/// The inventory as text, by the flavour's model.
pub fn text(
    files: &[RenderedFile],
    answers: &Answers,
    blueprints: &[Blueprint],
    flavour: &dyn Flavour,
) -> String {
    let by_path: Texts = files
        .iter()
        .filter_map(|f| Some((f.path.as_str(), std::str::from_utf8(&f.content).ok()?)))
        .collect();
    flavour.inventory(&by_path, answers, blueprints)
}

pub fn conditional(c: usize) -> String {
    if c == 0 {
        String::new()
    } else {
        format!(" ({c} conditional)")
    }
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
