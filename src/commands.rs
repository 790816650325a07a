//! What each subcommand does: reading the answers layers, finding the
//! blueprints of a flavour, rendering with that flavour and writing the project.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use clap::CommandFactory;

use crate::answers::{self, Layers, Source};
use crate::cli::{AnswersCommand, BlueprintsCommand, Cli, Command, NewArgs};
use crate::error::{self, Error, Result};
use crate::{blueprint, flavours, output, ui, update, yaml, WRITING};

const EXAMPLE: &str = include_str!("../assets/answers.example.yaml");

/// Prints to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("writing", "standard output", e)),
        Ok(()) => Ok(()),
    }
}

pub(crate) fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::New(args) => new(args),
        Command::Cost(args) => cost(&args),
        Command::Controls(args) => out(&crate::controls::run(&args)?),
        Command::Update(args) => out(&update::run(&args)?),
        Command::Answers(AnswersCommand::Init {
            out: target,
            force,
            defaults,
        }) => {
            let text = if defaults {
                format!(
                    "# stackwright answers file, version 1: the built-in defaults.\n# Every key you leave out of an answers file takes the value shown here.\n# `auto` values are resolved when the project is made (VPC ranges, engine version, instance class).\n{}",
                    answers::to_yaml(&answers::Answers::default())
                ) + "security:\n  account_trail: create     # or existing: the account already has a multi-region trail\n"
            } else {
                EXAMPLE.to_string()
            };
            let Some(path) = target else {
                return out(&text);
            };
            if path.exists() && !force {
                return Err(Error::Usage(format!(
                    "{}: already exists; pass --force to overwrite it",
                    path.display()
                )));
            }
            std::fs::write(&path, text).map_err(|e| Error::io("writing", &path, e))?;
            out(&format!("wrote {}\n", path.display()))
        }
        Command::Answers(AnswersCommand::Presets) => {
            let mut text = String::new();
            let participant = answers::participant::from_env();
            for p in answers::PRESETS {
                text.push_str(&format!("{:<12} {}\n", p.name, p.summary));
                if p.per_participant {
                    text.push_str(&match &participant {
                        Some(d) => format!(
                            "    project.name: ws-<login>; for you `{}` (from ${}), --set project.name=NAME chooses another\n",
                            d.name, d.var
                        ),
                        None => "    project.name: ws-<login> from $USER or $LOGNAME (neither is usable here: pass --set project.name=NAME)\n".to_string(),
                    });
                }
                // The whole preset, comments included: they say what it leaves out and why.
                for line in p.text.lines() {
                    text.push_str(&format!("    {line}\n").replace("    \n", "\n"));
                }
            }
            text.push_str("use one with: stackwright new --preset NAME (an answers file and --set still override it)\n");
            out(&text)
        }
        Command::Answers(AnswersCommand::Check {
            file,
            sets,
            preset: preset_name,
            region,
        }) => {
            let (preset_layer, participant) = new_preset(preset_name.as_deref())?;
            let layers = Layers {
                config: user_config()?,
                preset: preset_layer,
                answers: Some(read_source(&file)?),
                sets: with_region(region.as_deref(), &sets),
            };
            participant_note(&layers, preset_name.as_deref(), participant.as_ref(), true)?;
            let loaded = answers::load(&layers, flavours::answer_rules)?;
            let a = &loaded.answers;
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            out(&format!(
                "{file}: valid — project {}, region {}, {} environment(s): {}\n",
                a.project.name,
                a.region,
                a.environments.len(),
                a.environments
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" → ")
            ))
        }
        Command::Answers(AnswersCommand::Schema) => out(&answers::schema::json_schema()),
        Command::Blueprints(BlueprintsCommand::List {
            blueprint_dirs,
            flavor,
        }) => {
            let bps = cli_blueprints(&flavor, &blueprint_dirs)?;
            let mut text = String::new();
            for bp in bps {
                text.push_str(&format!(
                    "{:<12} {:<10} {}\n",
                    bp.manifest.name,
                    bp.origin.to_string(),
                    bp.manifest.description
                ));
            }
            out(&text)
        }
        Command::Blueprints(BlueprintsCommand::Context { answers: file, env }) => {
            let loaded = answers::load(
                &Layers {
                    answers: file.as_deref().map(read_source).transpose()?,
                    ..Layers::default()
                },
                flavours::answer_rules,
            )?;
            let ctx = blueprint::Context::new(&loaded.answers);
            let mut value = serde_json::to_value(&ctx).map_err(|e| Error::Usage(e.to_string()))?;
            value["cost"] = serde_json::to_value(crate::cost::readme(&ctx))
                .map_err(|e| Error::Usage(e.to_string()))?;
            if let Some(name) = env {
                let Some(e) = ctx.environments.iter().find(|e| e.name == name) else {
                    return Err(Error::Usage(format!(
                        "no environment named `{name}` in these answers"
                    )));
                };
                value["env"] = serde_json::to_value(e).map_err(|e| Error::Usage(e.to_string()))?;
            }
            out(&(serde_json::to_string_pretty(&value).expect("json") + "\n"))
        }
        Command::Blueprints(BlueprintsCommand::Show {
            name,
            templates,
            blueprint_dirs,
            flavor,
        }) => {
            let bps = cli_blueprints(&flavor, &blueprint_dirs)?;
            let Some(bp) = bps.iter().find(|b| b.manifest.name == name) else {
                let names: Vec<&str> = bps.iter().map(|b| b.manifest.name.as_str()).collect();
                let hint = match answers::validate::did_you_mean(&name, names.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`? "),
                    None => String::new(),
                };
                return Err(Error::Usage(format!(
                    "no blueprint named `{name}`; {hint}known: {}",
                    names.join(", ")
                )));
            };
            let mut text = format!("# {} ({})\n", bp.manifest.name, bp.origin);
            text.push_str(&yaml::to_string(&bp.manifest));
            for (path, body) in &bp.files {
                if templates {
                    text.push_str(&format!("\n--- {path}\n{body}"));
                } else {
                    text.push_str(&format!("template {path} ({} bytes)\n", body.len()));
                }
            }
            out(&text)
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "stackwright", &mut buf);
            out(&String::from_utf8_lossy(&buf))
        }
    }
}

/// The user config directory (`STACKWRIGHT_CONFIG_DIR` overrides the platform default).
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("STACKWRIGHT_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "stackwright").map(|d| d.config_dir().to_path_buf())
}

fn user_config() -> Result<Option<Source>> {
    let Some(path) = config_dir().map(|d| d.join("config.yaml")) else {
        return Ok(None);
    };
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io("reading", &path, e))?;
    Ok(Some(Source::new(path.display().to_string(), text)))
}

/// The blueprints of a flavour named on the command line (`blueprints list|show --flavor`).
fn cli_blueprints(flavor: &str, extra: &[PathBuf]) -> Result<Vec<blueprint::Blueprint>> {
    if let Err(p) = answers::validate::flavor(flavor) {
        return Err(Error::Usage(format!("--flavor: {}", p.message)));
    }
    resolve_blueprints(None, flavor, extra)
}

/// The blueprints of a flavour: built in, from the config directory, then from
/// each `--blueprints DIR`. A flavour nobody provides is refused where it was
/// set: in the answers layers, or else on the command line (`--flavor`).
pub(crate) fn resolve_blueprints(
    layers: Option<&Layers>,
    flavor: &str,
    extra: &[PathBuf],
) -> Result<Vec<blueprint::Blueprint>> {
    let dirs = blueprint_search_path(extra, flavor)?;
    let blueprints = blueprint::source::resolve(flavor, &dirs)?;
    if !blueprints.is_empty() {
        return Ok(blueprints);
    }
    let mut known: Vec<String> = blueprint::source::builtin_flavours()
        .into_iter()
        .map(String::from)
        .collect();
    for dir in config_dir()
        .map(|d| d.join("blueprints"))
        .iter()
        .chain(extra)
    {
        known.extend(blueprint::source::flavours_in(dir));
    }
    known.sort();
    known.dedup();
    let message = format!("no blueprint set `{flavor}`");
    let hint = match answers::validate::did_you_mean(flavor, known.iter().map(String::as_str)) {
        Some(best) => format!("did you mean `{best}`? known: {}", known.join(", ")),
        None => format!(
            "known: {}; --blueprints DIR adds the flavours of DIR/<flavour>/<name>/blueprint.yaml",
            known.join(", ")
        ),
    };
    match layers {
        Some(layers) => Err(Error::invalid(
            error::Diagnostic::new("flavor", message)
                .hint(hint)
                .at(answers::locate(layers, "flavor")),
        )),
        None => Err(Error::Usage(format!("--flavor: {message}; {hint}"))),
    }
}

fn blueprint_search_path(extra: &[PathBuf], flavor: &str) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    if let Some(user) = config_dir().map(|d| d.join("blueprints")) {
        if user.join(flavor).is_dir() {
            dirs.push(user);
        }
    }
    for d in extra {
        if !d.is_dir() {
            return Err(Error::Usage(format!(
                "--blueprints {}: not a directory",
                d.display()
            )));
        }
        dirs.push(d.clone());
    }
    Ok(dirs)
}

pub(crate) fn read_source(arg: &str) -> Result<Source> {
    if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(yaml::MAX_INPUT_BYTES as u64 + 1)
            .read_to_string(&mut text)
            .map_err(|e| Error::io("reading", "standard input", e))?;
        return Ok(Source::new("<stdin>", text));
    }
    let path = Path::new(arg);
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        // A mistyped name is invalid input like any other: exit 2.
        std::io::ErrorKind::NotFound => Error::Usage(format!(
            "{arg}: no such answers file\n    hint: `stackwright answers init --out {arg}` writes an example to start from"
        )),
        _ => Error::io("reading", path, e),
    })?;
    if meta.len() > yaml::MAX_INPUT_BYTES as u64 {
        return Err(Error::InvalidAnswers(vec![error::Diagnostic::new(
            "",
            format!(
                "the file is {} bytes; answers files are limited to {} bytes",
                meta.len(),
                yaml::MAX_INPUT_BYTES
            ),
        )
        .at(Some(error::Location {
            source: arg.to_string(),
            line: 0,
            col: 0,
        }))]));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::InvalidAnswers(vec![error::Diagnostic::new(
            "",
            "the file is not UTF-8 text",
        )
        .at(Some(error::Location {
            source: arg.to_string(),
            line: 0,
            col: 0,
        }))])
    })?;
    Ok(Source::new(arg, text))
}

pub(crate) fn preset(name: &str) -> Result<Source> {
    answers::preset(name).ok_or_else(|| {
        let names = answers::PRESETS.iter().map(|p| p.name);
        let hint = match answers::validate::did_you_mean(name, names.clone()) {
            Some(best) => format!("did you mean `{best}`? "),
            None => String::new(),
        };
        Error::Usage(format!(
            "unknown preset `{name}`; {hint}available: {} (`stackwright answers presets` describes them)",
            names.collect::<Vec<_>>().join(", ")
        ))
    })
}

/// The `--preset` layer of a new project (`new`, `cost`, `answers check`) and,
/// for a per-participant preset, the project name it derived from the login.
fn new_preset(
    name: Option<&str>,
) -> Result<(Option<Source>, Option<answers::participant::Derived>)> {
    let Some(name) = name else {
        return Ok((None, None));
    };
    let plain = preset(name)?;
    let per_participant = answers::PRESETS
        .iter()
        .any(|p| p.name == name && p.per_participant);
    let derived = answers::participant::from_env().filter(|_| per_participant);
    let layer = answers::preset_for(name, derived.as_ref()).unwrap_or(plain);
    Ok((Some(layer), derived))
}

/// Tells the person which project name a per-participant preset chose and how
/// to choose another. With `refuse`, a missing login and no name from any
/// layer is an error (the built-in `demo` would collide in a shared account);
/// without it (the questions ask for the name; the estimate does not use it)
/// it is a note.
fn participant_note(
    layers: &Layers,
    preset_name: Option<&str>,
    derived: Option<&answers::participant::Derived>,
    refuse: bool,
) -> Result<()> {
    let Some(p) = preset_name.and_then(|n| answers::PRESETS.iter().find(|p| p.name == n)) else {
        return Ok(());
    };
    if !p.per_participant {
        return Ok(());
    }
    let from = answers::locate(layers, "project.name").map(|l| l.source);
    let from_preset = from.as_deref() == layers.preset.as_ref().map(|s| s.name.as_str());
    let vars = answers::participant::USER_VARS
        .map(|v| format!("${v}"))
        .join(", ");
    match derived {
        Some(d) if from_preset => eprintln!(
            "note: --preset {}: project name `{}` (from ${}={}), so people sharing an AWS account do not collide; choose another with --set project.name=NAME",
            p.name, d.name, d.var, d.login
        ),
        None if from.as_deref().is_none_or(|s| s == "built-in defaults") => {
            let why = format!(
                "--preset {}: no login name to make a per-participant project name from ({vars} unset, or without a letter or digit)",
                p.name
            );
            if refuse {
                return Err(Error::Usage(format!(
                    "{why}; choose one that nobody else in the account uses: --set project.name=ws-YOURNAME"
                )));
            }
            eprintln!("note: {why}; choose a project name nobody else in the account uses");
        }
        _ => {}
    }
    Ok(())
}

/// `--set` overrides with `--region` first, so an explicit `--set region=` still wins.
fn with_region(region: Option<&str>, sets: &[String]) -> Vec<String> {
    region
        .map(|r| format!("region={r}"))
        .into_iter()
        .chain(sets.iter().cloned())
        .collect()
}

fn cost(args: &crate::cli::CostArgs) -> Result<()> {
    let (preset_layer, participant) = new_preset(args.preset.as_deref())?;
    let layers = Layers {
        config: user_config()?,
        preset: preset_layer,
        answers: args.answers.as_deref().map(read_source).transpose()?,
        sets: with_region(args.region.as_deref(), &args.sets),
    };
    // The estimate does not depend on the name: no refusal without one.
    participant_note(&layers, args.preset.as_deref(), participant.as_ref(), false)?;
    let loaded = answers::load(&layers, flavours::answer_rules)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    match crate::cost::estimate(&loaded.answers) {
        Ok(e) => out(&crate::cost::text(&e)),
        Err(why) => Err(Error::Usage(format!(
            "{why}: stackwright has no dated prices for it, so it gives no estimate rather than a guess"
        ))),
    }
}

/// The cost part of a dry run: the estimate, or why there is none.
fn cost_text(a: &answers::Answers) -> String {
    match crate::cost::estimate(a) {
        Ok(e) => crate::cost::text(&e),
        Err(why) => format!("Estimated monthly cost: {why}\n"),
    }
}

fn new(mut args: NewArgs) -> Result<()> {
    let (dirs, git) = update::git::expand(&args.blueprint_dirs)?;
    args.blueprint_dirs = dirs;
    args.blueprint_git = git;
    let ask = args.wizard
        || args.plain
        || (args.answers.is_none() && !args.defaults && args.preset.is_none());
    if ask && !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        return Err(Error::Usage(ui::NO_TERMINAL.into()));
    }
    let (preset_layer, participant) = new_preset(args.preset.as_deref())?;
    let layers = Layers {
        config: user_config()?,
        preset: preset_layer,
        answers: args.answers.as_deref().map(read_source).transpose()?,
        sets: with_region(args.region.as_deref(), &args.sets),
    };
    participant_note(&layers, args.preset.as_deref(), participant.as_ref(), !ask)?;
    if !ask {
        let loaded = answers::load(&layers, flavours::answer_rules)?;
        let blueprints =
            resolve_blueprints(Some(&layers), &loaded.answers.flavor, &args.blueprint_dirs)?;
        return out(&generate(&args, &loaded, &blueprints)?);
    }
    let flavor = answers::merge(&layers)?.flavor;
    if answers::validate::flavor(&flavor).is_err() {
        // Not a folder name: validation reports it where it was set.
        answers::load(&layers, flavours::answer_rules)?;
    }
    let blueprints = resolve_blueprints(Some(&layers), &flavor, &args.blueprint_dirs)?;
    // The questions start from the merged answers before `auto` is resolved,
    // so ranges and versions the user never touched stay automatic.
    let start = answers::merge(&layers)?;
    if args.plain {
        let mut prompter = ui::prompt::Inquire;
        let mut review = |a: &answers::Answers| -> Result<ui::prompt::Review> {
            let loaded = ui::resolve(a)?;
            let bps = flavours::blueprints_for(&loaded.answers.flavor, &flavor, &blueprints)?;
            let files = flavours::render(&loaded, &bps)?.files.len();
            let target = target_dir(&args, &loaded);
            let mut text = String::from("\nReview (resolved answers):\n");
            for line in ui::review_lines(&loaded.answers, a) {
                text.push_str(&format!("  {line}\n"));
            }
            text.push_str(&format!(
                "  {}\n  {:14}line items and assumptions: `stackwright cost` with the same answers\n",
                ui::cost_line(&loaded.answers),
                ""
            ));
            Ok(ui::prompt::Review {
                text,
                action: if args.dry_run {
                    format!("List the {files} files for {}/ (dry run)", target.display())
                } else {
                    format!("Write {files} files to {}/", target.display())
                },
            })
        };
        let answers = ui::prompt::ask(&mut prompter, start, &mut review)?;
        let loaded = ui::resolve(&answers)?;
        let bps = flavours::blueprints_for(&loaded.answers.flavor, &flavor, &blueprints)?;
        return out(&generate(&args, &loaded, &bps)?);
    }
    let save_to = args
        .answers
        .as_deref()
        .filter(|a| *a != "-")
        .map(PathBuf::from);
    let setup = ui::tui::Setup {
        blueprints: blueprints.clone(),
        flavor: flavor.clone(),
        out: args.out.clone(),
        save_to,
        dry_run: args.dry_run,
        force: args.force,
    };
    let mut warnings = Vec::new();
    let exit = ui::tui::run(start, setup, &mut |loaded| {
        warnings.clone_from(&loaded.warnings);
        let bps = flavours::blueprints_for(&loaded.answers.flavor, &flavor, &blueprints)?;
        generate_quiet(&args, loaded, &bps)
    })?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    match exit {
        ui::tui::Exit::Written(summary) => out(&summary),
        ui::tui::Exit::Saved(path) => out(&format!(
            "saved the answers to {p}; make the project with: stackwright new --answers {p}\n",
            p = path.display()
        )),
        ui::tui::Exit::Failed(e) => Err(e),
        ui::tui::Exit::Cancelled => Err(Error::Cancelled),
    }
}

/// `STACKWRIGHT_RENDER_TIMEOUT` (seconds) shortens the deadline, for tests.
pub(crate) fn render_deadline() -> std::time::Duration {
    std::env::var("STACKWRIGHT_RENDER_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(std::time::Duration::from_secs)
        .unwrap_or(blueprint::RENDER_DEADLINE)
}

fn target_dir(args: &NewArgs, loaded: &answers::Loaded) -> PathBuf {
    args.out
        .clone()
        .unwrap_or_else(|| PathBuf::from(&loaded.answers.project.name))
}

/// Renders and writes (or lists, on a dry run) the project; returns what to tell the user.
/// Every way of answering ends here, so the same answers give the same bytes.
fn generate(
    args: &NewArgs,
    loaded: &answers::Loaded,
    blueprints: &[blueprint::Blueprint],
) -> Result<String> {
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    generate_quiet(args, loaded, blueprints)
}

fn generate_quiet(
    args: &NewArgs,
    loaded: &answers::Loaded,
    blueprints: &[blueprint::Blueprint],
) -> Result<String> {
    let flavour = flavours::for_name(&loaded.answers.flavor);
    let plan = blueprint::render_bounded(loaded, flavour, blueprints, render_deadline())?;
    let mut files = plan.files;
    update::add_bookkeeping(&mut files, loaded, blueprints, args.blueprint_git.as_ref());
    let target = target_dir(args, loaded);
    if args.dry_run {
        return Ok(format!(
            "would write {}/ (dry run, nothing written)\n{}\n{}\n{}",
            target.display(),
            output::tree(&files),
            crate::inventory::text(&files, &loaded.answers, blueprints, flavour),
            cost_text(&loaded.answers)
        ));
    }
    WRITING.store(true, Ordering::SeqCst);
    let result = output::write(&target, &files, args.force);
    WRITING.store(false, Ordering::SeqCst);
    let report = result?;
    let a = &loaded.answers;
    let mut text = format!(
        "wrote {} ({} files: {} new, {} updated, {} unchanged) with {} controls\n",
        target.display(),
        files.len(),
        report.created,
        report.updated,
        report.unchanged,
        plan.controls.len()
    );
    if let Some(next) = flavour.next_steps(&target, a) {
        text.push_str(&next);
    }
    Ok(text)
}
