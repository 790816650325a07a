"""Project controls: documentation, tooling, state and stored answers (offline)."""

import re
import shutil
import subprocess

import pytest
import yaml

from hcl_helpers import ROOT, env_dirs, load, tfvars, value


def text(rel):
    return (ROOT / rel).read_text(encoding="utf-8")


def test_prj_01_readme_covers_architecture_and_operations():
    readme = text("README.md")
    for heading in ("```mermaid", "## Deploy", "## Update", "## Destroy", "## Bootstrap", "## Troubleshooting", "## Variables"):
        assert heading in readme, f"README.md lacks {heading}"
    for env in env_dirs():
        assert f"ENV={env.name}" in readme, f"README.md does not show how to deploy {env.name}"


def test_prj_02_controls_doc_lists_every_control_and_skip():
    doc = text("docs/controls.md")
    for path in sorted((ROOT / "modules").rglob("*.tf")):
        for match in re.finditer(r"#checkov:skip=(CKV2?_AWS_\d+):", path.read_text(encoding="utf-8")):
            assert match.group(1) in doc, f"docs/controls.md does not list the skip {match.group(1)} of {path.relative_to(ROOT)}"


def test_prj_03_a_terraform_test_run_per_control():
    runs = set()
    for path in sorted((ROOT / "tests").glob("*.tftest.hcl")):
        runs.update(re.findall(r'^run "(test_[a-z]+_\d\d_\w+)"', path.read_text(encoding="utf-8"), re.M))
    assert runs, "no terraform test run is named after a control"
    for run in runs:
        assert re.fullmatch(r"test_[a-z]+_\d\d_[a-z0-9_]+", run)


def test_prj_04_one_command_each():
    makefile = text("Makefile")
    for target in ("venv:", "init:", "test:", "lint:", "scan:", "plan:", "apply:", "destroy:", "bootstrap:"):
        assert re.search(rf"^{target}", makefile, re.M), f"Makefile lacks {target}"
    assert "terraform-version" in text(".pre-commit-config.yaml") or "terraform_fmt" in text(".pre-commit-config.yaml")
    assert 'plugin "aws"' in text(".tflint.hcl")


def test_prj_05_stored_answers_match_the_environments():
    answers = yaml.safe_load(text(".stackwright/answers.yaml"))
    assert answers["flavor"] == "terraform"
    assert sorted(e["name"] for e in answers["environments"]) == sorted(e.name for e in env_dirs())


def test_ci_10_partial_s3_backend_with_lockfile_one_key_per_environment():
    keys = set()
    for env in env_dirs():
        backend = load(env / "backend.hcl")
        assert value(backend, "use_lockfile") is True, f"{env.name}: state locking must be on"
        assert value(backend, "encrypt") is True
        assert "bucket" not in backend, f"{env.name}: the bucket comes from SSM Parameter Store, not from the file"
        keys.add(value(backend, "key"))
        versions = load(env / "versions.tf")
        backend_block = versions["terraform"][0]["backend"][0]
        assert list(backend_block) == ["s3"], f"{env.name}: the backend must be a partial s3 block"
    assert len(keys) == len(env_dirs()), "every environment needs its own state key"
    state = text("bootstrap/state.yaml")
    for needle in ("VersioningConfiguration", "aws:kms", "aws:SecureTransport", "LifecycleConfiguration", "LoggingConfiguration", "AWS::SSM::Parameter"):
        assert needle in state, f"bootstrap/state.yaml lacks {needle}"


def make_targets(text_):
    """The make targets a text runs, in the order each first appears."""
    seen = []
    for match in re.finditer(r"\bmake ([a-z][a-z-]*)", text_):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def test_dep_06_readme_makefile_and_make_help_give_one_first_deploy_order():
    readme = text("README.md")
    steps = readme[readme.index("## Bootstrap"):readme.index("## Update")]
    header = next(line for line in text("Makefile").splitlines() if line.startswith("# First deploy"))
    order = make_targets(header)
    assert order[:2] == ["venv", "bootstrap"] and order[-3:] == ["init", "plan", "apply"], header
    assert make_targets(steps) == order, "README.md's Bootstrap and Deploy steps differ from the Makefile's first-deploy order"
    if shutil.which("make") is None:
        pytest.skip("make is not installed: `make help` not compared")
    helped = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in helped.splitlines() if ln.startswith("first deploy:"))
    assert make_targets(line) == order, "make help gives another first-deploy order"
    for target in order:
        assert re.search(rf"^{target}:", text("Makefile"), re.M), f"the first deploy runs make {target}, which the Makefile lacks"


class _CloudFormation(yaml.SafeLoader):
    """Reads a CloudFormation template, keeping !Ref / !GetAtt / !Sub as plain values."""


_CloudFormation.add_multi_constructor(
    "!",
    lambda loader, tag, node: loader.construct_scalar(node)
    if isinstance(node, yaml.ScalarNode)
    else loader.construct_sequence(node)
    if isinstance(node, yaml.SequenceNode)
    else loader.construct_mapping(node),
)


def test_ci_10_lock_table_exactly_when_the_answers_ask():
    answers = yaml.safe_load(text(".stackwright/answers.yaml"))
    wanted = bool(answers.get("state", {}).get("lock_table", False))
    table = answers["project"]["name"] + "-tfstate-lock"
    for env in env_dirs():
        backend = load(env / "backend.hcl")
        assert value(backend, "use_lockfile") is True, f"{env.name}: S3 lock files stay on"
        assert value(backend, "dynamodb_table") == (table if wanted else None), f"{env.name}: dynamodb_table must follow state.lock_table"
    resources = yaml.load(text("bootstrap/state.yaml"), Loader=_CloudFormation)["Resources"]
    tables = {k: r for k, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}
    assert bool(tables) == wanted, "the bootstrap stack must create the lock table exactly when asked"
    for lock in tables.values():
        props = lock["Properties"]
        assert props["TableName"] == table
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": "StateKey.Arn"}
        production = any(e.get("profile") == "production" for e in answers["environments"])
        assert props["DeletionProtectionEnabled"] is production, "deletion protection follows the profiles"
    pipeline = ROOT / "pipeline" / "main.tf"
    if pipeline.exists():
        call = load(pipeline)["module"][0]["pipeline"]
        assert value(call, "lock_table") == (table if wanted else None), "the builds must lock with the same table"


def test_ci_07_every_role_an_environment_assumes_is_one_the_project_creates():
    """An environment root assumes only the apply role bootstrap/apply-role.yaml
    creates for it; without one (no pipeline) it runs with the credentials of
    its own account, and the README and the Makefile say so."""
    readme, makefile = text("README.md"), text("Makefile")
    for env in env_dirs():
        values = tfvars(env)
        account, role_arn = values.get("account_id", ""), values.get("apply_role_arn", "")
        if role_arn:
            stack = ROOT / "bootstrap" / "apply-role.yaml"
            assert stack.is_file(), f"{env.name} assumes {role_arn}, but no stack of the project creates it"
            role = yaml.load(stack.read_text(encoding="utf-8"), Loader=_CloudFormation)["Resources"]["ApplyRole"]
            name = role["Properties"]["RoleName"].replace("${EnvironmentName}", env.name)
            assert role_arn.endswith(f":{account}:role/{name}"), f"{env.name}: {role_arn} is not the role {name} of account {account}"
            assert re.search(r"^apply-role:", makefile, re.M), "the Makefile cannot deploy the apply role"
        elif account:
            assert f"credentials of account {account}" in readme, f"README.md does not say which credentials apply {env.name}"
            assert re.search(rf"^ACCOUNT_{env.name} := {account}$", makefile, re.M), f"the Makefile does not know {env.name}'s account"
