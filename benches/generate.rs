//! Criterion benchmarks of the hot path: loading + validating answers,
//! rendering the full stack in memory, rendering + writing it, and how the
//! cost grows with the number of environments (1, 2, 4, 8).
//!
//! Run: `cargo bench --bench generate` (HTML-free; numbers on stdout).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use stackwright::answers::{self, Layers, Source};
use stackwright::blueprint::source;

/// Answers for `n` environments with every blueprint switched on.
fn answers_yaml(n: usize) -> String {
    let mut y = String::from(
        "version: 1\nproject: {name: bench, owner: perf, cost_center: CC-1}\nregion: eu-west-1\n\
         network: {availability_zones: 3, endpoints: [s3, dynamodb, ssm, secretsmanager, kms, logs], trusted_cidrs: [203.0.113.0/24]}\n\
         database: {engine: aurora-postgresql}\napp: {kind: ecs, port: 8443}\n\
         pipeline: {stages: [validate, test, security_scan, build, deploy, integration_test]}\nenvironments:\n",
    );
    for i in 0..n {
        let profile = if i + 1 == n {
            "production"
        } else {
            "ephemeral"
        };
        y.push_str(&format!(
            "  - {{name: env{i}, profile: {profile}, approval: {}}}\n",
            i + 1 == n
        ));
    }
    y
}

fn load(n: usize) -> answers::Loaded {
    answers::load(
        &Layers {
            answers: Some(Source::new("bench.yaml", answers_yaml(n))),
            ..Layers::default()
        },
        stackwright::flavours::answer_rules,
    )
    .expect("bench answers are valid")
}

fn benches(c: &mut Criterion) {
    let blueprints = source::resolve("cloudformation", &[]).expect("built-in blueprints");
    let text = answers_yaml(3);

    c.bench_function("load_and_validate_3_envs", |b| {
        b.iter(|| {
            answers::load(
                &Layers {
                    answers: Some(Source::new("bench.yaml", black_box(text.clone()))),
                    ..Layers::default()
                },
                stackwright::flavours::answer_rules,
            )
            .unwrap()
        })
    });

    let loaded = load(3);
    let plan = stackwright::flavours::render(&loaded, &blueprints).unwrap();
    let bytes: usize = plan.files.iter().map(|f| f.content.len()).sum();
    let mut g = c.benchmark_group("full_stack_3_envs");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("render_in_memory", |b| {
        b.iter(|| stackwright::flavours::render(black_box(&loaded), &blueprints).unwrap())
    });
    g.bench_function("render_and_write", |b| {
        b.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let plan = stackwright::flavours::render(&loaded, &blueprints).unwrap();
                stackwright::output::write(&dir.path().join("out"), &plan.files, false).unwrap();
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("render_by_environments");
    for n in [1usize, 2, 4, 8] {
        let loaded = load(n);
        g.bench_with_input(BenchmarkId::from_parameter(n), &loaded, |b, l| {
            b.iter(|| stackwright::flavours::render(l, &blueprints).unwrap())
        });
    }
    g.finish();
}

criterion_group! {
    name = generate;
    config = Criterion::default().sample_size(30);
    targets = benches
}
criterion_main!(generate);
