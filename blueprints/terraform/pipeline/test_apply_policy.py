"""DEP-02: the apply policy names the project's resources, and every name the
modules give a resource (and the names AWS gives the log groups it creates for
them, and the state bucket and lock table the backend uses) is one the policy
allows, in every environment.

The names are evaluated offline from the parsed HCL: each environment root's
terraform.tfvars feeds its module calls, module calls feed nested modules.
A part of a name that cannot be known before the apply (each.key, count.index,
an id) evaluates to "0", so a name that does not start with the project's
prefix can never pass by accident.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from hcl_helpers import ROOT, env_dirs, load, tfvars, value

POLICY = json.loads((ROOT / "modules" / "pipeline" / "apply-policy.json").read_text(encoding="utf-8"))
ANSWERS = yaml.safe_load((ROOT / ".stackwright" / "answers.yaml").read_text(encoding="utf-8"))
PROJECT = ANSWERS["project"]["name"]
PARTITION = re.search(r'"arn:([a-z-]+):', json.dumps(POLICY)).group(1)
TRAVERSAL = re.compile(r'[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\["[^"]*"\]|\[\d+\])*')
UNKNOWN = "0"
# IAM's managed-policy limit, in characters without whitespace.
MANAGED_POLICY_LIMIT = 6144

# Resource type -> (naming attribute, ARN template, an action the apply takes on it).
# {n} is the evaluated name, {p} the partition, {r} the region, {a} the account.
NAMED = {
    "aws_s3_bucket": [("bucket", "arn:{p}:s3:::{n}", "s3:CreateBucket"),
                      ("bucket", "arn:{p}:s3:::{n}/any-object", "s3:PutObject")],
    "aws_cloudwatch_log_group": [("name", "arn:{p}:logs:{r}:{a}:log-group:{n}", "logs:CreateLogGroup")],
    "aws_sns_topic": [("name", "arn:{p}:sns:{r}:{a}:{n}", "sns:CreateTopic")],
    "aws_sqs_queue": [("name", "arn:{p}:sqs:{r}:{a}:{n}", "sqs:CreateQueue")],
    "aws_lambda_function": [("function_name", "arn:{p}:lambda:{r}:{a}:function:{n}", "lambda:CreateFunction"),
                            ("function_name", "arn:{p}:logs:{r}:{a}:log-group:/aws/lambda/{n}", "logs:PutRetentionPolicy")],
    "aws_cloudwatch_metric_alarm": [("alarm_name", "arn:{p}:cloudwatch:{r}:{a}:alarm:{n}", "cloudwatch:PutMetricAlarm")],
    "aws_cloudwatch_dashboard": [("dashboard_name", "arn:{p}:cloudwatch::{a}:dashboard/{n}", "cloudwatch:PutDashboard")],
    "aws_cloudwatch_event_rule": [("name", "arn:{p}:events:{r}:{a}:rule/{n}", "events:PutRule")],
    "aws_db_instance": [("identifier", "arn:{p}:rds:{r}:{a}:db:{n}", "rds:CreateDBInstance"),
                        ("final_snapshot_identifier", "arn:{p}:rds:{r}:{a}:snapshot:{n}", "rds:DeleteDBInstance")],
    "aws_rds_cluster": [("cluster_identifier", "arn:{p}:rds:{r}:{a}:cluster:{n}", "rds:CreateDBCluster"),
                        ("final_snapshot_identifier", "arn:{p}:rds:{r}:{a}:cluster-snapshot:{n}", "rds:DeleteDBCluster")],
    "aws_rds_cluster_instance": [("identifier", "arn:{p}:rds:{r}:{a}:db:{n}", "rds:CreateDBInstance")],
    "aws_db_subnet_group": [("name", "arn:{p}:rds:{r}:{a}:subgrp:{n}", "rds:CreateDBSubnetGroup")],
    "aws_db_parameter_group": [("name", "arn:{p}:rds:{r}:{a}:pg:{n}", "rds:CreateDBParameterGroup")],
    "aws_rds_cluster_parameter_group": [("name", "arn:{p}:rds:{r}:{a}:cluster-pg:{n}", "rds:CreateDBClusterParameterGroup")],
    "aws_db_option_group": [("name", "arn:{p}:rds:{r}:{a}:og:{n}", "rds:CreateOptionGroup")],
    "aws_ecs_cluster": [("name", "arn:{p}:ecs:{r}:{a}:cluster/{n}", "ecs:CreateCluster"),
                        ("name", "arn:{p}:logs:{r}:{a}:log-group:/aws/ecs/containerinsights/{n}/performance", "logs:PutRetentionPolicy")],
    "aws_ecs_service": [("name", "arn:{p}:ecs:{r}:{a}:service/{cluster}/{n}", "ecs:CreateService")],
    "aws_ecs_task_definition": [("family", "arn:{p}:ecs:{r}:{a}:task-definition/{n}:1", "ecs:RegisterTaskDefinition")],
    "aws_autoscaling_group": [("name", "arn:{p}:autoscaling:{r}:{a}:autoScalingGroup:{u}:autoScalingGroupName/{n}", "autoscaling:CreateAutoScalingGroup")],
    "aws_cloudtrail": [("name", "arn:{p}:cloudtrail:{r}:{a}:trail/{n}", "cloudtrail:CreateTrail")],
    "aws_ssm_parameter": [("name", "arn:{p}:ssm:{r}:{a}:parameter/{n}", "ssm:GetParameter")],
    "aws_kms_alias": [("name", "arn:{p}:kms:{r}:{a}:{n}", "kms:CreateAlias")],
    "aws_iam_role": [("name", "arn:{p}:iam::{a}:role/{n}", "iam:CreateRole")],
    "aws_iam_instance_profile": [("name", "arn:{p}:iam::{a}:instance-profile/{n}", "iam:CreateInstanceProfile")],
    "aws_dynamodb_table": [("name", "arn:{p}:dynamodb:{r}:{a}:table/{n}", "dynamodb:PutItem")],
}
# Named resources whose service the policy keeps broad (see the policy's
# documentation in modules/pipeline/README.md): their names need no pattern.
BROAD = {
    "aws_security_group": "ec2:CreateSecurityGroup",
    "aws_launch_template": "ec2:CreateLaunchTemplate",
}
# Attributes that name a resource: a type that has one must be in NAMED or BROAD.
NAMING = ("name", "name_prefix", "bucket", "bucket_prefix", "function_name", "identifier", "cluster_identifier",
          "family", "alarm_name", "dashboard_name")
# Types whose `name` names nothing of their own (an inline policy, a parameter
# of a group, a tag key) or whose naming attribute references another resource.
NOT_NAMING = {"aws_iam_role_policy", "aws_autoscaling_policy", "aws_ssm_parameter_data", "aws_s3_bucket_logging",
              "aws_s3_bucket_policy", "aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block",
              "aws_s3_bucket_ownership_controls", "aws_s3_bucket_server_side_encryption_configuration",
              "aws_s3_bucket_lifecycle_configuration"}


# --------------------------------------------------------------------------
# offline evaluation of name expressions


class Scope:
    """The variables, locals and resources of one module instance."""

    def __init__(self, folder: Path, inputs: dict, parent: "Scope | None", facts: dict):
        self.folder, self.inputs, self.parent, self.facts = folder, inputs, parent, facts
        self.locals, self.variables, self.resources, self.modules, self.data = {}, {}, {}, {}, {}
        for path in sorted(folder.glob("*.tf")):
            doc = load(path)
            for block in doc.get("locals", []):
                self.locals.update({k: v for k, v in block.items() if not k.startswith("__")})
            for block in doc.get("variable", []):
                self.variables.update(block)
            for block in doc.get("resource", []):
                for rtype, named in block.items():
                    for name, attrs in named.items():
                        self.resources[(rtype, name)] = (path, attrs)
            for block in doc.get("module", []):
                self.modules.update(block)
            for block in doc.get("data", []):
                for dtype, named in block.items():
                    for name, attrs in named.items():
                        self.data[(dtype, name)] = (path, attrs)

    def var(self, name: str):
        if name in self.inputs:
            raw, where = self.inputs[name]
            return where.evaluate(raw)
        default = value(self.variables.get(name, {}), "default")
        return UNKNOWN if default is None else default

    def ref(self, expr: str):
        """A traversal: var.x, local.x, data.<type>.<name>.<attr>, <type>.<name>[i].<attr>, each.key ..."""
        expr = expr.strip()
        if not TRAVERSAL.fullmatch(expr):
            return UNKNOWN
        parts = re.findall(r'[A-Za-z_][\w-]*|\["[^"]*"\]|\[\d+\]', expr)
        head = parts[0]
        if head == "var":
            result = self.var(parts[1])
            rest = parts[2:]
        elif head == "local":
            result = self.evaluate(value(self.locals, parts[1], UNKNOWN))
            rest = parts[2:]
        elif head == "data":
            return self.facts.get(f"{parts[1]}.{parts[3]}", UNKNOWN) if len(parts) > 3 else UNKNOWN
        elif head in ("each", "count", "module", "path", "self"):
            return UNKNOWN
        else:
            found = self.resources.get((head, parts[1])) if len(parts) > 1 else None
            rest = [p for p in parts[2:] if not p.startswith("[")]
            if not found or not rest:
                return UNKNOWN
            attrs = found[1]
            # An id or ARN of a named resource stands for its name in the ARNs
            # of the resources under it (an ECS service's cluster).
            attribute = rest[0] if rest[0] in attrs else next((a for a in NAMING if a in attrs), None)
            return UNKNOWN if attribute is None else self.evaluate(value(attrs, attribute))
        for part in rest:
            key = part.strip('[]"') if part.startswith("[") else part
            result = result.get(key, UNKNOWN) if isinstance(result, dict) else UNKNOWN
        return result

    def evaluate(self, raw):
        """A string with ${...} interpolations, innermost first; a conditional
        yields the candidates of both branches (a list)."""
        if isinstance(raw, list) and len(raw) == 1:
            raw = raw[0]
        if not isinstance(raw, str):
            return raw
        whole = re.fullmatch(r"\$\{([^{}]*)\}", raw)
        if whole:
            return self.expression(whole.group(1))
        candidates = [raw]
        while any(re.search(r"\$\{[^{}]*\}", c) for c in candidates):
            out = []
            for text in candidates:
                m = re.search(r"\$\{([^{}]*)\}", text)
                if not m:
                    out.append(text)
                    continue
                got = self.expression(m.group(1))
                for g in got if isinstance(got, list) else [got]:
                    out.append(text[: m.start()] + ("" if g is None else str(g)) + text[m.end():])
            candidates = out
        return candidates[0] if len(candidates) == 1 else candidates

    def expression(self, expr: str):
        cond = re.fullmatch(r'(.+?)\s*\?\s*(".*?"|None|null|[^:]+?)\s*:\s*(".*"|None|null|.+)', expr.strip())
        if cond:
            out = []
            for branch in (cond.group(2), cond.group(3)):
                branch = branch.strip()
                if branch in ("None", "null"):
                    continue
                got = self.evaluate(branch[1:-1]) if branch.startswith('"') else self.ref(branch)
                out += got if isinstance(got, list) else [got]
            return out
        return self.ref(expr)


def env_facts(env: Path) -> dict:
    values = tfvars(env)
    return {
        "aws_caller_identity.account_id": values.get("account_id") or "111122223333",
        "aws_region.id": values["region"],
        "aws_region.name": values["region"],
        "aws_partition.partition": PARTITION,
    }


def instances(env: Path):
    """Every module instance of an environment, the root first."""
    facts = env_facts(env)
    values = tfvars(env)
    root = Scope(env, {}, None, facts)
    root.var = lambda name: values.get(name, value(root.variables.get(name, {}), "default", UNKNOWN))
    todo = [root]
    while todo:
        scope = todo.pop(0)
        yield scope
        for call in scope.modules.values():
            source = value(call, "source")
            if not str(source).startswith("."):
                continue
            inputs = {k: (v, scope) for k, v in call.items() if k != "source" and not k.startswith("__")}
            todo.append(Scope((scope.folder / source).resolve(), inputs, scope, facts))


def names(scope: Scope, attrs: dict, attribute: str) -> list[str]:
    got = scope.evaluate(value(attrs, attribute))
    return [str(g) for g in (got if isinstance(got, list) else [got]) if g is not None]


def planned_arns(env: Path) -> list[tuple[str, str, str]]:
    """(where, ARN, action) for every named resource of an environment."""
    facts = env_facts(env)
    fill = {"p": PARTITION, "r": facts["aws_region.id"], "a": facts["aws_caller_identity.account_id"], "u": UNKNOWN}
    found = []
    for scope in instances(env):
        for (rtype, rname), (path, attrs) in sorted(scope.resources.items()):
            where = f"{path.parent.name}/{path.name}: {rtype}.{rname} (in {env.name})"
            if rtype in BROAD or rtype in NOT_NAMING:
                continue
            if rtype not in NAMED:
                naming = [a for a in NAMING if a in attrs]
                assert not naming, (f"{where} is named by {naming[0]}, but the apply policy's name check does not know "
                                    f"{rtype}: add it to NAMED (its ARN) or BROAD in this file, and its pattern to the policy")
                continue
            for attribute, template, action in NAMED[rtype]:
                if attribute not in attrs:
                    continue
                cluster = scope.evaluate(value(attrs, "cluster", UNKNOWN)) if rtype == "aws_ecs_service" else UNKNOWN
                for name in names(scope, attrs, attribute):
                    if rtype == "aws_ssm_parameter":
                        name = name.lstrip("/")
                    found.append((where, template.format(n=name, cluster=cluster, **fill), action))
            # Log groups RDS creates for the exported logs of the database.
            if rtype in ("aws_db_instance", "aws_rds_cluster") and "enabled_cloudwatch_logs_exports" in attrs:
                kind = "instance" if rtype == "aws_db_instance" else "cluster"
                attribute = "identifier" if kind == "instance" else "cluster_identifier"
                exports = (tfvars(env).get("database") or {}).get("log_exports", []) + ["audit"]
                for name in names(scope, attrs, attribute):
                    for log in exports:
                        found.append((where, f"arn:{PARTITION}:logs:{fill['r']}:{fill['a']}:log-group:/aws/rds/{kind}/{name}/{log}",
                                      "logs:PutRetentionPolicy"))
        # Parameters the modules read: public ones carry no account in their ARN.
        for (dtype, dname), (path, attrs) in sorted(scope.data.items()):
            if dtype == "aws_ssm_parameter":
                for name in names(scope, attrs, "name"):
                    account = "" if name.startswith("/aws/service/") else fill["a"]
                    found.append((f"{path.parent.name}/{path.name}: data.{dtype}.{dname} (in {env.name})",
                                  f"arn:{PARTITION}:ssm:{fill['r']}:{account}:parameter/{name.lstrip('/')}", "ssm:GetParameter"))
    return found


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags read as their plain values."""


CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: loader.construct_scalar(node)
                                if isinstance(node, yaml.ScalarNode) else None)


def cfn(rel: str) -> dict:
    return yaml.load((ROOT / rel).read_text(encoding="utf-8"), Loader=CfnLoader)


def backend_arns() -> list[tuple[str, str, str]]:
    """The state bucket and lock table of bootstrap/state.yaml, as the backend names them."""
    found = []
    for logical, res in cfn("bootstrap/state.yaml")["Resources"].items():
        props = res.get("Properties") or {}
        if logical == "StateBucket":
            bucket = props["BucketName"].replace("${AWS::AccountId}", "111122223333")
            found += [(f"bootstrap/state.yaml: {logical}", f"arn:{PARTITION}:s3:::{bucket}", "s3:ListBucket"),
                      (f"bootstrap/state.yaml: {logical}", f"arn:{PARTITION}:s3:::{bucket}/envs/x/terraform.tfstate",
                       "s3:PutObject")]
        elif res["Type"] == "AWS::DynamoDB::Table":
            found.append((f"bootstrap/state.yaml: {logical}",
                          f"arn:{PARTITION}:dynamodb:eu-west-1:111122223333:table/{props['TableName']}", "dynamodb:PutItem"))
    return found


# --------------------------------------------------------------------------
# IAM evaluation (Allow unless an explicit Deny; wildcards as IAM reads them)


def wildcard(pattern: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.I | re.S)


def listed(statement: dict, key: str) -> list[str]:
    got = statement.get(key, [])
    return [got] if isinstance(got, str) else got


def allowed(policy: dict, action: str, arn: str) -> bool:
    def matches(s):
        return (any(wildcard(a).fullmatch(action) for a in listed(s, "Action"))
                and any(wildcard(r).fullmatch(arn) for r in listed(s, "Resource")))
    statements = policy["Statement"]
    return (any(s["Effect"] == "Allow" and "Condition" not in s and matches(s) for s in statements)
            and not any(s["Effect"] == "Deny" and matches(s) for s in statements))


def unmatched(policy: dict, arns: list[tuple[str, str, str]]) -> list[str]:
    return [f"{where}: {action} on {arn}" for where, arn, action in arns if not allowed(policy, action, arn)]


# --------------------------------------------------------------------------


@pytest.mark.parametrize("env", env_dirs(), ids=[e.name for e in env_dirs()])
def test_dep_02_every_planned_name_matches_the_apply_policy(env):
    arns = planned_arns(env)
    assert len(arns) >= 10, f"{env.name}: only {len(arns)} named resources found; the evaluation lost the modules"
    missing = unmatched(POLICY, arns)
    assert not missing, "names outside the apply policy's patterns (the apply would fail on AccessDenied):\n" + "\n".join(missing)


def test_dep_02_state_bucket_and_lock_table_match_the_apply_policy():
    arns = backend_arns()
    assert arns, "bootstrap/state.yaml names no state bucket"
    missing = unmatched(POLICY, arns)
    assert not missing, "\n".join(missing)


def test_dep_02_the_name_check_catches_a_name_outside_the_prefix(tmp_path):
    """The check itself: a module whose topic escapes the project's prefix fails it."""
    module = tmp_path / "modules" / "planted"
    module.mkdir(parents=True)
    (module / "main.tf").write_text('variable "name" {\n  type = string\n}\n\nresource "aws_sns_topic" "planted" {\n'
                                    '  name = "shared-${var.name}"\n}\n')
    env = tmp_path / "envs" / "planted"
    env.mkdir(parents=True)
    (env / "main.tf").write_text('locals {\n  name = "${var.tags["Project"]}-${var.environment}"\n}\n\n'
                                 'module "planted" {\n  source = "../../modules/planted"\n  name   = local.name\n}\n')
    tags = "tags = { Project = " + json.dumps(PROJECT) + " }\n"
    (env / "terraform.tfvars").write_text('region = "eu-west-1"\nenvironment = "planted"\naccount_id = ""\n' + tags)
    missing = unmatched(POLICY, planned_arns(env))
    assert missing and f":sns:eu-west-1:111122223333:shared-{PROJECT}-planted" in missing[0], missing


def test_dep_02_no_service_action_on_every_resource_but_the_documented_ones():
    """Service-wide actions only on the project's names; on "*" only the
    account-level actions and the two services kept broad (ec2, kms keys)."""
    for s in POLICY["Statement"]:
        if s["Effect"] != "Allow" or listed(s, "Resource") != ["*"]:
            continue
        for action in listed(s, "Action"):
            assert action == "ec2:*" or not action.endswith(":*"), f"{s['Sid']}: {action} on every resource"
    for s in POLICY["Statement"]:
        for resource in listed(s, "Resource"):
            if resource == "*" or s["Effect"] == "Deny":
                continue
            service = resource.split(":")[2]
            broad = (service == "kms" and resource.endswith(":key/*")) or resource.endswith(":iam::aws:policy/*") \
                or ":role/aws-service-role/" in resource or resource.endswith(":secret:rds!*") \
                or ":default" in resource or ":parameter/aws/service/" in resource
            assert broad or f"{PROJECT}-" in resource or f"/{PROJECT}/" in resource, \
                f"{s['Sid']}: {resource} is not limited to the project's names"


def test_dep_02_apply_role_carries_the_same_allow_statements():
    """bootstrap/apply-role.yaml (other accounts) and apply-policy.json (the
    pipeline's account) allow the same actions on the same names."""
    role = cfn("bootstrap/apply-role.yaml")
    document = role["Resources"]["ApplyRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    role_allows = [s for s in document["Statement"] if s["Effect"] == "Allow"]
    policy_allows = [s for s in POLICY["Statement"] if s["Effect"] == "Allow"]
    as_json = json.loads(json.dumps(role_allows).replace("${AWS::Partition}", PARTITION))
    assert as_json == policy_allows


def test_dep_02_policy_fits_a_managed_policy():
    size = len(re.sub(r"\s", "", json.dumps(POLICY)))
    assert size <= MANAGED_POLICY_LIMIT, f"apply-policy.json has {size} characters; IAM allows {MANAGED_POLICY_LIMIT}"


def test_dep_02_actions_on_every_resource_have_no_resource_level_permission():
    """On "*" only actions that the Service Authorization Reference gives no
    resource type (cfn-lint's table of it, the pinned cfn-lint of
    requirements-dev.txt), besides ec2:* (kept broad, see the module's README);
    and every action the policy names exists."""
    cfnlint = pytest.importorskip("cfnlint", reason="cfn-lint (requirements-dev.txt) holds the IAM action table")
    table = json.loads((Path(cfnlint.__file__).parent / "data" / "AdditionalSpecs" / "Policies.json").read_text())
    for s in POLICY["Statement"]:
        for action in listed(s, "Action"):
            service, _, name = action.partition(":")
            known = (table.get(service) or {}).get("Actions") or {}
            hits = [k for k in known if wildcard(name).fullmatch(k)]
            assert hits, f"{s['Sid']}: IAM knows no action {action}"
            if listed(s, "Resource") == ["*"] and action != "ec2:*":
                scoped = [k for k in hits if known[k].get("Resources")]
                assert not scoped, f"{s['Sid']}: {service}:{scoped[0]} has resource-level permissions; name its resources"
