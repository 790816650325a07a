//! git, shelled out to: the uncommitted-changes check before an update, and
//! blueprint sets kept in git repositories (`--blueprints git+URL[@REF]`),
//! cloned once into the cache and checked out per commit.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::lock::{hex, GitPin};
use crate::error::{Error, Result};

/// `git+URL[@REF]` as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitSpec {
    pub url: String,
    pub reference: Option<String>,
}

/// Parses `git+URL[@REF]`; `None` when `arg` is not a git source. The ref is
/// split off after the host part (`git+ssh://git@host/repo@v2` → `v2`), so
/// user names in URLs stay intact.
pub fn parse_spec(arg: &str) -> Option<Result<GitSpec>> {
    let rest = arg.strip_prefix("git+")?;
    let path_start = if let Some(i) = rest.find("://") {
        let after = i + 3;
        rest[after..]
            .find('/')
            .map(|j| after + j)
            .unwrap_or(rest.len())
    } else if let Some(i) = rest.find(':') {
        i + 1 // scp-like user@host:path
    } else {
        0
    };
    let (url, reference) = match rest[path_start..].find('@') {
        Some(j) => (
            &rest[..path_start + j],
            Some(rest[path_start + j + 1..].to_string()),
        ),
        None => (rest, None),
    };
    if url.is_empty() || url.starts_with('-') {
        return Some(Err(Error::Usage(format!(
            "--blueprints {arg}: expected git+URL[@REF], e.g. git+https://github.com/org/blueprints@v1.2 or git+file:///srv/blueprints"
        ))));
    }
    if let Some(r) = &reference {
        if let Err(e) = check_ref(r) {
            return Some(Err(Error::Usage(format!("--blueprints {arg}: {e}"))));
        }
    }
    Some(Ok(GitSpec {
        url: url.to_string(),
        reference,
    }))
}

/// A ref is a tag, branch or commit: refuse what git would read as an option or a range.
pub fn check_ref(r: &str) -> std::result::Result<(), String> {
    if r.is_empty() || r.starts_with('-') || r.contains("..") || r.chars().any(char::is_whitespace)
    {
        Err(format!("`{r}` is not a tag, branch or commit name"))
    } else {
        Ok(())
    }
}

fn git(args: &[&str], dir: Option<&Path>) -> Result<String> {
    let mut cmd = Command::new("git");
    if let Some(d) = dir {
        cmd.arg("-C").arg(d);
    }
    cmd.args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C");
    let out = cmd.output().map_err(|e| {
        Error::Usage(format!(
            "running git ({e}); stackwright needs git on PATH for --blueprints git+URL and the uncommitted-changes check"
        ))
    })?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Uncommitted changes under `dir` as `git status --porcelain` lines; `None`
/// when `dir` is not in a git work tree (or git is not installed).
pub fn uncommitted(dir: &Path) -> Option<Vec<String>> {
    let inside = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .ok()?;
    if !inside.status.success() || String::from_utf8_lossy(&inside.stdout).trim() != "true" {
        return None;
    }
    let status = git(
        &[
            "status",
            "--porcelain",
            "--untracked-files=normal",
            "--",
            ".",
        ],
        Some(dir),
    )
    .ok()?;
    Some(status.lines().map(str::to_string).collect())
}

/// Where git blueprint sets are cached (`STACKWRIGHT_CACHE_DIR` overrides).
pub fn cache_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("STACKWRIGHT_CACHE_DIR") {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "stackwright")
        .map(|d| d.cache_dir().to_path_buf())
        .ok_or_else(|| {
            Error::Usage(
                "no cache directory for git blueprint sets; set STACKWRIGHT_CACHE_DIR".into(),
            )
        })
}

fn repo_cache(url: &str) -> Result<PathBuf> {
    let key = hex(&Sha256::digest(url.as_bytes()));
    Ok(cache_dir()?.join("git").join(&key[..24]))
}

/// The bare clone of `url`, fetched fresh when `refresh` (or cloned on first use).
fn mirror(url: &str, refresh: bool) -> Result<PathBuf> {
    let root = repo_cache(url)?;
    let bare = root.join("repo.git");
    std::fs::create_dir_all(&root).map_err(|e| Error::io("creating", &root, e))?;
    if !bare.join("HEAD").is_file() {
        let tmp = root.join(format!(".clone-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let tmp_s = tmp.to_string_lossy().into_owned();
        git(&["clone", "--bare", "--quiet", "--", url, &tmp_s], None)
            .map_err(|e| Error::Usage(format!("--blueprints git+{url}: {e}")))?;
        if std::fs::rename(&tmp, &bare).is_err() {
            // Another run cloned it meanwhile.
            let _ = std::fs::remove_dir_all(&tmp);
        }
    } else if refresh {
        git(
            &[
                "fetch",
                "--quiet",
                "--prune",
                "--force",
                "--",
                url,
                "+refs/heads/*:refs/heads/*",
                "+refs/tags/*:refs/tags/*",
            ],
            Some(&bare),
        )
        .map_err(|e| Error::Usage(format!("--blueprints git+{url}: {e}")))?;
    }
    Ok(bare)
}

fn resolve(bare: &Path, url: &str, reference: &str) -> Result<String> {
    check_ref(reference).map_err(|e| Error::Usage(format!("git+{url}@{reference}: {e}")))?;
    let spec = format!("{reference}^{{commit}}");
    git(
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
        Some(bare),
    )
    .map(|s| s.trim().to_string())
    .map_err(|_| {
        Error::Usage(format!(
            "git+{url}: no tag, branch or commit `{reference}` in the repository"
        ))
    })
}

/// The working files of one commit, checked out once into the cache.
fn checkout(bare: &Path, commit: &str) -> Result<PathBuf> {
    let root = bare.parent().expect("cache layout");
    let dir = root.join(commit);
    if dir.is_dir() {
        return Ok(dir);
    }
    let tmp = root.join(format!(".checkout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let tmp_s = tmp.to_string_lossy().into_owned();
    let bare_s = bare.to_string_lossy().into_owned();
    git(
        &["clone", "--quiet", "--no-checkout", "--", &bare_s, &tmp_s],
        None,
    )?;
    git(&["checkout", "--quiet", "--detach", commit], Some(&tmp))?;
    let _ = std::fs::remove_dir_all(tmp.join(".git"));
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(dir)
}

/// Fetches `url` and checks out `reference` (the remote's default branch when
/// `None`): the blueprint directory and the pinned commit.
pub fn fetch(url: &str, reference: Option<&str>) -> Result<(PathBuf, GitPin)> {
    let bare = mirror(url, true)?;
    let commit = resolve(&bare, url, reference.unwrap_or("HEAD"))?;
    let dir = checkout(&bare, &commit)?;
    Ok((
        dir,
        GitPin {
            url: url.to_string(),
            commit,
        },
    ))
}

/// The blueprint directory of a pinned commit, from the cache when it is there.
pub fn at_commit(pin: &GitPin) -> Result<PathBuf> {
    let root = repo_cache(&pin.url)?;
    if root.join(&pin.commit).is_dir() {
        return Ok(root.join(&pin.commit));
    }
    let mut bare = mirror(&pin.url, false)?;
    if resolve(&bare, &pin.url, &pin.commit).is_err() {
        bare = mirror(&pin.url, true)?;
    }
    let commit = resolve(&bare, &pin.url, &pin.commit)?;
    checkout(&bare, &commit)
}

/// Splits `--blueprints` arguments into directories and at most one git source,
/// fetched and checked out.
pub fn expand(args: &[PathBuf]) -> Result<(Vec<PathBuf>, Option<GitPin>)> {
    let mut dirs = Vec::new();
    let mut pin = None;
    for a in args {
        let text = a.to_string_lossy();
        match parse_spec(&text) {
            None => dirs.push(a.clone()),
            Some(spec) => {
                let spec = spec?;
                if pin.is_some() {
                    return Err(Error::Usage(
                        "--blueprints: one git+URL blueprint set at a time".into(),
                    ));
                }
                let (dir, p) = fetch(&spec.url, spec.reference.as_deref())?;
                dirs.push(dir);
                pin = Some(p);
            }
        }
    }
    Ok((dirs, pin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(arg: &str) -> (String, Option<String>) {
        let s = parse_spec(arg).unwrap().unwrap();
        (s.url, s.reference)
    }

    #[test]
    fn refs_are_split_after_the_host() {
        assert_eq!(spec("git+file:///srv/bp"), ("file:///srv/bp".into(), None));
        assert_eq!(
            spec("git+file:///srv/bp@v1.2"),
            ("file:///srv/bp".into(), Some("v1.2".into()))
        );
        assert_eq!(
            spec("git+ssh://git@host/org/bp@feature/x"),
            ("ssh://git@host/org/bp".into(), Some("feature/x".into()))
        );
        assert_eq!(
            spec("git+git@github.com:org/bp@main"),
            ("git@github.com:org/bp".into(), Some("main".into()))
        );
        assert!(parse_spec("blueprints/dir").is_none());
        assert!(parse_spec("git+file:///x@-evil").unwrap().is_err());
        assert!(parse_spec("git+file:///x@a..b").unwrap().is_err());
    }
}
