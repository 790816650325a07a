//! Property tests over the answers loader and validator: arbitrary YAML and
//! mutated valid answers never panic and always end in valid answers or a
//! typed error with at least one diagnostic, in bounded time. Valid results
//! must also render with the built-in blueprints. The check every rendered
//! YAML file goes through gets the same treatment, on arbitrary text and on
//! mutated real templates.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use stackwright::answers::{self, Loaded};
use stackwright::blueprint::{self, Blueprint};
use stackwright::error::Error;

fn builtins() -> &'static [Blueprint] {
    static B: OnceLock<Vec<Blueprint>> = OnceLock::new();
    B.get_or_init(|| blueprint::source::resolve("cloudformation", &[]).unwrap())
}

/// A real rendered template (the default network stack) to mutate.
fn network_template() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| {
        let loaded =
            answers::load_str("defaults.yaml", "", stackwright::flavours::answer_rules).unwrap();
        let plan = stackwright::flavours::render(&loaded, builtins()).unwrap();
        let file = plan
            .files
            .iter()
            .find(|f| f.path == "templates/network.yaml")
            .expect("the network template is rendered");
        String::from_utf8(file.content.clone()).unwrap()
    })
}

/// The rendered-YAML check ends in bounded time with an answer or a message.
fn scan(text: &str) {
    let start = Instant::now();
    let result = stackwright::yaml::scan_rendered(text, |_, _| {});
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    if let Err(message) = result {
        assert!(message.contains("line"), "no place in: {message}");
    }
}

fn check(text: &str) -> Option<Loaded> {
    let start = Instant::now();
    let result = answers::load_str("fuzz.yaml", text, stackwright::flavours::answer_rules);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
    match result {
        Ok(loaded) => Some(loaded),
        Err(Error::InvalidAnswers(diags)) => {
            assert!(!diags.is_empty());
            for d in &diags {
                assert!(!d.message.is_empty());
            }
            None
        }
        Err(other) => panic!("unexpected error kind: {other}"),
    }
}

const SEED: &str = "version: 1
project: {name: payments, owner: platform-team, cost_center: CC-1234, tags: {team: pay}}
region: eu-west-1
environments:
  - {name: dev, profile: ephemeral, approval: false}
  - {name: staging, profile: production, approval: true, account_id: \"111122223333\"}
  - {name: prod, profile: production, approval: true, vpc_cidr: 10.20.0.0/16}
network: {availability_zones: 3, nat: auto, endpoints: [s3, ssm, kms], trusted_cidrs: [203.0.113.0/24]}
database: {engine: mysql, version: auto, instance_class: auto, name: appdb}
pipeline: {repository: acme/payments, branch: main, stages: [validate, test, deploy], notification_email: ops@example.com}
app: {kind: lambda, port: 8443}
";

/// Values that are valid somewhere in the model, swapped into random places.
const VALUES: &[&str] = &[
    "none",
    "ec2",
    "ecs",
    "aurora-mysql",
    "aurora-postgresql",
    "postgres",
    "per-az",
    "single",
    "2",
    "3",
    "0",
    "-1",
    "65535",
    "true",
    "false",
    "null",
    "[]",
    "{}",
    "us-west-1",
    "ap-southeast-2",
    "10.0.0.0/24",
    "0.0.0.0/0",
    "::/0",
    "\"012345678901\"",
    "production",
    "ephemeral",
    "[validate, deploy, integration_test]",
    "[integration_test, deploy]",
    "\"a: b\"",
    "dynamodb",
    "[s3, s3]",
    "db.t4g.small",
    "8.4.10",
    "release/1.x",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        check(&text);
    }

    #[test]
    fn arbitrary_yamlish_structures_never_panic(text in "([a-z_]{1,12}: ([-a-z0-9./:\\[\\]{}, ]{0,20})\n){0,12}") {
        check(&text);
    }

    #[test]
    fn rendered_yaml_check_never_panics_on_arbitrary_text(text in "\\PC{0,400}") {
        scan(&text);
    }

    #[test]
    fn rendered_yaml_check_never_panics_on_mutated_templates(
        edits in proptest::collection::vec((0usize..100_000, 0usize..12), 1..6)
    ) {
        let mut text = network_template().to_string();
        for (pos, c) in edits {
            let at = pos % text.len();
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            if c == 11 {
                // Cut a line, as a template with a broken loop would.
                let end = text[at..].find('\n').map_or(text.len(), |e| at + e);
                text.replace_range(at..end, "");
            } else {
                text.insert(at, ['{', '[', ':', '"', '\'', '&', '*', '#', '\t', '-', '\n'][c]);
            }
        }
        scan(&text);
    }

    #[test]
    fn mutated_valid_answers_validate_or_explain(
        edits in proptest::collection::vec((0usize..2000, 0usize..VALUES.len(), 0u8..3), 1..4)
    ) {
        let mut text = SEED.to_string();
        for (pos, value, kind) in edits {
            let at = pos % text.len();
            let at = (0..=at).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            match kind {
                // Replace the scalar after the next `: ` with a value from the pool.
                0 => if let Some(colon) = text[at..].find(": ") {
                    let start = at + colon + 2;
                    let end = text[start..].find([',', '}', '\n']).map_or(text.len(), |e| start + e);
                    text.replace_range(start..end, VALUES[value]);
                },
                // Delete a line.
                1 => {
                    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                    let end = text[at..].find('\n').map_or(text.len(), |e| at + e + 1);
                    text.replace_range(start..end, "");
                }
                // Insert a random character.
                _ => text.insert(at, ['{', '[', ':', '"', '\'', '&', '*', '#', '\t', ' '][value % 10]),
            }
        }
        if let Some(loaded) = check(&text) {
            // Every valid answer set renders: no blueprint may choke on a combination.
            stackwright::flavours::render(&loaded, builtins()).unwrap_or_else(|e| panic!("valid answers failed to render: {e}\n{text}"));
        }
    }
}

#[test]
fn the_unmutated_template_passes_the_check_with_its_sections() {
    let top = stackwright::yaml::scan_rendered(network_template(), |_, _| {})
        .unwrap()
        .expect("a block mapping at the top");
    let keys: Vec<&str> = top.iter().map(|(k, _)| k.as_str()).collect();
    for section in [
        "AWSTemplateFormatVersion",
        "Parameters",
        "Resources",
        "Outputs",
    ] {
        assert!(keys.contains(&section), "{section} missing from {keys:?}");
    }
}
