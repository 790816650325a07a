{% raw -%}
"""PRJ-01..PRJ-05: the project around the templates.

The README documents what was generated, the architecture, every parameter and how to deploy,
update and destroy each environment; docs/controls.md lists every control and every checker
skip; every control has a unit test and the integration tests skip cleanly; the Makefile
deploys in an order the stacks' imports allow; the stored answers match what was generated.
"""

import ast
import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from helpers import (
    ROOT,
    STACKS,
    answers,
    env_names,
    env_stack_names,
    environment,
    params,
    stack_params,
    template,
    template_names,
    walk,
)

README = (ROOT / "README.md").read_text()
PARAMETERS = (ROOT / "docs" / "parameters.md").read_text()
CONTROLS_DOC = (ROOT / "docs" / "controls.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
PROJECT = answers()["project"]["name"]
CONTROL_ID = re.compile(r"^[A-Z]+-\d{2}$")
TEST_FUNCTION = re.compile(r"^\s*def (test_([a-z]+)_(\d{2})_\w+)\s*\(", re.M)
# The controls this blueprint claims in every project.
PROJECT_CONTROLS = [f"GEN-0{i}" for i in range(1, 8)] + [f"PRJ-0{i}" for i in range(1, 6)] + ["DEP-01", "DEP-06"]


def md(text):
    """The Markdown escaping stackwright's `md` filter applies to values from people."""
    out = []
    for c in str(text):
        if c in "\\`*_{}[]<>()#+!|~":
            out.append("\\" + c)
        elif c in "\r\n":
            out.append(" ")
        else:
            out.append(c)
    return "".join(out)


def section(text, heading):
    """The body under a Markdown heading, up to the next heading of the same or higher level
    (lines inside fenced code blocks are not headings)."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.splitlines(keepends=True)
    start = lines.index(heading + "\n") + 1
    fenced = False
    for i in range(start, len(lines)):
        if lines[i].startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,%d} " % level, lines[i]):
            return "".join(lines[start:i])
    return "".join(lines[start:])


def mermaid_blocks():
    return re.findall(r"^```mermaid\n(.*?)^```", README, re.S | re.M)


def table_rows(text):
    """Body rows of the Markdown tables in a text, as lists of cells (header rows left out)."""
    lines = text.splitlines()
    return [[c.strip() for c in line.strip().strip("|").split(" | ")]
            for line, following in zip(lines, lines[1:] + [""])
            if line.startswith("| ") and not following.startswith("|---")]


def unit_tests():
    """{control id: [test function, ...]} from tests/unit/*.py."""
    found = {}
    for path in sorted((ROOT / "tests" / "unit").glob("*.py")):
        for func, area, number in TEST_FUNCTION.findall(path.read_text()):
            found.setdefault(f"{area.upper()}-{number}", []).append(f"{path.relative_to(ROOT)}::{func}")
    return found


def documented_controls():
    return [row[0] for row in table_rows(CONTROLS_DOC) if CONTROL_ID.match(row[0])]


def inline_skips():
    """(check, template file, resource, reason) of every Metadata.checkov.skip in templates/."""
    found = []
    for name in template_names():
        for logical, res in (template(name).get("Resources") or {}).items():
            for skip in ((res.get("Metadata") or {}).get("checkov") or {}).get("skip") or []:
                found.append((skip.get("id"), f"templates/{name}.yaml", logical, skip.get("comment", "")))
    return found


def make_targets():
    return re.findall(r"^([A-Za-z0-9_.-]+):(?!=)", MAKEFILE, re.M)


def recipe(target):
    m = re.search(rf"^{re.escape(target)}:[^\n]*\n((?:\t[^\n]*\n)*)", MAKEFILE, re.M)
    assert m, f"Makefile has no target {target}"
    return m.group(1)


def deployed_by_make(env):
    return re.findall(rf"\$\(call deploy_stack,{re.escape(env)},\$\(PROJECT\)-{re.escape(env)}-([a-z0-9-]+),", recipe(f"deploy-{env}"))


def deleted_by_make(env):
    return re.findall(rf"\$\(call delete_stack,\$\(PROJECT\)-{re.escape(env)}-([a-z0-9-]+)\)", recipe(f"destroy-{env}"))


def imports_of(stack):
    """Stacks a stack imports from (by the <project>-${EnvironmentName}-<stack>-<Output> convention)."""
    tpl_name = next(s["template"] for s in STACKS if s["name"] == stack).removeprefix("templates/").removesuffix(".yaml")
    names = {s["name"] for s in STACKS}
    found = set()
    for node in walk(template(tpl_name)):
        if isinstance(node, dict) and "Fn::ImportValue" in node:
            text = json.dumps(node["Fn::ImportValue"])
            for other in names:
                if f"{PROJECT}-${{EnvironmentName}}-{other}-" in text:
                    found.add(other)
    return found


# --------------------------------------------------------------------------
# PRJ-01: README


def test_prj_01_readme_has_architecture_diagram_matching_answers():
    blocks = mermaid_blocks()
    assert blocks, "README.md has no ```mermaid block"
    network = blocks[0]
    azs = answers()["network"]["availability_zones"]
    for tier in ("Public", "Private", "Isolated"):
        found = sorted(set(re.findall(rf'"{tier} subnet (\d)"', network)))
        assert found == [str(i) for i in range(1, azs + 1)], f"{tier} subnets in the diagram: {found}, want {azs}"
    for endpoint in answers()["network"]["endpoints"]:
        assert re.search(rf"endpoints[^\"]*: [^\"]*\b{re.escape(endpoint)}\b", network), f"endpoint {endpoint} not drawn"
    database = answers()["database"]
    drawn_database = re.search(r'database\[\("([^"]*)"\)\]', network)
    if database["engine"] == "none":
        assert not drawn_database, "the diagram draws a database the answers do not have"
    else:
        assert drawn_database and f"{database['engine']} {database['version']}" in drawn_database.group(1)
    nat = answers()["network"]["nat"]
    assert ("NAT gateway" in network) == (nat != "none"), f"NAT {nat!r} and the diagram disagree"
    per_az = nat == "per-az" or (nat == "auto" and any(environment(e)["profile"] == "production" for e in env_names()))
    assert (f'nat{azs}["NAT gateway {azs}' in network) == (per_az and azs > 1), "NAT per AZ not drawn per AZ"
    kind = answers()["app"]["kind"]
    assert (f"({kind}), port {answers()['app']['port']}" in network) == (kind != "none")


def test_prj_01_readme_draws_pipeline_stages_in_order_with_approvals():
    stages = answers()["pipeline"]["stages"]
    blocks = mermaid_blocks()
    if not stages:
        assert len(blocks) == 1, "no pipeline in the answers, but the README draws one"
        return
    pipeline = blocks[1]
    order = []
    for stage in stages:
        if stage == "deploy":
            for env in env_names():
                if environment(env)["approval"]:
                    order.append(f'"Manual approval: {env}"')
                order.append(f'"deploy {env}: change set"')
        else:
            order.append(f'stage_{stage}["{stage}"]')
    positions = [pipeline.find(label) for label in order]
    assert -1 not in positions, f"missing from the pipeline diagram: {[l for l, p in zip(order, positions) if p < 0]}"
    assert positions == sorted(positions), "pipeline stages are drawn out of the answered order"
    approvals = re.findall(r'"Manual approval: ([a-z0-9-]+)"', pipeline)
    want = [e for e in env_names() if environment(e)["approval"]] if "deploy" in stages else []
    assert approvals == want


def test_prj_01_parameters_doc_lists_every_parameter_with_each_environment_value():
    problems = []
    for s in STACKS:
        declared = template(s["template"].removeprefix("templates/").removesuffix(".yaml")).get("Parameters") or {}
        if not declared:
            continue
        heading = f"## Stack `{s['name']}` ({s['template']}, {s['scope']} scope)"
        if heading + "\n" not in PARAMETERS:
            problems.append(f"docs/parameters.md has no section {heading!r}")
            continue
        rows = {row[0].strip("`"): row for row in table_rows(section(PARAMETERS, heading))}
        for pname in declared:
            if pname not in rows:
                problems.append(f"{s['name']}: parameter {pname} is not in docs/parameters.md")
                continue
            labels = ["pipeline"] if s["scope"] == "pipeline" else env_names()
            for label, cell in zip(labels, rows[pname][-len(labels):]):
                given = params(label).get(s["name"], {}).get("Parameters", {})
                want = md(given[pname]) if pname in given else "—"
                if cell != want:
                    problems.append(f"{s['name']}.{pname} for {label}: docs/parameters.md shows {cell!r}, params say {want!r}")
    assert not problems, "\n".join(problems)


def test_prj_01_readme_deploys_updates_and_destroys_each_environment_in_order():
    deploy, destroy = section(README, "## Deploy"), section(README, "## Destroy")
    assert "make plan ENV=" in section(README, "## Update")
    positions = []
    for env in env_names():
        assert f"make deploy ENV={env}\n" in deploy, f"no deploy command for {env}"
        assert f"make destroy ENV={env}\n" in destroy, f"no destroy command for {env}"
        positions.append(deploy.index(f"make deploy ENV={env}\n"))
        stacks = env_stack_names(env)
        shown = re.findall(rf"--stack-name {PROJECT}-{re.escape(env)}-([a-z0-9-]+) \\", deploy)
        assert shown == stacks, f"{env}: README deploys {shown}, params/{env}.json needs {stacks} in this order"
        deleted = re.findall(rf"delete-stack --region \S+ --stack-name {PROJECT}-{re.escape(env)}-([a-z0-9-]+)\n", destroy)
        assert deleted == stacks[::-1], f"{env}: README deletes {deleted}, want {stacks[::-1]}"
    assert positions == sorted(positions), "environments are not documented in promotion order"


def test_prj_01_readme_troubleshooting_handshake_and_public_ingress_warning():
    trouble = section(README, "## Troubleshooting")
    for topic in ("Connection is not available", "KMS AccessDenied", "No changes to deploy", "Deletion blocked"):
        assert topic in trouble, f"troubleshooting does not cover {topic!r}"
    has_pipeline = bool(answers()["pipeline"]["stages"])
    assert ("### CodeConnections handshake" in README) == has_pipeline
    if has_pipeline:
        assert "PENDING" in section(README, "### CodeConnections handshake (the connection starts PENDING)")
    public = any(c.strip().endswith("/0") for c in answers()["network"]["trusted_cidrs"])
    assert ("**Warning: a trusted CIDR covers the whole internet (NET-08).**" in README) == public


def app_security_group_range_ingress():
    """Address-range ingress rules of the application security group, inline or separate."""
    res = (template("network").get("Resources") or {})
    rules = list((res.get("AppSecurityGroup", {}).get("Properties") or {}).get("SecurityGroupIngress") or [])
    for r in res.values():
        props = r.get("Properties") or {}
        if r.get("Type") == "AWS::EC2::SecurityGroupIngress" and "AppSecurityGroup" in repr(props.get("GroupId")):
            rules.append(props)
    return [r for r in rules if "CidrIp" in r or "CidrIpv6" in r or "SourcePrefixListId" in r]


def test_net_08_public_ingress_warning_says_what_the_template_does():
    """The /0 warning of README and docs/controls.md matches the app security group: it must
    not claim the app is open while no rule admits a range, nor hide a rule that does."""
    public = any(c.strip().endswith("/0") for c in answers()["network"]["trusted_cidrs"])
    if not public:
        pytest.skip("no /0 trusted CIDR in the answers")
    opened = app_security_group_range_ingress()
    lines = README.splitlines()
    start = lines.index("> **Warning: a trusted CIDR covers the whole internet (NET-08).**")
    quote = []
    for line in lines[start:]:
        if not line.startswith(">"):
            break
        quote.append(line.lstrip("> "))
    warning = " ".join(quote)
    doc = section(CONTROLS_DOC, "## Warning: a trusted CIDR covers the whole internet (NET-08)")
    for name, body in (("README.md", warning), ("docs/controls.md", doc)):
        says_closed = "admits no address range" in " ".join(body.split())
        assert says_closed == (not opened), (
            f"{name} NET-08 warning says the app security group admits "
            f"{'no' if says_closed else 'some'} address range, the template has {opened!r}")


def test_prj_01_readme_escapes_values_from_people():
    """Owner, cost centre and tags reach Markdown only through the md filter."""
    owner, cost_center = answers()["project"]["owner"], answers()["project"]["cost_center"]
    assert f"Owner: {md(owner)}, cost centre: {md(cost_center)}." in README
    for key, value in (answers()["project"].get("tags") or {}).items():
        assert f"{md(key)}={md(value)}" in README


# --------------------------------------------------------------------------
# PRJ-02: docs/controls.md


def test_prj_02_controls_doc_lists_every_control_with_its_tests():
    ids = documented_controls()
    assert len(ids) == len(set(ids)), "a control is listed twice"
    assert set(PROJECT_CONTROLS) <= set(ids), f"missing: {sorted(set(PROJECT_CONTROLS) - set(ids))}"
    tests = {t for found in unit_tests().values() for t in found}
    for row in table_rows(CONTROLS_DOC):
        if not CONTROL_ID.match(row[0]):
            continue
        assert len(row) == 6 and all(row[1:5]), f"{row[0]}: incomplete row {row}"
        listed = re.findall(r"`([^`]+::test_\w+)`", row[5])
        assert listed, f"{row[0]} names no test"
        for name in listed:
            path, func = name.split("::")
            assert (ROOT / path).is_file() and re.search(rf"def {func}\(", (ROOT / path).read_text()), \
                f"{row[0]}: {name} does not exist"
            assert func.startswith("test_" + row[0].lower().replace("-", "_") + "_")
        assert any(t in tests for t in listed) or row[0] == "PRJ-03", f"{row[0]}: none of its tests is a unit test"
        for file in re.split(r"[;,]\s*", row[3].replace("\\", "")):
            assert (ROOT / file.strip()).exists(), f"{row[0]}: file {file} does not exist"


def test_prj_02_controls_doc_lists_every_inline_checker_skip():
    rows = [r for r in table_rows(CONTROLS_DOC) if r and r[0].startswith("`CKV")]
    listed = {(r[0].strip("`"), r[1], r[2]) for r in rows if len(r) == 4}
    problems = []
    for check, file, resource, reason in inline_skips():
        if (check, file, resource) not in listed:
            problems.append(f"{file} {resource} skips {check}, which docs/controls.md does not list")
        if not str(reason).strip():
            problems.append(f"{file} {resource} skips {check} without a reason")
        if check in ("CKV_AWS_157", "CKV_AWS_293"):
            problems.append(f"{file} {resource} skips {check} inline; only the per-environment scan may skip it")
    assert not problems, "\n".join(problems)


def test_prj_02_controls_doc_explains_per_environment_scan_skips_and_net_08():
    ephemeral = [e for e in env_names() if environment(e)["profile"] == "ephemeral"]
    scan = section(CONTROLS_DOC, "## Skips of the per-environment scan")
    if answers()["database"]["engine"] != "none" and ephemeral:
        for check in ("CKV_AWS_157", "CKV_AWS_293"):
            row = next((r for r in table_rows(scan) if r[0].startswith(f"`{check}`")), None)
            assert row and row[1] == ", ".join(ephemeral), f"{check} row: {row}"
    else:
        assert not table_rows(scan), "nothing to skip, yet the doc lists skips"
    public = any(c.strip().endswith("/0") for c in answers()["network"]["trusted_cidrs"])
    assert ("## Warning: a trusted CIDR covers the whole internet (NET-08)" in CONTROLS_DOC) == public


# --------------------------------------------------------------------------
# PRJ-03: tests for every control; integration tests skip cleanly


def test_prj_03_every_documented_control_has_a_unit_test():
    tested = unit_tests()
    missing = [cid for cid in documented_controls() if cid not in tested]
    assert not missing, f"controls without a test named test_<id>_...: {missing}"


def test_prj_03_integration_fixtures_are_defined():
    tree = ast.parse((ROOT / "tests" / "integration" / "conftest.py").read_text())
    fixtures = {f.name for f in tree.body if isinstance(f, ast.FunctionDef)
                and any("fixture" in ast.unparse(d) for d in f.decorator_list)}
    assert {"env_name", "aws", "stack_outputs"} <= fixtures


def test_prj_03_integration_tests_skip_without_credentials(tmp_path):
    """With no credentials anywhere, every integration test skips with a reason; none fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_EC2_METADATA_DISABLED="true", PYTHONDONTWRITEBYTECODE="1",
               STACKWRIGHT_ENV=env_names()[0])
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests/integration"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    summary = out.strip().splitlines()[-1]
    assert "skipped" in summary and not re.search(r"\d+ (passed|failed|error)", summary), summary
    assert "no AWS credentials" in out


# --------------------------------------------------------------------------
# PRJ-04: one command each, pinned tools


def test_prj_04_makefile_has_the_targets():
    targets = set(make_targets())
    wanted = {"help", "venv", "lint", "test", "scan", "plan", "deploy", "destroy", "deploy-pipeline", "integration"}
    assert wanted <= targets, f"missing targets: {sorted(wanted - targets)}"
    assert re.search(r"^\.DEFAULT_GOAL := help$", MAKEFILE, re.M)
    region = answers()["region"]
    assert re.search(rf"^REGION := {region}$", MAKEFILE, re.M)
    assert "$(CFN_LINT) --regions $(REGION) --include-checks I -- templates/*.yaml" in recipe("lint")
    assert "-m pytest tests/unit" in recipe("test")
    assert "scripts/scan.py" in recipe("scan")
    assert re.search(rf"^ENVIRONMENTS := {' '.join(env_names())}$", MAKEFILE, re.M)


def test_prj_04_make_deploys_every_stack_in_dependency_order():
    problems = []
    scope = {s["name"]: s["scope"] for s in STACKS}
    for env in env_names():
        deployed = deployed_by_make(env)
        wanted = [s for s in env_stack_names(env) if scope[s] == "environment"]
        if deployed != wanted:
            problems.append(f"deploy-{env} deploys {deployed}, params/{env}.json needs {wanted}")
        # The deploy role (scope account) changes only through make deploy-role ENV=<env>.
        roles = re.findall(rf"\$\(call deploy_stack,{re.escape(env)},\$\(PROJECT\)-{re.escape(env)}-([a-z0-9-]+),", recipe(f"deploy-role-{env}"))
        if roles != [s for s in env_stack_names(env) if scope[s] == "account"]:
            problems.append(f"deploy-role-{env} deploys {roles}, params/{env}.json has account stacks "
                            f"{[s for s in env_stack_names(env) if scope[s] == 'account']}")
        for i, stack in enumerate(deployed):
            late = imports_of(stack) - set(deployed[:i])
            if late:
                problems.append(f"deploy-{env}: {stack} imports from {sorted(late)}, deployed later or not at all")
        if deleted_by_make(env) != deployed[::-1]:
            problems.append(f"destroy-{env} deletes {deleted_by_make(env)}, want {deployed[::-1]}")
        account = environment(env).get("account_id")
        assert bool(account) == (f"$(call require_account,{env},{account})" in recipe(f"deploy-{env}"))
    assert not problems, "\n".join(problems)


def test_prj_04_destroy_asks_first_and_warns_about_retained_resources():
    for env in env_names():
        assert re.search(rf"\$\(call confirm,{re.escape(env)},", recipe(f"destroy-{env}"))
    confirm = MAKEFILE[MAKEFILE.index("define confirm"):]
    assert "read -r -p" in confirm and "Retain or Snapshot" in confirm


def test_prj_04_requirements_pin_exact_versions():
    lines = [line.strip() for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
             if line.strip() and not line.strip().startswith("#")]
    pins = dict(line.split("==", 1) for line in lines if re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", line))
    assert len(pins) == len(lines), f"unpinned: {[l for l in lines if '==' not in l]}"
    assert {"cfn-lint", "checkov", "pytest", "boto3", "pyyaml"} <= {p.lower() for p in pins}


@pytest.mark.parametrize("env", env_names())
def test_prj_04_stack_params_prints_shell_safe_pairs(env):
    for stack in env_stack_names(env):
        out = subprocess.run([sys.executable, str(ROOT / "scripts" / "stack_params.py"), env, stack],
                             capture_output=True, text=True, check=True).stdout
        pairs = dict(word.split("=", 1) for word in shlex.split(out))
        assert pairs == {k: str(v) for k, v in stack_params(env, stack).items()}, f"{env}/{stack}"
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "stack_params.py"), "--tags", env],
                         capture_output=True, text=True, check=True).stdout
    tags = dict(word.split("=", 1) for word in shlex.split(out))
    project = answers()["project"]
    assert tags == {"Project": project["name"], "Environment": env, "Owner": project["owner"],
                    "CostCenter": project["cost_center"], "ManagedBy": "stackwright",
                    **{str(k): str(v) for k, v in (project.get("tags") or {}).items()}}


# --------------------------------------------------------------------------
# PRJ-05: the answers that produced the project


def test_prj_05_answers_stored_with_reproduce_command():
    text = (ROOT / ".stackwright" / "answers.yaml").read_text()
    assert "stackwright new --answers .stackwright/answers.yaml" in text
    assert answers()["version"] == 1 and answers()["flavor"] == "cloudformation"
    assert "stackwright new --answers .stackwright/answers.yaml --out <dir>" in README
    update = README.split("\n## Update\n", 1)[1].split("\n## ", 1)[0]
    assert "stackwright update --set" in update and "--force" not in update, "README Update section"


def test_prj_05_params_match_the_stored_answers():
    files = sorted(p.stem for p in (ROOT / "params").glob("*.json"))
    has_pipeline = any(s["scope"] == "pipeline" for s in STACKS)
    assert files == sorted(env_names() + (["pipeline"] if has_pipeline else []))
    for env in env_names():
        entry = environment(env)
        for stack, body in params(env).items():
            values = body["Parameters"]
            if "EnvironmentName" in values:
                assert values["EnvironmentName"] == env, f"params/{env}.json {stack}"
            if "VpcCidr" in values and entry.get("vpc_cidr"):
                assert values["VpcCidr"] == entry["vpc_cidr"], f"params/{env}.json {stack}.VpcCidr"
        account_stacks = {s["name"] for s in STACKS if s["scope"] == "account"}
        assert bool(account_stacks & set(params(env))) == bool(account_stacks and entry.get("account_id")), env


def test_prj_05_readme_states_the_stored_region_and_environments():
    assert f"**Region** `{answers()['region']}`" in README
    rows = [r[0].strip("`") for r in table_rows(section(README, "## Environments"))]
    assert rows[:len(env_names())] == env_names()


# --------------------------------------------------------------------------
# DEP-01: every template goes through the deployment bucket (inline only the bootstrap)

INLINE_LIMIT = 51_200  # bytes `aws cloudformation deploy --template-file` sends inline
S3_LIMIT = 1_048_576  # bytes of a template CloudFormation reads from S3
BOOTSTRAP = ROOT / "templates" / "bootstrap.yaml"


def logical_lines(text):
    """Lines with backslash continuations joined, as make and the shell read them."""
    return re.sub(r"\\\n", " ", text).splitlines()


def makefile_deploys():
    return [line for line in logical_lines(MAKEFILE)
            if not line.lstrip().startswith("#") and re.search(r"cloudformation deploy\b", line)]


def test_dep_01_every_makefile_deploy_goes_through_the_deployment_bucket():
    deploys = makefile_deploys()
    assert deploys, "the Makefile runs no aws cloudformation deploy"
    inline = [d for d in deploys if "--s3-bucket" not in d]
    assert all("--template-file $(BOOTSTRAP_TEMPLATE)" in d for d in inline), \
        "deployed inline (no --s3-bucket), so any template over 51,200 bytes is refused:\n" + "\n".join(inline)
    assert len(inline) == 1, f"exactly the bootstrap deploy may be inline, found {len(inline)}"
    for d in deploys:
        if d not in inline:
            assert "--s3-bucket $(DEPLOY_BUCKET) --s3-prefix $(2)" in d, f"no deployment bucket and per-stack prefix: {d}"
    assert re.search(r"^DEPLOY_BUCKET = \$\(PROJECT\)-deploy-\$\(ACCOUNT_ID\)-\$\(REGION\)$", MAKEFILE, re.M)
    assert re.search(r"^ACCOUNT_ID = .*sts get-caller-identity", MAKEFILE, re.M)
    assert re.search(r"^BOOTSTRAP_TEMPLATE := templates/bootstrap.yaml$", MAKEFILE, re.M)
    require = MAKEFILE[MAKEFILE.index("define require_bucket"):]
    assert "head-bucket" in require and "make bootstrap" in require.split("endef")[0]
    # Every recipe that deploys checks for the bucket first, so a missing one stops before any stack.
    calls = 0
    for target in make_targets():
        body = recipe(target)
        if "$(call deploy_stack," in body:
            calls += body.count("$(call deploy_stack,")
            assert "$(call require_bucket)" in body.split("$(call deploy_stack,")[0], \
                f"{target} deploys before checking the deployment bucket"
    wanted = sum(len(env_stack_names(env)) for env in env_names())
    assert calls >= wanted, f"{calls} deploy_stack calls for {wanted} environment stacks"


def test_dep_01_documented_deploy_commands_pass_the_deployment_bucket():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    problems = []
    for path in docs:
        for line in logical_lines(path.read_text()):
            if re.match(r"\s*(\$ )?aws cloudformation deploy\b", line) and "--s3-bucket" not in line:
                problems.append(f"{path.relative_to(ROOT)}: {line.strip()[:160]}")
    assert not problems, "documented inline deploys:\n" + "\n".join(problems)
    assert README.count("--s3-bucket") >= sum(len(env_stack_names(env)) for env in env_names())


def test_dep_01_bootstrap_template_fits_an_inline_deploy_and_the_rest_fit_s3():
    size = BOOTSTRAP.stat().st_size
    assert size <= INLINE_LIMIT, f"templates/bootstrap.yaml is {size} bytes; make bootstrap deploys it inline (max {INLINE_LIMIT})"
    for name in template_names():
        size = (ROOT / "templates" / f"{name}.yaml").stat().st_size
        assert size <= S3_LIMIT, f"templates/{name}.yaml is {size} bytes, over CloudFormation's {S3_LIMIT} from S3"


def bucket_policy_for(tpl, logical):
    return next(r for r in tpl["Resources"].values()
                if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": logical})


def hardening_problems(tpl, logical):
    res = tpl["Resources"][logical]
    props = res["Properties"]
    problems = []
    block = props.get("PublicAccessBlockConfiguration") or {}
    for key in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
        if block.get(key) is not True:
            problems.append(f"{logical}: PublicAccessBlockConfiguration.{key} is not true")
    if (props.get("VersioningConfiguration") or {}).get("Status") != "Enabled":
        problems.append(f"{logical}: versioning off")
    rules = (props.get("OwnershipControls") or {}).get("Rules") or []
    if [r.get("ObjectOwnership") for r in rules] != ["BucketOwnerEnforced"]:
        problems.append(f"{logical}: ObjectOwnership is not BucketOwnerEnforced (ACLs stay on)")
    enc = ((props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or [{}])[0]
    if not (enc.get("ServerSideEncryptionByDefault") or {}).get("SSEAlgorithm"):
        problems.append(f"{logical}: no default encryption")
    life = (props.get("LifecycleConfiguration") or {}).get("Rules") or []
    enabled = [r for r in life if r.get("Status") == "Enabled"]
    if not any("NoncurrentVersionExpiration" in r for r in enabled):
        problems.append(f"{logical}: old versions never expire")
    if not any("AbortIncompleteMultipartUpload" in r for r in enabled):
        problems.append(f"{logical}: incomplete uploads never expire")
    try:
        policy = bucket_policy_for(tpl, logical)["Properties"]["PolicyDocument"]
    except StopIteration:
        return problems + [f"{logical}: no bucket policy"]
    tls = [st for st in policy["Statement"] if st.get("Effect") == "Deny"
           and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in (False, "false")]
    resources = [r for st in tls for r in (st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]])]
    bucket_level = {"Fn::GetAtt": [logical, "Arn"]} in resources
    object_level = {"Fn::Sub": f"${{{logical}.Arn}}/*"} in resources
    if not (bucket_level and object_level):
        problems.append(f"{logical}: the policy does not deny plain HTTP to the bucket and its objects")
    return problems


def test_dep_01_deployment_bucket_is_hardened():
    tpl = template("bootstrap")
    buckets = {k: r for k, r in tpl["Resources"].items() if r["Type"] == "AWS::S3::Bucket"}
    deploy = next((k for k, r in buckets.items()
                   if r["Properties"].get("BucketName") == {"Fn::Sub": f"{PROJECT}-deploy-${{AWS::AccountId}}-${{AWS::Region}}"}), None)
    assert deploy, f"no bucket named {PROJECT}-deploy-<account>-<region>, the name the Makefile uploads to"
    props = buckets[deploy]["Properties"]
    problems = hardening_problems(tpl, deploy)
    enc = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    key = enc["ServerSideEncryptionByDefault"].get("KMSMasterKeyID")
    if enc["ServerSideEncryptionByDefault"]["SSEAlgorithm"] != "aws:kms" or enc.get("BucketKeyEnabled") is not True:
        problems.append(f"{deploy}: not SSE-KMS with an S3 Bucket Key")
    key_id = key.get("Fn::GetAtt", [None])[0] if isinstance(key, dict) else None
    if key_id not in tpl["Resources"] or tpl["Resources"][key_id]["Properties"].get("EnableKeyRotation") is not True:
        problems.append(f"{deploy}: the KMS key is not a rotated key of this template")
    logs = (props.get("LoggingConfiguration") or {}).get("DestinationBucketName")
    if not (isinstance(logs, dict) and logs.get("Ref") in buckets and logs.get("Ref") != deploy):
        problems.append(f"{deploy}: access logs do not go to a log bucket of this stack")
    else:
        problems += hardening_problems(tpl, logs["Ref"])
    if not any("ExpirationInDays" in r for r in props["LifecycleConfiguration"]["Rules"]):
        problems.append(f"{deploy}: template copies never expire")
    assert not problems, "templates/bootstrap.yaml:\n" + "\n".join(problems)


# --------------------------------------------------------------------------
# DEP-06: one first-deploy order everywhere; preflight only reads

STEP_MD = re.compile(r"^(\d+)\. `([^`]+)`: (.+)$", re.M)
STEP_MAKE = re.compile(r"^\t@echo '  (\d+)\. ([^:]+): (.+)'$", re.M)


def readme_steps():
    return [(int(n), cmd) for n, cmd, _ in STEP_MD.findall(section(README, "## First deployment"))]


def docs_steps():
    text = (ROOT / "docs" / "pipeline.md").read_text()
    return [(int(n), cmd) for n, cmd, _ in STEP_MD.findall(section(text, "## First deployment, in this order"))]


def make_help_steps():
    return [(int(n), cmd) for n, cmd, _ in STEP_MAKE.findall(recipe("help"))]


def expected_steps():
    """The agreed order, for what this project has."""
    pipeline = answers()["pipeline"]
    has_pipeline = bool(pipeline["stages"])
    deploy_roles = any(s["scope"] == "account" for s in STACKS)
    steps = ["make venv && make test"]
    if has_pipeline:
        steps.append(f"git push origin {pipeline['branch']}")
    steps += ["make bootstrap", "make preflight ENV=<env>"]
    if deploy_roles:
        steps.append("make deploy-role ENV=<env>")
    if has_pipeline:
        steps.append("make deploy-pipeline")
    steps.append("make deploy ENV=<env>")
    return list(enumerate(steps, 1))


def test_dep_06_first_deploy_order_is_the_same_in_readme_docs_and_make_help():
    want = expected_steps()
    assert readme_steps() == want, f"README.md First deployment: {readme_steps()}, want {want}"
    assert make_help_steps() == want, f"make help: {make_help_steps()}, want {want}"
    if answers()["pipeline"]["stages"]:
        assert docs_steps() == readme_steps(), \
            f"docs/pipeline.md lists {docs_steps()}, README.md lists {readme_steps()}"


def test_dep_06_first_deploy_steps_run_existing_targets_and_push_the_watched_repository():
    targets = set(make_targets())
    for _, cmd in expected_steps():
        for target in re.findall(r"\bmake ([a-z-]+)", cmd):
            assert target in targets, f"step {cmd!r}: the Makefile has no target {target}"
    pipeline = answers()["pipeline"]
    if pipeline["stages"]:
        push = next(line for line in STEP_MD.findall(section(README, "## First deployment")) if line[1].startswith("git push"))
        assert md(pipeline["repository"]) in push[2], f"the push step does not name {pipeline['repository']}: {push}"
        assert push[1] == f"git push origin {pipeline['branch']}", push


READ_ONLY_CALL = re.compile(r"^(get|describe|list|head)_[a-z_]+$")


def test_dep_06_preflight_only_reads():
    """Every AWS call scripts/preflight.py makes is a Get/Describe/List/Head."""
    tree = ast.parse((ROOT / "scripts" / "preflight.py").read_text())
    clients = {"sts", "iam", "cfn", "connections", "s3"{% endraw %}{% if security.existing_trail %}, "cloudtrail"{% endif %}{% raw %}}
    calls = [node.func.attr for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and isinstance(node.func.value, ast.Name) and node.func.value.id in clients]
    assert calls, "preflight.py makes no AWS call"
    writes = [c for c in calls if not READ_ONLY_CALL.match(c)]
    assert not writes, f"preflight.py calls {writes}; it must not change anything"
    assert "scripts/preflight.py $(ENV)" in recipe("preflight")
{%- endraw %}
{%- if security.existing_trail %}
{% raw %}

class FakeCloudTrail:
    """describe_trails / get_trail_status answers for scripts/preflight.py's trail check."""

    def __init__(self, trails, logging):
        self.trails, self.logging = trails, logging

    def describe_trails(self, includeShadowTrails):
        assert includeShadowTrails is True
        return {"trailList": self.trails}

    def get_trail_status(self, Name):
        return {"IsLogging": self.logging[Name]}


def preflight_trail_results(trails, logging):
    import importlib.util

    spec = importlib.util.spec_from_file_location("preflight", ROOT / "scripts" / "preflight.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.check_account_trail(FakeCloudTrail(trails, logging))
    return module.RESULTS


def test_dep_06_preflight_requires_a_logging_multi_region_account_trail():
    """security.account_trail is existing: preflight fails unless a multi-region trail logs."""
    org = {"Name": "org", "TrailARN": "arn:t/org", "IsMultiRegionTrail": True, "IsOrganizationTrail": True}
    local = {"Name": "local", "TrailARN": "arn:t/local", "IsMultiRegionTrail": False}
    assert preflight_trail_results([], {}) == ["FAIL"]
    assert preflight_trail_results([local], {"arn:t/local": True}) == ["FAIL"]
    assert preflight_trail_results([org], {"arn:t/org": False}) == ["FAIL"]
    assert preflight_trail_results([local, org], {"arn:t/local": True, "arn:t/org": True}) == ["ok"]
    assert "check_account_trail(" in (ROOT / "scripts" / "preflight.py").read_text().split("def main(")[1]
{% endraw %}
{%- endif %}


def test_prj_04_readme_lists_every_resource_a_deleted_stack_keeps():
    """Every resource whose DeletionPolicy keeps it, in every stack make destroy or the pipeline's
    deletion removes, is a row of the README's Destroy table, and every row is such a resource."""
    p = answers()["project"]["name"]
    rows = set()
    for line in section(README, "## Destroy").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[2].startswith("AWS::"):
            rows.add((cells[0], cells[1]))
    assert rows, "the README's Destroy section has no table of kept resources"
    kept = set()
    for s in STACKS:
        if s["scope"] == "account":
            continue
        label = f"{p}-{s['name']}" if s["scope"] == "pipeline" else s["name"]
        tpl = template(s["template"].rsplit("/", 1)[-1].removesuffix(".yaml"))
        for logical, res in (tpl.get("Resources") or {}).items():
            if str(res.get("DeletionPolicy")) in ("Retain", "Snapshot", "RetainExceptOnCreate"):
{%- if security.existing_trail %}
                if res.get("Condition") == "IsTrailOwner":
                    continue  # security.account_trail is existing: never created
{%- endif %}
                kept.add((label, logical))
    assert not kept - rows, f"kept on deletion but not in the README: {sorted(kept - rows)}"
    assert not rows - kept, f"in the README but not kept by any template: {sorted(rows - kept)}"
