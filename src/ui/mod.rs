//! Asking the questions: the full-screen wizard ([`tui`]) and the line-by-line
//! prompts ([`prompt`]). Both start from the merged answers, ask the questions
//! of [`fields`], and hand back plain [`Answers`] that go through the same
//! loading, validation and rendering as an answers file.

pub mod fields;
pub mod prompt;
pub mod tui;

use std::path::Path;

use crate::answers::{self, Answers, Layers, Loaded, Source};
use crate::error::{Error, Result};

/// Loads wizard answers exactly as an answers file with the same content.
pub fn resolve(a: &Answers) -> Result<Loaded> {
    answers::load(
        &Layers {
            answers: Some(Source::new("wizard answers", answers::to_yaml(a))),
            ..Layers::default()
        },
        crate::flavours::answer_rules,
    )
}

/// The resolved answers, one line per topic, for the reviews of the wizard and
/// the plain prompts. `given` are the answers before resolution, so values that
/// were assigned (VPC ranges, the engine version) are marked `(auto)`.
/// The review's cost line: the monthly estimate in total and per
/// environment, or why there is none (`stackwright cost` has the line items).
pub fn cost_line(resolved: &Answers) -> String {
    match crate::cost::estimate(resolved) {
        Ok(e) => format!("Cost          {}", crate::cost::summary(&e)),
        Err(why) => format!("Cost          no estimate: {why}"),
    }
}

pub fn review_lines(resolved: &Answers, given: &Answers) -> Vec<String> {
    use crate::answers::model::{AppKind, Engine, NatMode};
    let facts = crate::aws::facts();
    let a = resolved;
    let mut out = vec![format!(
        "Project       {} · owner {} · cost centre {}",
        a.project.name, a.project.owner, a.project.cost_center
    )];
    let nat = match a.network.nat {
        NatMode::Auto => "auto (per AZ in production, one in ephemeral)".to_string(),
        other => other.to_string(),
    };
    out.push(format!(
        "Region        {} · {} AZs · NAT {nat}",
        a.region, a.network.availability_zones
    ));
    out.push("Environments".to_string());
    for (i, e) in a.environments.iter().enumerate() {
        let auto = given
            .environments
            .get(i)
            .is_some_and(|g| g.vpc_cidr.is_none());
        let mut line = format!(
            "  {:<10}  {} · VPC {}{}",
            e.name,
            e.profile,
            e.vpc_cidr.as_deref().unwrap_or("?"),
            if auto { " (auto)" } else { "" }
        );
        if e.approval {
            line.push_str(" · manual approval");
        }
        if let Some(id) = &e.account_id {
            line.push_str(&format!(" · account {id}"));
        }
        out.push(line);
    }
    out.push(format!(
        "Endpoints     {}",
        if a.network.endpoints.is_empty() {
            "none".to_string()
        } else {
            a.network.endpoints.join(", ")
        }
    ));
    out.push(format!(
        "Trusted CIDRs {}",
        if a.network.trusted_cidrs.is_empty() {
            "none".to_string()
        } else {
            a.network.trusted_cidrs.join(", ")
        }
    ));
    out.push(match a.database.engine {
        Engine::None => "Database      none".to_string(),
        engine => {
            let class = if a.database.instance_class == "auto" {
                facts.engine(engine).map_or("auto".to_string(), |f| {
                    format!(
                        "auto ({} / {})",
                        f.default_class.ephemeral, f.default_class.production
                    )
                })
            } else {
                a.database.instance_class.clone()
            };
            format!(
                "Database      {engine} {}{} · class {class} · name {}",
                a.database.version,
                if given.database.version == "auto" {
                    " (auto)"
                } else {
                    ""
                },
                a.database.name
            )
        }
    });
    out.push(if a.pipeline.stages.is_empty() {
        "Pipeline      none".to_string()
    } else {
        format!(
            "Pipeline      {}\nSource        {}@{} · alerts to {}",
            a.pipeline
                .stages
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" → "),
            a.pipeline.repository,
            a.pipeline.branch,
            a.pipeline.notification_email
        )
    });
    out.push(match a.app.kind {
        AppKind::None => "App tier      none".to_string(),
        kind => format!("App tier      {kind} on port {}", a.app.port),
    });
    out.into_iter()
        .flat_map(|l| l.lines().map(String::from).collect::<Vec<_>>())
        .collect()
}

/// The answers file `s` saves: `auto` values stay `auto`.
pub fn answers_file(a: &Answers) -> String {
    format!(
        "# stackwright answers (version 1), saved by the wizard.\n# Make the project: stackwright new --answers <this file>\n{}",
        answers::to_yaml(a)
    )
}

/// Writes an answers file; refuses to replace a file unless it is the one being edited.
pub fn save_answers(path: &Path, text: &str, overwrite: bool) -> Result<()> {
    if path.exists() && !overwrite {
        return Err(Error::Usage(format!(
            "{}: already exists; nothing was saved",
            path.display()
        )));
    }
    std::fs::write(path, text).map_err(|e| Error::io("writing", path, e))
}

/// The message when there is no terminal to ask on.
pub const NO_TERMINAL: &str = "no terminal to ask questions on; run non-interactively:\n    stackwright new --answers team.yaml --out DIR   (or --answers - to read standard input)\n    stackwright new --defaults --out DIR";
