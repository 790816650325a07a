//! stackwright: answers in, a hardened AWS infrastructure project out.
//!
//! Data flow: [`answers`] (layers merged, validated against [`aws`] facts) →
//! [`blueprint`] (context computed, templates rendered in memory, with the
//! [`flavours`] model of the chosen IaC dialect) → [`output`] (staged, then
//! moved into place). [`commands`] holds what each subcommand does.

pub mod answers;
pub mod aws;
pub mod blueprint;
pub mod cli;
pub mod commands;
pub mod controls;
pub mod cost;
pub mod error;
pub mod flavours;
pub mod inventory;
pub mod output;
pub mod ui;
pub mod update;
pub mod yaml;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use cli::{AnswersCommand, Cli, Command};
use error::Error;

pub use commands::config_dir;
pub(crate) use commands::{out, preset, read_source, render_deadline, resolve_blueprints};

/// True while files are being written, so Ctrl-C lets the writer clean up first.
static WRITING: AtomicBool = AtomicBool::new(false);

/// Runs one command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    install_interrupt_handler();
    // `answers check` only reads; the other commands say that nothing was written.
    let writes = !matches!(cli.command, Command::Answers(AnswersCommand::Check { .. }));
    match commands::dispatch(cli) {
        Ok(()) => 0,
        Err(err) => {
            report(&err, writes);
            err.exit_code()
        }
    }
}

fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if WRITING.load(Ordering::SeqCst) {
            output::INTERRUPTED.store(true, Ordering::SeqCst);
        } else {
            eprintln!("\ncancelled; nothing was written");
            std::process::exit(130);
        }
    });
}

fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn report(err: &Error, writes: bool) {
    let label = if color() {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    };
    match err {
        Error::InvalidAnswers(diags) => {
            eprint!("{}", error::render_report(diags, color()));
            let sources: std::collections::BTreeSet<&str> = diags
                .iter()
                .filter_map(|d| d.location.as_ref())
                .map(|l| l.source.as_str())
                .filter(|s| !s.starts_with("--set ") && *s != "built-in defaults")
                .collect();
            let place = if sources.is_empty() {
                "the answers".to_string()
            } else {
                sources.into_iter().collect::<Vec<_>>().join(", ")
            };
            if writes {
                eprintln!(
                    "{}: {} found; nothing was written",
                    place,
                    error::problems(diags.len())
                );
            } else {
                eprintln!("{}: {} found", place, error::problems(diags.len()));
            }
        }
        Error::Cancelled => eprintln!("cancelled; nothing was written"),
        Error::Conflicts { summary, files } => {
            let _ = out(summary);
            eprintln!(
                "{label}: {} file(s) need you (exit code {}): resolve the conflict markers (<<<<<<< ours … >>>>>>> theirs) or review the kept files, then commit",
                files.len(),
                error::EXIT_CONFLICTS
            );
            for f in files {
                eprintln!("  {f}");
            }
        }
        other => eprintln!("{label}: {other}"),
    }
}
