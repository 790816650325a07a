//! Writing a project safely: lexical path checks, a staging directory beside
//! the target, an atomic move into place, and no-clobber rules.
//!
//! - New or empty target: everything is written to `.<name>.stackwright-<pid>`
//!   next to it and renamed into place in one step, so the target is either
//!   absent or complete.
//! - Non-empty target: refused unless `--force`. With `--force` each file is
//!   staged and then renamed over its destination one by one; files stackwright
//!   does not write are never touched, and nothing is ever deleted.

use std::fs;
use std::io::Write;

use rayon::prelude::*;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// One file of the project, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: String,
    pub content: Vec<u8>,
    /// The blueprint that wrote it (`stackwright` for the stored answers).
    pub blueprint: String,
}

/// Set by the Ctrl-C handler; the writer checks it between files.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

const STAGING_MARK: &str = ".stackwright-staging-";

/// Checks a rendered output path: relative, normal components only, no backslashes or NULs.
pub fn safe_relative_path(path: &str) -> Result<String> {
    let bad = |reason: &str| Error::UnsafePath {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    if path.is_empty() {
        return Err(bad("empty path"));
    }
    if path.contains('\0') || path.chars().any(char::is_control) {
        return Err(bad("control characters in the path"));
    }
    if path.contains('\\') {
        return Err(bad("backslashes are not path separators here"));
    }
    if path.starts_with('/') {
        return Err(bad(
            "absolute paths are not allowed; paths are relative to the project",
        ));
    }
    for component in Path::new(path).components() {
        match component {
            Component::Normal(_) => {}
            Component::ParentDir => return Err(bad("`..` would leave the project directory")),
            Component::CurDir => return Err(bad("`.` components are not allowed")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(bad("absolute paths are not allowed"))
            }
        }
    }
    if path.split('/').any(|c| c.is_empty()) {
        return Err(bad("empty path component"));
    }
    for component in path.split('/') {
        if let Some(reason) = component_problem(component) {
            return Err(bad(&reason));
        }
    }
    Ok(path.to_string())
}

/// Code points that HFS+ ignores when it compares names, so `.g\u{200c}it` is
/// `.git` on a Mac (git's own list, from its `is_hfs_dotgit`).
fn hfs_ignorable(c: char) -> bool {
    matches!(c, '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}')
}

/// `text` with the code points HFS+ ignores written as escapes, so a message
/// shows them.
pub fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if hfs_ignorable(c) {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A path component as the most forgiving file system sees it: NTFS drops
/// trailing dots and spaces, HFS+ ignores some code points, both ignore case.
fn folded(component: &str) -> String {
    component
        .chars()
        .filter(|c| !hfs_ignorable(*c))
        .collect::<String>()
        .trim_end_matches(['.', ' '])
        .to_lowercase()
}

/// Names under which NTFS also finds `.git` and `.gitmodules`: their 8.3
/// short names (`GIT~1`, `GITMOD~1`) and the hashed short name git knows for
/// `.gitmodules` (`GI7EBA~1`).
const SHORT_NAME_STEMS: [&str; 3] = ["git", "gitmod", "gi7eba"];

/// Names Windows reserves for devices, with or without an extension.
const WINDOWS_DEVICES: [&str; 6] = ["con", "prn", "aux", "nul", "conin$", "conout$"];

/// Why a single path component must not be written, if it must not: it would
/// reach into git's metadata (code runs from `.git/config` and `.git/hooks` on
/// the next git command), or it cannot exist on a Windows or macOS checkout.
fn component_problem(raw: &str) -> Option<String> {
    let f = folded(raw);
    let shown = visible(raw);
    let component = shown.as_str();
    if f == ".git" {
        return Some(format!(
            "`{component}` is git's metadata directory (in any letter case, with trailing dots or spaces): \
             a file there could run commands on the next git command, so no blueprint may write it"
        ));
    }
    if f == ".gitmodules" {
        return Some(format!(
            "`{component}` declares git submodules, whose paths and URLs git acts on; \
             stackwright does not write it"
        ));
    }
    if let Some((stem, n)) = f.split_once('~') {
        if SHORT_NAME_STEMS.contains(&stem)
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
        {
            return Some(format!(
                "`{component}` is an NTFS short name of `.git` or `.gitmodules`"
            ));
        }
    }
    if let Some(c) = component
        .chars()
        .find(|c| matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
    {
        return Some(format!(
            "`{component}` contains `{c}`, which Windows does not allow in file names \
             (the project must check out on every system)"
        ));
    }
    if raw.ends_with(['.', ' ']) {
        return Some(format!(
            "`{component}` ends with a dot or a space, which Windows drops from file names"
        ));
    }
    let stem = raw
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end_matches(' ')
        .to_lowercase();
    let numbered = |prefix: &str| {
        stem.strip_prefix(prefix).is_some_and(|rest| {
            matches!(
                rest,
                "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
            )
        })
    };
    if WINDOWS_DEVICES.contains(&stem.as_str()) || numbered("com") || numbered("lpt") {
        return Some(format!(
            "`{component}` is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9, \
             with any extension), where it cannot be a file"
        ));
    }
    None
}

/// Refuses two output paths that name the same file or directory on a
/// case-insensitive file system (macOS, Windows): one would overwrite the
/// other. `who` says which blueprint writes a path.
pub fn check_case_collisions<'a>(
    paths: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<()> {
    use std::collections::BTreeMap;
    // Every file and every directory prefix, by its case-folded form.
    let mut seen: BTreeMap<String, (&str, &str)> = BTreeMap::new();
    for (path, who) in paths {
        let mut end = 0;
        for (i, part) in path.split('/').enumerate() {
            end += part.len() + usize::from(i > 0);
            let prefix = &path[..end];
            let key = prefix.split('/').map(folded).collect::<Vec<_>>().join("/");
            match seen.get(&key) {
                Some((other, other_who)) if *other != prefix => {
                    return Err(Error::blueprint(
                        who,
                        format!(
                            "output path `{path}`: `{prefix}` and `{other}` (written by blueprint {other_who}) \
                             differ only in letter case, so one overwrites the other on macOS and Windows"
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    seen.insert(key, (prefix, who));
                }
            }
        }
    }
    Ok(())
}

/// What happened to each file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Writes the project into `target`.
pub fn write(target: &Path, files: &[RenderedFile], force: bool) -> Result<Report> {
    for f in files {
        safe_relative_path(&f.path)?;
    }
    // `.`, `./` or `..` name a directory without a final name: use its real path.
    let resolved;
    let target = if target.file_name().is_none() && target.exists() {
        resolved = fs::canonicalize(target).map_err(|e| Error::io("resolving", target, e))?;
        resolved.as_path()
    } else {
        target
    };
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| Error::Usage(format!("{}: not a directory name", target.display())))?
        .to_string_lossy()
        .to_string();
    fs::create_dir_all(&parent).map_err(|e| Error::io("creating", &parent, e))?;

    let meta = fs::symlink_metadata(target);
    let existing = match &meta {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(Error::Usage(format!(
                "{}: is a symbolic link; give the real directory as --out",
                target.display()
            )))
        }
        Ok(m) if !m.is_dir() => {
            return Err(Error::Usage(format!(
                "{}: exists and is not a directory",
                target.display()
            )))
        }
        Ok(_) => true,
        Err(_) => false,
    };
    let empty = existing
        && fs::read_dir(target)
            .map_err(|e| Error::io("reading", target, e))?
            .next()
            .is_none();

    if existing && !empty && !force {
        return Err(Error::TargetNotEmpty(target.to_path_buf()));
    }

    remove_stale_staging(&parent, &name);
    let staging = parent.join(format!(".{name}{STAGING_MARK}{}", std::process::id()));
    let result = stage_and_move(target, &staging, files, existing && !empty);
    if staging.exists() {
        // Only our own staging directory is ever removed.
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Staging directories left by a run that was killed (SIGKILL, power loss) are
/// recognised by name and by their process being gone, and removed. Nothing
/// else is ever deleted.
fn remove_stale_staging(parent: &Path, name: &str) {
    let prefix = format!(".{name}{STAGING_MARK}");
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file_name
            .strip_prefix(&prefix)
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = Path::new("/proc").is_dir() && Path::new(&format!("/proc/{pid}")).exists();
        if !alive && pid != std::process::id() && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn stage_and_move(
    target: &Path,
    staging: &Path,
    files: &[RenderedFile],
    merge: bool,
) -> Result<Report> {
    fs::create_dir(staging).map_err(|e| Error::io("creating staging directory", staging, e))?;
    let dirs: std::collections::BTreeSet<&Path> = files
        .iter()
        .filter_map(|f| Path::new(&f.path).parent())
        .filter(|d| !d.as_os_str().is_empty())
        .collect();
    for dir in dirs {
        let dir = staging.join(dir);
        fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    }
    // Files are independent until the rename: write them on all cores.
    let written: Vec<Result<()>> = files
        .par_iter()
        .map(|f| {
            if INTERRUPTED.load(Ordering::SeqCst) {
                return Err(Error::Cancelled);
            }
            let dest = staging.join(&f.path);
            let mut out = fs::File::create(&dest).map_err(|e| Error::io("writing", &dest, e))?;
            out.write_all(&f.content)
                .map_err(|e| Error::io("writing", &dest, e))
        })
        .collect();
    written.into_iter().collect::<Result<()>>()?;
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(Error::Cancelled);
    }
    if !merge && is_current_dir(target) {
        // The shell is in the (empty) target: keep the directory itself, or it
        // would be left in a deleted one. Its entries move in one by one.
        let entries = fs::read_dir(staging).map_err(|e| Error::io("reading", staging, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("reading", staging, e))?;
            let dest = target.join(entry.file_name());
            fs::rename(entry.path(), &dest)
                .map_err(|e| Error::io("moving into place", &dest, e))?;
        }
        return Ok(Report {
            created: files.len(),
            ..Report::default()
        });
    }
    if !merge {
        // An empty existing directory is replaced atomically by rename(2).
        fs::rename(staging, target).map_err(|e| Error::io("moving the project into", target, e))?;
        return Ok(Report {
            created: files.len(),
            ..Report::default()
        });
    }

    // Check the whole route of every destination before moving anything.
    for f in files {
        check_no_symlinks(target, &f.path)?;
        let dest = target.join(&f.path);
        if let Ok(m) = fs::symlink_metadata(&dest) {
            if m.is_dir() {
                return Err(Error::Usage(format!(
                    "{}: is a directory where stackwright writes a file",
                    dest.display()
                )));
            }
        }
    }
    let mut report = Report::default();
    for f in files {
        let dest = target.join(&f.path);
        match fs::read(&dest) {
            Ok(old) if old == f.content => {
                report.unchanged += 1;
                continue;
            }
            Ok(_) => report.updated += 1,
            Err(_) => report.created += 1,
        }
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        }
        fs::rename(staging.join(&f.path), &dest)
            .map_err(|e| Error::io("moving into place", &dest, e))?;
    }
    Ok(report)
}

fn is_current_dir(target: &Path) -> bool {
    match (
        fs::canonicalize(target),
        std::env::current_dir().and_then(fs::canonicalize),
    ) {
        (Ok(t), Ok(cwd)) => t == cwd,
        _ => false,
    }
}

/// Refuses a destination whose existing ancestors inside the target are symbolic links.
pub(crate) fn check_no_symlinks(target: &Path, rel: &str) -> Result<()> {
    let mut cur = target.to_path_buf();
    for part in rel.split('/') {
        cur.push(part);
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::UnsafePath {
                    path: rel.to_string(),
                    reason: format!(
                        "{} is a symbolic link; stackwright does not write through links",
                        cur.display()
                    ),
                })
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

/// The tree that would be written, with sizes, for `--dry-run`.
pub fn tree(files: &[RenderedFile]) -> String {
    let mut out = String::new();
    let mut last_dirs: Vec<&str> = Vec::new();
    let total: usize = files.iter().map(|f| f.content.len()).sum();
    for f in files {
        let parts: Vec<&str> = f.path.split('/').collect();
        let dirs = &parts[..parts.len() - 1];
        let common = last_dirs
            .iter()
            .zip(dirs)
            .take_while(|(a, b)| a == b)
            .count();
        for (depth, d) in dirs.iter().enumerate().skip(common) {
            out.push_str(&format!("{}{d}/\n", "  ".repeat(depth)));
        }
        out.push_str(&format!(
            "{}{:<w$} {:>8}\n",
            "  ".repeat(dirs.len()),
            parts[parts.len() - 1],
            human(f.content.len()),
            w = 44usize.saturating_sub(2 * dirs.len())
        ));
        last_dirs = dirs.to_vec();
    }
    out.push_str(&format!("{} files, {}\n", files.len(), human(total)));
    out
}

fn human(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_refused() {
        for p in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a\\b",
            "",
            "a//b",
            "./a",
            "a/\0",
        ] {
            assert!(safe_relative_path(p).is_err(), "{p:?}");
        }
        assert!(safe_relative_path("templates/network.yaml").is_ok());
        assert!(safe_relative_path(".stackwright/answers.yaml").is_ok());
    }

    #[test]
    fn git_metadata_is_refused_in_every_spelling() {
        for p in [
            ".git/config",
            ".GIT/config",
            ".Git/hooks/pre-commit",
            "sub/.git/config",
            ".git./config",
            ".git /config",
            ".git. . /config",
            ".g\u{200c}it/config",
            "\u{feff}.git/config",
            "GIT~1/config",
            "git~2/hooks/x",
            ".gitmodules",
            "a/.GitModules",
            "GITMOD~1",
            "gi7eba~1",
        ] {
            assert!(safe_relative_path(p).is_err(), "{p:?}");
        }
        for p in [
            ".gitignore",
            ".github/workflows/ci.yml",
            "git/x",
            ".gitattributes",
            "git~x",
        ] {
            assert!(safe_relative_path(p).is_ok(), "{p:?}");
        }
    }

    #[test]
    fn names_windows_cannot_hold_are_refused() {
        for p in [
            "a:b.txt",
            "docs/x?.md",
            "con",
            "CON.txt",
            "docs/nul.yaml",
            "Aux",
            "com1",
            "LPT9.log",
            "com\u{b9}",
            "dir./x",
            "x ",
            "a<b",
            "a|b",
            "a\"b",
            "a*b",
        ] {
            assert!(safe_relative_path(p).is_err(), "{p:?}");
        }
        for p in [
            "console.md",
            "com10",
            "lpt",
            "auxiliary/x",
            "nul_test.py",
            "a.b.c",
        ] {
            assert!(safe_relative_path(p).is_ok(), "{p:?}");
        }
    }

    #[test]
    fn paths_differing_only_in_case_collide() {
        assert!(check_case_collisions([("a/demo.txt", "x"), ("a/DEMO.txt", "y")]).is_err());
        assert!(check_case_collisions([("Docs/a.md", "x"), ("docs/b.md", "x")]).is_err());
        assert!(
            check_case_collisions([("docs/a.md", "x"), ("docs/b.md", "x"), ("Readme", "x")])
                .is_ok()
        );
        let err = check_case_collisions([("demo.txt", "one"), ("DEMO.txt", "two")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("blueprint two") && err.contains("blueprint one"),
            "{err}"
        );
    }
}
