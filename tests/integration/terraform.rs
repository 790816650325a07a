//! The Terraform flavour's environment roots: which credentials an
//! environment in an account of its own is applied with.

use super::Test;

/// A project without a pipeline, one environment in the default account and
/// one in an account of its own.
const NO_PIPELINE_CROSS_ACCOUNT: &str = "\
version: 1
project: { name: ledger, owner: finance-team, cost_center: CC-9001, tags: {} }
flavor: terraform
region: eu-west-1
environments:
  - { name: dev,  profile: ephemeral,  approval: false }
  - { name: prod, profile: production, approval: false, account_id: \"444455556666\" }
database: { engine: postgres, version: auto, instance_class: auto, name: ledger }
pipeline: { repository: example-org/ledger, branch: main, stages: [], notification_email: ops@example.com }
app: { kind: none }
";

#[test]
fn without_a_pipeline_a_cross_account_environment_runs_with_that_accounts_credentials() {
    let run = Test::new()
        .answers(NO_PIPELINE_CROSS_ACCOUNT)
        .args(&["new", "--out", "p"])
        .run()
        .success();
    // No pipeline: nothing creates an apply role, so the provider must not
    // assume one; allowed_account_ids keeps the credentials to the account.
    assert!(
        !run.dir.join("p/bootstrap/apply-role.yaml").exists(),
        "no pipeline, yet an apply role stack"
    );
    let tfvars = run.read("p/envs/prod/terraform.tfvars");
    assert!(
        !tfvars.contains("apply_role_arn"),
        "prod would assume a role no target creates:\n{tfvars}"
    );
    assert!(
        tfvars.contains("account_id  = \"444455556666\""),
        "{tfvars}"
    );
    let main = run.read("p/envs/prod/main.tf");
    assert!(
        main.contains("allowed_account_ids = var.account_id == \"\" ? null : [var.account_id]"),
        "{main}"
    );
    // The README and the Makefile say which credentials, and the Makefile
    // refuses others before init reads the state bucket of the wrong account.
    let readme = run.read("p/README.md");
    assert!(
        readme.contains("credentials of account 444455556666"),
        "the README does not say which credentials apply prod"
    );
    assert!(
        !readme.contains("apply-role"),
        "the README names an apply role"
    );
    let makefile = run.read("p/Makefile");
    assert!(!makefile.contains("apply-role"), "{makefile}");
    assert!(
        makefile.contains("ACCOUNT_prod := 444455556666"),
        "{makefile}"
    );
    assert!(
        makefile.contains("init: check-env check-account"),
        "make init does not check the account:\n{makefile}"
    );
}

#[test]
fn with_a_pipeline_a_cross_account_environment_assumes_its_apply_role() {
    let answers = NO_PIPELINE_CROSS_ACCOUNT.replace("stages: []", "stages: [validate, deploy]");
    let run = Test::new()
        .answers(&answers)
        .args(&["new", "--out", "p"])
        .run()
        .success();
    let tfvars = run.read("p/envs/prod/terraform.tfvars");
    assert!(
        tfvars.contains(
            "apply_role_arn = \"arn:aws:iam::444455556666:role/ledger-prod-terraform-apply\""
        ),
        "{tfvars}"
    );
    assert!(!run
        .read("p/envs/dev/terraform.tfvars")
        .contains("apply_role_arn"));
    let role = run.read("p/bootstrap/apply-role.yaml");
    assert!(
        role.contains("RoleName: !Sub \"ledger-${EnvironmentName}-terraform-apply\""),
        "{role}"
    );
    assert!(!run.read("p/Makefile").contains("check-account"));
}
