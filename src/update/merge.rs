//! The update plan: for every file, base (what stackwright wrote last time),
//! ours (the file on disk) and theirs (the new render) decide what happens.
//! Pure: reads the project through a callback, writes nothing.

use std::collections::{BTreeMap, BTreeSet};

use diffy::MergeOptions;

use super::snapshot::is_bookkeeping;

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// New in this render, written.
    Added,
    /// Untouched since stackwright wrote it; the new render replaces it.
    Updated,
    /// Edited on disk and changed by the render; both kept (clean three-way merge).
    Merged,
    /// Edited on disk and changed by the render in the same lines: conflict markers written.
    Conflict,
    /// No longer produced and untouched since stackwright wrote it: removed.
    Removed,
    /// No longer produced but edited on disk: kept as it is.
    KeptEdited,
    /// The render would add it, but a file stackwright never wrote is there: left alone.
    KeptNotOurs,
    /// Deleted on disk by the team while the render changed it: left deleted.
    KeptDeleted,
    /// Nothing to do (the file on disk already is the result).
    Unchanged,
}

impl Outcome {
    /// Whether a person has to look at the file.
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            Outcome::Conflict | Outcome::KeptEdited | Outcome::KeptNotOurs | Outcome::KeptDeleted
        )
    }

    pub fn describe(self) -> &'static str {
        match self {
            Outcome::Added => "added",
            Outcome::Updated => "updated",
            Outcome::Merged => "merged with your edits",
            Outcome::Conflict => "conflict: your edits and the new render overlap (markers in the file)",
            Outcome::Removed => "removed (no longer produced, unchanged)",
            Outcome::KeptEdited => "kept: no longer produced, but you edited it",
            Outcome::KeptNotOurs => "kept: stackwright now produces this path, but the file there is not one it wrote (not touched)",
            Outcome::KeptDeleted => "left deleted: you deleted it and the new render changed it",
            Outcome::Unchanged => "unchanged",
        }
    }
}

/// A change to the project on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write `content` to `path` (create or replace).
    Write { path: String, content: Vec<u8> },
    /// Remove `path`, which holds exactly `expect`.
    Delete { path: String, expect: Vec<u8> },
}

impl Action {
    pub fn path(&self) -> &str {
        match self {
            Action::Write { path, .. } | Action::Delete { path, .. } => path,
        }
    }
}

/// Every file's outcome and the changes that carry them out.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub outcomes: BTreeMap<String, Outcome>,
    pub actions: Vec<Action>,
    /// Path → (old content on disk, new content), for the dry-run diff.
    pub before: BTreeMap<String, Option<Vec<u8>>>,
}

impl Plan {
    pub fn count(&self, o: Outcome) -> usize {
        self.outcomes.values().filter(|x| **x == o).count()
    }

    pub fn attention(&self) -> Vec<String> {
        self.outcomes
            .iter()
            .filter(|(_, o)| o.needs_attention())
            .map(|(p, o)| format!("{p}: {}", o.describe()))
            .collect()
    }
}

/// Three-way merge of one text file; `Err` carries the text with conflict markers.
pub fn merge3(base: &[u8], ours: &[u8], theirs: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    MergeOptions::new().merge_bytes(base, ours, theirs)
}

/// Plans the update. `base`: project files stackwright wrote last time;
/// `theirs`: the new render, bookkeeping included; `ours(path)`: the file on
/// disk, `None` when absent.
pub fn plan(
    base: &BTreeMap<String, Vec<u8>>,
    theirs: &BTreeMap<String, Vec<u8>>,
    ours: &dyn Fn(&str) -> Option<Vec<u8>>,
) -> Plan {
    let mut p = Plan::default();
    let paths: BTreeSet<&String> = base.keys().chain(theirs.keys()).collect();
    for path in paths {
        let on_disk = ours(path);
        let (outcome, write) = match (base.get(path), theirs.get(path), &on_disk) {
            // stackwright's own bookkeeping is always replaced.
            (_, Some(new), disk) if is_bookkeeping(path) => match disk {
                Some(d) if d == new => (Outcome::Unchanged, None),
                Some(_) => (Outcome::Updated, Some(new.clone())),
                None => (Outcome::Added, Some(new.clone())),
            },
            (_, Some(new), Some(disk)) if disk == new => (Outcome::Unchanged, None),
            (None, Some(new), None) => (Outcome::Added, Some(new.clone())),
            (None, Some(_), Some(_)) => (Outcome::KeptNotOurs, None),
            (Some(old), Some(new), None) => {
                if old == new {
                    (Outcome::Unchanged, None)
                } else {
                    (Outcome::KeptDeleted, None)
                }
            }
            (Some(old), Some(new), Some(disk)) => {
                if disk == old {
                    (Outcome::Updated, Some(new.clone()))
                } else if old == new {
                    (Outcome::Unchanged, None)
                } else {
                    match merge3(old, disk, new) {
                        Ok(merged) if &merged == disk => (Outcome::Unchanged, None),
                        Ok(merged) => (Outcome::Merged, Some(merged)),
                        Err(marked) => (Outcome::Conflict, Some(marked)),
                    }
                }
            }
            (Some(old), None, Some(disk)) => {
                if is_bookkeeping(path) {
                    continue;
                }
                if disk == old {
                    p.actions.push(Action::Delete {
                        path: path.clone(),
                        expect: disk.clone(),
                    });
                    p.before.insert(path.clone(), on_disk.clone());
                    (Outcome::Removed, None)
                } else {
                    (Outcome::KeptEdited, None)
                }
            }
            (Some(_), None, None) | (None, None, _) => continue,
        };
        if let Some(content) = write {
            p.before.insert(path.clone(), on_disk.clone());
            p.actions.push(Action::Write {
                path: path.clone(),
                content,
            });
        }
        p.outcomes.insert(path.clone(), outcome);
    }
    p
}

/// The unified diff of the plan, for `--dry-run`.
pub fn diff(p: &Plan) -> String {
    let mut out = String::new();
    for action in &p.actions {
        let path = action.path();
        let old = p.before.get(path).cloned().flatten().unwrap_or_default();
        let new = match action {
            Action::Write { content, .. } => content.clone(),
            Action::Delete { .. } => Vec::new(),
        };
        if path.ends_with(".gz") {
            out.push_str(&format!(
                "Binary file {path}: {} -> {} bytes\n",
                old.len(),
                new.len()
            ));
            continue;
        }
        let old_name = if p.before.get(path).is_some_and(Option::is_some) {
            format!("a/{path}")
        } else {
            "/dev/null".to_string()
        };
        let new_name = match action {
            Action::Write { .. } => format!("b/{path}"),
            Action::Delete { .. } => "/dev/null".to_string(),
        };
        let patch = diffy::DiffOptions::new()
            .set_original_filename(old_name)
            .set_modified_filename(new_name)
            .create_patch(
                &String::from_utf8_lossy(&old),
                &String::from_utf8_lossy(&new),
            )
            .to_string();
        out.push_str(&patch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(items: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        items
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn every_combination_of_base_ours_theirs() {
        let base = map(&[
            ("same", "a\n"),
            ("untouched", "a\nb\nc\n"),
            ("edited", "1\n2\n3\n4\n5\n"),
            ("clash", "x\n"),
            ("gone-clean", "g\n"),
            ("gone-edited", "g\n"),
            ("deleted", "d\n"),
        ]);
        let theirs = map(&[
            ("same", "a\n"),
            ("untouched", "a\nB\nc\n"),
            ("edited", "1\n2\n3\n4\nFIVE\n"),
            ("clash", "theirs\n"),
            ("new", "n\n"),
            ("user-file", "stackwright's\n"),
            ("deleted", "D\n"),
        ]);
        let disk = map(&[
            ("same", "a\n"),
            ("untouched", "a\nb\nc\n"),
            ("edited", "ONE\n2\n3\n4\n5\n"),
            ("clash", "ours\n"),
            ("gone-clean", "g\n"),
            ("gone-edited", "g edited\n"),
            ("user-file", "the team's\n"),
        ]);
        let p = plan(&base, &theirs, &|path| disk.get(path).cloned());
        let o = |path: &str| p.outcomes[path];
        assert_eq!(o("same"), Outcome::Unchanged);
        assert_eq!(o("untouched"), Outcome::Updated);
        assert_eq!(o("edited"), Outcome::Merged);
        assert_eq!(o("clash"), Outcome::Conflict);
        assert_eq!(o("new"), Outcome::Added);
        assert_eq!(o("gone-clean"), Outcome::Removed);
        assert_eq!(o("gone-edited"), Outcome::KeptEdited);
        assert_eq!(o("user-file"), Outcome::KeptNotOurs);
        assert_eq!(o("deleted"), Outcome::KeptDeleted);
        let written: BTreeMap<&str, &[u8]> = p
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::Write { path, content } => Some((path.as_str(), content.as_slice())),
                Action::Delete { .. } => None,
            })
            .collect();
        assert_eq!(written["edited"], b"ONE\n2\n3\n4\nFIVE\n");
        let clash = String::from_utf8_lossy(written["clash"]);
        assert!(
            clash.contains("<<<<<<<") && clash.contains("ours\n") && clash.contains("theirs\n")
        );
        assert!(!written.contains_key("user-file") && !written.contains_key("gone-edited"));
        assert!(p.actions.contains(&Action::Delete {
            path: "gone-clean".into(),
            expect: b"g\n".to_vec()
        }));
        assert_eq!(p.attention().len(), 4);
    }
}
