//! The corpus of malicious answers files under tests/fixtures/hostile/: each
//! starts with `# expect: <fragment>`; stackwright must refuse it with exit 2,
//! that fragment in the message, quickly, and write nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::Test;

fn corpus() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

#[track_caller]
fn refused(name: &str, text: &str, expect: &str) {
    let start = Instant::now();
    let run = Test::new()
        .file(name, text)
        .args(&["new", "--answers", name, "--out", "out"])
        .run();
    assert_eq!(run.code(), 2, "{name}: stderr:\n{}", run.stderr());
    assert!(
        run.stderr().contains(expect),
        "{name}: expected {expect:?} in:\n{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains(name),
        "{name}: the message must name the file:\n{}",
        run.stderr()
    );
    assert!(
        !run.dir.join("out").exists(),
        "{name}: something was written"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{name}: took {:?}",
        start.elapsed()
    );
}

#[test]
fn every_corpus_file_is_refused_with_its_message() {
    let corpus = corpus();
    assert!(corpus.len() >= 15, "corpus shrank to {}", corpus.len());
    for (name, text) in corpus {
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{name}: first line must be `# expect: …`"));
        refused(&name, &text, expect);
    }
}

#[test]
fn generated_hostile_inputs() {
    refused("nul.yaml", "project: {owner: \"a\0b\"}\n", "NUL byte");
    refused(
        "huge.yaml",
        &format!("project: {{owner: \"{}\"}}\n", "x".repeat(400_000)),
        "limited to",
    );
    refused(
        "long-value.yaml",
        &format!("project: {{owner: \"{}\"}}\n", "x".repeat(10_000)),
        "project.owner",
    );
    let mut many = String::from("environments:\n");
    for i in 0..10_000 {
        many.push_str(&format!("  - {{name: e{i}}}\n"));
    }
    refused(
        "ten-thousand-environments.yaml",
        &many,
        "values; answers files are small",
    );
    let mut nine = String::from("environments:\n");
    for i in 0..9 {
        nine.push_str(&format!("  - {{name: e{i}}}\n"));
    }
    refused("nine-environments.yaml", &nine, "list 1 to 8 environments");
}

/// One hostile blueprint: its folder name, its files (name, text) and the
/// fragment its refusal must print.
type HostileCase = (String, Vec<(String, String)>, String);

/// The corpus of hostile blueprints under tests/fixtures/hostile-blueprints/:
/// one folder each, `# expect: <fragment>` on the first line of its manifest.
fn blueprint_corpus() -> Vec<HostileCase> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile-blueprints");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.path())
        .collect();
    cases.sort();
    cases
        .into_iter()
        .map(|case| {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            let files: Vec<(String, String)> = std::fs::read_dir(&case)
                .unwrap()
                .flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read_to_string(e.path()).unwrap(),
                    )
                })
                .collect();
            let manifest = &files.iter().find(|(f, _)| f == "blueprint.yaml").unwrap().1;
            let expect = manifest
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("# expect: "))
                .unwrap_or_else(|| panic!("{name}: first line must be `# expect: …`"))
                .to_string();
            (name, files, expect)
        })
        .collect()
}

/// A test directory holding the case as flavour `evil` of `bp/`.
fn with_hostile_blueprint(name: &str, files: &[(String, String)]) -> Test {
    files.iter().fold(Test::new(), |t, (file, text)| {
        t.file(&format!("bp/evil/{name}/{file}"), text)
    })
}

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

#[track_caller]
fn blueprint_refused(run: &crate::Run, name: &str, expect: &str) {
    assert_eq!(run.code(), 1, "{name}: stderr:\n{}", run.stderr());
    let err = run.stderr();
    for fragment in [expect, &format!("blueprint {name}"), "output path `"] {
        assert!(
            err.contains(fragment),
            "{name}: expected {fragment:?} in:\n{err}"
        );
    }
}

#[test]
fn every_hostile_blueprint_is_refused_and_nothing_is_written() {
    let corpus = blueprint_corpus();
    assert!(corpus.len() >= 21, "corpus shrank to {}", corpus.len());
    for (name, files, expect) in &corpus {
        let run = with_hostile_blueprint(name, files)
            .args(&[
                "new",
                "--defaults",
                "--set",
                "flavor=evil",
                "--blueprints",
                "bp",
                "--out",
                "proj",
            ])
            .run();
        blueprint_refused(&run, name, expect);
        assert!(
            !run.dir.join("proj").exists(),
            "{name}: something was written"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&run.dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("stackwright"))
            .collect();
        assert!(leftovers.is_empty(), "{name}: left {leftovers:?}");
    }
}

#[test]
fn hostile_blueprints_leave_an_existing_git_repository_untouched_under_force() {
    for (name, files, expect) in blueprint_corpus() {
        let t =
            with_hostile_blueprint(&name, &files).file("proj/README.md", "the team's own file\n");
        let proj = t.path().join("proj");
        git(&proj, &["init", "-q"]);
        git(&proj, &["add", "README.md"]);
        git(&proj, &["commit", "-q", "-m", "start"]);
        let before = crate::tree(&proj);
        assert!(before.contains_key(".git/config"));
        let run = t
            .args(&[
                "new",
                "--defaults",
                "--set",
                "flavor=evil",
                "--blueprints",
                "bp",
                "--out",
                "proj",
                "--force",
            ])
            .run();
        blueprint_refused(&run, &name, &expect);
        assert_eq!(
            crate::tree(&run.dir.join("proj")),
            before,
            "{name}: the repository changed"
        );
    }
}
