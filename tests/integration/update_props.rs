//! Property test of the update merge: random edits by the team in regions
//! the new render does not touch survive an update byte for byte, on real
//! renders of the built-in blueprints (answer changes that add, change and
//! remove files), and never produce a conflict.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use proptest::prelude::*;
use stackwright::answers;
use stackwright::blueprint::{self, Blueprint};
use stackwright::update::merge::{self, Action, Outcome};

/// Cases run by [`untouched_regions_survive_byte_for_byte`].
pub const CASES: u32 = 256;

type Files = BTreeMap<String, String>;

fn builtins() -> &'static [Blueprint] {
    static B: OnceLock<Vec<Blueprint>> = OnceLock::new();
    B.get_or_init(|| blueprint::source::resolve("cloudformation", &[]).unwrap())
}

fn render(answers_text: &str) -> Files {
    let loaded = answers::load_str(
        "answers.yaml",
        answers_text,
        stackwright::flavours::answer_rules,
    )
    .unwrap();
    stackwright::flavours::render(&loaded, builtins())
        .unwrap()
        .files
        .into_iter()
        .filter(|f| !f.path.starts_with(".stackwright/"))
        .map(|f| (f.path, String::from_utf8(f.content).unwrap()))
        .collect()
}

const BASE: &str = "project: {name: shop, owner: platform}\nregion: eu-west-1\nenvironments:\n  - {name: dev}\n  - {name: staging}\n  - {name: prod, profile: production, approval: true}\ndatabase: {engine: postgres}\n";

/// (before, after) renders of answer changes an update typically carries.
fn scenarios() -> &'static [(Files, Files)] {
    static S: OnceLock<Vec<(Files, Files)>> = OnceLock::new();
    S.get_or_init(|| {
        let base = render(BASE);
        [
            BASE.replace("owner: platform", "owner: payments-team"),
            BASE.replace("engine: postgres", "engine: mysql"),
            BASE.replace("engine: postgres", "engine: none"),
            BASE.replace("database:", "  - {name: qa}\ndatabase:"),
            BASE.replace("  - {name: staging}\n", ""),
        ]
        .iter()
        .map(|after| (base.clone(), render(after)))
        .collect()
    })
}

fn lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

/// Base line ranges (0-based, half-open) the new render changes, widened by
/// `margin` lines on each side, and the line offset after each change.
fn changed(base: &str, theirs: &str, margin: usize) -> Vec<(usize, usize, isize)> {
    let patch = diffy::DiffOptions::new()
        .set_context_len(0)
        .create_patch(base, theirs);
    patch
        .hunks()
        .iter()
        .map(|h| {
            let old = h.old_range();
            let new = h.new_range();
            // Unified-diff starts are 1-based, or the line before for empty ranges.
            let start = old.start().saturating_sub(1);
            let end = old.start() + old.len();
            (
                start.saturating_sub(margin),
                end + margin,
                new.len() as isize - old.len() as isize,
            )
        })
        .collect()
}

#[derive(Debug, Clone)]
enum Edit {
    InsertBefore(u32),
    Replace(u32),
    Delete,
}

fn edit_strategy() -> impl Strategy<Value = (usize, usize, Edit)> {
    (
        any::<usize>(),
        any::<usize>(),
        prop_oneof![
            any::<u32>().prop_map(Edit::InsertBefore),
            any::<u32>().prop_map(Edit::Replace),
            Just(Edit::Delete),
        ],
    )
}

/// Applies edits keyed by line index (distinct, applied bottom-up); each
/// carries the base line it was made on, which labels the text it writes.
fn apply(lines_in: &[String], edits: &BTreeMap<usize, (usize, Edit)>) -> String {
    let mut out: Vec<String> = lines_in.to_vec();
    for (i, (label, e)) in edits.iter().rev() {
        match e {
            Edit::InsertBefore(salt) => out.insert(
                *i,
                format!("team note {salt:08x} before base line {label}\n"),
            ),
            Edit::Replace(salt) => {
                let nl = if out[*i].ends_with('\n') { "\n" } else { "" };
                out[*i] = format!("team value {salt:08x} at base line {label}{nl}");
            }
            Edit::Delete => {
                out.remove(*i);
            }
        }
    }
    out.concat()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn untouched_regions_survive_byte_for_byte(
        scenario in 0usize..5,
        picks in proptest::collection::vec(edit_strategy(), 1..12),
    ) {
        let (base, theirs) = &scenarios()[scenario];
        let paths: Vec<&String> = base.keys().collect();
        // Edits grouped per file, on lines the render leaves alone (2 lines of margin).
        let mut per_file: BTreeMap<&String, BTreeMap<usize, Edit>> = BTreeMap::new();
        for (f, l, e) in picks {
            let path = paths[f % paths.len()];
            let base_lines = lines(&base[path]);
            if base_lines.is_empty() {
                continue;
            }
            let i = l % base_lines.len();
            let touched = match theirs.get(path) {
                Some(t) => changed(&base[path], t, 2).iter().any(|(s, e, _)| i >= *s && i < *e),
                None => false, // no longer produced: every line is the team's to keep
            };
            if touched {
                continue;
            }
            per_file.entry(path).or_default().insert(i, e);
        }
        let mut ours: Files = base.clone();
        for (path, edits) in &per_file {
            let labelled = edits.iter().map(|(i, e)| (*i, (*i, e.clone()))).collect();
            ours.insert((*path).clone(), apply(&lines(&base[*path]), &labelled));
        }
        // What the team must find after the update: the new render with the
        // same edits at the same (shifted) lines; edited files the render no
        // longer makes stay as they are.
        let mut expected: BTreeMap<String, Option<String>> = theirs
            .iter()
            .map(|(p, t)| (p.clone(), Some(t.clone())))
            .collect();
        for p in base.keys().filter(|p| !theirs.contains_key(*p)) {
            expected.insert(p.clone(), None);
        }
        for (path, edits) in &per_file {
            let Some(t) = theirs.get(*path) else {
                expected.insert((*path).clone(), Some(ours[*path].clone()));
                continue;
            };
            let hunks = changed(&base[*path], t, 0);
            let theirs_lines = lines(t);
            let base_lines = lines(&base[*path]);
            let mut mapped = BTreeMap::new();
            for (i, e) in edits {
                let shift: isize = hunks.iter().filter(|(_, end, _)| *end <= *i).map(|(_, _, d)| d).sum();
                let j = (*i as isize + shift) as usize;
                prop_assert_eq!(&theirs_lines[j], &base_lines[*i], "line mapping in {}", path);
                mapped.insert(j, (*i, e.clone()));
            }
            expected.insert((*path).clone(), Some(apply(&theirs_lines, &mapped)));
        }

        let to_bytes = |m: &Files| -> BTreeMap<String, Vec<u8>> {
            m.iter().map(|(k, v)| (k.clone(), v.as_bytes().to_vec())).collect()
        };
        let (base_b, theirs_b, ours_b) = (to_bytes(base), to_bytes(theirs), to_bytes(&ours));
        let plan = merge::plan(&base_b, &theirs_b, &|p| ours_b.get(p).cloned());
        prop_assert_eq!(plan.count(Outcome::Conflict), 0, "{:?}", plan.attention());
        let mut result: BTreeMap<String, Option<Vec<u8>>> =
            ours_b.iter().map(|(k, v)| (k.clone(), Some(v.clone()))).collect();
        for a in &plan.actions {
            match a {
                Action::Write { path, content } => result.insert(path.clone(), Some(content.clone())),
                Action::Delete { path, .. } => result.insert(path.clone(), None),
            };
        }
        for (path, want) in &expected {
            let got = result.get(path).cloned().flatten();
            let want = want.as_ref().map(|s| s.as_bytes().to_vec());
            if got != want {
                let show = |b: &Option<Vec<u8>>| b.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
                let (w, g) = (show(&want), show(&got));
                let d = diffy::create_patch(&w, &g).to_string();
                prop_assert!(false, "{} differs after the update (edits: {:?}); expected -> got:\n{}", path, per_file.get(path), d);
            }
        }
    }
}
