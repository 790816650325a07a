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
