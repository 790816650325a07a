//! The command line, declared with clap derive. Help text is written for people.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

/// `--preset` names, with their one-line descriptions (completed by the shell,
/// misspellings answered with the closest name).
fn preset_names() -> PossibleValuesParser {
    PossibleValuesParser::new(
        crate::answers::PRESETS
            .iter()
            .map(|p| PossibleValue::new(p.name).help(p.summary)),
    )
}

/// Region codes from the built-in region table, for `--region` and its completion.
fn region_codes() -> PossibleValuesParser {
    PossibleValuesParser::new(
        crate::aws::facts()
            .regions
            .iter()
            .map(|r| PossibleValue::new(r.code.as_str()).help(r.name.as_str())),
    )
}

/// Control IDs and families for `controls [ID]`: any text is accepted here (an
/// unknown one gets a did-you-mean from the command), while the shell
/// completes the catalog's IDs and family prefixes.
#[derive(Clone)]
struct ControlIds;

impl clap::builder::TypedValueParser for ControlIds {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        Ok(value.to_string_lossy().into_owned())
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let controls = &crate::aws::facts().controls;
        let mut families: Vec<PossibleValue> = Vec::new();
        for c in controls {
            let family = crate::controls::family(&c.id);
            if !families.iter().any(|p| p.get_name() == family) {
                families.push(PossibleValue::new(family).help(format!("{} controls", c.area)));
            }
        }
        let ids = controls
            .iter()
            .map(|c| PossibleValue::new(c.id.as_str()).help(c.title.as_str()));
        Some(Box::new(ids.chain(families)))
    }
}

/// The built-in flavours, for `controls --flavor` and its completion.
fn builtin_flavours() -> PossibleValuesParser {
    PossibleValuesParser::new(crate::blueprint::source::builtin_flavours())
}

/// Bootstrap a hardened AWS infrastructure project from answers.
///
/// stackwright asks (or reads) the region, environments, database engine,
/// pipeline stages and trusted CIDR ranges, then writes a complete
/// CloudFormation project: templates, per-environment parameters, buildspecs,
/// tests and documentation, with every control of its catalog built in.
#[derive(Debug, Parser)]
#[command(
    name = "stackwright",
    version,
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a new project.
    ///
    /// In a terminal, with no answers given, a full-screen wizard asks the questions
    /// (`--plain` asks them line by line). Non-interactive use:
    /// `stackwright new --answers team.yaml --out payments-stack`,
    /// or `stackwright new --defaults` for the built-in example answers.
    New(NewArgs),
    /// Update a generated project in place after changing an answer or upgrading stackwright.
    ///
    /// Re-renders the project from its stored answers (plus --set, --answers,
    /// --preset or the wizard) and merges the result into the files on disk,
    /// three-way, against what stackwright wrote last time: your edits stay,
    /// overlapping edits get conflict markers and exit code 3. Examples:
    /// `stackwright update --set database.engine=mysql`,
    /// `stackwright update --dry-run`, `stackwright update --to-current-versions`.
    Update(UpdateArgs),
    /// Write, check or describe answers files.
    #[command(subcommand)]
    Answers(AnswersCommand),
    /// List or inspect the blueprints a project is made from.
    #[command(subcommand)]
    Blueprints(BlueprintsCommand),
    /// Estimate what the project would cost a month, per environment and in total, before anything is created.
    ///
    /// Takes the same answers as `new` (`--answers`, `--set`, `--preset`, `--defaults`;
    /// with none of them, the built-in defaults) and prints every line item with its
    /// quantity, the assumptions and the dated price sources. An estimate, not a quote.
    Cost(CostArgs),
    /// The control catalog: each control, the failure it prevents and the post-mortem behind it.
    ///
    /// Inside a generated project (found by walking up to its `.stackwright/` folder, or
    /// `--project DIR`) it also shows where each control lives in that project, which
    /// test proves it, and which controls do not apply and why. Examples:
    /// `stackwright controls`, `stackwright controls NET-01`, `stackwright controls DB`,
    /// `stackwright controls --flavor terraform`, `stackwright controls --json`.
    Controls(ControlsArgs),
    /// Print a shell completion script, e.g. `stackwright completions bash > ~/.local/share/bash-completion/completions/stackwright`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: Shell,
    },
}

#[derive(Debug, Clone, Args)]
pub struct NewArgs {
    /// Answers file to read; `-` reads standard input.
    #[arg(long, short = 'a', value_name = "FILE", help_heading = "Answers")]
    pub answers: Option<String>,

    /// Override one answer, e.g. `--set region=eu-west-1` or `--set environments[1].approval=true`.
    /// The value is YAML: a list goes in brackets and is quoted for the shell,
    /// `--set 'network.trusted_cidrs=[10.0.0.0/8, 192.0.2.0/24]'`.
    /// Repeatable; applied last, after the answers file.
    #[arg(long = "set", value_name = "KEY=VALUE", help_heading = "Answers")]
    pub sets: Vec<String>,

    /// The AWS region, as `--set region=CODE` (completed from the built-in region table).
    #[arg(long, value_name = "CODE", value_parser = region_codes(), hide_possible_values = true, help_heading = "Answers")]
    pub region: Option<String>,

    /// Use a built-in preset as a base layer: same result for everyone in the room.
    /// `stackwright answers presets` lists them.
    #[arg(long, value_name = "NAME", value_parser = preset_names(), help_heading = "Answers")]
    pub preset: Option<String>,

    /// Accept the built-in defaults for everything not given otherwise; never asks.
    #[arg(long, help_heading = "Answers")]
    pub defaults: bool,

    /// Ask the questions line by line (plain prompts, for simple terminals and screen readers)
    /// instead of the full-screen wizard.
    #[arg(long, help_heading = "Answers")]
    pub plain: bool,

    /// Open the wizard even with --answers, --preset or --defaults, pre-filled from them:
    /// edit an existing answers file interactively.
    #[arg(long, help_heading = "Answers")]
    pub wizard: bool,

    /// Directory to create [default: ./<project name>].
    #[arg(long, short = 'o', value_name = "DIR", help_heading = "Output")]
    pub out: Option<PathBuf>,

    /// Print the files that would be written, with sizes, and write nothing.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,

    /// Write into a non-empty directory, updating stackwright's own files.
    /// Files stackwright does not write are never touched; nothing is deleted.
    #[arg(long, help_heading = "Output")]
    pub force: bool,

    /// Extra blueprint directory (`<flavour>/<name>/blueprint.yaml`); its blueprints add to or
    /// replace the built-in ones by name. Repeatable. `git+URL[@REF]` clones a git repository
    /// (tag, branch or commit) into the cache and records the commit in `.stackwright/lock.yaml`.
    #[arg(
        long = "blueprints",
        value_name = "DIR|git+URL",
        help_heading = "Blueprints"
    )]
    pub blueprint_dirs: Vec<PathBuf>,

    /// The git blueprint set `--blueprints git+URL` resolved to (filled in, not a flag).
    #[arg(skip)]
    pub blueprint_git: Option<crate::update::lock::GitPin>,
}

#[derive(Debug, Clone, Args)]
pub struct ControlsArgs {
    /// A control ID such as `NET-01` (shown in full), or a family such as `NET` or `DB`
    /// (its controls listed). Case does not matter.
    #[arg(value_name = "ID|FAMILY", value_parser = ControlIds, hide_possible_values = true)]
    pub id: Option<String>,

    /// The generated project to describe [default: the one around the current directory].
    #[arg(long, value_name = "DIR", conflicts_with = "flavor")]
    pub project: Option<PathBuf>,

    /// Show the catalog as this built-in flavour carries it (only the controls its
    /// blueprints claim, and which blueprint does), even inside a project.
    #[arg(long, value_name = "NAME", value_parser = builtin_flavours())]
    pub flavor: Option<String>,

    /// Print JSON for tooling instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CostArgs {
    /// Answers file to read; `-` reads standard input.
    #[arg(long, short = 'a', value_name = "FILE")]
    pub answers: Option<String>,

    /// Override one answer, e.g. `--set network.nat=single`. Repeatable; applied last.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,

    /// The AWS region, as `--set region=CODE`.
    #[arg(long, value_name = "CODE", value_parser = region_codes(), hide_possible_values = true)]
    pub region: Option<String>,

    /// Use a built-in preset as a base layer.
    #[arg(long, value_name = "NAME", value_parser = preset_names())]
    pub preset: Option<String>,

    /// Accept the built-in defaults for everything not given otherwise (the default here).
    #[arg(long)]
    pub defaults: bool,
}

#[derive(Debug, Clone, Args)]
pub struct UpdateArgs {
    /// The project directory (the one holding `.stackwright/answers.yaml`).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// Change one answer, e.g. `--set database.engine=mysql` or `--set environments[2]={name: qa}`.
    /// Repeatable; applied last. The change is kept in `.stackwright/answers.yaml`.
    #[arg(long = "set", value_name = "KEY=VALUE", help_heading = "Answers")]
    pub sets: Vec<String>,

    /// Answers file laid over the stored answers (keys it sets win); `-` reads standard input.
    #[arg(long, short = 'a', value_name = "FILE", help_heading = "Answers")]
    pub answers: Option<String>,

    /// Lay a built-in preset (`workshop`) over the stored answers.
    #[arg(long, value_name = "NAME", help_heading = "Answers")]
    pub preset: Option<String>,

    /// Open the wizard on the stored answers; writing from it runs the update.
    #[arg(long, help_heading = "Answers")]
    pub wizard: bool,

    /// Adopt the engine versions pinned by the running stackwright instead of
    /// the ones recorded in `.stackwright/lock.yaml`.
    #[arg(long, help_heading = "Answers")]
    pub to_current_versions: bool,

    /// Print the diff the update would apply (and the conflicts it would leave); write nothing.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,

    /// Update even though `git status` shows uncommitted changes in the project.
    #[arg(long, help_heading = "Output")]
    pub allow_dirty: bool,

    /// Extra blueprint directory, or a git repository `git+URL[@REF]` (tag, branch or commit).
    /// A project made from a git blueprint set is re-rendered from the commit in its lock file.
    #[arg(
        long = "blueprints",
        value_name = "DIR|git+URL",
        help_heading = "Blueprints"
    )]
    pub blueprint_dirs: Vec<PathBuf>,

    /// Move the project's git blueprint set to this tag, branch or commit.
    #[arg(long, value_name = "REF", help_heading = "Blueprints")]
    pub to_ref: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AnswersCommand {
    /// Print a commented example answers file (or write it with --out).
    ///
    /// Its values are an example to edit (project `payments`, region us-west-2, ...);
    /// `--defaults` prints the built-in defaults instead, which is what every key
    /// you leave out of an answers file takes.
    Init {
        /// Write to this file instead of standard output (refuses to overwrite without --force).
        #[arg(long, short = 'o', value_name = "FILE")]
        out: Option<PathBuf>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
        /// Print the built-in defaults (what `new --defaults` uses) instead of the example.
        #[arg(long)]
        defaults: bool,
    },
    /// Validate an answers file and report every problem at once, each with its
    /// line, column, source line and a hint.
    Check {
        /// The answers file; `-` reads standard input.
        file: String,
        /// Also apply these overrides, as `new --set` would.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        sets: Vec<String>,
        /// Check the file on top of this preset, as `new --preset` would.
        #[arg(long, value_name = "NAME", value_parser = preset_names())]
        preset: Option<String>,
        /// The AWS region, as `--set region=CODE`.
        #[arg(long, value_name = "CODE", value_parser = region_codes(), hide_possible_values = true)]
        region: Option<String>,
    },
    /// List the built-in presets (`new --preset NAME`) and what each sets.
    Presets,
    /// Print the JSON Schema of answers files, for editor completion and validation.
    Schema,
}

#[derive(Debug, Subcommand)]
pub enum BlueprintsCommand {
    /// List the blueprints of a flavour and where each comes from.
    List {
        /// Extra blueprint directory (`<flavour>/<name>/blueprint.yaml`), as `new --blueprints`:
        /// its blueprints add to or replace the built-in ones by name. Repeatable.
        #[arg(long = "blueprints", value_name = "DIR")]
        blueprint_dirs: Vec<PathBuf>,
        /// The blueprint set: built-in `cloudformation`, or a flavour folder of --blueprints DIR.
        #[arg(long, value_name = "NAME", default_value = "cloudformation")]
        flavor: String,
    },
    /// Print the template context (JSON) that blueprints see for some answers:
    /// the reference for writing your own blueprints.
    Context {
        /// Answers file; `-` reads standard input. Built-in defaults when omitted.
        #[arg(long, short = 'a', value_name = "FILE")]
        answers: Option<String>,
        /// Also show `env` as seen by per-environment files, for this environment.
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
    },
    /// Show one blueprint's manifest and templates.
    Show {
        /// Blueprint name, e.g. `network`.
        name: String,
        /// Also print every template in full.
        #[arg(long)]
        templates: bool,
        /// Extra blueprint directory (`<flavour>/<name>/blueprint.yaml`), as `new --blueprints`:
        /// its blueprints add to or replace the built-in ones by name. Repeatable.
        #[arg(long = "blueprints", value_name = "DIR")]
        blueprint_dirs: Vec<PathBuf>,
        /// The blueprint set: built-in `cloudformation`, or a flavour folder of --blueprints DIR.
        #[arg(long, value_name = "NAME", default_value = "cloudformation")]
        flavor: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
