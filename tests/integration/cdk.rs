//! The built-in CDK flavour: every fixture renders as `flavor: cdk`, the
//! same answers give the same bytes, the acknowledgment table is listed in
//! docs/controls.md, and a blueprint that renders unbalanced TypeScript or
//! claims a control without a jest test is refused with nothing written.

use super::{fixture, fixtures, tree, Test};

#[test]
fn every_fixture_renders_as_cdk_the_same_way_twice() {
    for name in fixtures() {
        let first = Test::new()
            .answers(&fixture(&name))
            .args(&["new", "--set", "flavor=cdk", "--out", "a"])
            .run()
            .success();
        let again = Test::new()
            .answers(&fixture(&name))
            .args(&["new", "--set", "flavor=cdk", "--out", "a"])
            .run()
            .success();
        let a = tree(&first.dir.join("a"));
        let b = tree(&again.dir.join("a"));
        assert_eq!(a, b, "{name}: two renders differ");
        for path in [
            "cdk.json",
            "package.json",
            "package-lock.json",
            "config/environments.ts",
            "lib/stage.ts",
            "lib/compliance.ts",
            "test/controls.test.ts",
            "docs/controls.md",
            "README.md",
            "Makefile",
        ] {
            assert!(a.contains_key(path), "{name}: no {path}");
        }
        assert!(
            !a.keys()
                .any(|k| k.starts_with("templates/") || k.starts_with("params/")),
            "{name}: CloudFormation files in a CDK project"
        );
        let controls = first.read("a/docs/controls.md");
        assert!(
            controls.contains("| nag | AwsSolutions::AwsSolutions-IAM4"),
            "{name}"
        );
        assert!(
            controls.contains("controls.test.ts::test_sec_01_"),
            "{name}"
        );
        let out = first.stdout();
        assert!(out.contains("controls"), "{name}: {out}");
    }
}

const BROKEN_STACK: &str = "name: security\ndescription: broken\norder: 10\nfiles:\n  - { template: security-stack.ts, to: lib/security-stack.ts }\n";

#[test]
fn unbalanced_typescript_is_refused_and_nothing_is_written() {
    let run = Test::new()
        .file("bp/cdk/security/blueprint.yaml", BROKEN_STACK)
        .file(
            "bp/cdk/security/security-stack.ts",
            "export class SecurityStack {\n  constructor() {\n    const a = [1, 2;\n  }\n}\n",
        )
        .args(&[
            "new",
            "--defaults",
            "--set",
            "flavor=cdk",
            "--blueprints",
            "bp",
            "--out",
            "proj",
        ])
        .run()
        .fails(1)
        .stderr_has(&["lib/security-stack.ts", "line 3", "does not close `[`"]);
    assert!(!run.dir.join("proj").exists());
}

const CLAIMS_WITHOUT_TEST: &str = "name: extra\ndescription: claims a control\norder: 70\ncontrols:\n  - { id: NET-06, file: lib/extra.ts, resource: x }\nfiles:\n  - { template: extra.ts, to: lib/extra.ts }\n";

#[test]
fn a_claimed_control_needs_a_jest_test_named_after_it() {
    let run = Test::new()
        .file("bp/cdk/extra/blueprint.yaml", CLAIMS_WITHOUT_TEST)
        .file("bp/cdk/extra/extra.ts", "export const X = 1;\n")
        .args(&[
            "new",
            "--defaults",
            "--set",
            "flavor=cdk",
            "--blueprints",
            "bp",
            "--out",
            "proj",
        ])
        .run();
    // NET-06 is tested by the built-in network blueprint's jest test: accepted.
    let run = run.success();
    assert!(run.read("proj/docs/controls.md").contains("test_net_06_"));
    Test::new()
        .file(
            "bp/cdk/extra/blueprint.yaml",
            &CLAIMS_WITHOUT_TEST.replace("NET-06", "CI-10"),
        )
        .file("bp/cdk/extra/extra.ts", "export const X = 1;\n")
        .args(&[
            "new",
            "--defaults",
            "--set",
            "flavor=cdk",
            "--blueprints",
            "bp",
            "--out",
            "proj",
        ])
        .run()
        .fails(1)
        .stderr_has(&["claims control CI-10", "test_ci_10_"]);
}
