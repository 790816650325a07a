//! Command-line surface: help, exit codes, schema, completions, no-terminal behaviour.

use crate::Test;

#[test]
fn new_without_answers_and_without_a_terminal_explains_itself() {
    Test::new().args(&["new"]).run().fails(2).stderr_has(&[
        "no terminal",
        "--answers",
        "--defaults",
    ]);
}

#[test]
fn usage_errors_exit_2() {
    Test::new().args(&["new", "--no-such-flag"]).run().fails(2);
    Test::new()
        .args(&["new", "--preset", "nope"])
        .run()
        .fails(2)
        .stderr_has(&["unknown preset"]);
}

#[test]
fn schema_is_json_and_describes_the_answers() {
    let out = Test::new()
        .args(&["answers", "schema"])
        .run()
        .success()
        .stdout();
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    let props = schema["properties"].as_object().unwrap();
    for key in [
        "version",
        "project",
        "flavor",
        "region",
        "environments",
        "network",
        "database",
        "pipeline",
        "app",
    ] {
        assert!(props.contains_key(key), "{key} missing");
    }
}

#[test]
fn completions_are_generated() {
    let out = Test::new()
        .args(&["completions", "bash"])
        .run()
        .success()
        .stdout();
    assert!(out.contains("stackwright") && out.contains("--answers"));
}

#[test]
fn blueprints_are_listed_and_shown() {
    let out = Test::new()
        .args(&["blueprints", "list"])
        .run()
        .success()
        .stdout();
    for name in ["network", "security", "project"] {
        assert!(out.contains(name), "{name} missing:\n{out}");
    }
    let show = Test::new()
        .args(&["blueprints", "show", "network"])
        .run()
        .success()
        .stdout();
    assert!(show.contains("name: network"));
    Test::new()
        .args(&["blueprints", "show", "nope"])
        .run()
        .fails(2)
        .stderr_has(&["known:"]);
}

#[test]
fn presets_layer_under_the_answers_file() {
    let run = Test::new()
        .answers("region: eu-west-1\n")
        .args(&["new", "--preset", "workshop", "--out", "ws"])
        .run()
        .success();
    let stored = run.read("ws/.stackwright/answers.yaml");
    assert!(
        stored.contains("name: workshop"),
        "preset applies: {stored}"
    );
    assert!(
        stored.contains("region: eu-west-1"),
        "answers file wins over preset: {stored}"
    );
}

#[test]
fn config_layer_then_answers_then_set() {
    let run = Test::new()
        .config("project: {owner: from-config, cost_center: CC-CONFIG}\nregion: eu-west-1\n")
        .answers("project: {owner: from-answers}\n")
        .args(&["new", "--out", "p", "--set", "region=eu-central-1"])
        .run()
        .success();
    let stored = run.read("p/.stackwright/answers.yaml");
    assert!(stored.contains("owner: from-answers"), "{stored}");
    assert!(stored.contains("cost_center: CC-CONFIG"), "{stored}");
    assert!(stored.contains("region: eu-central-1"), "{stored}");
}
