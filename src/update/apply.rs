//! Applying an update all or nothing, even against SIGKILL.
//!
//! 1. Every new file is written to `.stackwright/update-staging/files/`, with
//!    the list of changes in `journal.json.tmp`. A crash here leaves the
//!    project as it was; the next run removes the staging directory.
//! 2. `journal.json.tmp` is renamed to `journal.json`: the commit point.
//! 3. The files are renamed into place and the removals done. A crash here
//!    leaves a committed journal, and the next `stackwright update` first
//!    finishes the job (each step can be repeated safely) before anything else.
//!
//! Staging lives inside the project, so every rename stays on one file system.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::lock::hex;
use super::merge::Action;
use crate::error::{Error, Result};
use crate::output::{check_no_symlinks, safe_relative_path, INTERRUPTED};

pub const STAGING: &str = ".stackwright/update-staging";
const JOURNAL: &str = "journal.json";
const JOURNAL_TMP: &str = "journal.json.tmp";
const OWNER: &str = "pid";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Step {
    /// Move `files/<staged>` to `path`.
    Write { path: String, staged: String },
    /// Remove `path` if its sha256 still is `sha256`.
    Delete { path: String, sha256: String },
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    steps: Vec<Step>,
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// What an earlier, interrupted update left behind.
#[derive(Debug, PartialEq, Eq)]
pub enum Leftover {
    None,
    /// Staged but not committed: removed, the project was never touched.
    Discarded,
    /// Committed: finished now.
    Finished,
}

/// Whether an interrupted, committed update is waiting to be finished.
pub fn pending(dir: &Path) -> bool {
    dir.join(STAGING).join(JOURNAL).is_file()
}

/// Finishes a committed update or discards an uncommitted one. Refuses while
/// another live process owns the staging directory.
pub fn recover(dir: &Path) -> Result<Leftover> {
    let staging = dir.join(STAGING);
    match fs::symlink_metadata(&staging) {
        Err(_) => return Ok(Leftover::None),
        Ok(m) if !m.is_dir() => {
            return Err(Error::Usage(format!(
                "{}: is not a directory; stackwright keeps its update staging there. Remove it and retry",
                staging.display()
            )))
        }
        Ok(_) => {}
    }
    if let Ok(pid) = fs::read_to_string(staging.join(OWNER)) {
        if let Ok(pid) = pid.trim().parse::<u32>() {
            let alive = Path::new(&format!("/proc/{pid}")).exists();
            if alive && pid != std::process::id() {
                return Err(Error::Usage(format!(
                    "another stackwright update (process {pid}) is updating {}; wait for it to finish",
                    dir.display()
                )));
            }
        }
    }
    if staging.join(JOURNAL).is_file() {
        roll_forward(dir)?;
        Ok(Leftover::Finished)
    } else {
        fs::remove_dir_all(&staging).map_err(|e| Error::io("removing", &staging, e))?;
        Ok(Leftover::Discarded)
    }
}

/// Stages, commits and applies `actions` in `dir`.
pub fn apply(dir: &Path, actions: &[Action]) -> Result<()> {
    for a in actions {
        safe_relative_path(a.path())?;
        check_no_symlinks(dir, a.path())?;
        let dest = dir.join(a.path());
        if fs::symlink_metadata(&dest).is_ok_and(|m| m.is_dir()) {
            return Err(Error::Usage(format!(
                "{}: is a directory where stackwright writes a file",
                dest.display()
            )));
        }
    }
    let staging = dir.join(STAGING);
    fs::create_dir_all(staging.join("files")).map_err(|e| Error::io("creating", &staging, e))?;
    let result = stage(dir, &staging, actions);
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    // The commit point: from here on the update completes, now or on the next run.
    let journal = staging.join(JOURNAL);
    fs::rename(staging.join(JOURNAL_TMP), &journal)
        .map_err(|e| Error::io("committing", &journal, e))?;
    if std::env::var_os("STACKWRIGHT_TEST_PAUSE_AFTER_COMMIT").is_some() {
        // Lets the interruption tests kill the process between commit and apply.
        std::thread::sleep(std::time::Duration::from_millis(400));
    }
    roll_forward(dir)
}

fn stage(dir: &Path, staging: &Path, actions: &[Action]) -> Result<()> {
    fs::write(staging.join(OWNER), std::process::id().to_string())
        .map_err(|e| Error::io("writing", staging.join(OWNER), e))?;
    let mut steps = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Err(Error::Cancelled);
        }
        match a {
            Action::Write { path, content } => {
                let staged = format!("{i:05}");
                let file = staging.join("files").join(&staged);
                let mut out =
                    fs::File::create(&file).map_err(|e| Error::io("writing", &file, e))?;
                out.write_all(content)
                    .map_err(|e| Error::io("writing", &file, e))?;
                if let Ok(meta) = fs::metadata(dir.join(path)) {
                    // Keep the mode of the file it replaces (an executable script stays executable).
                    let _ = fs::set_permissions(&file, meta.permissions());
                }
                steps.push(Step::Write {
                    path: path.clone(),
                    staged,
                });
            }
            Action::Delete { path, expect } => steps.push(Step::Delete {
                path: path.clone(),
                sha256: sha256(expect),
            }),
        }
    }
    let text = serde_json::to_vec_pretty(&Journal { steps }).expect("journal serializes");
    let tmp = staging.join(JOURNAL_TMP);
    fs::write(&tmp, text).map_err(|e| Error::io("writing", &tmp, e))?;
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(Error::Cancelled);
    }
    Ok(())
}

/// Carries out a committed journal; every step may already have been done.
fn roll_forward(dir: &Path) -> Result<()> {
    let staging = dir.join(STAGING);
    let journal_path = staging.join(JOURNAL);
    let text = fs::read(&journal_path).map_err(|e| Error::io("reading", &journal_path, e))?;
    let journal: Journal = serde_json::from_slice(&text).map_err(|e| {
        Error::Usage(format!(
            "{}: damaged update journal ({e}); the project may be half updated — compare with git and remove the directory",
            journal_path.display()
        ))
    })?;
    for step in &journal.steps {
        match step {
            Step::Write { path, staged } => {
                safe_relative_path(path)?;
                let src = staging.join("files").join(staged);
                if !src.exists() {
                    continue; // moved already
                }
                check_no_symlinks(dir, path)?;
                let dest = dir.join(path);
                if let Some(parent) = dest.parent() {
                    fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
                }
                fs::rename(&src, &dest).map_err(|e| Error::io("moving into place", &dest, e))?;
            }
            Step::Delete { path, sha256: want } => {
                safe_relative_path(path)?;
                check_no_symlinks(dir, path)?;
                let dest = dir.join(path);
                match fs::read(&dest) {
                    Ok(bytes) if sha256(&bytes) == *want => {
                        fs::remove_file(&dest).map_err(|e| Error::io("removing", &dest, e))?;
                        prune_empty_parents(dir, &dest);
                    }
                    _ => {} // gone already, or changed since: left alone
                }
            }
        }
    }
    fs::remove_dir_all(&staging).map_err(|e| Error::io("removing", &staging, e))
}

/// Removes directories left empty by a removal, up to the project root.
fn prune_empty_parents(root: &Path, file: &Path) {
    let mut dir: Option<PathBuf> = file.parent().map(Path::to_path_buf);
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || fs::remove_dir(&d).is_err() {
            break;
        }
        dir = d.parent().map(Path::to_path_buf);
    }
}
