//! The flavours stackwright knows, each behind the engine's
//! [`Flavour`](crate::blueprint::flavour::Flavour) interface. The engine never
//! imports this module; commands pick a flavour here by name and hand it over.

pub mod cdk;
pub mod cloudformation;
pub mod handlers;
pub mod terraform;

use std::borrow::Cow;

use crate::answers::validate::Problem;
use crate::answers::{Answers, Findings, Loaded};
use crate::blueprint::{self, flavour::Flavour, source, Blueprint, Plan};
use crate::error::Result;

/// The flavour for a `flavor:` answer. A flavour of your own (a folder of
/// `--blueprints DIR`) that stackwright has no model for gets the
/// CloudFormation stack model: stacks its blueprints declare get parameter
/// files, and without stacks none are written.
pub fn for_name(name: &str) -> &'static dyn Flavour {
    FLAVOURS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(&cloudformation::CloudFormation, |(_, f)| *f)
}

/// Flavour name → its model.
static FLAVOURS: &[(&str, &dyn Flavour)] = &[
    ("cloudformation", &cloudformation::CloudFormation),
    ("cdk", &cdk::Cdk),
    ("terraform", &terraform::Terraform),
];

/// The answer rules of the flavour the answers name, for
/// [`answers::load`](crate::answers::load) and the commands that load answers.
pub fn answer_rules(a: &Answers) -> Findings {
    for_name(&a.flavor).answer_rules(a)
}

/// Terraform state settings are refused by a flavour whose state is not a
/// Terraform backend (CloudFormation and CDK keep theirs in CloudFormation).
fn terraform_state_only(a: &Answers, found: &mut Findings) {
    if a.state.lock_table {
        found.refuse(
            "state.lock_table",
            Problem::new(format!(
                "a DynamoDB lock table is a Terraform state setting, and flavor is {}",
                a.flavor
            ))
            .hint(
                "set flavor: terraform, or remove state.lock_table (S3 lock files need no table)",
            ),
        );
    }
}

/// Renders with the flavour the answers name.
pub fn render(loaded: &Loaded, blueprints: &[Blueprint]) -> Result<Plan> {
    blueprint::render(loaded, for_name(&loaded.answers.flavor), blueprints)
}

/// The blueprints of `flavor` when the questions started with `start_flavor`
/// and its blueprints `start`: a built-in flavour chosen on the way is read
/// from the binary.
pub fn blueprints_for<'a>(
    flavor: &str,
    start_flavor: &str,
    start: &'a [Blueprint],
) -> Result<Cow<'a, [Blueprint]>> {
    if flavor == start_flavor {
        return Ok(Cow::Borrowed(start));
    }
    Ok(Cow::Owned(source::builtin(flavor)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flavour_chosen_on_the_way_renders_with_its_own_blueprints() {
        let cfn = source::builtin("cloudformation").unwrap();
        let same = blueprints_for("cloudformation", "cloudformation", &cfn).unwrap();
        assert!(matches!(same, Cow::Borrowed(_)));
        let tf = blueprints_for("terraform", "cloudformation", &cfn).unwrap();
        assert!(tf.iter().any(|b| b
            .manifest
            .files
            .iter()
            .any(|f| f.to == "modules/network/main.tf")));
        assert!(source::builtin_flavours().contains(&"terraform"));
    }
}
