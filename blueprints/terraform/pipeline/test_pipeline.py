"""Pipeline controls over modules/pipeline and the buildspecs, parsed offline."""

import re

import yaml

from hcl_helpers import MODULES, ROOT, resource, value

PIPE = MODULES / "pipeline"
BUILDSPECS = ROOT / "buildspecs"


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
        assert spec["phases"]["build"]["commands"][0].startswith("set -euo pipefail")


def test_ci_06_no_unverified_download_and_no_loop_that_hides_a_failure():
    """CodeBuild runs each command of a phase as a script of its own: a `for` loop whose
    earlier iteration fails must stop inside its own block (set -e), and nothing fetched
    from the network may run unverified (no `curl | bash`)."""
    for path in sorted(BUILDSPECS.glob("*.yml")):
        spec = yaml.safe_load(path.read_text())
        for phase, body in spec["phases"].items():
            for command in body.get("commands", []):
                assert not re.search(r"\|\s*(ba|z)?sh\b", command), f"{path.name} {phase}: pipes into a shell: {command}"
                if re.search(r"\bfor\b.*\bdo\b", command, re.S):
                    assert command.startswith("set -euo pipefail\n"), f"{path.name} {phase}: a loop outside a set -euo pipefail block: {command}"
                if "curl " in command:
                    assert "sha256sum -c" in command or any("sha256sum -c" in c for c in body["commands"]), f"{path.name} {phase}: download not verified"
    validate = " ".join(buildspec("validate")["phases"]["install"]["commands"])
    assert re.search(r"tflint/releases/download/v[0-9.]+/tflint_linux_amd64\.zip", validate)
    assert re.search(r'echo "[0-9a-f]{64}  /tmp/tflint\.zip" \| sha256sum -c -', validate), "tflint is not verified by SHA-256"


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


ANSWERS = yaml.safe_load((ROOT / ".stackwright" / "answers.yaml").read_text())
STAGES = ANSWERS["pipeline"]["stages"]


def pipeline_tfvars():
    import hcl2

    with open(ROOT / "pipeline" / "terraform.tfvars", encoding="utf-8") as handle:
        return value(hcl2.load(handle), "pipeline")


def block(spec):
    """The build phase's commands of a buildspec as one text."""
    return "\n".join(spec["phases"]["build"]["commands"])


def test_ci_02_pipeline_stages_follow_the_answers():
    pipe = pipeline_tfvars()
    assert pipe["checks"] == [s for s in STAGES if s not in ("deploy", "integration_test")]
    assert pipe["integration_test"] is ("integration_test" in STAGES)
    assert ((ROOT / "buildspecs" / "build.yml").is_file()) is ("build" in STAGES)
    assert ((ROOT / "buildspecs" / "integration_test.yml").is_file()) is ("integration_test" in STAGES)


def test_ci_02_plans_and_applies_start_from_the_build_artifact_when_build_is_answered():
    main = (PIPE / "main.tf").read_text()
    assert 'plan_input = contains(var.checks, "build") ? "build" : "source"' in main
    assert main.count("input_artifacts  = [local.plan_input") == 2, "the plan and the apply take the build artifact"
    assert 'output_artifacts = stage.value == "build" ? ["build"] : []' in main


def test_ci_06_build_checks_lock_files_and_packages_the_app():
    if "build" not in STAGES:
        return
    spec = buildspec("build")
    assert spec["phases"]["install"]["commands"][0] == "set -euo pipefail"
    assert any("sha256sum -c" in c for c in spec["phases"]["install"]["commands"])
    build = block(spec)
    assert build.startswith("set -euo pipefail")
    assert ".terraform.lock.hcl" in build and "exit 1" in build, "a missing lock file must stop the build"
    assert "init -backend=false -input=false -lockfile=readonly" in build
    assert ("modules/app/package.py" in build) is (ANSWERS["app"]["kind"] == "lambda")
    assert "**/*" in spec["artifacts"]["files"] and "**/.terraform/**" in spec["artifacts"]["exclude-paths"]


def test_ci_06_the_function_is_packaged_before_every_plan():
    if ANSWERS["app"]["kind"] != "lambda":
        return
    plan, apply = block(buildspec("plan")), block(buildspec("apply"))
    if "build" in STAGES:
        # The zip comes in the build artifact; plan and apply only check it is there.
        assert "test -f modules/app/build/app.zip" in plan and "package.py" not in plan
        assert "package.py" not in apply
    else:
        assert "python3 modules/app/package.py" in plan
        assert "python3 modules/app/package.py" in apply
    makefile = (ROOT / "Makefile").read_text()
    for target in ("plan", "apply"):
        line = next(l for l in makefile.splitlines() if l.startswith(f"{target}:"))
        assert " package" in line.split("##")[0], f"make {target} does not package the function first"


def test_ci_02_integration_test_reads_outputs_and_fails_when_all_skipped():
    if "integration_test" not in STAGES:
        return
    spec = buildspec("integration_test")
    build = block(spec)
    assert build.startswith("set -euo pipefail")
    assert "pytest tests/integration" in build
    assert 'STACKWRIGHT_TF_OUTPUTS="${!outputs_dir}/outputs.json"' in build
    assert "skipped == total" in build and "sys.exit(" in build, "a run in which every test skipped must fail"
    apply = buildspec("apply")
    assert apply["artifacts"]["files"] == ["outputs.json"]
    assert "if not entry.get(\"sensitive\")" in block(apply), "the outputs artifact must leave sensitive outputs out"


def test_ci_02_no_environment_output_is_sensitive():
    # The outputs artifact carries terraform output -json; a sensitive output would be dropped
    # from it (and the integration tests could not read it), so none is declared.
    for env in sorted((ROOT / "envs").iterdir()):
        for path in sorted(env.glob("*.tf")):
            for entry in load_outputs(path):
                for name, attrs in entry.items():
                    assert value(attrs, "sensitive", False) is not True, f"{path.name}: output {name} is sensitive"


def load_outputs(path):
    import hcl2

    with open(path, encoding="utf-8") as handle:
        return hcl2.load(handle).get("output", [])


def test_dep_03_integration_read_role_trusts_only_the_integration_build():
    if "integration_test" not in STAGES:
        return
    text = (ROOT / "bootstrap" / "apply-role.yaml").read_text()
    role = text.split("  IntegrationReadRole:")[1].split("\nOutputs:")[0]
    trust = role.split("AssumeRolePolicyDocument:")[1].split("ManagedPolicyArns:")[0]
    assert re.search(r"Principal: \{ AWS: .*:iam::\$\{PipelineAccountId\}:root\" \}", trust), "the trust must name the pipeline account root"
    assert re.search(r"aws:PrincipalArn: .*:role/[a-z0-9-]+-build-integration-\$\{EnvironmentName\}\"", trust)
    managed = role.split("ManagedPolicyArns:")[1].split("Tags:")[0]
    assert re.findall(r"policy/([A-Za-z]+)", managed) == ["SecurityAudit"], "read-only: SecurityAudit and nothing else"
    assert "Policies:" not in role, "no inline policy: the tests only read"


def test_ci_05_integration_builds_read_nothing_else():
    main = (PIPE / "main.tf").read_text()
    assert 'for_each = each.value.kind == "integration" && try(local.envs[each.value.env].account_id, "") != ""' in main
    assert ':role/${var.project}-${statement.value.name}-integration-read"' in main
    # State, backend settings, apply roles: plan and apply builds only.
    for sid in ("BackendSettings", "State", "StateKey", "AssumeApplyRole"):
        at = main.index(f'sid       = "{sid}"')
        guard = main.rfind("for_each", 0, at)
        assert 'contains(["plan", "apply"], each.value.kind)' in main[guard:at], sid
