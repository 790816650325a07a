//! The blueprint manifest (`blueprint.yaml`): what a blueprint writes, when it
//! applies, and which controls it carries.

use serde::{Deserialize, Serialize};

/// Manifest of one blueprint folder.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Unique within a flavour; a user blueprint with the same name replaces the built-in one.
    pub name: String,
    /// One line for `blueprints list`.
    pub description: String,
    /// Render order among blueprints (lower first); ties break by name.
    #[serde(default)]
    pub order: i32,
    /// A Tera expression over the context; the blueprint applies when it is true.
    #[serde(default)]
    pub when: Option<String>,
    /// Controls from the catalog this blueprint implements, with where they live.
    #[serde(default)]
    pub controls: Vec<ControlRef>,
    /// CloudFormation stacks this blueprint's templates are deployed as, with the
    /// parameter values each environment passes (collected into `params/<env>.json`).
    #[serde(default)]
    pub stacks: Vec<StackSpec>,
    /// Files to write.
    pub files: Vec<FileSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StackSpec {
    /// Stack suffix: deployed as `<project>-<env>-<name>` (or `<project>-<name>` for the pipeline scope).
    pub name: String,
    /// Output path of the template this stack deploys.
    pub template: String,
    /// `environment` (once per environment), `account` (once per environment that has an
    /// account_id, deployed in that account), or `pipeline` (once, in the pipeline's account).
    #[serde(default)]
    pub scope: Scope,
    /// A Tera expression; the stack exists only when true.
    #[serde(default)]
    pub when: Option<String>,
    /// Parameter name → Tera string, rendered with `env` in the context (not for `pipeline`).
    #[serde(default)]
    pub parameters: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    Environment,
    Account,
    Pipeline,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ControlRef {
    /// Catalog id such as `NET-03`.
    pub id: String,
    /// Output file the control lives in (rendered as a Tera string).
    pub file: String,
    /// Resource(s) or section carrying the control (rendered as a Tera string).
    pub resource: String,
    /// A Tera expression; the control is listed only when true.
    #[serde(default)]
    pub when: Option<String>,
    /// Why the control does not apply when `when` is false, shown as the
    /// not-applicable reason (rendered as a Tera string), e.g. "not applicable
    /// because security.account_trail is existing".
    #[serde(default)]
    pub why_not: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// Template path inside the blueprint folder.
    pub template: String,
    /// Output path inside the project; a Tera string (`params/{{ env.name }}.json`).
    pub to: String,
    /// Render once per environment, with `env` in the context.
    #[serde(default)]
    pub per_environment: bool,
    /// A Tera expression; the file is written only when true.
    #[serde(default)]
    pub when: Option<String>,
    /// Rendered after all other files, with `controls`, `skips` and `files` in the context
    /// (for README.md and docs/controls.md).
    #[serde(default)]
    pub summary: bool,
}
