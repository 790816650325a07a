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
        .stderr_has(&["invalid value 'nope' for '--preset <NAME>'", "workshop"]);
}

#[test]
fn misspelt_presets_regions_and_blueprints_get_the_closest_name() {
    Test::new()
        .args(&["new", "--preset", "workshp", "--dry-run"])
        .run()
        .fails(2)
        .stderr_has(&["a similar value exists: 'workshop'"]);
    Test::new()
        .args(&["new", "--defaults", "--region", "eu-wset-1", "--dry-run"])
        .run()
        .fails(2)
        .stderr_has(&["a similar value exists: 'eu-west-1'"]);
    Test::new()
        .args(&["blueprints", "show", "netwrk"])
        .run()
        .fails(2)
        .stderr_has(&["no blueprint named `netwrk`", "did you mean `network`?"]);
}

#[test]
fn a_missing_answers_file_is_invalid_input() {
    for args in [
        &["new", "--answers", "nope.yaml", "--out", "out"][..],
        &["answers", "check", "nope.yaml"][..],
    ] {
        Test::new()
            .args(args)
            .run()
            .fails(2)
            .stderr_has(&["nope.yaml: no such answers file", "answers init"]);
    }
}

#[test]
fn presets_are_listed_and_checked_under() {
    let out = Test::new()
        .args(&["answers", "presets"])
        .run()
        .success()
        .stdout();
    assert!(out.starts_with("workshop "), "{out}");
    assert!(out.contains("nat: none"), "{out}");
    assert!(out.contains("for you `ws-tester` (from $USER)"), "{out}");
    // The preset supplies the name; the file only what it changes.
    let out = Test::new()
        .file("team.yaml", "region: eu-west-1\n")
        .args(&["answers", "check", "team.yaml", "--preset", "workshop"])
        .run()
        .success()
        .stdout();
    assert!(out.contains("project ws-tester, region eu-west-1"), "{out}");
    let out = Test::new()
        .file("team.yaml", "project: {name: team}\n")
        .args(&[
            "answers",
            "check",
            "team.yaml",
            "--region",
            "ap-southeast-2",
        ])
        .run()
        .success()
        .stdout();
    assert!(out.contains("region ap-southeast-2"), "{out}");
}

#[test]
fn completions_offer_presets_and_regions() {
    let out = Test::new()
        .args(&["completions", "bash"])
        .run()
        .success()
        .stdout();
    assert!(
        out.contains("workshop"),
        "no preset names in the bash completion"
    );
    assert!(
        out.contains("eu-west-1") && out.contains("ap-southeast-2"),
        "no region codes"
    );
    let out = Test::new()
        .args(&["completions", "zsh"])
        .run()
        .success()
        .stdout();
    assert!(out.contains("workshop") && out.contains("eu-west-1"));
}

#[test]
fn help_explains_list_values_and_blueprint_directories() {
    let out = Test::new()
        .args(&["new", "--help"])
        .run()
        .success()
        .stdout();
    assert!(out.contains("network.trusted_cidrs=[10.0.0.0/8"), "{out}");
    for sub in ["list", "show"] {
        let out = Test::new()
            .args(&["blueprints", sub, "--help"])
            .run()
            .success()
            .stdout();
        assert!(
            out.contains("--blueprints <DIR>")
                && out.contains("add to or replace the built-in ones"),
            "blueprints {sub} --help:\n{out}"
        );
    }
}

#[test]
fn answers_init_says_it_is_an_example_and_can_print_the_defaults() {
    let example = Test::new()
        .args(&["answers", "init"])
        .run()
        .success()
        .stdout();
    assert!(
        example.contains("an EXAMPLE to edit, not the defaults"),
        "{example}"
    );
    let t = Test::new().args(&["answers", "init", "--defaults", "--out", "d.yaml"]);
    let run = t.run().success();
    let defaults = run.read("d.yaml");
    assert!(
        defaults.contains("name: demo") && defaults.contains("region: us-east-1"),
        "{defaults}"
    );
    // What it prints is what `--defaults` uses: checking it changes nothing.
    let run = Test::new()
        .file("d.yaml", &defaults)
        .args(&["answers", "check", "d.yaml"])
        .run()
        .success();
    assert!(run
        .stdout()
        .contains("project demo, region us-east-1, 2 environment(s): dev → prod"));
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
        stored.contains("name: ws-tester") && stored.contains("owner: workshop"),
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

#[test]
fn cost_takes_the_answers_of_new_and_the_dry_run_shows_it() {
    let run = Test::new()
        .args(&["cost", "--defaults", "--set", "network.nat=single"])
        .run()
        .success();
    let out = run.stdout();
    // One NAT gateway per environment when forced single: 730 h × $0.045 = $32.85 each.
    assert_eq!(
        out.matches("NAT gateway hours (single)").count(),
        2,
        "{out}"
    );
    assert!(out.contains("$32.85"), "{out}");
    assert!(out.contains("an estimate, not a quote") && out.contains("Assumptions:"));
    Test::new()
        .args(&["cost", "--defaults", "--region", "eu-west-1"])
        .run()
        .fails(2)
        .stderr_has(&["no price table for eu-west-1"]);
    let dry = Test::new()
        .args(&["new", "--defaults", "--dry-run"])
        .run()
        .success();
    assert!(dry.stdout().contains("Estimated monthly cost (us-east-1"));
}
