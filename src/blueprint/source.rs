//! Where blueprints come from: embedded built-ins, the user config directory,
//! and `--blueprints DIR`. On-disk blueprints are untrusted input: only regular
//! files inside the blueprint folder are read, within size limits.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use include_dir::{include_dir, Dir};
use rayon::prelude::*;
use std::io::Read;

use super::manifest::Manifest;
use crate::error::{Error, Result};

static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/blueprints");

/// (flavour, blueprint, manifest) of every built-in blueprint: build.rs
/// transcodes each `blueprint.yaml` to JSON.
static BUILTIN_MANIFESTS: &[(&str, &str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/builtin_manifests.rs"));

const MAX_FILE_BYTES: u64 = 1024 * 1024;
const MAX_FILES: usize = 2000;
pub const MANIFEST: &str = "blueprint.yaml";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    Dir(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built-in"),
            Origin::Dir(p) => write!(f, "{}", p.display()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Blueprint {
    pub manifest: Manifest,
    pub origin: Origin,
    /// Every file of the folder except the manifest: relative path → text
    /// (borrowed from the binary for built-ins).
    pub files: BTreeMap<String, Cow<'static, str>>,
}

/// The built-in blueprints of a flavour, sorted by name.
pub fn builtin(flavor: &str) -> Result<Vec<Blueprint>> {
    let mut out = Vec::new();
    for (_, name, json) in BUILTIN_MANIFESTS.iter().filter(|(f, _, _)| *f == flavor) {
        let manifest: Manifest = serde_json::from_str(json)
            .map_err(|e| Error::blueprint(*name, format!("built-in {MANIFEST}: {e}")))?;
        let mut files = BTreeMap::new();
        if let Some(dir) = BUILTIN.get_dir(format!("{flavor}/{name}")) {
            collect_embedded(dir, dir.path(), &mut files);
        }
        files.remove(MANIFEST);
        out.push(Blueprint {
            manifest,
            origin: Origin::BuiltIn,
            files,
        });
    }
    out.sort_by(|a, b| a.manifest.name.cmp(&b.manifest.name));
    Ok(out)
}

fn collect_embedded(
    dir: &Dir<'static>,
    root: &Path,
    out: &mut BTreeMap<String, Cow<'static, str>>,
) {
    for file in dir.files() {
        let rel = file.path().strip_prefix(root).unwrap_or(file.path());
        if let Some(text) = file.contents_utf8() {
            out.insert(
                rel.to_string_lossy().replace('\\', "/"),
                Cow::Borrowed(text),
            );
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, root, out);
    }
}

fn parse_manifest(name: &str, text: &str) -> Result<Manifest> {
    crate::yaml::from_str::<Manifest>(text)
        .map_err(|e| Error::blueprint(name, format!("{MANIFEST}: {e}")))
}

/// Blueprints of a flavour found under `root/<flavor>/<name>/blueprint.yaml`.
pub fn from_dir(root: &Path, flavor: &str) -> Result<Vec<Blueprint>> {
    let base = root.join(flavor);
    if !base.is_dir() {
        let found = flavours_in(root);
        let holds = if found.is_empty() {
            String::new()
        } else {
            format!(
                " (it holds {}; choose one with --set flavor=NAME or `flavor:` in the answers)",
                found.join(", ")
            )
        };
        return Err(Error::Usage(format!(
            "{}: no `{flavor}` folder{holds}; a blueprint directory holds <flavour>/<name>/{MANIFEST}",
            root.display()
        )));
    }
    let mut out = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(&base)
        .map_err(|e| Error::io("reading", &base, e))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let meta = fs::symlink_metadata(&path).map_err(|e| Error::io("reading", &path, e))?;
        if !meta.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_string();
        let mut files = read_tree(&path, &name)?;
        let manifest_text = files.remove(MANIFEST).ok_or_else(|| {
            Error::blueprint(&name, format!("{} has no {MANIFEST}", path.display()))
        })?;
        let manifest = parse_manifest(&name, &manifest_text)?;
        for spec in &manifest.files {
            if !files.contains_key(&spec.template) {
                return Err(Error::blueprint(
                    &name,
                    format!(
                        "{MANIFEST} names template `{}`, which is not a file inside {}",
                        spec.template,
                        path.display()
                    ),
                ));
            }
        }
        out.push(Blueprint {
            manifest,
            origin: Origin::Dir(path.clone()),
            files,
        });
    }
    Ok(out)
}

/// Lists the regular files of a blueprint folder (relative path, path),
/// refusing symbolic links and too many files; contents are read afterwards.
fn list_tree(root: &Path, dir: &Path, name: &str, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| Error::io("reading", dir, e))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| Error::io("reading", &path, e))?;
        if kind.is_symlink() {
            return Err(Error::blueprint(
                name,
                format!("{} is a symbolic link; blueprint files must be regular files inside the blueprint folder", path.display()),
            ));
        }
        if kind.is_dir() {
            list_tree(root, &path, name, out)?;
            continue;
        }
        if !kind.is_file() {
            return Err(Error::blueprint(
                name,
                format!(
                    "{} is not a regular file (a pipe, socket or device); blueprint folders hold files and folders only",
                    path.display()
                ),
            ));
        }
        if out.len() >= MAX_FILES {
            return Err(Error::blueprint(
                name,
                format!("more than {MAX_FILES} files"),
            ));
        }
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        out.push((rel, path));
    }
    Ok(())
}

/// Every file of a blueprint folder (read on all cores), each at most 1 MiB.
fn read_tree(root: &Path, name: &str) -> Result<BTreeMap<String, Cow<'static, str>>> {
    let mut listed = Vec::new();
    list_tree(root, root, name, &mut listed)?;
    let read: Vec<Result<(String, Cow<'static, str>)>> = listed
        .into_par_iter()
        .map(|(rel, path)| {
            let file = fs::File::open(&path).map_err(|e| Error::io("reading", &path, e))?;
            let mut text = String::new();
            file.take(MAX_FILE_BYTES + 1)
                .read_to_string(&mut text)
                .map_err(|e| Error::io("reading", &path, e))?;
            if text.len() as u64 > MAX_FILE_BYTES {
                return Err(Error::blueprint(
                    name,
                    format!("{} is larger than 1 MiB", path.display()),
                ));
            }
            Ok((rel, Cow::Owned(text)))
        })
        .collect();
    read.into_iter().collect()
}

/// The flavours built into the binary.
pub fn builtin_flavours() -> Vec<&'static str> {
    let mut out: Vec<&str> = BUILTIN_MANIFESTS.iter().map(|(f, _, _)| *f).collect();
    out.dedup();
    out
}

/// The flavour folders of a blueprint directory: sub-folders holding at least
/// one `<name>/blueprint.yaml`, sorted.
pub fn flavours_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| {
            fs::read_dir(e.path()).is_ok_and(|bps| {
                bps.filter_map(|b| b.ok())
                    .any(|b| b.path().join(MANIFEST).is_file())
            })
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// Built-ins overridden or extended by each directory in turn (later wins by
/// name). Every directory must hold the flavour's folder.
pub fn resolve(flavor: &str, dirs: &[PathBuf]) -> Result<Vec<Blueprint>> {
    let mut all = builtin(flavor)?;
    for dir in dirs {
        for bp in from_dir(dir, flavor)? {
            match all.iter_mut().find(|b| b.manifest.name == bp.manifest.name) {
                Some(slot) => *slot = bp,
                None => all.push(bp),
            }
        }
    }
    all.sort_by(|a, b| {
        (a.manifest.order, &a.manifest.name).cmp(&(b.manifest.order, &b.manifest.name))
    });
    Ok(all)
}
