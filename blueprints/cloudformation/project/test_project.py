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
CONTROLS_DOC = (ROOT / "docs" / "controls.md").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
PROJECT = answers()["project"]["name"]
CONTROL_ID = re.compile(r"^[A-Z]+-\d{2}$")
TEST_FUNCTION = re.compile(r"^\s*def (test_([a-z]+)_(\d{2})_\w+)\s*\(", re.M)
# The controls this blueprint claims in every project.
PROJECT_CONTROLS = [f"GEN-0{i}" for i in range(1, 8)] + [f"PRJ-0{i}" for i in range(1, 6)]


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


def test_prj_01_readme_lists_every_parameter_with_each_environment_value():
    problems = []
    for s in STACKS:
        declared = template(s["template"].removeprefix("templates/").removesuffix(".yaml")).get("Parameters") or {}
        if not declared:
            continue
        heading = f"### Stack `{s['name']}` ({s['template']}, {s['scope']} scope)"
        if heading + "\n" not in README:
            problems.append(f"README.md has no section {heading!r}")
            continue
        rows = {row[0].strip("`"): row for row in table_rows(section(README, heading))}
        for pname in declared:
            if pname not in rows:
                problems.append(f"{s['name']}: parameter {pname} is not in the README")
                continue
            labels = ["pipeline"] if s["scope"] == "pipeline" else env_names()
            for label, cell in zip(labels, rows[pname][-len(labels):]):
                given = params(label).get(s["name"], {}).get("Parameters", {})
                want = md(given[pname]) if pname in given else "—"
                if cell != want:
                    problems.append(f"{s['name']}.{pname} for {label}: README shows {cell!r}, params say {want!r}")
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
    assert ("**Warning: the application is open to the whole internet (NET-08).**" in README) == public


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
    assert ("## Warning: public ingress (NET-08)" in CONTROLS_DOC) == public


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
    for env in env_names():
        deployed = deployed_by_make(env)
        if deployed != env_stack_names(env):
            problems.append(f"deploy-{env} deploys {deployed}, params/{env}.json needs {env_stack_names(env)}")
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
{%- endraw %}
