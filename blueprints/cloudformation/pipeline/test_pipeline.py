"""Unit tests of the delivery pipeline (templates/pipeline.yaml{% if pipeline.has.deploy and cross_account %}, templates/deploy-role.yaml{% endif %}
and buildspecs/): controls CI-01 to CI-09, checked against the stored answers and
params/, offline."""

import fnmatch
import hashlib
import importlib.util
import json
import re
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from helpers import answers, as_list, env_names, one, params, resources, stack_params, statements, template, walk

ROOT = Path(__file__).resolve().parents[2]

# The environment stacks in deploy order, as stackwright ordered the blueprints.
DEPLOY_ORDER = [{% for st in stacks %}{% if st.scope == "environment" %}{{ st.name | json_str }}, {% endif %}{% endfor %}]
TEMPLATE_OF = { {%- for st in stacks %}{{ st.name | json_str }}: {{ st.template | json_str }}, {% endfor -%} }
CODEBUILD_STAGES = ["validate", "test", "security_scan", "build", "integration_test"]
# CloudFormation pseudo parameters and parameters as they appear in !Sub strings.
PART, ACCT, ENVREF, PIPEACCT = "${AWS::Partition}", "${AWS::AccountId}", "${EnvironmentName}", "${PipelineAccountId}"
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_?KEY", re.I)
SECRET_VALUE = re.compile(r"AKIA[0-9A-Z]{16}|-----BEGIN|[A-Za-z0-9/+]{40}")


# ---------------------------------------------------------------- reading the template

def tpl():
    return template("pipeline")


def project():
    return answers()["project"]["name"]


def wanted():
    return answers()["pipeline"]


def environments():
    return answers()["environments"]


def is_cross(env):
    return bool(env.get("account_id"))


def pascal(text):
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def target(value):
    """Logical id behind a Ref or GetAtt, else None."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            return att[0] if isinstance(att, list) else att.split(".")[0]
    return None


def sub(value):
    """The text of a plain string or of an Fn::Sub, with the Sub's own variables filled in."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        s = value["Fn::Sub"]
        if not isinstance(s, list):
            return s
        text, local = s
        for key, given in local.items():
            if isinstance(given, str):
                text = text.replace("${" + key + "}", given)
        return text
    return value if isinstance(value, str) else None


def res(logical):
    return tpl()["Resources"][logical]


def pipeline():
    return one(tpl(), "AWS::CodePipeline::Pipeline")["Properties"]


def stage(name):
    found = [s for s in pipeline()["Stages"] if s["Name"] == name]
    assert len(found) == 1, f"stage {name} missing or repeated"
    return found[0]


def action_env(a):
    """The EnvironmentVariables of a CodeBuild action as {name: value} (Sub text kept)."""
    text = sub(a.get("Configuration", {}).get("EnvironmentVariables"))
    return {v["name"]: v["value"] for v in json.loads(text)} if text else {}


def actions(stage_name, provider=None, mode=None):
    """Actions of a stage; mode "create" / "execute" picks the change-set actions (MODE)."""
    out = []
    for a in stage(stage_name)["Actions"]:
        if provider and a["ActionTypeId"]["Provider"] != provider:
            continue
        if mode and action_env(a).get("MODE") != mode:
            continue
        out.append(a)
    return out


def all_actions():
    return [(s["Name"], a) for s in pipeline()["Stages"] for a in s["Actions"]]


def expected_stage_names():
    names = ["Source"]
    stages = wanted()["stages"]
    for s in stages:
        if s == "deploy":
            for e in environments():
                names.append(f"Deploy-{e['name']}")
                if "integration_test" in stages:
                    names.append(f"IntegrationTest-{e['name']}")
        elif s != "integration_test":
            names.append(pascal(s))
    return names


def expected_codebuild_stages():
    stages = wanted()["stages"]
    return [s for s in CODEBUILD_STAGES if s in stages or (s == "build" and "deploy" in stages)]


def projects():
    """Stage name -> CodeBuild project resource, keyed by its buildspec."""
    out = {}
    for logical, r in resources(tpl(), "AWS::CodeBuild::Project").items():
        spec = r["Properties"]["Source"]["BuildSpec"]
        m = re.fullmatch(r"buildspecs/([a-z_]+)\.yml", spec)
        assert m, f"{logical}: buildspec {spec} is not buildspecs/<stage>.yml"
        out[m.group(1)] = (logical, r)
    return out


def param_default(name):
    return tpl()["Parameters"][name].get("Default")


def key_logical():
    keys = resources(tpl(), "AWS::KMS::Key")
    assert len(keys) == 1
    return next(iter(keys))


def buildspec(stage_name):
    return yaml.safe_load((ROOT / "buildspecs" / f"{stage_name}.yml").read_text())


def commands(spec):
    for phase in spec.get("phases", {}).values():
        for command in phase.get("commands", []):
            yield command


def allow_statements(document):
    return [s for s in statements(document) if s.get("Effect") == "Allow"]


def action_matches(granted, action):
    return any(fnmatch.fnmatchcase(action.lower(), g.lower()) for g in as_list(granted))


# ---------------------------------------------------------------- CI-01 source and trigger

def test_ci_01_pipeline_is_v2_with_a_safe_execution_mode():
    p = pipeline()
    assert p["PipelineType"] == "V2"
    mode = p["ExecutionMode"]
    allowed = set(tpl()["Parameters"][target(mode)]["AllowedValues"]) if target(mode) else {mode}
    assert allowed <= {"QUEUED", "SUPERSEDED"}
    assert (param_default(target(mode)) if target(mode) else mode) in ("QUEUED", "SUPERSEDED")


def test_ci_01_source_is_the_answered_repository_through_a_connection():
    first, *rest = pipeline()["Stages"]
    assert [a["ActionTypeId"]["Category"] for a in first["Actions"]] == ["Source"]
    source = first["Actions"][0]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    cfg = source["Configuration"]
    assert cfg["FullRepositoryId"] == wanted()["repository"]
    assert cfg["BranchName"] == wanted()["branch"]
    assert res(target(cfg["ConnectionArn"]))["Type"] == "AWS::CodeStarConnections::Connection"
    provider = res(target(cfg["ConnectionArn"]))["Properties"]["ProviderType"]
    assert set(tpl()["Parameters"][target(provider)]["AllowedValues"]) == {"GitHub", "GitLab", "Bitbucket"}
    # Source actions only in the first stage (E3700).
    assert not [a for s in rest for a in s["Actions"] if a["ActionTypeId"]["Category"] == "Source"]


def test_ci_01_pipeline_starts_on_push_to_the_answered_branch():
    triggers = pipeline()["Triggers"]
    assert len(triggers) == 1
    trigger = triggers[0]
    assert trigger["ProviderType"] == "CodeStarSourceConnection"
    git = trigger["GitConfiguration"]
    assert git["SourceActionName"] == pipeline()["Stages"][0]["Actions"][0]["Name"]
    branches = [b for push in git["Push"] for b in push["Branches"]["Includes"]]
    assert branches == [wanted()["branch"]]


def test_ci_01_connection_arn_output_explains_the_pending_handshake():
    out = tpl()["Outputs"]["ConnectionArn"]
    assert res(target(out["Value"]))["Type"] == "AWS::CodeStarConnections::Connection"
    assert "PENDING" in out["Description"] and "console" in out["Description"]
    assert sub(out["Export"]["Name"]) == "${AWS::StackName}-ConnectionArn"


# ---------------------------------------------------------------- CI-02 stages as answered

def test_ci_02_stages_follow_the_answers_in_order():
    assert [s["Name"] for s in pipeline()["Stages"]] == expected_stage_names()


def test_ci_02_each_build_stage_runs_its_own_buildspec():
    by_stage = projects()
    for s in wanted()["stages"]:
        if s in ("deploy", "integration_test"):
            continue
        (action,) = stage(pascal(s))["Actions"]
        assert action["ActionTypeId"]["Provider"] == "CodeBuild"
        assert target(action["Configuration"]["ProjectName"]) == by_stage[s][0]
        assert (ROOT / "buildspecs" / f"{s}.yml").is_file()
{%- if pipeline.has.deploy %}


def test_ci_02_manual_approval_exactly_for_environments_that_ask():
    for e in environments():
        approvals = actions(f"Deploy-{e['name']}", provider="Manual")
        if e["approval"]:
            assert len(approvals) == len(actions(f"Deploy-{e['name']}", mode="create")) > 0
        else:
            assert approvals == [], f"{e['name']} did not ask for approval"
        for a in approvals:
            assert a["ActionTypeId"]["Category"] == "Approval"
            assert not a.get("InputArtifacts"), "a manual approval takes no input artifacts (E3702)"
{%- endif %}
{%- if pipeline.has.integration_test %}


def test_ci_02_integration_tests_run_after_each_environment_deploy():
    names = [s["Name"] for s in pipeline()["Stages"]]
    for e in environments():
        env = e["name"]
        assert names.index(f"IntegrationTest-{env}") == names.index(f"Deploy-{env}") + 1
        (action,) = stage(f"IntegrationTest-{env}")["Actions"]
        assert target(action["Configuration"]["ProjectName"]) == projects()["integration_test"][0]
        variables = {v["name"]: v for v in json.loads(sub(action["Configuration"]["EnvironmentVariables"]))}
        assert variables["ENV"]["value"] == env
        assert all(v["type"] == "PLAINTEXT" and not SECRET_NAME.search(v["name"]) for v in variables.values())
        if is_cross(e):
            assert variables["TARGET_ROLE_ARN"]["value"] == (
                f"arn:{PART}:iam::{e['account_id']}:role/{project()}-{env}-integration-read")
        else:
            assert "TARGET_ROLE_ARN" not in variables
{%- endif %}
{%- if pipeline.has.deploy and pipeline.any_approval %}


# ---------------------------------------------------------------- CI-03 approval notifications

def approval_actions():
    return [(s, a) for s, a in all_actions() if a["ActionTypeId"]["Provider"] == "Manual"]


def test_ci_03_approvals_notify_the_kms_encrypted_topic():
    found = approval_actions()
    assert found
    for _, a in found:
        topic = res(target(a["Configuration"]["NotificationArn"]))
        assert topic["Type"] == "AWS::SNS::Topic"
        assert target(topic["Properties"]["KmsMasterKeyId"]) == key_logical()


def test_ci_03_topic_emails_the_answered_address():
    subs = [r["Properties"] for r in resources(tpl(), "AWS::SNS::Subscription").values()]
    topics = {target(a["Configuration"]["NotificationArn"]) for _, a in approval_actions()}
    assert any(p["Protocol"] == "email" and p["Endpoint"] == wanted()["notification_email"]
               and target(p["TopicArn"]) in topics for p in subs)


def test_ci_03_custom_data_names_project_environment_and_change():
    for stage_name, a in approval_actions():
        env = stage_name.removeprefix("Deploy-")
        stack = a["Name"].removeprefix("Approve-")
        text = sub(a["Configuration"]["CustomData"])
        assert len(text) <= 500
        for phrase in (f"project {project()}", f"environment {env}", f"the {stack} change set",
                       f"change set {project()}-{env}-{stack}-pipeline"):
            assert re.search(rf"\b{re.escape(phrase)}\b", text), f"{a['Name']} in {stage_name}: CustomData lacks {phrase!r}"
        env_answer = next(e for e in environments() if e["name"] == env)
        assert env_answer["approval"] is True
{%- endif %}


# ---------------------------------------------------------------- CI-04 artifacts

def bucket_policies():
    return {target(r["Properties"]["Bucket"]): r["Properties"]["PolicyDocument"]
            for r in resources(tpl(), "AWS::S3::BucketPolicy").values()}


def test_ci_04_artifact_store_uses_the_rotating_pipeline_key():
    store = pipeline()["ArtifactStore"]
    key = key_logical()
    assert store["Type"] == "S3"
    assert store["EncryptionKey"]["Type"] == "KMS" and target(store["EncryptionKey"]["Id"]) == key
    assert res(key)["Properties"]["EnableKeyRotation"] is True
    bucket = res(target(store["Location"]))
    (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert target(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == key
    assert rule["BucketKeyEnabled"] is True


def test_ci_04_buckets_are_hardened_like_every_bucket():
    buckets = resources(tpl(), "AWS::S3::Bucket")
    artifact = target(pipeline()["ArtifactStore"]["Location"])
    policies = bucket_policies()
    assert len(buckets) == 2
    for logical, b in buckets.items():
        p = b["Properties"]
        assert b["DeletionPolicy"] == "Retain" and b["UpdateReplacePolicy"] == "Retain"
        assert all(p["PublicAccessBlockConfiguration"][k] is True for k in
                   ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))
        assert p["VersioningConfiguration"]["Status"] == "Enabled"
        assert p["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        (rule,) = p["LifecycleConfiguration"]["Rules"]
        assert rule["Status"] == "Enabled" and rule["NoncurrentVersionTransitions"]
        assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] > rule["NoncurrentVersionTransitions"][0]["TransitionInDays"]
        assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] <= 7
        assert "${AWS::AccountId}" in sub(p["BucketName"])
        denies = [s for s in statements(policies[logical]) if s["Effect"] == "Deny"
                  and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
        assert denies, f"{logical} has no TLS-only policy"
        if logical == artifact:
            assert target(p["LoggingConfiguration"]["DestinationBucketName"]) in buckets
        else:
            # The access-log bucket: SSE-S3 (log delivery cannot use SSE-KMS), no logging of itself.
            algo = p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
            assert algo["SSEAlgorithm"] == "AES256"
            assert [s["id"] for s in b["Metadata"]["checkov"]["skip"]] == ["CKV_AWS_18"]


def test_ci_04_key_policy_admits_exactly_the_expected_principals():
    p = project()
    doc = res(key_logical())["Properties"]["KeyPolicy"]
    seen = {}
    for s in statements(doc):
        assert s["Effect"] == "Allow" and s.get("Sid")
        principal = s["Principal"]
        if "Service" in principal:
            service = sub(principal["Service"])
            seen[service] = s
            # EventBridge sends no condition key when it uses the key (DEP-05); the others are conditioned.
            assert s.get("Condition") or service == "events.amazonaws.com", f"{service} is admitted without a condition"
            continue
        arn = sub(principal["AWS"])
        m = re.fullmatch(r"arn:\$\{AWS::Partition\}:iam::(\$\{AWS::AccountId\}|\d{12}):root", arn)
        assert m, arn
        seen[m.group(1)] = s
    assert seen["${AWS::AccountId}"]["Action"] == "kms:*"
    assert "logs.${AWS::Region}.${AWS::URLSuffix}" in seen
    logs_arn = seen["logs.${AWS::Region}.${AWS::URLSuffix}"]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert sub(logs_arn).endswith(":log-group:/aws/codebuild/${AWS::StackName}-*")
    assert set(as_list(seen["events.amazonaws.com"]["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    cross = {e["account_id"]: e for e in environments() if is_cross(e)} if "deploy" in wanted()["stages"] else {}
    accounts = {k for k in seen if k.isdigit()}
    assert accounts == set(cross)
    for account, e in cross.items():
        names = {sub(a) for a in seen[account]["Condition"]["ArnEquals"]["aws:PrincipalArn"]}
        assert names == {f"arn:{PART}:iam::{account}:role/{p}-{e['name']}-pipeline-deploy",
                         f"arn:{PART}:iam::{account}:role/{p}-{e['name']}-cfn-exec"}
        assert set(as_list(seen[account]["Action"])) == {"kms:Decrypt", "kms:DescribeKey"}
    assert set(seen) == {"${AWS::AccountId}", "logs.${AWS::Region}.${AWS::URLSuffix}", "events.amazonaws.com"} | accounts


# ---------------------------------------------------------------- CI-05 CodeBuild projects

def test_ci_05_one_codebuild_project_per_stage():
    assert sorted(projects()) == sorted(expected_codebuild_stages())
    for s, (_, r) in projects().items():
        # <project>-pipeline-<stage> once deployed as <project>-pipeline.
        assert sub(r["Properties"]["Name"]) == "${AWS::StackName}-" + s


def test_ci_05_projects_are_small_encrypted_unprivileged_and_logged():
    key = key_logical()
    groups = set()
    for s, (logical, r) in projects().items():
        p = r["Properties"]
        env = p["Environment"]
        assert env["Type"] == "LINUX_CONTAINER"
        assert env["PrivilegedMode"] is False
        compute = param_default(target(env["ComputeType"])) if target(env["ComputeType"]) else env["ComputeType"]
        assert compute == "BUILD_GENERAL1_SMALL"
        image = tpl()["Parameters"][target(env["Image"])]
        assert all(i.startswith("aws/codebuild/") for i in image["AllowedValues"])
        assert target(p["EncryptionKey"]) == key
        logs = p["LogsConfig"]["CloudWatchLogs"]
        assert logs["Status"] == "ENABLED"
        group = res(target(logs["GroupName"]))
        assert group["Type"] == "AWS::Logs::LogGroup"
        # Retained, so unique to the stack (DEP-04): /aws/codebuild/<project name>-<part of the stack id>.
        assert sub(group["Properties"]["LogGroupName"]) == "/aws/codebuild/${AWS::StackName}-" + s + "-${StackIdPart}"
        assert target(group["Properties"]["KmsKeyId"]) == key
        assert group["Properties"]["RetentionInDays"]
        groups.add(target(logs["GroupName"]))
    assert len(groups) == len(projects()), "every project has its own log group"


def test_ci_05_dashboards_name_the_real_build_projects():
    """CodeBuild metric widgets elsewhere (the monitoring dashboard) must name projects that exist."""
    names = {sub(r["Properties"]["Name"]).replace("${AWS::StackName}", f"{project()}-pipeline")
             for _, r in projects().values()}
    for path in sorted((ROOT / "templates").glob("*.yaml")):
        referenced = set(re.findall(r'"AWS/CodeBuild",\s*"\w+",\s*"ProjectName",\s*"([^"]+)"', path.read_text()))
        assert referenced <= names, f"{path.name} charts CodeBuild projects {sorted(referenced - names)}; they are {sorted(names)}"


def test_ci_05_no_plaintext_secrets_in_build_environments():
    found = 0
    for _, (logical, r) in projects().items():
        for v in r["Properties"]["Environment"].get("EnvironmentVariables", []):
            found += 1
            if v.get("Type", "PLAINTEXT") == "PLAINTEXT":
                assert not SECRET_NAME.search(v["Name"]), f"{logical}: {v['Name']} looks secret; use PARAMETER_STORE/SECRETS_MANAGER"
                assert not SECRET_VALUE.search(str(v["Value"])), f"{logical}: {v['Name']} holds a secret-looking value"
    for _, a in all_actions():
        text = sub(a.get("Configuration", {}).get("EnvironmentVariables"))
        for v in json.loads(text) if text else []:
            found += 1
            if v.get("type", "PLAINTEXT") == "PLAINTEXT":
                assert not SECRET_NAME.search(v["name"]) and not SECRET_VALUE.search(v["value"])
    assert found


def test_ci_05_build_roles_are_least_privilege():
    roles = set()
    for s, (logical, r) in projects().items():
        role_id = target(r["Properties"]["ServiceRole"])
        roles.add(role_id)
        role = res(role_id)["Properties"]
        (trust,) = statements(role["AssumeRolePolicyDocument"])
        assert trust["Principal"] == {"Service": "codebuild.amazonaws.com"}
        assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
        for policy in role["Policies"]:
            for st in statements(policy["PolicyDocument"]):
                assert st.get("Sid") and st["Effect"] == "Allow"
                for action in as_list(st["Action"]):
                    assert action != "*" and not action.endswith(":*"), f"{logical}: {action}"
                assert st["Resource"] != "*", f"{logical} {st['Sid']}: resource *"
                if any(a.startswith("logs:") for a in as_list(st["Action"])):
                    # Only the project's own log group (its Arn covers its streams).
                    own = target(r["Properties"]["LogsConfig"]["CloudWatchLogs"]["GroupName"])
                    assert as_list(st["Resource"]) == [{"Fn::GetAtt": [own, "Arn"]}], st["Resource"]
                if any(a.startswith("s3:") for a in as_list(st["Action"])):
                    for resource in as_list(st["Resource"]):
                        assert target(resource) == target(pipeline()["ArtifactStore"]["Location"]) or \
                            sub(resource) == "${" + target(pipeline()["ArtifactStore"]["Location"]) + ".Arn}/*"
    assert len(roles) == len(projects()), "every project has its own role"


# ---------------------------------------------------------------- CI-06 buildspecs

def test_ci_06_buildspecs_fail_fast():
    for s in expected_codebuild_stages():
        spec = buildspec(s)
        assert spec["version"] == 0.2
        assert spec["env"]["shell"] == "bash"
        blocks = list(commands(spec))
        assert blocks
        for block in blocks:
            # One block per phase: CodeBuild runs each list item in its own shell.
            assert block.splitlines()[0].strip() == "set -euo pipefail", f"{s}: {block.splitlines()[0]}"
            assert not re.search(r"\|\|\s*(true|echo|:)\b|set \+e", block), f"{s} swallows a failure"
            check = subprocess.run(["bash", "-n"], input=block, text=True, capture_output=True)
            assert check.returncode == 0, f"{s}: {check.stderr}"


def test_ci_06_buildspecs_run_the_tools_and_upload_reports():
    tools = {
        "validate": [r'cfn-lint --regions "\$\{AWS_REGION\}" --include-checks I', r"templates/\*\.yaml"],
        "test": [r"pytest tests/unit"],
        "security_scan": [r"checkov --framework cloudformation", r"scripts/scan\.py"],
        "build": [r"buildspecs/template_config\.py"],
        "integration_test": [r"pytest tests/integration"],
    }
    for s in expected_codebuild_stages():
        spec = buildspec(s)
        text = "\n".join(commands(spec))
        for pattern in tools[s]:
            assert re.search(pattern, text), f"buildspecs/{s}.yml does not run {pattern}"
        if s == "build":
            assert {"templates/**/*", "build/template-config/**/*"} <= set(spec["artifacts"]["files"])
            continue
        assert "-r requirements-dev.txt" in text, f"{s}: tools are not installed from the pinned requirements"
        reports = spec["reports"]
        assert reports and all(r["file-format"] == "JUNITXML" for r in reports.values())
        assert "--junitxml" in text or "junit" in text
{%- if pipeline.has.deploy %}


# ---------------------------------------------------------------- CI-07 deploy roles

def exec_policies(tpl_doc, role_logical):
    return [r["Properties"]["PolicyDocument"] for r in resources(tpl_doc, "AWS::IAM::ManagedPolicy").values()
            if {"Ref": role_logical} in r["Properties"]["Roles"]]


def role_named(tpl_doc, name):
    found = [k for k, r in resources(tpl_doc, "AWS::IAM::Role").items() if sub(r["Properties"]["RoleName"]) == name]
    assert len(found) == 1, f"no single role {name}"
    return found[0]


def deploy_actions(env):
    """The change-set actions of an environment (CodeBuild, buildspecs/build.yml with MODE)."""
    return actions(f"Deploy-{env}", mode="create") + actions(f"Deploy-{env}", mode="execute")


def build_role():
    """Properties of the build project's role, which also runs the change-set actions."""
    return res(target(projects()["build"][1]["Properties"]["ServiceRole"]))["Properties"]


def test_ci_07_each_environment_deploys_with_its_own_execution_role():
    p = project()
    for e in environments():
        env = e["name"]
        creates = actions(f"Deploy-{env}", mode="create")
        assert creates
        for a in creates:
            given = action_env(a)["EXEC_ROLE_ARN"]
            if is_cross(e):
                assert given == f"arn:{PART}:iam::{e['account_id']}:role/{p}-{env}-cfn-exec"
            else:
                role = role_named(tpl(), f"{p}-{env}-cfn-exec")
                assert given == "${" + role + ".Arn}"
                (trust,) = statements(res(role)["Properties"]["AssumeRolePolicyDocument"])
                assert trust["Principal"] == {"Service": "cloudformation.amazonaws.com"}
                assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
                assert 2 <= len(exec_policies(tpl(), role)) <= MANAGED_POLICIES_PER_ROLE


def test_ci_07_other_accounts_are_reached_only_through_their_deploy_role():
    p = project()
    # {p}-pipeline-codebuild-build, the name deploy-role.yaml trusts, once deployed as {p}-pipeline.
    assert sub(build_role()["RoleName"]) == "${AWS::StackName}-codebuild-build"
    assumable = {sub(r) for pol in build_role()["Policies"] for st in statements(pol["PolicyDocument"])
                 if "sts:AssumeRole" in as_list(st["Action"]) for r in as_list(st["Resource"])}
    expected = {f"arn:{PART}:iam::{e['account_id']}:role/{p}-{e['name']}-pipeline-deploy"
                for e in environments() if is_cross(e)}
    assert assumable == expected
    # The pipeline's own role deploys nothing: it only starts the builds.
    pipeline_role = res(target(pipeline()["RoleArn"]))["Properties"]
    granted = {a for pol in pipeline_role["Policies"] for st in statements(pol["PolicyDocument"]) for a in as_list(st["Action"])}
    assert not any(a.startswith(("cloudformation:", "sts:")) or a == "iam:PassRole" for a in granted), granted
    for e in environments():
        for a in deploy_actions(e["name"]):
            assert "RoleArn" not in a
            if is_cross(e):
                assert action_env(a)["DEPLOY_ROLE_ARN"] == f"arn:{PART}:iam::{e['account_id']}:role/{p}-{e['name']}-pipeline-deploy"
            else:
                assert action_env(a)["DEPLOY_ROLE_ARN"] == ""
{%- if cross_account %}


def test_ci_07_cross_account_deploy_role_trusts_only_the_pipeline_role():
    p = project()
    doc = template("deploy-role")
    account = doc["Parameters"]["PipelineAccountId"]
    assert account["AllowedPattern"] == "^([0-9]{12})?$" and account["Default"] == ""
    (rule,) = doc["Rules"]["PipelineAccountIdIsGiven"]["Assertions"]
    assert rule["Assert"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "PipelineAccountId"}, ""]}]}
    deploy = res_of(doc, role_named(doc, f"{p}-{ENVREF}-pipeline-deploy"))
    (trust,) = statements(deploy["AssumeRolePolicyDocument"])
    principal = trust["Principal"]["AWS"]["Fn::If"]
    assert principal[0] == "PipelineAccountGiven" and principal[2] == {"Ref": "AWS::NoValue"}
    # The pipeline stack is deployed as <project>-pipeline; its role and bucket names follow.
    stack = f"{p}-pipeline"
    role_name = sub(build_role()["RoleName"]).replace("${AWS::StackName}", stack)
    assert sub(principal[1]) == f"arn:{PART}:iam::{PIPEACCT}:root"
    assert f"arn:{PART}:iam::{PIPEACCT}:role/{role_name}" in as_list(trust["Condition"]["ArnEquals"]["aws:PrincipalArn"]) or \
        sub(trust["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == f"arn:{PART}:iam::{PIPEACCT}:role/{role_name}"
    # The bucket name ends in a part of the pipeline stack's id, unknown here: the prefix is fixed.
    bucket = sub(res(target(pipeline()["ArtifactStore"]["Location"]))["Properties"]["BucketName"])
    assert bucket == "${AWS::StackName}-${AWS::AccountId}-${StackIdPart}"
    bucket = f"{stack}-{PIPEACCT}-*"
    read = [st for st in statements(deploy["Policies"][0]["PolicyDocument"]) if st["Sid"] == "ReadPipelineArtifacts"]
    assert [sub(st["Resource"]) for st in read] == [f"arn:{PART}:s3:::{bucket}/*"]
    assert trust["Action"] == "sts:AssumeRole"
    granted = {a for st in statements(deploy["Policies"][0]["PolicyDocument"]) for a in as_list(st["Action"])}
    assert {"cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet", "iam:PassRole",
            "s3:GetObject", "kms:Decrypt"} <= granted
    for st in statements(deploy["Policies"][0]["PolicyDocument"]):
        if st["Sid"] == "ChangeSetsOfThisEnvironment":
            assert sub(st["Resource"]).endswith(f":stack/{p}-{ENVREF}-*/*")
        if st["Sid"] == "PassExecutionRoleToCloudFormation":
            assert st["Condition"]["StringEquals"]["iam:PassedToService"] == "cloudformation.amazonaws.com"
    for e in environments():
        given = params(e["name"]).get("deploy-role")
        if is_cross(e):
            assert given == {"Parameters": {"EnvironmentName": e["name"]}}
        else:
            assert given is None, f"{e['name']} is in the pipeline account and needs no deploy-role stack"


def res_of(doc, logical):
    return doc["Resources"][logical]["Properties"]
{%- endif %}


def execution_policy_sets():
    """(env, [policy documents]) of every environment's execution role, with the env name substituted."""
    p = project()
    out = []
    for e in environments():
        env = e["name"]
        if is_cross(e):
            doc = template("deploy-role")
            docs = exec_policies(doc, role_named(doc, f"{p}-{ENVREF}-cfn-exec"))
        else:
            docs = exec_policies(tpl(), role_named(tpl(), f"{p}-{env}-cfn-exec"))
        text = json.dumps(docs).replace("${EnvironmentName}", env)
        out.append((env, json.loads(text)))
    return out


def test_ci_07_execution_policies_are_scoped_to_their_environment():
    p = project()
    for env, docs in execution_policy_sets():
        denied = set()
        for doc in docs:
            for st in statements(doc):
                assert st.get("Sid"), f"{env}: statement without Sid"
                for action in as_list(st["Action"]):
                    assert action != "*" and not action.endswith(":*"), f"{env}: {action}"
                if st["Effect"] == "Deny":
                    denied |= {sub(r) for r in as_list(st["Resource"])}
                    continue
                if st["Resource"] == "*":
                    # Only calls without resource-level permissions, or conditioned ones.
                    assert st.get("Condition") or not any(has_resource_level_permissions(a) for a in as_list(st["Action"])), st["Sid"]
                    continue
                for resource in as_list(st["Resource"]):
                    text = sub(resource)
                    if text.startswith("arn:${AWS::Partition}:iam::${AWS::AccountId}:") and "aws-service-role" not in text:
                        assert f"/{p}-{env}-" in text, f"{env} {st['Sid']}: {text}"
        # The role cannot widen its own permissions or those of the pipeline's roles.
        assert f"arn:{PART}:iam::{ACCT}:role/{p}-{env}-cfn-exec" in denied
        assert f"arn:{PART}:iam::{ACCT}:role/{p}-{env}-pipeline-deploy" in denied


# Name property -> (action that creates it, ARN of the named resource); pseudo parameters as in the policies.
NAMED = {
    ("AWS::S3::Bucket", "BucketName"): ("s3:CreateBucket", "arn:${AWS::Partition}:s3:::{}"),
    ("AWS::Logs::LogGroup", "LogGroupName"): ("logs:CreateLogGroup", "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:{}"),
    ("AWS::IAM::Role", "RoleName"): ("iam:CreateRole", "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/{}"),
    ("AWS::IAM::ManagedPolicy", "ManagedPolicyName"): ("iam:CreatePolicy", "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/{}"),
    ("AWS::SNS::Topic", "TopicName"): ("sns:CreateTopic", "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:{}"),
    ("AWS::CloudWatch::Alarm", "AlarmName"): ("cloudwatch:PutMetricAlarm", "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:{}"),
    ("AWS::CloudWatch::Dashboard", "DashboardName"): ("cloudwatch:PutDashboard", "arn:${AWS::Partition}:cloudwatch::${AWS::AccountId}:dashboard/{}"),
    ("AWS::CloudTrail::Trail", "TrailName"): ("cloudtrail:CreateTrail", "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/{}"),
    ("AWS::KMS::Alias", "AliasName"): ("kms:CreateAlias", "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:{}"),
    ("AWS::RDS::DBInstance", "DBInstanceIdentifier"): ("rds:CreateDBInstance", "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:{}"),
    ("AWS::RDS::DBCluster", "DBClusterIdentifier"): ("rds:CreateDBCluster", "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster:{}"),
    ("AWS::Lambda::Function", "FunctionName"): ("lambda:CreateFunction", "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:{}"),
    ("AWS::SQS::Queue", "QueueName"): ("sqs:CreateQueue", "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:{}"),
    ("AWS::ECS::Cluster", "ClusterName"): ("ecs:CreateCluster", "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/{}"),
    ("AWS::AutoScaling::AutoScalingGroup", "AutoScalingGroupName"): (
        "autoscaling:CreateAutoScalingGroup",
        "arn:${AWS::Partition}:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:uuid:autoScalingGroupName/{}"),
}


def physical_name(doc, logical, env, stack):
    """The name a resource gets in <project>-<env>-<stack>: its name property with the
    environment, other resources' names and placeholders for pseudo parameters filled in;
    <stack name>-<logical id>-<suffix> when it has none (CloudFormation's naming); None
    when the name is computed in a way this test cannot follow."""
    r = doc["Resources"][logical]
    prop = next((p for (t, p) in NAMED if t == r["Type"]), None)
    given = r.get("Properties", {}).get(prop) if prop else None
    if given is None:
        return f"{project()}-{env}-{stack}-{logical}-ABC123"
    text = sub(given)
    if text is None:
        return None

    def fill(match):
        key = match.group(1)
        if key == "EnvironmentName":
            return env
        if key in doc["Resources"] and key != logical:
            return physical_name(doc, key, env, stack) or "x"
        return "x"

    return re.sub(r"\$\{([A-Za-z0-9.:]+)\}", fill, text)


def test_ci_07_execution_policies_cover_every_stack_resource_name():
    """Every named (or stack-named) resource of every environment stack can be created by the
    execution role: a stack that renames a resource outside <project>-<env>-... fails here, not
    in the middle of a production deployment."""
    for env, docs in execution_policy_sets():
        allows = [st for doc in docs for st in allow_statements(doc)]
        for stack in DEPLOY_ORDER:
            if stack not in params(env):
                continue
            doc = template(Path(TEMPLATE_OF[stack]).stem)
            for logical, r in doc.get("Resources", {}).items():
                for (type_, prop), (action, arn) in NAMED.items():
                    if r["Type"] != type_:
                        continue
                    name = physical_name(doc, logical, env, stack)
                    if name is None:
                        continue
                    wanted_arn = arn.replace("{}", name)
                    ok = any(action_matches(st["Action"], action)
                             and any(fnmatch.fnmatchcase(wanted_arn, sub(rsc).replace("[", "[[]"))
                                     for rsc in as_list(st["Resource"]) if sub(rsc))
                             for st in allows)
                    assert ok, f"{env}: the execution role cannot {action} {wanted_arn} ({stack}:{logical})"


# ---------------------------------------------------------------- DEP-02 handler permissions

# IAM's quotas: 6,144 characters per managed policy (whitespace not counted), 10
# managed policies attached to a role (IAM and AWS STS quotas, IAM user guide).
MANAGED_POLICY_CHARS = 6144
MANAGED_POLICIES_PER_ROLE = 10
GRANTABLE = re.compile(r"[A-Za-z0-9-]+:[A-Za-z0-9*]+")


@lru_cache(maxsize=None)
def iam_actions():
    """cfn-lint's IAM action table (from the Service Authorization Reference):
    service -> lower-case action -> resource types it can be limited to."""
    import cfnlint
    path = Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json"
    return {svc: {a: v.get("Resources") or [] for a, v in (d.get("Actions") or {}).items()}
            for svc, d in json.loads(path.read_text()).items()}


@lru_cache(maxsize=None)
def handler_actions(rtype):
    """Every action of handlers.create/read/update/delete.permissions in the registry schema
    cfn-lint ships for this region, without names no policy can grant: those IAM does not
    know (cfn-lint W3037 refuses them: old spellings such as s3:PutBucketReplication, or
    s3:REST.PUT.OBJECT)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(answers()["region"], rtype).schema
    out = set()
    for h in ("create", "read", "update", "delete"):
        for a in ((schema.get("handlers") or {}).get(h) or {}).get("permissions") or []:
            service, _, name = a.lower().partition(":")
            known = iam_actions().get(service, {})
            if GRANTABLE.fullmatch(a) and any(fnmatch.fnmatchcase(k, name) for k in known):
                out.add(a)
    return sorted(out)


def has_resource_level_permissions(action):
    service, _, name = action.lower().partition(":")
    table = iam_actions().get(service, {})
    if "*" in name:
        return any(table[a] for a in table if fnmatch.fnmatchcase(a, name)) and \
            not re.fullmatch(r"(describe|list)\w*\*", name)
    return bool(table.get(name, ["unknown"]))


def test_dep_02_execution_roles_allow_every_handler_action_of_every_deployed_type():
    """CloudFormation calls what the resource handlers need, not only the Create API
    (logs:DescribeMetricFilters for a metric filter): every action in the registry schema
    of every resource type an environment's stacks declare is allowed to its execution role."""
    checked = set()
    for env, docs in execution_policy_sets():
        allows = [st for doc in docs for st in allow_statements(doc)]
        for stack in DEPLOY_ORDER:
            if stack not in params(env):
                continue
            doc = template(Path(TEMPLATE_OF[stack]).stem)
            for logical, r in doc.get("Resources", {}).items():
                for action in handler_actions(r["Type"]):
                    checked.add((r["Type"], action))
                    assert any(action_matches(st["Action"], action) for st in allows), (
                        f"{env}: the execution role is not allowed {action}, which CloudFormation calls for "
                        f"{r['Type']} ({stack}:{logical})")
    assert len(checked) > 50, f"only {len(checked)} handler actions checked"


def test_dep_02_star_only_for_actions_without_resource_level_permissions():
    for env, docs in execution_policy_sets():
        for doc in docs:
            for st in allow_statements(doc):
                if st["Resource"] != "*" or st.get("Condition"):
                    continue
                scoped = [a for a in as_list(st["Action"]) if has_resource_level_permissions(a)]
                assert not scoped, f"{env} {st['Sid']}: {scoped} can be limited to named resources, not *"


def test_dep_02_execution_policies_fit_iam_quotas():
    # Pseudo parameters replaced by their longest values, so the measure is an upper bound.
    longest = {"${AWS::Partition}": "aws-us-gov", "${AWS::Region}": "ap-southeast-2",
               "${AWS::AccountId}": "123456789012", "${AWS::URLSuffix}": "amazonaws.com.cn"}
    for env, docs in execution_policy_sets():
        assert len(docs) <= MANAGED_POLICIES_PER_ROLE, f"{env}: {len(docs)} managed policies"
        for doc in docs:
            text = json.dumps(doc, separators=(",", ":"))
            text = re.sub(r'\{"Fn::Sub":\s*("(?:[^"\\]|\\.)*")\}', lambda m: m.group(1), text)
            text = re.sub(r'\{"Ref":"AWS::Region"\}', '"ap-southeast-2"', text)
            for k, v in longest.items():
                text = text.replace(k, v)
            size = len(re.sub(r"\s", "", text))
            assert size <= MANAGED_POLICY_CHARS, f"{env}: a policy of {size} characters ({doc['Statement'][0].get('Sid')}...)"


# ---------------------------------------------------------------- CI-09 change sets

def test_ci_09_every_environment_stack_deploys_through_a_change_set_in_order():
    p = project()
    for e in environments():
        env = e["name"]
        expected = [s for s in DEPLOY_ORDER if s in params(env)]
        assert expected, f"params/{env}.json has no environment stack"
        creates = actions(f"Deploy-{env}", mode="create")
        executes = actions(f"Deploy-{env}", mode="execute")
        assert [action_env(a)["STACK"] for a in creates] == [f"{p}-{env}-{s}" for s in expected]
        assert [action_env(a)["STACK"] for a in executes] == [f"{p}-{env}-{s}" for s in expected]
        for a in creates + executes:
            assert target(a["Configuration"]["ProjectName"]) == projects()["build"][0]
            assert a["InputArtifacts"] == [{"Name": "BuildOutput"}]
        others = [a["Name"] for a in stage(f"Deploy-{env}")["Actions"] if a not in creates + executes
                  and a["ActionTypeId"]["Provider"] != "Manual" and a["Name"] != "Package"]
        assert not others, f"actions that bypass change sets: {others}"


def test_ci_09_change_sets_are_created_approved_then_executed():
    for e in environments():
        env = e["name"]
        acts = stage(f"Deploy-{env}")["Actions"]
        last = 0
        for create in actions(f"Deploy-{env}", mode="create"):
            stack = create["Name"].removeprefix("CreateChangeSet-")
            (execute,) = [a for a in acts if a["Name"] == f"ExecuteChangeSet-{stack}"]
            assert action_env(execute)["MODE"] == "execute"
            assert action_env(create)["CHANGE_SET"] == action_env(execute)["CHANGE_SET"]
            assert action_env(create)["STACK"] == action_env(execute)["STACK"]
            assert last < create["RunOrder"] < execute["RunOrder"]
            approve = [a for a in acts if a["Name"] == f"Approve-{stack}"]
            if e["approval"]:
                assert create["RunOrder"] < approve[0]["RunOrder"] < execute["RunOrder"]
            else:
                assert not approve
            last = execute["RunOrder"]


def load_template_config():
    spec = importlib.util.spec_from_file_location("template_config", ROOT / "buildspecs" / "template_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ci_09_change_sets_use_the_packaged_template_and_parameters(tmp_path):
    load_template_config().write_configs(ROOT, tmp_path)
    for e in environments():
        env = e["name"]
        for a in actions(f"Deploy-{env}", mode="create"):
            stack = a["Name"].removeprefix("CreateChangeSet-")
            cfg = action_env(a)
            assert cfg["TEMPLATE"] == TEMPLATE_OF[stack]
            assert (ROOT / TEMPLATE_OF[stack]).is_file()
            path = cfg["CONFIG"]
            assert path == f"build/template-config/{env}/{stack}.json"
            written = json.loads((tmp_path / env / f"{stack}.json").read_text())
            assert written == {"Parameters": stack_params(env, stack)}
    assert set(load_change_set().CAPABILITIES) == {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"}


def test_ci_09_template_configurations_are_built_before_the_first_deploy():
    producers = [(s, a) for s, a in all_actions() if {"Name": "BuildOutput"} in a.get("OutputArtifacts", [])]
    assert len(producers) == 1
    stage_name, producer = producers[0]
    names = [s["Name"] for s in pipeline()["Stages"]]
    first_deploy = f"Deploy-{environments()[0]['name']}"
    if "build" in wanted()["stages"]:
        assert stage_name == "Build" and names.index("Build") < names.index(first_deploy)
    else:
        assert stage_name == first_deploy and producer["Name"] == "Package" and producer["RunOrder"] == 1
    assert target(producer["Configuration"]["ProjectName"]) == projects()["build"][0]



# ---------------------------------------------------------------- DEP-01 deploy path of the pipeline

# A CodePipeline CloudFormation action passes the template of its TemplatePath inline: at
# most 51,200 bytes (CodePipeline user guide, "AWS CloudFormation" action reference).
# CreateChangeSet with a TemplateURL takes up to 1 MB (CloudFormation API reference).
INLINE_LIMIT = 51200
URL_LIMIT = 1024 * 1024


def load_change_set():
    spec = importlib.util.spec_from_file_location("change_set", ROOT / "buildspecs" / "change_set.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dep_01_pipeline_deploys_templates_from_s3_urls_not_inline():
    inline = [a["Name"] for _, a in all_actions() if a["ActionTypeId"]["Provider"] == "CloudFormation"]
    assert not inline, f"CloudFormation actions pass templates inline (51,200 bytes at most): {inline}"
    build = buildspec("build")
    text = "\n".join(commands(build))
    assert re.search(r"change_set\.py package --bucket \"\$\{ARTIFACT_BUCKET\}\".*templates/\*\.yaml", text, re.S)
    assert re.search(r"change_set\.py create .*--urls build/template-urls\.json", text, re.S)
    assert re.search(r"change_set\.py execute ", text)
    assert {"build/template-urls.json", "buildspecs/**/*", "requirements-dev.txt"} <= set(build["artifacts"]["files"])
    env = {v["Name"]: v["Value"] for v in projects()["build"][1]["Properties"]["Environment"]["EnvironmentVariables"]}
    assert target(env["ARTIFACT_BUCKET"]) == target(pipeline()["ArtifactStore"]["Location"])
    assert env["URL_SUFFIX"] == {"Ref": "AWS::URLSuffix"}


def test_dep_01_every_deployed_template_fits_the_url_limit():
    sizes = {}
    for e in environments():
        for a in actions(f"Deploy-{e['name']}", mode="create"):
            path = action_env(a)["TEMPLATE"]
            sizes[path] = (ROOT / path).stat().st_size
    assert sizes
    for path, size in sizes.items():
        assert size <= URL_LIMIT, f"{path}: {size} bytes, over CloudFormation's 1 MB template URL limit"
    # Informational: which templates an inline deploy path would have refused.
    print({p: s for p, s in sizes.items() if s > INLINE_LIMIT})


def test_dep_01_action_configuration_values_fit_codepipeline_limits():
    """CodePipeline refuses an action configuration value over 1,000 characters (CodePipeline
    user guide, Quotas): measured with every ${...} replaced by a longer value than it can take."""
    for stage_name, a in all_actions():
        for key, value in a.get("Configuration", {}).items():
            text = sub(value) if not isinstance(value, str) else value
            if not isinstance(text, str):
                continue
            resolved = re.sub(r"\$\{[^}]+\}", "x" * 100, text)
            assert len(resolved) <= 1000, f"{stage_name}/{a['Name']} {key}: {len(resolved)} characters"


class FakeS3:
    def __init__(self):
        self.uploaded = []

    def upload_file(self, path, bucket, key):
        self.uploaded.append((path, bucket, key))


def test_dep_01_package_uploads_every_template_under_its_content_hash(tmp_path):
    cs = load_change_set()
    s3 = FakeS3()
    templates = sorted((ROOT / "templates").glob("*.yaml"))
    urls = cs.package(s3, "bkt", "eu-west-1", "amazonaws.com", templates)
    assert len(s3.uploaded) == len(templates) == len(urls)
    for path, bucket, key in s3.uploaded:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        assert bucket == "bkt" and key == f"templates/{digest}/{Path(path).name}"
        assert urls[Path(path).as_posix()] == f"https://bkt.s3.eu-west-1.amazonaws.com/{key}"


def stubbed_cloudformation():
    import boto3
    from botocore.stub import Stubber
    client = boto3.client("cloudformation", region_name="eu-west-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    return client, Stubber(client)


def test_dep_01_create_uses_the_template_url_parameters_and_execution_role(tmp_path):
    from botocore.stub import ANY
    cs = load_change_set()
    cfn, stub = stubbed_cloudformation()
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"Parameters": {"EnvironmentName": "dev", "B": "2"}}))
    url = "https://bkt.s3.eu-west-1.amazonaws.com/templates/abc/monitoring.yaml"
    stub.add_client_error("describe_stacks", "ValidationError", "Stack with id s does not exist")
    stub.add_client_error("delete_change_set", "ChangeSetNotFound", "ChangeSet c does not exist")
    stub.add_response("create_change_set", {"Id": "x"}, {
        "StackName": "s", "ChangeSetName": "c", "TemplateURL": url, "RoleARN": "arn:aws:iam::111122223333:role/x-dev-cfn-exec",
        "Parameters": [{"ParameterKey": "B", "ParameterValue": "2"}, {"ParameterKey": "EnvironmentName", "ParameterValue": "dev"}],
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"], "ChangeSetType": "CREATE"})
    stub.add_response("describe_change_set", {"Status": "CREATE_PENDING", "Changes": []},
                      {"StackName": "s", "ChangeSetName": "c"})
    stub.add_response("describe_change_set", {"Status": "CREATE_COMPLETE", "Changes": []},
                      {"StackName": "s", "ChangeSetName": "c"})
    with stub:
        assert cs.create(cfn, "s", "c", url, cs.parameters(config), "arn:aws:iam::111122223333:role/x-dev-cfn-exec", poll=0) == "CREATE"
        stub.assert_no_pending_responses()


def test_dep_01_a_change_set_without_changes_is_skipped_not_failed():
    cs = load_change_set()
    cfn, stub = stubbed_cloudformation()
    reason = "The submitted information didn't contain changes. Submit different information to create a change set."
    stub.add_response("describe_change_set", {"Status": "FAILED", "StatusReason": reason},
                      {"StackName": "s", "ChangeSetName": "c"})
    stub.add_response("delete_change_set", {}, {"StackName": "s", "ChangeSetName": "c"})
    with stub:
        assert cs.execute(cfn, "s", "c", poll=0) == "no-changes"
        stub.assert_no_pending_responses()


def stack_answer(status, updated):
    return {"Stacks": [{"StackName": "s", "StackStatus": status, "CreationTime": "2026-01-01T00:00:00Z",
                        "LastUpdatedTime": updated}]}


def test_dep_01_execute_waits_for_the_update_to_start_and_fails_on_rollback():
    cs = load_change_set()
    cfn, stub = stubbed_cloudformation()
    ready = {"Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE"}
    stub.add_response("describe_change_set", ready, {"StackName": "s", "ChangeSetName": "c"})
    stub.add_response("describe_stacks", stack_answer("UPDATE_COMPLETE", "2026-01-02T00:00:00Z"), {"StackName": "s"})
    stub.add_response("execute_change_set", {}, {"StackName": "s", "ChangeSetName": "c"})
    # The previous update's status, before the execution shows: not the result.
    stub.add_response("describe_stacks", stack_answer("UPDATE_COMPLETE", "2026-01-02T00:00:00Z"), {"StackName": "s"})
    stub.add_response("describe_stacks", stack_answer("UPDATE_IN_PROGRESS", "2026-01-03T00:00:00Z"), {"StackName": "s"})
    stub.add_response("describe_stacks", stack_answer("UPDATE_ROLLBACK_COMPLETE", "2026-01-03T00:00:00Z"), {"StackName": "s"})
    stub.add_response("describe_stack_events", {"StackEvents": []}, {"StackName": "s"})
    with stub:
        with pytest.raises(SystemExit, match="UPDATE_ROLLBACK_COMPLETE"):
            cs.execute(cfn, "s", "c", poll=0)
        stub.assert_no_pending_responses()


def test_dep_01_a_stack_whose_creation_rolled_back_is_refused_with_what_to_do():
    cs = load_change_set()
    cfn, stub = stubbed_cloudformation()
    stub.add_response("describe_stacks", stack_answer("ROLLBACK_COMPLETE", "2026-01-02T00:00:00Z"), {"StackName": "s"})
    with stub:
        with pytest.raises(SystemExit, match="delete it"):
            cs.create(cfn, "s", "c", "https://b.s3.eu-west-1.amazonaws.com/k", [], "arn:aws:iam::111122223333:role/x-dev-cfn-exec")
{%- endif %}


# ---------------------------------------------------------------- CI-08 notifications

def rules():
    return {k: r["Properties"] for k, r in resources(tpl(), "AWS::Events::Rule").items()}


def topic_of(rule):
    (t,) = rule["Targets"]
    return target(t["Arn"])


def test_ci_08_pipeline_failure_is_sent_to_the_topic():
    failed = [r for r in rules().values() if r["EventPattern"]["detail-type"] == ["CodePipeline Pipeline Execution State Change"]]
    assert len(failed) == 1
    pattern = failed[0]["EventPattern"]
    assert pattern["source"] == ["aws.codepipeline"]
    assert pattern["detail"]["state"] == ["FAILED"]
    assert [target(x) for x in pattern["detail"]["pipeline"]] == [next(iter(resources(tpl(), "AWS::CodePipeline::Pipeline")))]
    assert failed[0]["State"] == "ENABLED"
    assert res(topic_of(failed[0]))["Type"] == "AWS::SNS::Topic"


def test_ci_08_waiting_approvals_are_sent_to_the_topic():
    waiting = [r for r in rules().values() if r["EventPattern"]["detail-type"] == ["CodePipeline Action Execution State Change"]]
    needs_approval = "deploy" in wanted()["stages"] and any(e["approval"] for e in environments())
    assert len(waiting) == (1 if needs_approval else 0)
    for r in waiting:
        assert r["EventPattern"]["detail"]["state"] == ["STARTED"]
        assert r["EventPattern"]["detail"]["type"] == {"category": ["Approval"]}
        assert res(topic_of(r))["Type"] == "AWS::SNS::Topic"


def test_ci_08_eventbridge_may_publish_to_the_encrypted_topic():
    topics = {topic_of(r) for r in rules().values()}
    assert len(topics) == 1
    topic = topics.pop()
    (policy,) = [r["Properties"] for r in resources(tpl(), "AWS::SNS::TopicPolicy").values()]
    assert [target(t) for t in policy["Topics"]] == [topic]
    (allow,) = [s for s in statements(policy["PolicyDocument"]) if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"} and allow["Action"] == "sns:Publish"
    assert sorted(target(a) for a in allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(rules())
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    key_policy = res(key_logical())["Properties"]["KeyPolicy"]
    events = [s for s in statements(key_policy) if s["Principal"].get("Service") == "events.amazonaws.com"]
    assert events and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(as_list(events[0]["Action"]))
    assert target(res(topic)["Properties"]["KmsMasterKeyId"]) == key_logical()


# ---------------------------------------------------------------- DEP-03, DEP-04, DEP-05 deployability

def pipeline_templates():
    """(name, document) of the pipeline blueprint's templates in this project."""
    return [(n, template(n)) for n in ("pipeline", "deploy-role") if (ROOT / "templates" / f"{n}.yaml").is_file()]


def policy_documents(doc):
    """(logical id, kind, document) of every trust, key, bucket and topic policy of a template."""
    kinds = {"AWS::IAM::Role": "AssumeRolePolicyDocument", "AWS::KMS::Key": "KeyPolicy",
             "AWS::S3::BucketPolicy": "PolicyDocument", "AWS::SNS::TopicPolicy": "PolicyDocument"}
    for logical, r in doc.get("Resources", {}).items():
        prop = kinds.get(r["Type"])
        if prop:
            yield logical, r["Type"], r["Properties"][prop]


def principal_texts(principal):
    """The AWS principals of a statement as text, looking through Fn::If branches."""
    if not isinstance(principal, dict):
        return []
    out = []
    for value in as_list(principal.get("AWS", [])):
        branches = value["Fn::If"][1:] if isinstance(value, dict) and "Fn::If" in value else [value]
        out += [sub(b) for b in branches if b != {"Ref": "AWS::NoValue"}]
    return out


ACCOUNT_ROOT = re.compile(r"arn:\$\{AWS::Partition\}:iam::(\$\{AWS::AccountId\}|\$\{PipelineAccountId\}|\d{12}):root")


def test_dep_03_no_policy_names_a_role_or_user_as_principal():
    """IAM refuses a principal that does not exist yet and pins the unique id of one that does:
    every AWS principal is an account root, and roles are named through aws:PrincipalArn."""
    checked = 0
    for name, doc in pipeline_templates():
        for logical, kind, document in policy_documents(doc):
            for st in statements(document):
                for text in principal_texts(st.get("Principal")):
                    checked += 1
                    assert text and ACCOUNT_ROOT.fullmatch(text), (
                        f"{name}.yaml {logical} ({kind}) {st.get('Sid')}: principal {text} is not an account root")
                    account = ACCOUNT_ROOT.fullmatch(text).group(1)
                    if account != "${AWS::AccountId}" and st["Effect"] == "Allow":
                        named = {k: v for op in ("ArnEquals", "ArnLike") for k, v in st.get("Condition", {}).get(op, {}).items()}
                        assert named.get("aws:PrincipalArn"), f"{name}.yaml {logical} {st.get('Sid')}: another account's root without aws:PrincipalArn"
                        for arn in as_list(named["aws:PrincipalArn"]):
                            assert "*" not in sub(arn) and f"iam::{account}:role/" in sub(arn), sub(arn)
    assert checked, "no AWS principal found: the test reads nothing"
{%- if cross_account and pipeline.has.deploy %}


def trusted_principal_arns(doc, role_name):
    """(root principal, [aws:PrincipalArn values]) of the single trust statement of a role."""
    (trust,) = statements(res_of(doc, role_named(doc, role_name))["AssumeRolePolicyDocument"])
    assert trust["Effect"] == "Allow" and trust["Action"] == "sts:AssumeRole"
    (root,) = principal_texts(trust["Principal"])
    return root, [sub(a) for a in as_list(trust["Condition"]["ArnEquals"]["aws:PrincipalArn"])]


def test_dep_03_cross_account_roles_trust_the_pipeline_account_root_with_principal_arn():
    p = project()
    doc = template("deploy-role")
    stack = f"{p}-pipeline"
    role_name = sub(build_role()["RoleName"]).replace("${AWS::StackName}", stack)
    root, arns = trusted_principal_arns(doc, f"{p}-{ENVREF}-pipeline-deploy")
    assert root == f"arn:{PART}:iam::{PIPEACCT}:root"
    assert f"arn:{PART}:iam::{PIPEACCT}:role/{role_name}" in arns
    for arn in arns:
        assert arn.startswith(f"arn:{PART}:iam::{PIPEACCT}:role/{stack}-"), arn
{%- if pipeline.has.integration_test %}
    test_role = sub(res(projects()["integration_test"][0] + "Role")["Properties"]["RoleName"]).replace("${AWS::StackName}", stack)
    root, arns = trusted_principal_arns(doc, f"{p}-{ENVREF}-integration-read")
    assert root == f"arn:{PART}:iam::{PIPEACCT}:root"
    assert arns == [f"arn:{PART}:iam::{PIPEACCT}:role/{test_role}"]
{%- endif %}
{%- endif %}


# Condition keys each service principal sends when it uses a policy of this kind; a
# condition on a key the service does not send makes the statement never match.
SENDS = {
    # CodePipeline, CodeBuild, CloudFormation service roles: cross-service confused deputy
    # prevention with aws:SourceAccount / aws:SourceArn (each service's security guide).
    ("codepipeline.amazonaws.com", "AWS::IAM::Role"): {"aws:SourceAccount", "aws:SourceArn"},
    ("codebuild.amazonaws.com", "AWS::IAM::Role"): {"aws:SourceAccount", "aws:SourceArn"},
    ("cloudformation.amazonaws.com", "AWS::IAM::Role"): {"aws:SourceAccount", "aws:SourceArn"},
    # CloudWatch Logs encrypting a log group: the encryption context names the log group
    # (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS KMS").
    ("logs.${AWS::Region}.${AWS::URLSuffix}", "AWS::KMS::Key"): {"kms:EncryptionContext:aws:logs:arn"},
    # EventBridge using the topic's key: no condition key at all (Amazon SNS developer guide,
    # "Enable compatibility between event sources from AWS services and encrypted topics").
    ("events.amazonaws.com", "AWS::KMS::Key"): set(),
    # EventBridge publishing to the topic: aws:SourceArn / aws:SourceAccount (SNS developer guide).
    ("events.amazonaws.com", "AWS::SNS::TopicPolicy"): {"aws:SourceAccount", "aws:SourceArn"},
    # S3 server access logging (S3 user guide, "Permissions for log delivery").
    ("logging.s3.amazonaws.com", "AWS::S3::BucketPolicy"): {"aws:SourceAccount", "aws:SourceArn"},
}


def test_dep_05_service_principals_are_conditioned_only_on_keys_they_send():
    checked = 0
    for name, doc in pipeline_templates():
        for logical, kind, document in policy_documents(doc):
            for st in statements(document):
                principal = st.get("Principal")
                if not isinstance(principal, dict) or "Service" not in principal:
                    continue
                for service in as_list(principal["Service"]):
                    service = sub(service)
                    assert (service, kind) in SENDS, f"{name}.yaml {logical}: no known condition keys for {service} in {kind}"
                    used = {k for op in st.get("Condition", {}).values() for k in op}
                    assert used <= SENDS[(service, kind)], (
                        f"{name}.yaml {logical} {st.get('Sid')}: {service} does not send {sorted(used - SENDS[(service, kind)])}")
                    checked += 1
    assert checked


def test_dep_05_eventbridge_may_use_the_topic_key_without_conditions():
    key_policy = res(key_logical())["Properties"]["KeyPolicy"]
    (events,) = [s for s in statements(key_policy) if s["Principal"].get("Service") == "events.amazonaws.com"]
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(as_list(events["Action"]))
    assert "Condition" not in events


# Properties that give a resource its physical name.
NAME_PROPERTIES = {"BucketName", "LogGroupName", "TopicName", "RoleName", "AliasName", "Name", "ConnectionName"}


def test_dep_04_retained_pipeline_resources_have_names_unique_to_the_stack():
    """A retained resource outlives its stack; with a fixed name, re-creating the pipeline stack
    would fail with "already exists". Retained names carry a part of the stack id."""
    retained = 0
    for name, doc in pipeline_templates():
        for logical, r in doc["Resources"].items():
            if r.get("DeletionPolicy") != "Retain":
                continue
            retained += 1
            for prop in NAME_PROPERTIES & set(r.get("Properties", {})):
                given = json.dumps(r["Properties"][prop])
                assert "AWS::StackId" in given, f"{name}.yaml {logical}: retained with the fixed {prop} {given}"
    assert retained


# ---------------------------------------------------------------- docs/pipeline.md names

DOC = (ROOT / "docs" / "pipeline.md").read_text()
DOC_NAMED = {"AWS::S3::Bucket": "BucketName", "AWS::Logs::LogGroup": "LogGroupName", "AWS::IAM::Role": "RoleName"}


def doc_form(name):
    """A physical name of the pipeline template as docs/pipeline.md writes it."""
    name = (name.replace("${AWS::StackName}", f"{project()}-pipeline").replace(ACCT, "<account>")
            .replace("${StackIdPart}", "<stack id piece>").replace("${AWS::Region}", "<region>"))
    for stage in CODEBUILD_STAGES:
        name = re.sub(rf"-{stage}(?=-<stack id piece>$|$)", "-<stage>", name)
    return name


def template_names():
    """Bucket, log group and role names of the pipeline stack (those formed from the stack name)."""
    names = set()
    for logical, r in resources(tpl()).items():
        prop = DOC_NAMED.get(r["Type"])
        given = sub((r.get("Properties") or {}).get(prop)) if prop else None
        if given and "${AWS::StackName}" in given:
            names.add(doc_form(given))
    return names


def test_ci_04_doc_names_the_buckets_log_groups_and_roles_of_the_template():
    """Every bucket, log group and role name docs/pipeline.md gives is the template's, and
    every one the template forms from the stack name is in the doc."""
    names = template_names()
    assert any(n.startswith("/aws/codebuild/") for n in names) and any("<account>" in n for n in names), names
    quoted = set(re.findall(r"`([^`\n]+)`", DOC))
    stack = f"{project()}-pipeline"
    claimed = {doc_form(q) for q in quoted
               if q.startswith("/aws/codebuild/") or re.fullmatch(rf"{re.escape(stack)}-(.*<account>.*|role|codebuild-.*)", q)}
    assert not claimed - names, f"docs/pipeline.md names what templates/pipeline.yaml does not create: {sorted(claimed - names)}"
    assert not names - quoted, f"docs/pipeline.md omits names of templates/pipeline.yaml: {sorted(names - quoted)}"
{%- if cross_account and pipeline.has.deploy %}


def test_dep_03_doc_names_the_roles_the_deploy_roles_trust():
    p = project()
    _, arns = trusted_principal_arns(template("deploy-role"), f"{p}-{ENVREF}-pipeline-deploy")
    trusted = {a.split(":role/", 1)[1] for a in arns}
    said = set(re.findall(r"trusts only `([^`]+)`", DOC))
    assert said, "docs/pipeline.md does not say whom the deploy roles trust"
    assert said == trusted, f"docs/pipeline.md says the deploy roles trust {sorted(said)}, deploy-role.yaml trusts {sorted(trusted)}"
{%- endif %}
