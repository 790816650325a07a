//! `stackwright update`: change an answer or upgrade stackwright, and update a
//! generated project in place without losing the team's edits.
//!
//! - The stored answers (`.stackwright/answers.yaml`) keep what the person
//!   chose; `.stackwright/lock.yaml` keeps what `auto` resolved to, so the
//!   re-render changes only what was asked for.
//! - Every file is merged three ways: base = what stackwright wrote last time
//!   (`.stackwright/base.json.gz`, or rebuilt from the stored answers for
//!   projects made before it existed), ours = the file on disk, theirs = the
//!   new render ([`merge`]).
//! - The result is staged and applied all or nothing ([`apply`]).

pub mod apply;
pub mod git;
pub mod lock;
pub mod merge;
pub mod snapshot;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::answers::{self, model::Engine, validate::Pins, Layers, Loaded, Source};
use crate::blueprint::{self, Blueprint, RenderedFile};
use crate::cli::UpdateArgs;
use crate::error::{Error, Result};
use lock::{GitPin, Lock};
use merge::Outcome;

/// Project files by path.
type Files = BTreeMap<String, Vec<u8>>;

pub const ANSWERS: &str = ".stackwright/answers.yaml";
pub const LOCK: &str = ".stackwright/lock.yaml";
pub const BASE: &str = ".stackwright/base.json.gz";

/// Adds the lock file and the merge-base snapshot to a rendered project.
/// `new` and `update` both end here, so both write the same bookkeeping.
pub fn add_bookkeeping(
    files: &mut Vec<RenderedFile>,
    loaded: &Loaded,
    blueprints: &[Blueprint],
    git: Option<&GitPin>,
) {
    files.retain(|f| f.path != LOCK && f.path != BASE);
    let base = snapshot::encode(files);
    files.push(RenderedFile {
        path: LOCK.into(),
        content: Lock::new(loaded, blueprints, git).to_text().into_bytes(),
        blueprint: "stackwright".into(),
    });
    files.push(RenderedFile {
        path: BASE.into(),
        content: base,
        blueprint: "stackwright".into(),
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));
}

/// What the project on disk says about its last render.
struct Project {
    dir: PathBuf,
    /// The stored answers as a layer (`auto` kept).
    stored: Source,
    lock: Option<Lock>,
    /// A project from before the lock file: its stored answers are resolved.
    legacy: Option<Source>,
}

fn read_project(dir: &Path) -> Result<Project> {
    let answers_path = dir.join(ANSWERS);
    if !answers_path.is_file() {
        return Err(Error::Usage(format!(
            "{}: not a stackwright project (no {ANSWERS})\n    hint: run stackwright update in the project directory, or give it: stackwright update path/to/project",
            dir.display()
        )));
    }
    let text = read_text(&answers_path)?;
    let stored = Source::new(ANSWERS, text.clone());
    let lock_path = dir.join(LOCK);
    if lock_path.is_file() {
        let lock = Lock::parse(&read_text(&lock_path)?, LOCK)?;
        return Ok(Project {
            dir: dir.to_path_buf(),
            stored,
            lock: Some(lock),
            legacy: None,
        });
    }
    // Made before the lock file existed: the stored answers hold resolved
    // values. Those move to the lock (so `auto` is free to follow a changed
    // engine) and the answers get `auto` back.
    let old = answers::load(
        &Layers {
            answers: Some(stored.clone()),
            ..Layers::default()
        },
        crate::flavours::answer_rules,
    )?;
    let mut chosen = old.answers.clone();
    if chosen.database.engine != Engine::None {
        chosen.database.version = "auto".into();
    }
    for e in &mut chosen.environments {
        e.vpc_cidr = None;
    }
    let mut lock = Lock::new(&old, &[], None);
    lock.blueprints.digest = "unknown (made before lock files)".into();
    Ok(Project {
        dir: dir.to_path_buf(),
        stored: Source::new(ANSWERS, answers::to_yaml(&chosen)),
        lock: Some(lock),
        legacy: Some(stored),
    })
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    String::from_utf8(bytes)
        .map_err(|_| Error::Usage(format!("{}: not UTF-8 text", path.display())))
}

/// Runs `stackwright update`; returns what to print. Conflicts come back as
/// [`Error::Conflicts`] (exit code 3) after everything else was written.
pub fn run(args: &UpdateArgs) -> Result<String> {
    let dir = &args.dir;
    let mut notes = String::new();
    if args.dry_run {
        if apply::pending(dir) {
            return Err(Error::Usage(format!(
                "{}: an interrupted update is waiting to be finished; run stackwright update (without --dry-run) first",
                dir.display()
            )));
        }
    } else {
        match apply::recover(dir)? {
            apply::Leftover::Finished => {
                notes.push_str("finished an interrupted update first\n")
            }
            apply::Leftover::Discarded => notes.push_str(
                "removed the staging of an interrupted update (it had not started changing files)\n",
            ),
            apply::Leftover::None => {}
        }
    }
    let project = read_project(dir)?;
    if !args.dry_run && !args.allow_dirty {
        if let Some(changes) = git::uncommitted(dir).filter(|c| !c.is_empty()) {
            let shown: Vec<String> = changes.iter().take(10).map(|c| format!("  {c}")).collect();
            return Err(Error::Usage(format!(
                "{}: has uncommitted changes, so the update could not be told apart from them:\n{}{}\n    hint: commit or stash them first (then `git diff` shows exactly what the update did), or pass --allow-dirty",
                dir.display(),
                shown.join("\n"),
                if changes.len() > 10 { format!("\n  … {} more", changes.len() - 10) } else { String::new() }
            )));
        }
    }

    // Blueprint sources: the project's git set at its commit (or --to-ref),
    // or what --blueprints names now.
    let mut extra = Vec::new();
    let mut new_git = None;
    let old_git = project.lock.as_ref().and_then(Lock::git);
    let mut given_git = false;
    for a in &args.blueprint_dirs {
        match git::parse_spec(&a.to_string_lossy()) {
            None => extra.push(a.clone()),
            Some(spec) => {
                let spec = spec?;
                if given_git {
                    return Err(Error::Usage(
                        "--blueprints: one git+URL blueprint set at a time".into(),
                    ));
                }
                given_git = true;
                let reference = args.to_ref.as_deref().or(spec.reference.as_deref());
                let (d, pin) = git::fetch(&spec.url, reference)?;
                extra.push(d);
                new_git = Some(pin);
            }
        }
    }
    let mut old_extra = extra.clone();
    if !given_git {
        if let Some(pin) = &old_git {
            let old_dir = git::at_commit(pin)?;
            old_extra.push(old_dir.clone());
            if let Some(r) = &args.to_ref {
                let (d, p) = git::fetch(&pin.url, Some(r))?;
                extra.push(d);
                new_git = Some(p);
            } else {
                extra.push(old_dir);
                new_git = Some(pin.clone());
            }
        } else if args.to_ref.is_some() {
            return Err(Error::Usage(
                "--to-ref: this project's blueprints do not come from git; give --blueprints git+URL@REF".into(),
            ));
        }
    } else if let Some(pin) = &old_git {
        old_extra = vec![git::at_commit(pin)?];
    }

    let layers = Layers {
        config: Some(project.stored.clone()),
        preset: args.preset.as_deref().map(crate::preset).transpose()?,
        answers: args
            .answers
            .as_deref()
            .map(crate::read_source)
            .transpose()?,
        sets: args.sets.clone(),
    };
    let lock_pins = project.lock.as_ref().map(Lock::pins).unwrap_or_default();
    let pins = if args.to_current_versions {
        Pins {
            database: None,
            ..lock_pins.clone()
        }
    } else {
        lock_pins.clone()
    };
    let ctx = Ctx {
        project: &project,
        args,
        extra,
        old_extra,
        new_git,
        old_pins: lock_pins,
        pins,
    };
    if args.wizard {
        return wizard(&ctx, &layers, notes);
    }
    let loaded = answers::load_pinned(&layers, &ctx.pins, crate::flavours::answer_rules)?;
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let blueprints = crate::resolve_blueprints(Some(&layers), &loaded.answers.flavor, &ctx.extra)?;
    update_with(&ctx, &loaded, &blueprints).map(|s| notes + &s)
}

struct Ctx<'a> {
    project: &'a Project,
    args: &'a UpdateArgs,
    extra: Vec<PathBuf>,
    old_extra: Vec<PathBuf>,
    new_git: Option<GitPin>,
    old_pins: Pins,
    pins: Pins,
}

fn wizard(ctx: &Ctx, layers: &Layers, notes: String) -> Result<String> {
    use std::io::IsTerminal;
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        return Err(Error::Usage(
            "--wizard needs a terminal; change answers with --set KEY=VALUE or --answers FILE instead".into(),
        ));
    }
    let start = answers::merge(layers)?;
    let blueprints = crate::resolve_blueprints(Some(layers), &start.flavor, &ctx.extra)?;
    let setup = crate::ui::tui::Setup {
        blueprints: blueprints.clone(),
        flavor: start.flavor.clone(),
        out: Some(ctx.project.dir.clone()),
        save_to: None,
        dry_run: ctx.args.dry_run,
        force: true,
    };
    let exit = crate::ui::tui::run(start, setup, &mut |previewed| {
        // The wizard resolves without the lock; resolve its choices again with it.
        let layers = Layers {
            config: Some(Source::new(
                "wizard answers",
                answers::to_yaml(&previewed.chosen),
            )),
            ..Layers::default()
        };
        let loaded = answers::load_pinned(&layers, &ctx.pins, crate::flavours::answer_rules)?;
        let blueprints =
            crate::resolve_blueprints(Some(&layers), &loaded.answers.flavor, &ctx.extra)?;
        update_with(ctx, &loaded, &blueprints)
    })?;
    match exit {
        crate::ui::tui::Exit::Written(summary) => Ok(notes + &summary),
        crate::ui::tui::Exit::Failed(e) => Err(e),
        crate::ui::tui::Exit::Saved(p) => Ok(format!(
            "saved the answers to {}; nothing was updated\n",
            p.display()
        )),
        crate::ui::tui::Exit::Cancelled => Err(Error::Cancelled),
    }
}

/// What stackwright wrote last time: the snapshot, or rebuilt by rendering the
/// stored answers with the lock's values (exact when the blueprints are the
/// ones that wrote it).
fn base_files(ctx: &Ctx, current: &[Blueprint]) -> Result<(Files, Option<String>)> {
    let dir = &ctx.project.dir;
    let snap = dir.join(BASE);
    if snap.is_file() {
        let bytes = std::fs::read(&snap).map_err(|e| Error::io("reading", &snap, e))?;
        return Ok((snapshot::decode(&bytes, BASE)?, None));
    }
    let layers = Layers {
        answers: Some(
            ctx.project
                .legacy
                .clone()
                .unwrap_or_else(|| ctx.project.stored.clone()),
        ),
        ..Layers::default()
    };
    let old = answers::load_pinned(&layers, &ctx.old_pins, crate::flavours::answer_rules)?;
    let blueprints = if ctx.old_extra == ctx.extra {
        current.to_vec()
    } else {
        crate::resolve_blueprints(Some(&layers), &old.answers.flavor, &ctx.old_extra)?
    };
    let plan = blueprint::render_bounded(
        &old,
        crate::flavours::for_name(&old.answers.flavor),
        &blueprints,
        crate::render_deadline(),
    )?;
    let exact = ctx.project.lock.as_ref().is_some_and(|l| {
        ctx.project.legacy.is_none() && l.blueprints.digest == lock::digest(&blueprints)
    });
    let note = if exact {
        format!("{BASE} was missing: rebuilt the merge base from the stored answers and lock (same blueprints, exact)\n")
    } else {
        format!("{BASE} was missing (a project from an older stackwright): rebuilt the merge base by rendering the stored answers with these blueprints; where they changed since, your files are kept as they are\n")
    };
    Ok((
        plan.files
            .into_iter()
            .filter(|f| !snapshot::is_bookkeeping(&f.path))
            .map(|f| (f.path, f.content))
            .collect(),
        Some(note),
    ))
}

/// Renders `loaded`, merges it into the project and applies (or, on a dry run, prints) the result.
fn update_with(ctx: &Ctx, loaded: &Loaded, blueprints: &[Blueprint]) -> Result<String> {
    let dir = &ctx.project.dir;
    let mut files = blueprint::render_bounded(
        loaded,
        crate::flavours::for_name(&loaded.answers.flavor),
        blueprints,
        crate::render_deadline(),
    )?
    .files;
    add_bookkeeping(&mut files, loaded, blueprints, ctx.new_git.as_ref());
    let theirs: BTreeMap<String, Vec<u8>> =
        files.into_iter().map(|f| (f.path, f.content)).collect();
    let (base, note) = base_files(ctx, blueprints)?;
    let read = |p: &str| -> Option<Vec<u8>> {
        let path = dir.join(p);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => std::fs::read(&path).ok(),
            Ok(_) => Some(Vec::new()), // a link or directory: never equal to a render
            Err(_) => None,
        }
    };
    let plan = merge::plan(&base, &theirs, &read);
    let mut text = note.unwrap_or_default();
    let attention = plan.attention();
    let counts = format!(
        "{} added, {} updated, {} merged, {} conflicting, {} removed, {} kept, {} unchanged",
        plan.count(Outcome::Added),
        plan.count(Outcome::Updated),
        plan.count(Outcome::Merged),
        plan.count(Outcome::Conflict),
        plan.count(Outcome::Removed),
        plan.count(Outcome::KeptEdited)
            + plan.count(Outcome::KeptNotOurs)
            + plan.count(Outcome::KeptDeleted),
        plan.count(Outcome::Unchanged),
    );
    if ctx.args.dry_run {
        text.push_str(&merge::diff(&plan));
        text.push_str(&format!(
            "would update {} ({counts}); dry run, nothing written\n",
            dir.display()
        ));
    } else {
        crate::WRITING.store(true, Ordering::SeqCst);
        let result = apply::apply(dir, &plan.actions);
        crate::WRITING.store(false, Ordering::SeqCst);
        result?;
        for (path, o) in &plan.outcomes {
            if !matches!(o, Outcome::Unchanged)
                && !o.needs_attention()
                && !snapshot::is_bookkeeping(path)
            {
                text.push_str(&format!("  {path}: {}\n", o.describe()));
            }
        }
        text.push_str(&format!("updated {} ({counts})\n", dir.display()));
        if attention.is_empty() {
            text.push_str(
                "review with `git diff`, then `make lint test scan` and `make plan ENV=<env>`\n",
            );
        }
    }
    if attention.is_empty() {
        Ok(text)
    } else {
        Err(Error::Conflicts {
            summary: text,
            files: attention,
        })
    }
}
