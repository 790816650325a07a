//! Every validation rule and its message, through `answers check` and `new`.

use std::time::{Duration, Instant};

use crate::Test;

/// Runs `answers check` on the text and expects exit 2 with these fragments in stderr.
#[track_caller]
fn rejects(yaml: &str, fragments: &[&str]) {
    Test::new()
        .file("team.yaml", yaml)
        .args(&["answers", "check", "team.yaml"])
        .run()
        .fails(2)
        .stderr_has(fragments);
}

#[track_caller]
fn accepts(yaml: &str) -> String {
    Test::new()
        .file("team.yaml", yaml)
        .args(&["answers", "check", "team.yaml"])
        .run()
        .success()
        .stdout()
}

#[test]
fn unknown_key_names_line_column_and_suggestion() {
    rejects(
        "version: 1\nnetwork:\n  availabilty_zones: 2\n",
        &[
            "team.yaml:3:3: network.availabilty_zones: unknown key",
            "did you mean `availability_zones`?",
        ],
    );
}

#[test]
fn yaml_syntax_error_has_line_and_column() {
    rejects(
        "version: 1\nproject: {name: x\n",
        &["team.yaml:", "YAML syntax error"],
    );
}

#[test]
fn type_error_points_at_the_value() {
    rejects(
        "version: 1\nenvironments:\n  - name: dev\n    approval: maybe\n",
        &[
            "team.yaml:4:15: environments[0].approval",
            "expected a boolean",
        ],
    );
}

#[test]
fn unknown_enum_value_suggests_the_closest() {
    rejects(
        "database:\n  engine: postgress\n",
        &[
            "team.yaml:2:11: database.engine",
            "did you mean `postgres`?",
        ],
    );
    rejects(
        "pipeline:\n  stages: [validate, securityscan]\n",
        &["pipeline.stages[1]", "did you mean `security_scan`?"],
    );
}

#[test]
fn unknown_region_suggests_one() {
    rejects(
        "region: eu-wset-1\n",
        &[
            "team.yaml:1:9: region: unknown region `eu-wset-1`",
            "did you mean `eu-west-1`?",
        ],
    );
}

#[test]
fn more_azs_than_the_region_has() {
    rejects(
        "region: us-west-1\nnetwork: {availability_zones: 3}\n",
        &[
            "network.availability_zones",
            "has only 2 availability zones",
        ],
    );
    rejects("network: {availability_zones: 4}\n", &["use 2 or 3"]);
}

#[test]
fn cidrs_malformed_host_bits_and_too_small() {
    rejects(
        "environments:\n  - {name: dev, vpc_cidr: 10.0.0.1/16}\n",
        &[
            "environments[0].vpc_cidr",
            "has host bits set",
            "did you mean 10.0.0.0/16?",
        ],
    );
    rejects(
        "environments:\n  - {name: dev, vpc_cidr: 10.0.0/16}\n",
        &["is not a CIDR range"],
    );
    rejects(
        "environments:\n  - {name: dev, vpc_cidr: 10.0.0.0/26}\n",
        &["too small for 3 subnet tiers"],
    );
    rejects(
        "network: {trusted_cidrs: [192.168.1.1/24]}\n",
        &["network.trusted_cidrs[0]", "did you mean 192.168.1.0/24?"],
    );
}

#[test]
fn world_open_ingress_needs_explicit_permission() {
    rejects(
        "network: {trusted_cidrs: [0.0.0.0/0]}\n",
        &["network.trusted_cidrs[0]", "allow_public_ingress"],
    );
    rejects("network: {trusted_cidrs: ['::/0']}\n", &["whole internet"]);
    let run = Test::new()
        .file(
            "team.yaml",
            "network: {trusted_cidrs: [0.0.0.0/0], allow_public_ingress: true}\n",
        )
        .args(&["answers", "check", "team.yaml"])
        .run()
        .success();
    assert!(run
        .stderr()
        .contains("warning: network.trusted_cidrs[0] = 0.0.0.0/0 covers the whole internet"));
    assert!(run.stderr().contains("no security group opens it today"));
    assert!(!run.stderr().contains(" on port "));
}

#[test]
fn terraform_generates_the_build_and_integration_test_stages() {
    let stages = "pipeline: {stages: [validate, build, deploy, integration_test]}\n";
    for flavor in ["terraform", "cloudformation"] {
        let check = Test::new()
            .file("team.yaml", &format!("flavor: {flavor}\n{stages}"))
            .args(&["answers", "check", "team.yaml"])
            .run()
            .success()
            .stderr();
        assert!(!check.contains("pipeline.stages"), "{flavor}: {check}");
    }
    let run = Test::new()
        .file("team.yaml", &format!("flavor: terraform\n{stages}"))
        .args(&["new", "--answers", "team.yaml", "--out", "out"])
        .run()
        .success();
    assert!(!run.stderr().contains("warning"), "{}", run.stderr());
    let tfvars = run.read("out/pipeline/terraform.tfvars");
    assert!(
        tfvars.contains(r#"checks             = ["validate", "build"]"#),
        "{tfvars}"
    );
    assert!(tfvars.contains("integration_test   = true"), "{tfvars}");
    assert!(run
        .read("out/buildspecs/build.yml")
        .contains("-lockfile=readonly"));
    assert!(run
        .read("out/buildspecs/integration_test.yml")
        .contains("pytest tests/integration"));
    assert!(run.dir.join("out/tests/integration/conftest.py").is_file());

    let without = Test::new()
        .file(
            "team.yaml",
            "flavor: terraform\npipeline: {stages: [validate, deploy]}\n",
        )
        .args(&["new", "--answers", "team.yaml", "--out", "out"])
        .run()
        .success();
    assert!(!without.dir.join("out/buildspecs/build.yml").exists());
    assert!(!without
        .dir
        .join("out/buildspecs/integration_test.yml")
        .exists());
    let tfvars = without.read("out/pipeline/terraform.tfvars");
    assert!(tfvars.contains("integration_test   = false"), "{tfvars}");
}

#[test]
fn overlapping_vpc_ranges_are_refused() {
    rejects(
        "environments:\n  - {name: dev, vpc_cidr: 10.0.0.0/16}\n  - {name: prod, vpc_cidr: 10.0.128.0/17}\n",
        &["team.yaml:3:28: environments[1].vpc_cidr", "overlaps environments[0].vpc_cidr"],
    );
}

#[test]
fn environment_names_and_accounts() {
    rejects(
        "environments:\n  - {name: dev}\n  - {name: dev}\n",
        &["environments[1].name", "listed twice"],
    );
    rejects(
        "environments:\n  - {name: Dev-1}\n",
        &["environments[0].name", "not a valid environment name"],
    );
    rejects(
        "environments:\n  - {name: dev, account_id: '12345'}\n",
        &["environments[0].account_id", "12-digit"],
    );
    rejects(
        "environments:\n  - {name: dev, account_id: 123456789012}\n",
        &["environments[0].account_id", "quote the value"],
    );
    rejects("environments: []\n", &["environments", "1 to 8"]);
}

#[test]
fn project_email_repository_and_port() {
    rejects(
        "project: {name: Payments_Team}\n",
        &["project.name", "cannot be used in AWS resource names"],
    );
    rejects(
        "pipeline: {notification_email: ops-at-example.com}\n",
        &["pipeline.notification_email", "not an email address"],
    );
    rejects(
        "pipeline: {repository: payments}\n",
        &["pipeline.repository", "owner/name"],
    );
    rejects(
        "app: {kind: ec2, port: 22}\n",
        &["app.port", "SSM Session Manager"],
    );
    rejects(
        "pipeline: {stages: [integration_test, deploy]}\n",
        &["integration_test runs before deploy"],
    );
    rejects(
        "project: {tags: {Project: x}}\n",
        &["project.tags.Project", "set by stackwright"],
    );
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let run = Test::new()
        .file(
            "team.yaml",
            "region: mars-1\nproject: {name: X}\nenvironments:\n  - {name: dev, vpc_cidr: 10.0.0.1/16}\npipeline: {notification_email: nope}\n",
        )
        .args(&["answers", "check", "team.yaml"])
        .run()
        .fails(2);
    let err = run.stderr();
    for field in [
        "region",
        "project.name",
        "environments[0].vpc_cidr",
        "pipeline.notification_email",
    ] {
        assert!(
            err.contains(&format!("{field}:")),
            "{field} missing:\n{err}"
        );
    }
    assert!(err.contains("4 problems found"), "{err}");
}

#[test]
fn alias_bomb_is_refused_quickly() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for i in 0..12 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("b{}", i - 1)
        };
        bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let start = Instant::now();
    Test::new()
        .file("team.yaml", &bomb)
        .args(&["new", "--answers", "team.yaml", "--out", "out"])
        .run()
        .fails(2)
        .stderr_has(&["team.yaml:1:", "anchors"]);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn deep_nesting_and_huge_files_are_refused() {
    rejects(
        &format!("project: {}{}\n", "[".repeat(500), "]".repeat(500)),
        &["team.yaml:1:", "nesting too deep"],
    );
    rejects(
        &format!("project: {{name: \"{}\"}}\n", "a".repeat(300_000)),
        &["answers files are limited to"],
    );
}

#[test]
fn stdin_answers_are_read_with_dash() {
    Test::new()
        .args(&["answers", "check", "-"])
        .stdin("region: eu-west-1\n")
        .run()
        .success();
    Test::new()
        .args(&["answers", "check", "-"])
        .stdin("region: nowhere\n")
        .run()
        .fails(2)
        .stderr_has(&["<stdin>:1:9: region"]);
}

#[test]
fn the_commented_example_is_valid() {
    let example = Test::new()
        .args(&["answers", "init"])
        .run()
        .success()
        .stdout();
    assert!(example.contains("# stackwright answers file"));
    let out = accepts(&example);
    assert!(out.contains("valid"), "{out}");
}

#[test]
fn set_overrides_and_reports_its_source() {
    Test::new()
        .file("team.yaml", "region: eu-west-1\n")
        .args(&["answers", "check", "team.yaml", "--set", "region=eu-west-9"])
        .run()
        .fails(2)
        .stderr_has(&["--set region=eu-west-9: region: unknown region"]);
    Test::new()
        .file("team.yaml", "region: eu-west-1\n")
        .args(&[
            "answers",
            "check",
            "team.yaml",
            "--set",
            "netwrok.nat=single",
        ])
        .run()
        .fails(2)
        .stderr_has(&["netwrok: unknown key", "did you mean `network`?"]);
}

#[test]
fn config_file_errors_name_the_config_file() {
    Test::new()
        .config("regoin: eu-west-1\n")
        .file("team.yaml", "version: 1\n")
        .args(&["answers", "check", "team.yaml"])
        .run()
        .fails(2)
        .stderr_has(&["config.yaml:1:1: regoin: unknown key"]);
}

/// The fourteen-mistake file: one `answers check` reports every mistake, in
/// file order, each with its source line, a caret under the value and a hint;
/// the file fixed as the hints say is then valid (two runs in all).
#[test]
fn fourteen_mistakes_are_reported_in_one_run_and_cleared_in_the_next() {
    let text = crate::fixture_path("mistakes/fourteen.yaml");
    let run = Test::new()
        .file("fourteen.yaml", &std::fs::read_to_string(&text).unwrap())
        .args(&["answers", "check", "fourteen.yaml"])
        .run()
        .fails(2);
    let err = run.stderr();
    // (line, field and message fragment, hint fragment)
    let expected: [(usize, &str, &str); 14] = [
        (5, "projet: unknown key", "did you mean `project`?"),
        (8, "project.name: `Payments` cannot be used", "e.g. `payments`"),
        (10, "region: unknown region `eu-wset-1`", "did you mean `eu-west-1`?"),
        (11, "region: this key appears twice", "the first `region` is on line 10"),
        (14, "environments[0].approval: wrong type", "YAML 1.2 booleans are true/false: write `true`"),
        (15, "environments[0].vpc_cidr: `10.5.0.0/12` is larger", "e.g. 10.5.0.0/16"),
        (17, "environments[1].profile: `prodution` is not an accepted value; expected one of ephemeral, production", "did you mean `production`?"),
        (18, "environments[1].account_id: wrong type", "quote the value"),
        (21, "network.availability_zones: 5 availability zones", "use 2 or 3"),
        (22, "network.endpionts: unknown key", "did you mean `endpoints`?"),
        (23, "network.trusted_cidrs[0]: `198.51.100.7` is not a CIDR range", "did you mean 198.51.100.7/32"),
        (26, "database.version: wrong type", "quote them; but postgres version `9.6` is not in the tested version table"),
        (29, "pipeline.stages[3]: test runs after deploy", "move test before deploy"),
        (30, "pipeline.notification_email: `ops@example` is not an email address", "e.g. ops@example.com"),
    ];
    let mut last = 0;
    for (line, what, hint) in expected {
        let title = format!("error: fourteen.yaml:{line}:");
        let at = err
            .find(&title)
            .unwrap_or_else(|| panic!("no problem reported on line {line}:\n{err}"));
        assert!(at >= last, "line {line} is reported out of order:\n{err}");
        last = at;
        let block = &err[at..];
        let block = &block[..block[1..].find("\nerror: ").map_or(block.len(), |e| e + 1)];
        assert!(
            block.contains(what),
            "line {line}: {what:?} missing in:\n{block}"
        );
        assert!(
            block.contains(hint),
            "line {line}: hint {hint:?} missing in:\n{block}"
        );
        // The source line is quoted with its number and a caret under the value.
        let source = std::fs::read_to_string(&text).unwrap();
        let quoted = source.lines().nth(line - 1).unwrap();
        assert!(
            block.contains(&format!("{line} | {quoted}")),
            "line {line}: source line missing in:\n{block}"
        );
        assert!(block.contains('^'), "line {line}: no caret in:\n{block}");
    }
    assert_eq!(err.matches("\nerror: ").count() + 1, 14, "{err}");
    assert!(
        err.trim_end().ends_with("fourteen.yaml: 14 problems found"),
        "{err}"
    );
    assert!(
        !err.contains("nothing was written"),
        "answers check writes nothing anyway"
    );

    let fixed = crate::fixture_path("mistakes/fourteen-fixed.yaml");
    Test::new()
        .file("fixed.yaml", &std::fs::read_to_string(fixed).unwrap())
        .args(&["answers", "check", "fixed.yaml"])
        .run()
        .success();
}

#[test]
fn a_duplicate_key_does_not_hide_the_other_problems() {
    rejects(
        "region: us-east-1\nregion: eu-west-1\nproject: {name: X}\napp: {port: nope}\n",
        &[
            "team.yaml:2:1: region: this key appears twice",
            "team.yaml:3:17: project.name",
            "team.yaml:4:13: app.port: wrong type",
            "3 problems found",
        ],
    );
}

#[test]
fn several_wrong_types_in_one_list_keep_their_own_indexes() {
    rejects(
        "pipeline:\n  stages: [validate, tset, deploy, integraton_test]\nnetwork:\n  trusted_cidrs: [10.0.0.0/8, 7, 10.0.0.1/8]\n",
        &[
            "pipeline.stages[1]: `tset` is not an accepted value",
            "did you mean `test`?",
            "pipeline.stages[3]: `integraton_test`",
            "network.trusted_cidrs[1]: wrong type",
            "network.trusted_cidrs[2]: `10.0.0.1/8` has host bits set",
            "4 problems found",
        ],
    );
}

#[test]
fn specific_hints_for_common_slips() {
    rejects(
        "database: {version: 17.10}\n",
        &["database.version: wrong type", "quote it, \"17.10\""],
    );
    rejects(
        "project: {name: \"payments}\nregion: eu-west-1\n",
        &["team.yaml:1:17:", "missing closing quote (\")"],
    );
    rejects(
        "environments:\n  - {name: dev, vpc_cidr: 10.0.0}\n",
        &["is not a CIDR range", "e.g. 10.0.0.0/16"],
    );
    // The suggestion for a too-large range with host bits is itself accepted.
    rejects(
        "environments:\n  - {name: dev, vpc_cidr: 172.20.5.0/12}\n",
        &["is larger than AWS allows", "e.g. 172.20.0.0/16"],
    );
    accepts("environments:\n  - {name: dev, vpc_cidr: 172.20.0.0/16}\n");
    rejects(
        "network: {trusted_cidrs: 10.0.0.0/8}\n",
        &[
            "network.trusted_cidrs: wrong type",
            "expected a list",
            "trusted_cidrs: [10.0.0.0/8]",
        ],
    );
    // On the command line the list hint is the --set syntax.
    Test::new()
        .args(&[
            "answers",
            "check",
            "-",
            "--set",
            "network.trusted_cidrs=10.0.0.0/8",
        ])
        .stdin("")
        .run()
        .fails(2)
        .stderr_has(&[
            "--set network.trusted_cidrs=10.0.0.0/8",
            "--set 'network.trusted_cidrs=[10.0.0.0/8]'",
        ]);
}

#[test]
fn instance_classes_are_checked_against_the_engine() {
    rejects(
        "database: {engine: postgres, instance_class: db.t4g.mirco}\n",
        &[
            "team.yaml:1:46: database.instance_class: postgres does not offer the instance class `db.t4g.mirco`",
            "did you mean `db.t4g.micro`?",
        ],
    );
    accepts("database: {engine: aurora-postgresql, instance_class: db.r7g.large}\n");
}

#[test]
fn lock_table_is_a_terraform_state_setting() {
    rejects(
        "state:\n  lock_table: true\n",
        &[
            "team.yaml:2:15",
            "state.lock_table",
            "flavor is cloudformation",
            "set flavor: terraform",
        ],
    );
    accepts("flavor: terraform\nstate: {lock_table: true}\n");
    accepts("state: {lock_table: false}\n");
    // The CDK flavour's own rule, at the line and column of the value.
    rejects(
        "flavor: cdk\nstate:\n  lock_table: true\n",
        &[
            "team.yaml:3:15: state.lock_table: a DynamoDB lock table is a Terraform state setting, and flavor is cdk",
            "set flavor: terraform, or remove state.lock_table",
        ],
    );
}

#[test]
fn lock_table_reaches_the_backends_the_bootstrap_stack_and_the_builds() {
    let with = Test::new()
        .args(&[
            "new",
            "--defaults",
            "--set",
            "flavor=terraform",
            "--set",
            "state.lock_table=true",
            "--out",
            "p",
        ])
        .run()
        .success();
    let without = Test::new()
        .args(&[
            "new",
            "--defaults",
            "--set",
            "flavor=terraform",
            "--out",
            "p",
        ])
        .run()
        .success();
    for env in ["dev", "prod"] {
        let path = format!("p/envs/{env}/backend.hcl");
        let backend = with.read(&path);
        assert!(backend.contains("use_lockfile = true"), "{backend}");
        assert!(backend.contains("dynamodb_table = \""), "{backend}");
        assert!(!without.read(&path).contains("dynamodb_table"));
    }
    let state = with.read("p/bootstrap/state.yaml");
    for needle in [
        "Type: AWS::DynamoDB::Table",
        "BillingMode: PAY_PER_REQUEST",
        "PointInTimeRecoveryEnabled: true",
        "KMSMasterKeyId: !GetAtt StateKey.Arn",
        "DeletionProtectionEnabled: true",
    ] {
        assert!(state.contains(needle), "no {needle}");
    }
    assert!(!without
        .read("p/bootstrap/state.yaml")
        .contains("AWS::DynamoDB::Table"));
    assert!(with
        .read("p/pipeline/main.tf")
        .contains("lock_table         = \""));
    assert!(!without.read("p/pipeline/main.tf").contains("lock_table"));
    assert!(with
        .read("p/.stackwright/answers.yaml")
        .contains("lock_table: true"));
    assert!(!without
        .read("p/.stackwright/answers.yaml")
        .contains("lock_table"));
}
