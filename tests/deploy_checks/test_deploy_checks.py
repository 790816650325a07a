"""Self-tests of scripts/deploy_checks.py: every check catches an error planted in
a minimal template (fixtures/) and stays quiet on the corrected form.

Run with the checkers venv (cfn-lint importable):
    .venv-checkers/bin/python -m pytest tests/deploy_checks
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(REPO / "scripts"))

import deploy_checks as dc  # noqa: E402

REGION = "eu-west-1"
ACCOUNT = "111122223333"
OTHER = "444455556666"


def model(tmp_path: Path, deployments: list, name: str = "model.json") -> Path:
    for d in deployments:
        d.setdefault("account", ACCOUNT)
        d.setdefault("path", "inline")
        d["template"] = str(FIXTURES / d["template"]) if not Path(d["template"]).is_absolute() else d["template"]
    path = tmp_path / name
    path.write_text(json.dumps({"region": REGION, "deployments": deployments}))
    return path


def run(path: Path, *only: str) -> dc.Report:
    return dc.run_checks(dc.model_from_json(path), set(only) or None)


def messages(report: dc.Report, check: str) -> list[str]:
    return [f.message for f in report.findings if f.check == check]


# --------------------------------------------------------------------- DEP-01


def big_template(tmp_path: Path, resources: int = 1, pad: int = 0) -> Path:
    body = {"AWSTemplateFormatVersion": "2010-09-09",
            "Metadata": {"Padding": ["x" * 1000] * pad} if pad else {},
            "Resources": {f"Topic{i}": {"Type": "AWS::SNS::Topic"} for i in range(resources)}}
    path = tmp_path / f"big-{resources}-{pad}.json"
    path.write_text(json.dumps(body))
    return path


def test_dep_01_inline_template_over_51200_bytes_is_a_finding(tmp_path):
    template = big_template(tmp_path, pad=52)
    assert template.stat().st_size > 51200
    report = run(model(tmp_path, [{"stack": "s", "template": str(template), "path": "inline", "via": "make deploy"}]),
                 "DEP-01")
    found = messages(report, "DEP-01")
    assert len(found) == 1 and "limit there is 51200 bytes" in found[0] and "make deploy" in found[0]


def test_dep_01_codepipeline_action_has_the_inline_limit_and_s3_does_not(tmp_path):
    template = str(big_template(tmp_path, pad=52))
    report = run(model(tmp_path, [{"stack": "a", "template": template, "path": "codepipeline", "via": "action"},
                                  {"stack": "b", "template": template, "path": "s3", "via": "make deploy"}]), "DEP-01")
    found = messages(report, "DEP-01")
    assert len(found) == 1 and "CodePipeline" in found[0]
    assert report.figures["DEP-01"]["templates"] == 1 and report.figures["DEP-01"]["deployments"] == 2


def test_dep_01_more_than_500_resources_is_a_finding_even_through_s3(tmp_path):
    template = str(big_template(tmp_path, resources=501))
    found = messages(run(model(tmp_path, [{"stack": "s", "template": template, "path": "s3"}]), "DEP-01"), "DEP-01")
    assert found == ["501 resources, CloudFormation allows 500"]
    ok = str(big_template(tmp_path, resources=500))
    assert not messages(run(model(tmp_path, [{"stack": "s", "template": ok, "path": "s3"}]), "DEP-01"), "DEP-01")


# --------------------------------------------------------------------- DEP-02


def exec_deployments(extra_action: str | None = None) -> list:
    params = {"ExtraAction": extra_action} if extra_action else {}
    return [{"stack": "roles", "template": "exec-role.yaml", "parameters": params},
            {"stack": "app", "template": "metric-filter.yaml", "via": "pipeline action Deploy/app",
             "role": {"stack": "roles", "logical_id": "ExecutionRole"}}]


def test_dep_02_missing_handler_action_is_a_finding(tmp_path):
    report = run(model(tmp_path, exec_deployments()), "DEP-02")
    found = messages(report, "DEP-02")
    assert len(found) == 1
    assert "logs:DescribeMetricFilters" in found[0] and "AWS::Logs::MetricFilter" in found[0]
    assert "logs:PutMetricFilter" not in found[0].split(":", 3)[-1].split("): ")[-1]
    fig = report.figures["DEP-02"]
    assert fig["roles"] == 1 and fig["resource_types"] == 1 and fig["actions_missing"] == 1
    # The handler list is the registry schema's, not ours.
    assert fig["actions_checked"] == len(dc.handler_permissions(REGION, "AWS::Logs::MetricFilter")[0])


def test_dep_02_the_action_from_a_parameter_completes_the_policy(tmp_path):
    report = run(model(tmp_path, exec_deployments("logs:DescribeMetricFilters")), "DEP-02")
    assert messages(report, "DEP-02") == []
    assert report.figures["DEP-02"]["actions_checked"] >= 3


def policy_report(tmp_path, statements) -> dc.Report:
    template = {"Resources": {
        "ExecutionRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": []},
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": statements}}]}}}}
    path = tmp_path / "role.json"
    path.write_text(json.dumps(template))
    return run(model(tmp_path, [{"stack": "roles", "template": str(path)},
                                {"stack": "app", "template": "metric-filter.yaml",
                                 "role": {"stack": "roles", "logical_id": "ExecutionRole"}}]), "DEP-02")


def test_dep_02_deny_wins_over_allow(tmp_path):
    report = policy_report(tmp_path, [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "NoDescribe", "Effect": "Deny", "Action": "logs:Describe*", "Resource": "*"}])
    found = messages(report, "DEP-02")
    assert len(found) == 1 and "denied by p/NoDescribe" in found[0]


def test_dep_02_not_action_and_wildcards_allow(tmp_path):
    assert not messages(policy_report(tmp_path, [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]), "DEP-02")
    assert not messages(policy_report(tmp_path, [{"Effect": "Allow", "Action": "logs:*Metric*",
                                                  "Resource": "arn:aws:logs:*:*:*"}]), "DEP-02")


def test_dep_02_condition_that_cannot_hold_and_resource_of_another_service_do_not_allow(tmp_path):
    other_region = policy_report(tmp_path, [{"Effect": "Allow", "Action": "logs:*", "Resource": "*",
                                             "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}])
    assert len(messages(other_region, "DEP-02")) == 1
    same_region = policy_report(tmp_path, [{"Effect": "Allow", "Action": "logs:*", "Resource": "*",
                                            "Condition": {"StringEquals": {"aws:RequestedRegion": REGION}}}])
    assert not messages(same_region, "DEP-02")
    wrong_service = policy_report(tmp_path, [{"Effect": "Allow", "Action": "logs:*", "Resource": "arn:aws:s3:::b/*"}])
    assert len(messages(wrong_service, "DEP-02")) == 1


def test_dep_02_execution_role_arn_that_no_stack_creates_is_a_finding(tmp_path):
    deps = [{"stack": "app", "template": "metric-filter.yaml",
             "role": {"arn": f"arn:aws:iam::{ACCOUNT}:role/nobody-made-this"}}]
    found = messages(run(model(tmp_path, deps), "DEP-02"), "DEP-02")
    assert len(found) == 1 and "created by no modelled stack" in found[0]


# --------------------------------------------------------------------- DEP-03


def test_dep_03_principal_created_by_a_later_stack_is_a_finding(tmp_path):
    deps = [{"stack": "trusting", "template": "trust-later-role.yaml"},
            {"stack": "reader", "template": "reader-role.yaml"}]
    report = run(model(tmp_path, deps), "DEP-03")
    found = messages(report, "DEP-03")
    assert len(found) == 1 and "created later, by stack reader" in found[0]
    assert report.figures["DEP-03"]["principals"] == 1


def test_dep_03_principal_created_by_an_earlier_stack_is_fine(tmp_path):
    deps = [{"stack": "reader", "template": "reader-role.yaml"},
            {"stack": "trusting", "template": "trust-later-role.yaml"}]
    assert messages(run(model(tmp_path, deps), "DEP-03"), "DEP-03") == []


def test_dep_03_principal_in_another_account_is_a_finding(tmp_path):
    deps = [{"stack": "reader", "template": "reader-role.yaml", "account": OTHER},
            {"stack": "trusting", "template": "trust-later-role.yaml", "parameters": {"ReaderAccount": OTHER}}]
    found = messages(run(model(tmp_path, deps), "DEP-03"), "DEP-03")
    assert len(found) == 1 and f"another account ({OTHER})" in found[0]


def test_dep_03_account_root_with_principal_arn_condition_is_fine(tmp_path):
    deps = [{"stack": "trusting", "template": "trust-root.yaml"},
            {"stack": "reader", "template": "reader-role.yaml"}]
    report = run(model(tmp_path, deps), "DEP-03")
    assert messages(report, "DEP-03") == [] and report.figures["DEP-03"]["principals"] == 1


# --------------------------------------------------------------------- DEP-04


def retained(tmp_path, env: str, ephemeral: bool, retain: str = "true") -> dc.Report:
    deps = [{"stack": f"fixture-{env}-data", "template": "retained-names.yaml", "env": env, "ephemeral": ephemeral,
             "parameters": {"EnvironmentName": env, "Retain": retain}}]
    return run(model(tmp_path, deps), "DEP-04")


def test_dep_04_retained_bucket_with_fixed_name_in_ephemeral_env_is_a_finding(tmp_path):
    report = retained(tmp_path, "dev", ephemeral=True)
    found = messages(report, "DEP-04")
    assert len(found) == 1
    assert "NamedBucket" in found[0] and "BucketName=fixture-dev-data-" in found[0]
    # The prod-only log group is excluded by its condition; the generated and the
    # stack-id names are re-creatable.
    assert report.figures["DEP-04"]["retained"] == 3


def test_dep_04_deletion_policy_from_the_environment_parameters(tmp_path):
    assert messages(retained(tmp_path, "dev", ephemeral=True, retain="false"), "DEP-04") == []


def test_dep_04_production_environments_may_retain(tmp_path):
    report = retained(tmp_path, "prod", ephemeral=False)
    assert messages(report, "DEP-04") == [] and report.figures["DEP-04"]["ephemeral_envs"] == 0


def test_dep_04_name_properties_come_from_the_schemas():
    assert dc.name_properties(REGION, "AWS::S3::Bucket") == ["BucketName"]
    assert dc.name_properties(REGION, "AWS::Logs::LogGroup") == ["LogGroupName"]
    assert dc.name_properties(REGION, "AWS::SNS::Topic") == ["TopicName"]
    assert dc.name_properties(REGION, "AWS::KMS::Key") == []


# --------------------------------------------------------------------- DEP-05


def test_dep_05_condition_keys_the_service_does_not_send_are_findings(tmp_path):
    report = run(model(tmp_path, [{"stack": "keys", "template": "condition-keys.yaml"}]), "DEP-05")
    found = sorted(messages(report, "DEP-05"))
    assert len(found) == 3, found
    assert any("TrailLogsRole" in f and "cloudtrail.amazonaws.com sends no condition key" in f
               and "aws:SourceAccount" in f for f in found)
    assert any("EventBridgeToTopic" in f and "events.amazonaws.com" in f for f in found)
    assert any("glue.amazonaws.com" in f and "has no row" in f for f in found)
    assert not any("CodeBuildProjectOnly" in f or "LogsEncrypt" in f for f in found)
    assert report.figures["DEP-05"]["principals"] == 5


def test_dep_05_every_table_row_names_its_source_and_date():
    rows = dc.load_condition_table()
    assert rows and all(r["source"].startswith("https://") for r in rows)


def test_dep_05_table_row_without_source_is_refused(tmp_path):
    bad = tmp_path / "keys.yaml"
    bad.write_text(yaml.safe_dump({"rows": [{"principal": "x.amazonaws.com", "context": "trust", "sends": [],
                                             "checked": "2026-11-30"}]}))
    with pytest.raises(dc.InputError, match=r"rows\[0\]\.source"):
        dc.load_condition_table(bad)


# --------------------------------------------------------------------- CLI and models


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "scripts" / "deploy_checks.py"), *map(str, args)],
                          text=True, capture_output=True, timeout=300)


def test_cli_exit_codes_and_summary(tmp_path):
    bad = cli("model", model(tmp_path, exec_deployments()))
    assert bad.returncode == 1 and "DEP-02" in bad.stdout and "deploy_checks: 1 finding(s)" in bad.stdout
    good = cli("model", model(tmp_path, exec_deployments("logs:DescribeMetricFilters"), "ok.json"))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "DEP-02: roles=1" in good.stdout


def test_cli_bad_model_names_file_and_field(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"region": REGION, "deployments": [{"stack": "s", "template": "t.yaml",
                                                                   "path": "ftp"}]}))
    proc = cli("model", path)
    assert proc.returncode == 2 and "deployments[0].path" in proc.stderr and "inline, s3, codepipeline" in proc.stderr


def test_project_model_reads_make_dry_run(tmp_path):
    """A project's Makefile: the deploy without --s3-bucket is inline, the one with it is S3."""
    (tmp_path / ".stackwright").mkdir()
    (tmp_path / ".stackwright" / "answers.yaml").write_text(yaml.safe_dump({
        "region": REGION, "environments": [{"name": "dev", "profile": "ephemeral"}]}))
    (tmp_path / "templates").mkdir()
    big = big_template(tmp_path / "templates", pad=52)
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "dev.json").write_text(json.dumps({big.stem: {"Parameters": {}}}))
    (tmp_path / "Makefile").write_text(
        "deploy:\n"
        f"\t@aws cloudformation deploy --stack-name fx-dev-a --template-file templates/{big.name} --region {REGION}\n"
        f"\t@aws cloudformation deploy --stack-name fx-dev-b --template-file templates/{big.name} --s3-bucket b\n")
    m = dc.model_from_project(tmp_path)
    assert [(d.stack, d.path, d.env, d.ephemeral) for d in m.deployments] == [
        ("fx-dev-a", "inline", "dev", True), ("fx-dev-b", "s3", "dev", True)]
    found = messages(dc.run_checks(m, {"DEP-01"}), "DEP-01")
    assert len(found) == 1 and "fx-dev-a" in found[0]


def test_cdk_out_is_checked_in_manifest_order(tmp_path):
    out = tmp_path / "cdk.out"
    out.mkdir()
    for name in ("Reader", "Trusting"):
        src = FIXTURES / ("reader-role.yaml" if name == "Reader" else "trust-later-role.yaml")
        tpl, _ = __import__("cfnlint.decode", fromlist=["decode"]).decode(str(src))
        (out / f"{name}.template.json").write_text(json.dumps(tpl, default=str))
    (out / "manifest.json").write_text(json.dumps({"artifacts": {
        "Reader": {"type": "aws:cloudformation:stack", "environment": f"aws://{ACCOUNT}/{REGION}",
                   "dependencies": ["Trusting"], "properties": {"templateFile": "Reader.template.json"}},
        "Trusting": {"type": "aws:cloudformation:stack", "environment": f"aws://{ACCOUNT}/{REGION}",
                     "properties": {"templateFile": "Trusting.template.json"}}}}))
    proc = cli("cdk", out, "--region", REGION, "--only", "DEP-03")
    assert proc.returncode == 1 and "created later, by stack Reader" in proc.stdout, proc.stdout + proc.stderr


def test_cdk_stage_assemblies_are_followed_and_marked_ephemeral(tmp_path):
    """CDK Pipelines: stacks of a stage live in a nested assembly; --ephemeral Dev applies DEP-04 there."""
    out = tmp_path / "cdk.out"
    stage = out / "assembly-Dev"
    stage.mkdir(parents=True)
    tpl, _ = __import__("cfnlint.decode", fromlist=["decode"]).decode(str(FIXTURES / "retained-names.yaml"))
    tpl["Parameters"]["EnvironmentName"]["Default"] = "dev"
    (stage / "DevData.template.json").write_text(json.dumps(tpl, default=str))
    (stage / "manifest.json").write_text(json.dumps({"artifacts": {
        "DevData": {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
                    "properties": {"templateFile": "DevData.template.json", "stackName": "fx-dev-data"}}}}))
    (out / "manifest.json").write_text(json.dumps({"artifacts": {
        "assembly-Dev": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "assembly-Dev",
                                                                       "displayName": "Dev"}}}}))
    m = dc.model_from_cdk(out, REGION, ["Dev"], dc.PIPELINE_ACCOUNT, "codepipeline")
    assert [(d.stack, d.env, d.path, d.ephemeral) for d in m.deployments] == [("fx-dev-data", "Dev", "codepipeline", True)]
    found = messages(dc.run_checks(m, {"DEP-04"}), "DEP-04")
    assert len(found) == 1 and "NamedBucket" in found[0]
    with pytest.raises(dc.InputError, match="not a stage"):
        dc.model_from_cdk(out, REGION, ["Prod"], dc.PIPELINE_ACCOUNT, "s3")


PIPELINE = """
Resources:
  ExecutionRoleDev:
    Type: AWS::IAM::Role
    Properties:
      RoleName: fx-dev-cfn-exec
      AssumeRolePolicyDocument: {Statement: []}
      Policies:
        - PolicyName: exec
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: [logs:PutMetricFilter, logs:DeleteMetricFilter], Resource: "*"}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: arn:aws:iam::111122223333:role/fx-pipeline-role
      Stages:
        - Name: Deploy-dev
          Actions:
            - Name: CreateChangeSet-app
              ActionTypeId: {Category: Deploy, Owner: AWS, Provider: CloudFormation, Version: "1"}
              Configuration:
                ActionMode: CHANGE_SET_REPLACE
                StackName: fx-dev-app
                ChangeSetName: fx-dev-app
                TemplatePath: BuildOutput::templates/app.yaml
                TemplateConfiguration: BuildOutput::build/template-config/dev/app.json
                RoleArn: !GetAtt ExecutionRoleDev.Arn
"""


def test_project_model_follows_pipeline_actions_to_their_execution_role(tmp_path):
    (tmp_path / ".stackwright").mkdir()
    (tmp_path / ".stackwright" / "answers.yaml").write_text(yaml.safe_dump({
        "region": REGION, "environments": [{"name": "dev", "profile": "ephemeral"}]}))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "pipeline.yaml").write_text(PIPELINE)
    (tmp_path / "templates" / "app.yaml").write_text((FIXTURES / "metric-filter.yaml").read_text())
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "dev.json").write_text(json.dumps({"app": {"Parameters": {}}}))
    (tmp_path / "params" / "pipeline.json").write_text(json.dumps({"pipeline": {"Parameters": {}}}))
    (tmp_path / "Makefile").write_text(
        "deploy-pipeline:\n"
        "\taws cloudformation deploy --stack-name fx-pipeline --template-file templates/pipeline.yaml --s3-bucket b\n"
        "deploy:\n"
        "\taws cloudformation deploy --stack-name fx-dev-app --template-file templates/app.yaml --s3-bucket b\n")
    m = dc.model_from_project(tmp_path)
    action = [d for d in m.deployments if d.path == "codepipeline"]
    assert [(d.stack, d.env, d.role) for d in action] == [
        ("fx-dev-app", "dev", {"stack": "fx-pipeline", "logical_id": "ExecutionRoleDev"})]
    report = dc.run_checks(m, {"DEP-02"})
    found = messages(report, "DEP-02")
    assert len(found) == 1 and "ExecutionRoleDev" in found[0] and found[0].endswith("logs:DescribeMetricFilters")
    assert report.figures["DEP-02"]["deployments_with_caller_credentials"] == 2


def test_dep_02_schema_entries_that_are_not_iam_actions_are_skipped_with_a_note():
    actions, skipped = dc.handler_permissions(REGION, "AWS::Logs::LogGroup")
    assert "logs:CreateLogGroup" in actions and "s3:REST.PUT.OBJECT" not in actions
    assert "'s3:REST.PUT.OBJECT'" in skipped
    # Wildcard entries are real requirements: only a grant covering them all satisfies one.
    asg, _ = dc.handler_permissions(REGION, "AWS::AutoScaling::AutoScalingGroup")
    assert "ec2:Describe*" in asg
    assert dc._evaluate([("p", {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"})],
                        "ec2:Describe*", REGION)[0] == "allowed"
    assert dc._evaluate([("p", {"Effect": "Allow", "Action": "ec2:DescribeImages", "Resource": "*"})],
                        "ec2:Describe*", REGION)[0] == "missing"


PIPELINE_CODEBUILD = """
Resources:
  ExecutionRoleDev:
    Type: AWS::IAM::Role
    Properties:
      RoleName: fx-dev-cfn-exec
      AssumeRolePolicyDocument: {Statement: []}
      Policies:
        - PolicyName: exec
          PolicyDocument:
            Statement:
              - {Effect: Allow, Action: [logs:PutMetricFilter, logs:DeleteMetricFilter], Resource: "*"}
  Pipeline:
    Type: AWS::CodePipeline::Pipeline
    Properties:
      RoleArn: arn:aws:iam::111122223333:role/fx-pipeline-role
      Stages:
        - Name: Deploy-dev
          Actions:
            - Name: CreateChangeSet-app
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration:
                ProjectName: fx-build
                EnvironmentVariables: !Sub '[{"name":"MODE","value":"create","type":"PLAINTEXT"},{"name":"STACK","value":"fx-dev-app","type":"PLAINTEXT"},{"name":"TEMPLATE","value":"templates/app.yaml","type":"PLAINTEXT"},{"name":"CONFIG","value":"build/template-config/dev/app.json","type":"PLAINTEXT"},{"name":"EXEC_ROLE_ARN","value":"${ExecutionRoleDev.Arn}","type":"PLAINTEXT"}]'
            - Name: ExecuteChangeSet-app
              ActionTypeId: {Category: Build, Owner: AWS, Provider: CodeBuild, Version: "1"}
              Configuration:
                ProjectName: fx-build
                EnvironmentVariables: '[{"name":"MODE","value":"execute","type":"PLAINTEXT"},{"name":"STACK","value":"fx-dev-app","type":"PLAINTEXT"}]'
"""


def test_project_model_follows_codebuild_change_set_actions(tmp_path):
    """A CodeBuild step that creates the change set from the template's S3 URL (buildspecs/change_set.py)."""
    (tmp_path / ".stackwright").mkdir()
    (tmp_path / ".stackwright" / "answers.yaml").write_text(yaml.safe_dump({
        "region": REGION, "environments": [{"name": "dev", "profile": "ephemeral"}]}))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "pipeline.yaml").write_text(PIPELINE_CODEBUILD)
    big = big_template(tmp_path, pad=52)
    app = json.loads(big.read_text())
    app["Resources"] = yaml.safe_load((FIXTURES / "metric-filter.yaml").read_text())["Resources"]
    (tmp_path / "templates" / "app.yaml").write_text(json.dumps(app))
    (tmp_path / "buildspecs").mkdir()
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "dev.json").write_text(json.dumps({"app": {"Parameters": {}}}))
    (tmp_path / "Makefile").write_text(
        "deploy-pipeline:\n"
        "\taws cloudformation deploy --stack-name fx-pipeline --template-file templates/pipeline.yaml --s3-bucket b\n"
        "deploy:\n"
        "\taws cloudformation deploy --stack-name fx-dev-app --template-file templates/app.yaml --s3-bucket b\n")
    # Without a buildspec that deploys by URL, the step passes the body inline: over 51,200 bytes.
    m = dc.model_from_project(tmp_path)
    steps = [d for d in m.deployments if d.via.endswith("(CodeBuild)")]
    assert [(d.stack, d.env, d.path, d.role) for d in steps] == [
        ("fx-dev-app", "dev", "inline", {"stack": "fx-pipeline", "logical_id": "ExecutionRoleDev"})]
    report = dc.run_checks(m, {"DEP-01", "DEP-02"})
    assert len(messages(report, "DEP-01")) == 1
    assert messages(report, "DEP-02")[0].endswith("logs:DescribeMetricFilters")
    (tmp_path / "buildspecs" / "change_set.py").write_text("cfn.create_change_set(TemplateURL=url)\n")
    assert messages(dc.run_checks(dc.model_from_project(tmp_path), {"DEP-01"}), "DEP-01") == []


def test_dep_02_actions_without_resource_level_permissions_need_resource_star():
    """cfn-lint's IAM action table: ec2:DescribeVpcs has no resource-level permissions."""
    assert dc.iam_action_kind("ec2:DescribeVpcs") == "unscoped"
    assert dc.iam_action_kind("logs:PutMetricFilter") == "scoped"
    scoped = [("p", {"Sid": "Vpcs", "Effect": "Allow", "Action": "ec2:Describe*",
                     "Resource": "arn:aws:ec2:eu-west-1:111122223333:vpc/*"})]
    verdict, detail = dc._evaluate(scoped, "ec2:DescribeVpcs", REGION, needs_star=True)
    assert verdict == "missing" and "only on named resources" in detail
    star = [("p", {"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"})]
    assert dc._evaluate(star, "ec2:DescribeVpcs", REGION, needs_star=True)[0] == "allowed"


def test_dep_02_actions_unknown_to_iam_are_skipped_with_a_note(tmp_path):
    """An action the IAM table does not know cannot be granted (cfn-lint W3037 refuses it)."""
    assert dc.iam_action_kind("s3:DeleteBucketCors") == "unknown"
    report = policy_report(tmp_path, [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}])
    assert messages(report, "DEP-02") == []
    # AWS::IAM::Role is not deployed here; the metric filter's actions are all known.
    assert report.figures["DEP-02"]["actions_unknown_to_iam"] == 0
    deps = [{"stack": "roles", "template": "exec-role.yaml", "parameters": {"ExtraAction": "logs:DescribeMetricFilters"}},
            {"stack": "data", "template": "retained-names.yaml", "parameters": {"EnvironmentName": "dev"},
             "role": {"stack": "roles", "logical_id": "ExecutionRole"}}]
    report = run(model(tmp_path, deps), "DEP-02")
    assert report.figures["DEP-02"]["actions_unknown_to_iam"] > 0
    assert any("s3:DeleteBucketCors" in n and "unknown to the IAM action table" in n for n in report.notes)


def test_check_matrix_fails_a_fixture_on_a_finding_unless_report(tmp_path):
    """The matrix's wiring: enforce turns a finding into a failed fixture, report only counts it."""
    import check_matrix as cm

    project = tmp_path / "proj"
    (project / ".stackwright").mkdir(parents=True)
    (project / ".stackwright" / "answers.yaml").write_text(yaml.safe_dump({
        "region": REGION, "environments": [{"name": "dev", "profile": "ephemeral"}]}))
    (project / "templates").mkdir()
    big = big_template(project / "templates", pad=52)
    (project / "Makefile").write_text(
        f"deploy:\n\taws cloudformation deploy --stack-name fx-dev-a --template-file templates/{big.name}\n")
    for mode, ok in (("enforce", False), ("report", True)):
        res = cm.Result(stem=f"fx-{mode}")
        cm.check_deploy(res, project, tmp_path, mode)
        assert res.ok is ok and res.deploy["DEP-01"] == 1, (mode, res.problems, res.notes)
        assert "deploy" in res.ran


def terraform_project(tmp_path: Path, apply_role_template: str) -> Path:
    """A Terraform-flavour project: envs/<env> roots, the state bucket stack by
    `make bootstrap` (a recipe continued with a backslash) and an apply-role
    stack per cross-account environment by `make apply-role`."""
    (tmp_path / ".stackwright").mkdir()
    (tmp_path / ".stackwright" / "answers.yaml").write_text(yaml.safe_dump({
        "region": REGION, "environments": [{"name": "dev", "profile": "ephemeral"},
                                           {"name": "prod", "profile": "production", "account_id": OTHER}]}))
    for env in ("dev", "prod"):
        (tmp_path / "envs" / env).mkdir(parents=True)
    (tmp_path / "bootstrap").mkdir()
    (tmp_path / "bootstrap" / "state.yaml").write_text((FIXTURES / "reader-role.yaml").read_text())
    (tmp_path / "bootstrap" / "apply-role.yaml").write_text((FIXTURES / apply_role_template).read_text())
    (tmp_path / "Makefile").write_text(
        "bootstrap: ## once\n"
        f"\taws cloudformation deploy --region {REGION} --stack-name fx-tfstate \\\n"
        "\t  --template-file bootstrap/state.yaml --no-fail-on-empty-changeset\n\n"
        "apply-role: ## per environment\n"
        f"\taws cloudformation deploy --region {REGION} --stack-name fx-$(ENV)-apply-role \\\n"
        "\t  --template-file bootstrap/apply-role.yaml --capabilities CAPABILITY_NAMED_IAM \\\n"
        "\t  --parameter-overrides ReaderAccount=$(PIPELINE_ACCOUNT)\n\n"
        "plan:\n\tterraform -chdir=envs/$(ENV) plan\n\n"
        ".PHONY: bootstrap apply-role plan\n")
    return tmp_path


def test_terraform_project_models_bootstrap_then_apply_role_per_cross_account_env(tmp_path):
    m = dc.model_from_project(terraform_project(tmp_path, "trust-later-role.yaml"))
    assert [(d.stack, d.template.name, d.env, d.account) for d in m.deployments] == [
        ("fx-tfstate", "state.yaml", None, dc.PIPELINE_ACCOUNT),
        ("fx-prod-apply-role", "apply-role.yaml", "prod", OTHER)]
    assert m.deployments[1].parameters["ReaderAccount"] == dc.PIPELINE_ACCOUNT
    assert m.notes == []


def test_dep_03_terraform_apply_role_trusting_a_pipeline_role_arn_is_a_finding(tmp_path):
    """The apply role in prod's account trusts a role ARN of the pipeline's account."""
    m = dc.model_from_project(terraform_project(tmp_path, "trust-later-role.yaml"))
    found = messages(dc.run_checks(m, {"DEP-03"}), "DEP-03")
    assert len(found) == 1 and "fx-prod-apply-role" in found[0]


def test_dep_03_terraform_apply_role_trusting_the_account_root_is_fine(tmp_path):
    m = dc.model_from_project(terraform_project(tmp_path, "trust-root.yaml"))
    assert messages(dc.run_checks(m, {"DEP-03"}), "DEP-03") == []

# ------------------------------------------------- DEP-02 on CDK output (bootstrap)


def cdk_out_with(tmp_path: Path, resources: dict) -> Path:
    out = tmp_path / "cdk.out"
    out.mkdir(exist_ok=True)
    (out / "App.template.json").write_text(json.dumps({"Resources": resources}))
    (out / "manifest.json").write_text(json.dumps({"artifacts": {
        "App": {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
                "properties": {"templateFile": "App.template.json", "stackName": "fx-dev-app"}}}}))
    return out


def policy_file(tmp_path: Path, name: str, statements: list) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    return path


METRIC_FILTER = {"Filter": {"Type": "AWS::Logs::MetricFilter", "Properties": {
    "LogGroupName": "fx", "FilterPattern": "x",
    "MetricTransformations": [{"MetricName": "m", "MetricNamespace": "n", "MetricValue": "1"}]}}}


def test_dep_02_cdk_bootstrap_execution_policy_missing_a_handler_action_is_a_finding(tmp_path):
    """The bootstrap's execution role is given by its managed policy documents (not a
    template); a planted missing action is found, the complete policy is clean."""
    out = cdk_out_with(tmp_path, METRIC_FILTER)
    actions = dc.handler_permissions(REGION, "AWS::Logs::MetricFilter")[0]
    planted = [a for a in actions if a != "logs:DescribeMetricFilters"]
    part1 = policy_file(tmp_path, "execution-policy-access.json", [
        {"Sid": "Deny", "Effect": "Deny", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/cdk-*"}])
    part2 = policy_file(tmp_path, "execution-policy-handlers-1.json", [
        {"Sid": "Logs", "Effect": "Allow", "Action": planted, "Resource": "arn:aws:logs:eu-west-1:*:log-group:fx-*"}])
    m = dc.model_from_cdk(out, REGION, [], dc.PIPELINE_ACCOUNT, "s3", [part1, part2])
    report = dc.run_checks(m, {"DEP-02"})
    found = messages(report, "DEP-02")
    assert len(found) == 1 and "logs:DescribeMetricFilters" in found[0] and "AWS::Logs::MetricFilter" in found[0]
    assert "cdk-<qualifier>-cfn-exec-role" in found[0]
    assert report.figures["DEP-02"]["roles"] == 1 and report.figures["DEP-02"]["actions_missing"] == 1
    policy_file(tmp_path, "execution-policy-handlers-1.json", [
        {"Sid": "Logs", "Effect": "Allow", "Action": actions, "Resource": "arn:aws:logs:eu-west-1:*:log-group:fx-*"}])
    dc._POLICY_DOCS.clear()
    m = dc.model_from_cdk(out, REGION, [], dc.PIPELINE_ACCOUNT, "s3", [part1, part2])
    assert messages(dc.run_checks(m, {"DEP-02"}), "DEP-02") == []
    # Without the policies there is no role to check, and a note says how to give it.
    m = dc.model_from_cdk(out, REGION, [], dc.PIPELINE_ACCOUNT, "s3")
    report = dc.run_checks(m, {"DEP-02"})
    assert report.figures["DEP-02"]["roles"] == 0 and any("--execution-policy" in n for n in report.notes)


def test_dep_02_cdk_custom_resource_needs_invoke_on_its_provider(tmp_path):
    """CloudFormation invokes a custom resource's Lambda with the execution role."""
    out = cdk_out_with(tmp_path, {
        "Provider": {"Type": "AWS::Lambda::Function", "Properties": {"Role": "r", "Code": {"ZipFile": "x"}}},
        "Restrict": {"Type": "Custom::VpcRestrictDefaultSG",
                     "Properties": {"ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}}}})
    lam = dc.handler_permissions(REGION, "AWS::Lambda::Function")[0]
    ok = [a for a in lam if dc.iam_action_kind(a) != "unknown"]
    star = {"Sid": "Star", "Effect": "Allow", "Action": [a for a in ok if dc.iam_action_kind(a) == "unscoped"],
            "Resource": "*"}
    scoped = {"Sid": "Fn", "Effect": "Allow", "Action": [a for a in ok if dc.iam_action_kind(a) == "scoped"],
              "Resource": "*"}
    doc = policy_file(tmp_path, "p.json", [star, scoped])
    found = messages(dc.run_checks(dc.model_from_cdk(out, REGION, [], dc.PIPELINE_ACCOUNT, "s3", [doc]), {"DEP-02"}),
                     "DEP-02")
    assert len(found) == 1 and "Custom::VpcRestrictDefaultSG" in found[0] and "lambda:InvokeFunction" in found[0]
    invoke = {"Sid": "Invoke", "Effect": "Allow", "Action": "lambda:InvokeFunction",
              "Resource": "arn:aws:lambda:eu-west-1:*:function:fx-*"}
    doc = policy_file(tmp_path, "q.json", [star, scoped, invoke])
    assert not messages(dc.run_checks(dc.model_from_cdk(out, REGION, [], dc.PIPELINE_ACCOUNT, "s3", [doc]),
                                      {"DEP-02"}), "DEP-02")


def test_dep_02_execution_policy_document_is_checked_as_iam_stores_it(tmp_path):
    """A managed policy takes no CloudFormation variables: an ARN with ${AWS::AccountId}
    would match nothing in IAM, so the document is refused with file and statement."""
    bad = policy_file(tmp_path, "bad.json", [{"Sid": "Logs", "Effect": "Allow", "Action": "logs:*",
                                              "Resource": "arn:aws:logs:*:${AWS::AccountId}:*"}])
    with pytest.raises(dc.InputError, match=r"bad.json: Statement\[0\] \(Logs\) contains \$\{AWS::AccountId\}"):
        dc.load_policy_document(bad, "--execution-policy")
    template = tmp_path / "template.json"
    template.write_text(json.dumps({"Resources": {}}))
    with pytest.raises(dc.InputError, match="not a CloudFormation template"):
        dc.load_policy_document(template, "--execution-policy")
    broken = tmp_path / "broken.json"
    broken.write_text('{"Version": "2012-10-17",\n "Statement": [}')
    with pytest.raises(dc.InputError, match=r"broken.json:2: not a JSON policy document"):
        dc.load_policy_document(broken, "--execution-policy")


def test_cli_cdk_execution_policy_flag(tmp_path):
    out = cdk_out_with(tmp_path, METRIC_FILTER)
    doc = policy_file(tmp_path, "p.json", [{"Sid": "Put", "Effect": "Allow", "Action": "logs:PutMetricFilter",
                                            "Resource": "*"}])
    proc = cli("cdk", out, "--region", REGION, "--only", "DEP-02", "--execution-policy", doc)
    assert proc.returncode == 1 and "logs:DescribeMetricFilters" in proc.stdout, proc.stdout + proc.stderr
    proc = cli("cdk", out, "--region", REGION, "--only", "DEP-02", "--execution-policy", tmp_path / "nope.json")
    assert proc.returncode == 2 and "nope.json" in proc.stderr


def test_dep_02_codebuild_project_without_registry_handlers_needs_its_api_calls(tmp_path):
    """AWS::CodeBuild::Project has no handler list; its CRUD API calls are required instead."""
    out = cdk_out_with(tmp_path, {"Build": {"Type": "AWS::CodeBuild::Project", "Properties": {}}})
    doc = policy_file(tmp_path, "p.json", [{"Sid": "Cb", "Effect": "Allow", "Action": ["codebuild:CreateProject"],
                                            "Resource": "arn:aws:codebuild:eu-west-1:*:project/*"}])
    found = messages(dc.run_checks(dc.model_from_cdk(out, REGION, [], dc.PIPELINE_ACCOUNT, "s3", [doc]), {"DEP-02"}),
                     "DEP-02")
    assert len(found) == 1 and "codebuild:UpdateProject" in found[0] and "codebuild:CreateProject" not in found[0]
