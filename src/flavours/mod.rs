//! The flavours stackwright knows, each behind the engine's
//! [`Flavour`](crate::blueprint::flavour::Flavour) interface. The engine never
//! imports this module; commands pick a flavour here by name and hand it over.

pub mod cloudformation;
pub mod terraform;

use crate::answers::Loaded;
use crate::blueprint::{self, flavour::Flavour, Blueprint, Plan};
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
    ("terraform", &terraform::Terraform),
];

/// Renders with the flavour the answers name.
pub fn render(loaded: &Loaded, blueprints: &[Blueprint]) -> Result<Plan> {
    blueprint::render(loaded, for_name(&loaded.answers.flavor), blueprints)
}
