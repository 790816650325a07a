//! Criterion benchmarks of `stackwright update` on a 3-environment project
//! (the full stack: Aurora PostgreSQL, ECS, pipeline) under git, with a team
//! edit in one template: an answer change that rewrites most files, an update
//! with nothing to do, and a dry run of an engine switch. Each iteration runs
//! on a fresh copy of the project (the copy is not timed).
//!
//! Run: `cargo bench --bench update`.

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use stackwright::cli::UpdateArgs;

const ANSWERS: &str = "version: 1\nproject: {name: bench, owner: perf, cost_center: CC-1}\nregion: eu-west-1\n\
network: {availability_zones: 3, endpoints: [s3, dynamodb, ssm, secretsmanager, kms, logs], trusted_cidrs: [203.0.113.0/24]}\n\
database: {engine: aurora-postgresql}\napp: {kind: ecs, port: 8443}\n\
pipeline: {stages: [validate, test, security_scan, build, deploy, integration_test]}\n\
environments:\n  - {name: dev}\n  - {name: staging}\n  - {name: prod, profile: production, approval: true}\n";

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .status()
        .expect("git runs")
        .success();
    assert!(ok, "git {args:?}");
}

fn copy(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// The pristine project: generated, a team edit, committed.
fn pristine(root: &Path) -> PathBuf {
    let dir = root.join("pristine");
    std::fs::write(root.join("answers.yaml"), ANSWERS).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_stackwright"))
        .args(["new", "--answers"])
        .arg(root.join("answers.yaml"))
        .arg("--out")
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let net = dir.join("templates/network.yaml");
    let text = std::fs::read_to_string(&net).unwrap();
    std::fs::write(&net, format!("# reviewed by netops\n{text}")).unwrap();
    git(&dir, &["init", "-q"]);
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "generated"]);
    dir
}

fn args(dir: &Path, sets: &[&str], dry_run: bool) -> UpdateArgs {
    UpdateArgs {
        dir: dir.to_path_buf(),
        sets: sets.iter().map(|s| s.to_string()).collect(),
        answers: None,
        preset: None,
        wizard: false,
        to_current_versions: false,
        dry_run,
        allow_dirty: false,
        blueprint_dirs: Vec::new(),
        to_ref: None,
    }
}

fn benches(c: &mut Criterion) {
    let root = tempfile::tempdir().unwrap();
    let pristine = pristine(root.path());
    let mut g = c.benchmark_group("update_3_envs");
    g.sample_size(20);
    let fresh = || {
        let t = tempfile::tempdir().unwrap();
        copy(&pristine, t.path());
        t
    };
    g.bench_function("change_owner", |b| {
        b.iter_batched(
            fresh,
            |t| {
                stackwright::update::run(&args(t.path(), &["project.owner=payments"], false))
                    .expect("update");
                t
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("nothing_to_do", |b| {
        b.iter_batched(
            fresh,
            |t| {
                stackwright::update::run(&args(t.path(), &[], false)).expect("update");
                t
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("dry_run_engine_switch", |b| {
        b.iter_batched(
            fresh,
            |t| {
                stackwright::update::run(&args(t.path(), &["database.engine=mysql"], true))
                    .expect("dry run");
                t
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(update, benches);
criterion_main!(update);
