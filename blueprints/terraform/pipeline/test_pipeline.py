"""Pipeline controls over modules/pipeline and the buildspecs, parsed offline."""

import re

import yaml

from hcl_helpers import MODULES, ROOT, resource, value

PIPE = MODULES / "pipeline"


def buildspec(name):
    return yaml.safe_load((ROOT / "buildspecs" / f"{name}.yml").read_text())


def test_ci_05_backend_settings_from_parameter_store():
    text = (PIPE / "main.tf").read_text()
    assert 'type  = "PARAMETER_STORE"' in text
    for name in ("plan", "apply"):
        commands = " ".join(buildspec(name)["phases"]["build"]["commands"])
        assert '-backend-config="bucket=$TF_STATE_BUCKET"' in commands
        assert "tfstate" not in commands, f"{name}.yml hard-codes a backend setting"


def test_ci_06_fail_fast_and_verified_download():
    for name in ("validate", "test", "plan", "apply"):
        spec = buildspec(name)
        install = spec["phases"]["install"]["commands"]
        assert install[0] == "set -euo pipefail"
        assert any("sha256sum -c" in c for c in install), f"{name}.yml does not verify Terraform"
        assert spec["phases"]["build"]["commands"][0] == "set -euo pipefail"


def test_ci_07_cross_account_apply_role_trusts_the_pipeline_root_only():
    role = yaml.safe_load(re.sub(r"!(Sub|GetAtt|Ref)", "", (ROOT / "bootstrap" / "apply-role.yaml").read_text()))
    statement = role["Resources"]["ApplyRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"]["AWS"].endswith(":root\"") or statement["Principal"]["AWS"].endswith(":root")
    assert "aws:PrincipalArn" in statement["Condition"]["ArnLike"]


def test_ci_09_plan_artifact_and_apply_of_that_plan():
    plan = buildspec("plan")
    assert set(plan["artifacts"]["files"]) == {"tfplan", "tfplan.json"}
    assert "PLAN_SUMMARY" in plan["env"]["exported-variables"]
    apply = " ".join(buildspec("apply")["phases"]["build"]["commands"])
    assert "apply -input=false tfplan" in apply and "plan -" not in apply


def test_ci_04_artifact_store_encrypted():
    store = resource(PIPE, "aws_codepipeline", "this")["artifact_store"][0]
    assert value(store["encryption_key"][0], "type") == "KMS"


def test_dep_03_trust_names_no_role_that_may_not_exist_yet():
    text = (ROOT / "bootstrap" / "apply-role.yaml").read_text()
    trust = text.split("AssumeRolePolicyDocument:")[1].split("Policies:")[0]
    principal = re.search(r"Principal: \{ AWS: (.+) \}", trust).group(1)
    assert principal.endswith(':root"'), "the trust must name the pipeline account root"
    assert "aws:PrincipalArn" in trust


def test_ci_10_builds_lock_with_exactly_the_table_actions():
    main = (MODULES / "pipeline" / "main.tf").read_text()
    block = main[main.index('sid       = "StateLock"') :]
    block = block[: block.index("\n    }")]
    actions = re.search(r"actions\s*=\s*\[([^\]]*)\]", block).group(1)
    assert sorted(a.strip().strip('"') for a in actions.split(",")) == ["dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem"]
    assert "table/${statement.value}" in block, "only the lock table, by name"
    assert 'var.lock_table == "" ? []' in main, "no lock statement without a lock table"


def test_ci_10_builds_use_only_the_state_key():
    main = (MODULES / "pipeline" / "main.tf").read_text()
    block = main[main.index('sid       = "StateKey"') :]
    block = block[: block.index("\n    }\n  }")]
    assert 'variable = "kms:ResourceAliases"' in block and 'values   = ["alias/${var.project}-tfstate"]' in block, "only the key behind the state alias"
    actions = re.search(r"actions\s*=\s*\[([^\]]*)\]", block).group(1)
    assert sorted(a.strip().strip('"') for a in actions.split(",")) == ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]
