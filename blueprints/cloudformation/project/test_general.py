{% raw -%}
"""GEN-01..GEN-07 over EVERY template in templates/, whichever blueprint wrote it.

These are the controls every stack shares: collision-free names, the standard
tags, validated parameters, no hard-coded region/AZ/partition, exported
outputs, explicit deletion behaviour and no secrets. They read the rendered
templates, params/<env>.json and .stackwright/answers.yaml; nothing here
touches AWS. A failure names the template, the resource and what to change.
"""

import json
import re

import pytest
import yaml
from cfnlint.helpers import REGIONS
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from helpers import (
    ACCOUNT_REGION_TEMPLATES,
    ROOT,
    STACKS,
    answers,
    env_names,
    environment,
    is_production,
    param_sets,
    params,
    resources,
    sub_text,
    template,
    template_names,
    walk,
)

TEMPLATES = template_names()
PROJECT = answers()["project"]
REGION = answers()["region"]

each_template = pytest.mark.parametrize("name", TEMPLATES)


# --------------------------------------------------------------------------
# intrinsic-function helpers

SUB_VARIABLE = re.compile(r"\$\{(?!!)([^}]+)\}")


def sub_variables(text):
    """${X} and ${X.Attr} names of an Fn::Sub string (not the ${!Literal} escapes)."""
    return {v.strip() for v in SUB_VARIABLE.findall(text)}


def refers(node):
    """Names a fragment depends on: Ref targets, GetAtt logical ids, Sub variables."""
    found = set()
    for value in walk(node):
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("Ref"), str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(target.split(".")[0] if isinstance(target, str) else target[0])
        text = sub_text(value)
        if isinstance(text, str):
            for var in sub_variables(text):
                found.add(var if var.startswith("AWS::") else var.split(".")[0])
    return found


def branches(value):
    """The possible values of a property: both sides of Fn::If, minus AWS::NoValue."""
    if isinstance(value, dict) and "Fn::If" in value:
        for side in value["Fn::If"][1:]:
            yield from branches(side)
    elif not (isinstance(value, dict) and value.get("Ref") == "AWS::NoValue"):
        yield value


def literal_text(node):
    """The literal parts of a name: the Sub format string, or the strings of a Join."""
    text = sub_text(node)
    if isinstance(text, str):
        return text
    if isinstance(node, dict) and "Fn::Join" in node:
        return "".join(literal_text(p) for p in node["Fn::Join"][1] if not isinstance(p, dict) or sub_text(p))
    return node if isinstance(node, str) else ""


def type_schema(rtype):
    """cfn-lint's copy of the CloudFormation resource schema for this region."""
    return PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, rtype).schema


# --------------------------------------------------------------------------
# GEN-01: names derive from project + environment, never collide

NAME_PROPERTY = re.compile(r"Name$")
IDENTIFIER_PROPERTIES = {"DBInstanceIdentifier", "DBClusterIdentifier"}
# Properties that are physical names but do not end in Name.
EXTRA_NAME_PROPERTIES = {("AWS::ECS::TaskDefinition", "Family")}
# Properties that end in Name but name no resource of their own.
NOT_PHYSICAL = {
    ("*", "MetricName"),  # a CloudWatch metric
    ("*", "DisplayName"),  # free text in notifications
    ("*", "DBName"),  # the database inside an instance
    ("*", "DatabaseName"),  # the database inside a cluster
    ("*", "EngineName"),  # the database engine an option group is for
    ("*", "EventBusName"),  # the bus a rule listens on
    ("AWS::EC2::VPCEndpoint", "ServiceName"),  # the AWS service behind the endpoint
    ("AWS::IAM::Policy", "PolicyName"),  # inline policy: unique per role, not per account
    ("AWS::SSM::Association", "Name"),  # the SSM document it runs
    ("AWS::SSM::Association", "AutomationTargetParameterName"),
}
# Intrinsics whose value is another resource's (already unique) name or id.
REFERENCE_FUNCTIONS = {"Fn::GetAtt", "Fn::ImportValue", "Fn::Select", "Fn::Split", "Fn::GetAZs"}


def name_properties(rtype, props):
    for key, value in props.items():
        named = NAME_PROPERTY.search(key) or key in IDENTIFIER_PROPERTIES or (rtype, key) in EXTRA_NAME_PROPERTIES
        if named and ("*", key) not in NOT_PHYSICAL and (rtype, key) not in NOT_PHYSICAL:
            yield key, value


def name_problem(tpl, rtype, key, value, account_region=False):
    """Why this physical-name value can collide, or None when it cannot.

    account_region: the template is deployed once per account and region (ACCOUNT_REGION_TEMPLATES),
    so a name made of the project, ${AWS::AccountId} and ${AWS::Region} is unique as well."""
    logical_ids = set(tpl.get("Resources", {}))
    declared = set(tpl.get("Parameters", {}) or {})
    for option in branches(value):
        if isinstance(option, (str, int, float)):
            return f"{key} is the literal {option!r}; derive it from the project and ${{EnvironmentName}}"
        if not isinstance(option, dict) or not option:
            return f"{key} has an unexpected value {option!r}"
        func = next(iter(option))
        if func in REFERENCE_FUNCTIONS:
            continue
        if func == "Ref":
            target = option["Ref"]
            if target in logical_ids or target == "AWS::StackName":
                continue
            if target == "EnvironmentName":
                return f"{key} is the bare environment name; add the project: !Sub \"{PROJECT['name']}-${{EnvironmentName}}-...\""
            if target in declared:
                return f"{key} is the parameter {target}; build it with !Sub from the project and ${{EnvironmentName}}"
            return f"{key} is Ref {target}, which is neither a resource nor EnvironmentName"
        if func in ("Fn::Sub", "Fn::Join"):
            used = refers(option)
            text = literal_text(option)
            if rtype == "AWS::S3::Bucket" and "AWS::AccountId" not in used:
                return f"{key} lacks ${{AWS::AccountId}}; S3 bucket names are global"
            if "AWS::StackName" in used or used & logical_ids:
                continue
            if "EnvironmentName" in used and PROJECT["name"] in text:
                continue
            if account_region and {"AWS::AccountId", "AWS::Region"} <= used and PROJECT["name"] in text:
                continue
            return (f"{key} {text!r} must contain ${{AWS::StackName}}, or the project name "
                    f"{PROJECT['name']!r} and ${{EnvironmentName}}")
        return f"{key} uses {func}, which cannot show the name is unique"
    return None


@each_template
def test_gen_01_no_hard_coded_physical_names(name):
    tpl = template(name)
    problems = []
    for logical, res in resources(tpl).items():
        for key, value in name_properties(res.get("Type", ""), res.get("Properties") or {}):
            why = name_problem(tpl, res.get("Type", ""), key, value, name in ACCOUNT_REGION_TEMPLATES)
            if why:
                problems.append(f"{logical} ({res['Type']}): {why}")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


PSEUDO = {"AWS::Region": REGION, "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": ""}


def partition():
    if REGION.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if REGION.startswith("us-gov-") else "aws"


def resolve_name(value, scope_values, logical_ids):
    """The concrete name one environment gets, or None when it depends on a
    value only AWS knows (another resource's generated id)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return None
    if "Ref" in value:
        return scope_values.get(value["Ref"])
    text = sub_text(value)
    if isinstance(text, str):
        local = value["Fn::Sub"][1] if isinstance(value["Fn::Sub"], list) else {}
        out = text
        for var in sub_variables(text):
            if var in local:
                got = resolve_name(local[var], scope_values, logical_ids)
            else:
                got = scope_values.get(var)
            if got is None:
                return None
            out = out.replace("${" + var + "}", str(got))
        return out.replace("${!", "${")
    if "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        got = [resolve_name(p, scope_values, logical_ids) for p in parts]
        return None if any(g is None for g in got) else sep.join(got)
    return None


def deployments():
    """(label, stack name, account, {template: {param: value}}) for every deployment of the project."""
    out = []
    for env in env_names():
        given = params(env)
        account = environment(env).get("account_id") or "123456789012"
        per_template = {}
        for s in STACKS:
            if s["scope"] != "pipeline" and s["name"] in given:
                per_template[s["template"]] = (f"{PROJECT['name']}-{env}-{s['name']}", given[s["name"]]["Parameters"])
        out.append((env, account, per_template))
    if (ROOT / "params" / "pipeline.json").is_file():
        given = params("pipeline")
        per_template = {s["template"]: (f"{PROJECT['name']}-{s['name']}", given[s["name"]]["Parameters"])
                        for s in STACKS if s["scope"] == "pipeline" and s["name"] in given}
        out.append(("pipeline", "123456789012", per_template))
    # The account-level templates (make bootstrap): once in every account that receives stacks.
    accounts = sorted({account for _, account, _ in out})
    for name, stack_name in ACCOUNT_REGION_TEMPLATES.items():
        if (ROOT / "templates" / f"{name}.yaml").is_file():
            for account in accounts:
                out.append((f"{name}@{account}", account, {f"templates/{name}.yaml": (stack_name, {})}))
    return out


def resolved_names():
    """[(env, account, type, property, template, logical id, name)] over every deployment."""
    names = []
    for env, account, per_template in deployments():
        for path, (stack_name, values) in per_template.items():
            tpl = template(path.removeprefix("templates/").removesuffix(".yaml"))
            defaults = {k: str(v.get("Default")) for k, v in (tpl.get("Parameters") or {}).items() if "Default" in v}
            scope_values = {**PSEUDO, **defaults, **values, "AWS::StackName": stack_name,
                            "AWS::AccountId": account, "AWS::Partition": partition()}
            for logical, res in resources(tpl).items():
                rtype = res.get("Type", "")
                for key, value in name_properties(rtype, res.get("Properties") or {}):
                    for option in branches(value):
                        got = resolve_name(option, scope_values, set(tpl.get("Resources", {})))
                        if got is not None:
                            names.append((env, account, rtype, key, path, logical, got))
    return names


def test_gen_01_physical_names_unique_within_each_account():
    """Same-account environments and the pipeline share an account: no name may repeat there."""
    seen = {}
    clashes = []
    for env, account, rtype, key, path, logical, got in resolved_names():
        where = seen.setdefault((account, rtype, key, got.lower()), (env, path, logical))
        if where != (env, path, logical):
            clashes.append(f"{rtype}.{key} {got!r}: {where[0]} {where[1]}:{where[2]} and {env} {path}:{logical}")
    assert not clashes, "\n".join(clashes)


def test_gen_01_physical_names_differ_between_environments():
    owners = {}
    shared = []
    for env, account, rtype, key, path, logical, got in resolved_names():
        where = owners.setdefault((rtype, key, got.lower()), env)
        if where != env:
            shared.append(f"{rtype}.{key} {got!r} ({path}:{logical}) is the same in {where} and {env}")
    assert not shared, "\n".join(shared)


def test_gen_01_resolved_names_fit_aws_limits():
    problems = []
    for env, account, rtype, key, path, logical, got in resolved_names():
        spec = type_schema(rtype).get("properties", {}).get(key, {})
        where = f"{env}: {path}:{logical} {key} {got!r}"
        if "maxLength" in spec and len(got) > spec["maxLength"]:
            problems.append(f"{where} is {len(got)} > {spec['maxLength']} characters")
        try:
            pattern = re.compile(spec["pattern"]) if "pattern" in spec else None
        except re.error:
            pattern = None  # a schema pattern Python cannot read; cfn-lint checks it
        if pattern and not pattern.search(got):
            problems.append(f"{where} does not match {spec['pattern']}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------
# GEN-02: standard tags on every taggable resource

def tag_property(rtype):
    """The top-level property that holds a type's tags, from its CloudFormation schema."""
    if rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource":
        return None
    schema = type_schema(rtype)
    tagging = schema.get("tagging", {})
    props = schema.get("properties", {})
    if tagging.get("taggable") is False:
        return None
    path = tagging.get("tagProperty", "/properties/Tags")
    name = path.removeprefix("/properties/")
    return name if "/" not in name and name in props else None


def expected_tags():
    tags = {"Project": PROJECT["name"], "Owner": PROJECT["owner"], "CostCenter": PROJECT["cost_center"],
            "ManagedBy": "stackwright"}
    tags.update({str(k): str(v) for k, v in (PROJECT.get("tags") or {}).items()})
    return tags


def tag_map(value):
    """Tags as {key: value} from a Key/Value list or a plain map."""
    if isinstance(value, dict):
        return dict(value)
    return {t.get("Key"): t.get("Value") for t in value or [] if isinstance(t, dict)}


def tag_problems(tags, has_env_param):
    problems = []
    for key, want in expected_tags().items():
        if tags.get(key) != want:
            problems.append(f"{key}={tags.get(key)!r} (want {want!r})")
    env = tags.get("Environment")
    if has_env_param and env != {"Ref": "EnvironmentName"}:
        problems.append(f"Environment={env!r} (want !Ref EnvironmentName)")
    elif not env:
        problems.append("no Environment tag")
    return problems


@each_template
def test_gen_02_every_taggable_resource_has_standard_tags(name):
    tpl = template(name)
    has_env_param = "EnvironmentName" in (tpl.get("Parameters") or {})
    problems = []
    for logical, res in resources(tpl).items():
        prop = tag_property(res["Type"])
        if prop is None:
            continue
        value = (res.get("Properties") or {}).get(prop)
        found = [tag_map(v) for v in branches(value)] if value is not None else [{}]
        for tags in found:
            wrong = tag_problems(tags, has_env_param)
            if wrong:
                problems.append(f"{logical} ({res['Type']}.{prop}): " + ", ".join(wrong))
    assert not problems, f"templates/{name}.yaml: use {{{{ cfn_tags(...) }}}}\n" + "\n".join(problems)


@each_template
def test_gen_02_tag_specifications_carry_standard_tags(name):
    """Launch templates and instances tag what they launch through TagSpecifications."""
    tpl = template(name)
    has_env_param = "EnvironmentName" in (tpl.get("Parameters") or {})
    problems = []
    for logical, res in resources(tpl).items():
        for node in walk(res.get("Properties") or {}):
            if isinstance(node, dict) and isinstance(node.get("TagSpecifications"), list):
                for spec in node["TagSpecifications"]:
                    wrong = tag_problems(tag_map(spec.get("Tags")), has_env_param)
                    if wrong:
                        problems.append(f"{logical} TagSpecifications[{spec.get('ResourceType')}]: " + ", ".join(wrong))
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


# --------------------------------------------------------------------------
# GEN-03: every parameter validated, and every value given satisfies it

AWS_SPECIFIC = re.compile(r"^(List<)?AWS::")
LIST_TYPES = re.compile(r"^(CommaDelimitedList|List<.*>)$")


def text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def constraint_problems(spec, value):
    """Why CloudFormation would refuse this value for this parameter, or []."""
    items = text(value).split(",") if LIST_TYPES.match(str(spec.get("Type", ""))) else [text(value)]
    problems = []
    for item in items:
        if "AllowedValues" in spec and item not in [text(a) for a in spec["AllowedValues"]]:
            problems.append(f"{item!r} not in AllowedValues {list(map(text, spec['AllowedValues']))}")
        if "AllowedPattern" in spec and not re.fullmatch(str(spec["AllowedPattern"]), item):
            problems.append(f"{item!r} does not match AllowedPattern {spec['AllowedPattern']}")
        if "MinLength" in spec and len(item) < int(spec["MinLength"]):
            problems.append(f"{item!r} shorter than MinLength {spec['MinLength']}")
        if "MaxLength" in spec and len(item) > int(spec["MaxLength"]):
            problems.append(f"{item!r} longer than MaxLength {spec['MaxLength']}")
        if "MinValue" in spec or "MaxValue" in spec:
            try:
                number = float(item)
            except ValueError:
                problems.append(f"{item!r} is not a number")
                continue
            if "MinValue" in spec and number < float(spec["MinValue"]):
                problems.append(f"{item} < MinValue {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                problems.append(f"{item} > MaxValue {spec['MaxValue']}")
    return problems


@each_template
def test_gen_03_every_parameter_has_description_and_constraint(name):
    problems = []
    for pname, spec in (template(name).get("Parameters") or {}).items():
        if not str(spec.get("Description", "")).strip():
            problems.append(f"{pname}: no Description")
        if AWS_SPECIFIC.match(str(spec.get("Type", ""))):
            continue  # CloudFormation validates AWS-specific and SSM parameter types itself
        bounded = "MinValue" in spec and "MaxValue" in spec
        if not ("AllowedValues" in spec or "AllowedPattern" in spec or bounded):
            problems.append(f"{pname}: no AllowedValues, AllowedPattern or MinValue+MaxValue")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


@each_template
def test_gen_03_cidr_parameters_validated_by_pattern(name):
    problems = []
    for pname, spec in (template(name).get("Parameters") or {}).items():
        if "cidr" not in pname.lower():
            continue
        if "AllowedPattern" not in spec:
            problems.append(f"{pname}: a CIDR needs an AllowedPattern")
            continue
        for bad in ("not-a-cidr", "10.0.0.0", "10.0.0.0/33", "10.0.0/16"):
            if not constraint_problems(spec, bad):
                problems.append(f"{pname}: AllowedPattern accepts {bad!r}")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


@each_template
def test_gen_03_defaults_and_environment_values_pass_validation(name):
    declared = template(name).get("Parameters") or {}
    problems = []
    for pname, spec in declared.items():
        if "Default" in spec:
            problems += [f"{pname} Default: {p}" for p in constraint_problems(spec, spec["Default"])]
    for label, values in param_sets(name):
        for pname, value in values.items():
            if pname not in declared:
                problems.append(f"params/{label}.json passes {pname}, which the template does not declare")
                continue
            problems += [f"params/{label}.json {pname}: {p}" for p in constraint_problems(declared[pname], value)]
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


# --------------------------------------------------------------------------
# GEN-04: no hard-coded region, AZ or partition

REGION_LITERAL = re.compile(
    r"(?<![A-Za-z0-9])(?P<region>" + "|".join(sorted(map(re.escape, REGIONS), key=len, reverse=True))
    + r")(?![0-9])(?P<az>[a-f](?![A-Za-z0-9]))?"
)
PARTITION_LITERAL = re.compile(r"arn:aws(-[a-z-]+)?:")
AZ_PARAMETER_TYPES = {"AWS::EC2::AvailabilityZone::Name", "List<AWS::EC2::AvailabilityZone::Name>"}


@each_template
def test_gen_04_no_region_az_or_partition_literal(name):
    hits = []
    for no, line in enumerate((ROOT / "templates" / f"{name}.yaml").read_text().splitlines(), 1):
        if PARTITION_LITERAL.search(line):
            hits.append(f"{no}: hard-coded partition (use arn:${{AWS::Partition}}:): {line.strip()}")
        for m in REGION_LITERAL.finditer(line):
            kind = "availability zone" if m["az"] else "region"
            hits.append(f"{no}: hard-coded {kind} {m.group(0)!r}: {line.strip()}")
    assert not hits, f"templates/{name}.yaml:\n" + "\n".join(hits)


@each_template
def test_gen_04_availability_zones_come_from_getazs(name):
    tpl = template(name)
    az_params = {p for p, spec in (tpl.get("Parameters") or {}).items() if spec.get("Type") in AZ_PARAMETER_TYPES}
    problems = []
    for logical, res in resources(tpl).items():
        for node in walk(res.get("Properties") or {}):
            if not isinstance(node, dict):
                continue
            for key in ("AvailabilityZone", "AvailabilityZones"):
                if key not in node:
                    continue
                value = node[key]
                dynamic = any(isinstance(v, dict) and "Fn::GetAZs" in v for v in walk(value))
                if not dynamic and not (refers(value) & az_params):
                    problems.append(f"{logical}.{key} = {value!r}: use !Select [i, !GetAZs ''] or an AZ parameter")
        for node in walk(res):
            if isinstance(node, dict) and "Fn::GetAZs" in node and node["Fn::GetAZs"] not in ("", {"Ref": "AWS::Region"}):
                problems.append(f"{logical}: Fn::GetAZs {node['Fn::GetAZs']!r} names a region; use ''")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


@each_template
def test_gen_04_regional_principals_and_url_suffix(name):
    """CloudWatch Logs acts as logs.<region>.<suffix>; hosts use ${AWS::URLSuffix}."""
    problems = []
    for node in walk(template(name)):
        if not isinstance(node, dict):
            continue
        principal = node.get("Principal")
        if isinstance(principal, dict):
            for service in walk(principal.get("Service", [])):
                if isinstance(service, str) and service.startswith("logs.") and "${" not in service \
                        and service.count(".") < 3:
                    problems.append(f"principal {service!r} is global; write logs.${{AWS::Region}}.${{AWS::URLSuffix}}")
        string = sub_text(node)
        # Host names only: an ARN may name a bucket that really is called <x>.<region>.amazonaws.com.
        if isinstance(string, str) and "${AWS::Region}.amazonaws.com" in string and not string.startswith("arn:"):
            problems.append(f"{string!r}: use ${{AWS::URLSuffix}} instead of amazonaws.com")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


# --------------------------------------------------------------------------
# GEN-05: outputs exported as ${AWS::StackName}-<Output>, imports resolve

# The cross-stack contract of docs/BLUEPRINTS.md: what each stack exports.
CONVENTIONAL_EXPORTS = {
    "security": ["KmsKeyArn", "AlertTopicArn", "AccessLogsBucketName"],
    "network": ["VpcId", "VpcCidr", "PublicSubnetIds", "PrivateSubnetIds", "IsolatedSubnetIds", "AppSecurityGroupId"]
    + (["LambdaSecurityGroupId"] if answers()["app"]["kind"] == "lambda" else []),
    "database": ["DbEndpointAddress", "DbPort", "DbSecretArn", "DbSecurityGroupId", "DbIdentifier"],
}


@each_template
def test_gen_05_every_output_exported_under_stack_name(name):
    outputs = template(name).get("Outputs") or {}
    assert outputs, f"templates/{name}.yaml has no Outputs; neighbours and integration tests read them"
    problems = []
    for key, out in outputs.items():
        want = {"Fn::Sub": f"${{AWS::StackName}}-{key}"}
        got = (out.get("Export") or {}).get("Name")
        if got != want:
            problems.append(f"{key}: Export.Name is {got!r}, want !Sub \"${{AWS::StackName}}-{key}\"")
        if not str(out.get("Description", "")).strip():
            problems.append(f"{key}: no Description")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


def test_gen_05_conventional_cross_stack_exports_present():
    missing = []
    for s in STACKS:
        wanted = CONVENTIONAL_EXPORTS.get(s["name"], [])
        if not wanted:
            continue
        outputs = template(s["template"].removeprefix("templates/").removesuffix(".yaml")).get("Outputs") or {}
        missing += [f"{s['template']}: no output {w}" for w in wanted if w not in outputs]
    assert not missing, "\n".join(missing)


def import_target(value):
    """(stack, output) an Fn::ImportValue names, or None when it does not follow the convention."""
    text = sub_text(value) if isinstance(value, dict) else value
    if not isinstance(text, str):
        return None
    project = re.escape(PROJECT["name"])
    m = re.fullmatch(project + r"-\$\{EnvironmentName\}-(?P<stack>[a-z0-9-]+)-(?P<output>[A-Za-z0-9]+)", text) \
        or re.fullmatch(project + r"-(?P<stack>[a-z0-9-]+)-(?P<output>[A-Za-z0-9]+)", text)
    return (m["stack"], m["output"]) if m else None


def test_gen_05_every_import_resolves_to_an_earlier_stack_output():
    order = [s["name"] for s in STACKS]
    templates_by_stack = {s["name"]: s["template"] for s in STACKS}
    problems = []
    for s in STACKS:
        tpl_name = s["template"].removeprefix("templates/").removesuffix(".yaml")
        for node in walk(template(tpl_name)):
            if not (isinstance(node, dict) and "Fn::ImportValue" in node):
                continue
            target = import_target(node["Fn::ImportValue"])
            if target is None:
                problems.append(f"{s['template']}: import {node['Fn::ImportValue']!r} is not "
                                f"!Sub \"{PROJECT['name']}-${{EnvironmentName}}-<stack>-<Output>\"")
                continue
            stack, output = target
            if stack not in templates_by_stack:
                problems.append(f"{s['template']}: imports {output} from stack {stack!r}, which this project has not")
                continue
            exporter = template(templates_by_stack[stack].removeprefix("templates/").removesuffix(".yaml"))
            if output not in (exporter.get("Outputs") or {}):
                problems.append(f"{s['template']}: imports {stack}-{output}, but {templates_by_stack[stack]} has no such output")
            if order.index(stack) >= order.index(s["name"]):
                problems.append(f"{s['template']}: imports from {stack}, which deploys after {s['name']}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------
# GEN-06: explicit deletion behaviour; deletion protection by profile

DATA_BEARING = {
    "AWS::S3::Bucket", "AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::Logs::LogGroup", "AWS::KMS::Key",
    "AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::SecretsManager::Secret", "AWS::EFS::FileSystem",
    "AWS::ECR::Repository", "AWS::EC2::Volume", "AWS::Kinesis::Stream", "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElastiCache::CacheCluster", "AWS::DocDB::DBCluster", "AWS::Neptune::DBCluster", "AWS::Backup::BackupVault",
    "AWS::OpenSearchService::Domain", "AWS::Redshift::Cluster",
}
KEEPING = {"Retain", "Snapshot", "RetainExceptOnCreate"}


def snapshots(res):
    """RDS instances outside a cluster and RDS clusters keep a final snapshot."""
    rtype = res["Type"]
    props = res.get("Properties") or {}
    return rtype == "AWS::RDS::DBCluster" or (rtype == "AWS::RDS::DBInstance" and "DBClusterIdentifier" not in props)


@each_template
def test_gen_06_stateful_resources_keep_their_data(name):
    problems = []
    for logical, res in resources(template(name)).items():
        if res["Type"] not in DATA_BEARING:
            continue
        for attr in ("DeletionPolicy", "UpdateReplacePolicy"):
            value = res.get(attr)
            if value is None:
                problems.append(f"{logical} ({res['Type']}): no {attr}")
                continue
            member = res["Type"] == "AWS::RDS::DBInstance" and "DBClusterIdentifier" in (res.get("Properties") or {})
            if member:
                continue  # an Aurora member instance holds no data; its cluster snapshots
            options = set(map(str, branches(value)))
            want = {"Snapshot"} if snapshots(res) else KEEPING
            if not options <= want:
                problems.append(f"{logical} ({res['Type']}): {attr} {value!r}, want {' or '.join(sorted(want))}")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


def deletion_protection_parameters():
    for name in TEMPLATES:
        for pname, spec in (template(name).get("Parameters") or {}).items():
            if "deletionprotection" in pname.lower():
                yield name, pname, spec


def test_gen_06_deletion_protection_default_on_and_follows_profile():
    problems = []
    for name, pname, spec in deletion_protection_parameters():
        if text(spec.get("Default")) != "true":
            problems.append(f"templates/{name}.yaml {pname}: Default {spec.get('Default')!r}, want true (checkov scans defaults)")
        for label, values in param_sets(name):
            if label == "pipeline" or pname not in values:
                continue
            want = "true" if is_production(label) else "false"
            if text(values[pname]) != want:
                problems.append(f"params/{label}.json {pname}={values[pname]!r}, want {want} "
                                f"({environment(label)['profile']} profile)")
    assert not problems, "\n".join(problems)


@each_template
def test_gen_06_rds_deletion_protection_is_the_parameter(name):
    tpl = template(name)
    protect = {p for t, p, _ in deletion_protection_parameters() if t == name}
    problems = []
    for logical, res in resources(tpl).items():
        if not snapshots(res):
            continue
        value = (res.get("Properties") or {}).get("DeletionProtection")
        if value is True or text(value) == "true":
            continue
        if not (refers(value) & protect):
            problems.append(f"{logical}: DeletionProtection {value!r}; pass a DeletionProtection parameter (true by default)")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


# --------------------------------------------------------------------------
# GEN-07: no secret values in templates, params, answers or outputs

SECRET_NAME = re.compile(r"(?i)(password|passwd|secret|token|api_?key|private_?key|credential)")
REFERENCE_SUFFIX = re.compile(r"(?i)(arn|name|id|identifier|ref|parameter|path)$")
DYNAMIC_REFERENCE = ("{{resolve:secretsmanager:", "{{resolve:ssm-secure:")
LITERAL_SECRETS = [
    ("AWS access key id", re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("private key", re.compile(r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----")),
    ("AWS secret access key", re.compile(r"(?i)aws_?secret_?access_?key\W{0,3}[:=]\W{0,3}[A-Za-z0-9/+]{40}")),
    ("password literal",
     re.compile(r"(?i)(?<![:/])(password|passwd|secret|token)[\"']?[ \t]*[:=][ \t]*[\"']?(?![!{$])[A-Za-z0-9/+_.@#%^&*-]{8,}")),
]


def names_a_secret(name):
    return bool(SECRET_NAME.search(name)) and not REFERENCE_SUFFIX.search(name)


@each_template
def test_gen_07_no_secret_parameters(name):
    problems = []
    for pname, spec in (template(name).get("Parameters") or {}).items():
        if names_a_secret(pname):
            problems.append(f"{pname}: a secret never travels as a parameter; use ManageMasterUserPassword "
                            "or a generated Secrets Manager secret")
        if spec.get("NoEcho") and "Default" in spec:
            problems.append(f"{pname}: NoEcho parameter with a Default puts the value in the template")
        if spec.get("NoEcho"):
            for label, values in param_sets(name):
                if pname in values:
                    problems.append(f"params/{label}.json holds the NoEcho parameter {pname}")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


@each_template
def test_gen_07_passwords_are_managed_or_dynamic_references(name):
    problems = []
    for logical, res in resources(template(name)).items():
        props = res.get("Properties") or {}
        for node in walk(props):
            if not isinstance(node, dict):
                continue
            for key, value in node.items():
                if key.endswith("Password") and not key.startswith("Manage"):
                    as_text = json.dumps(value)
                    if not any(ref in as_text for ref in DYNAMIC_REFERENCE):
                        problems.append(f"{logical}.{key}: not a Secrets Manager / SSM SecureString dynamic reference")
        if snapshots(res) and "SnapshotIdentifier" not in props and "SourceDBInstanceIdentifier" not in props:
            managed = props.get("ManageMasterUserPassword") in (True, "true")
            if not managed and "MasterUserPassword" not in props:
                problems.append(f"{logical}: set ManageMasterUserPassword: true (RDS keeps the secret)")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


def plaintext_variables(res):
    """(name, value) of environment variables a resource stores in plain text."""
    props = res.get("Properties") or {}
    if res["Type"] == "AWS::CodeBuild::Project":
        for var in (props.get("Environment") or {}).get("EnvironmentVariables") or []:
            if var.get("Type", "PLAINTEXT") == "PLAINTEXT":
                yield var.get("Name", ""), var.get("Value")
    if res["Type"] == "AWS::Lambda::Function":
        yield from ((props.get("Environment") or {}).get("Variables") or {}).items()
    if res["Type"] == "AWS::ECS::TaskDefinition":
        for container in props.get("ContainerDefinitions") or []:
            for var in container.get("Environment") or []:
                yield var.get("Name", ""), var.get("Value")


@each_template
def test_gen_07_no_secrets_in_plaintext_environment_variables(name):
    problems = []
    for logical, res in resources(template(name)).items():
        for var, value in plaintext_variables(res):
            if names_a_secret(str(var)):
                problems.append(f"{logical}: {var} is plain text; use a PARAMETER_STORE/SECRETS_MANAGER variable "
                                "or the secret's ARN")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


@each_template
def test_gen_07_outputs_expose_no_secret(name):
    problems = []
    for key, out in (template(name).get("Outputs") or {}).items():
        if names_a_secret(key):
            problems.append(f"{key}: an output named like a secret value")
        if "{{resolve:" in json.dumps(out.get("Value")):
            problems.append(f"{key}: resolves a dynamic reference into the stack's outputs")
    assert not problems, f"templates/{name}.yaml:\n" + "\n".join(problems)


def scanned_files():
    yield from sorted((ROOT / "templates").glob("*.yaml"))
    yield from sorted((ROOT / "params").glob("*.json"))
    yield ROOT / ".stackwright" / "answers.yaml"


def test_gen_07_no_secret_literals_in_templates_params_or_answers():
    hits = []
    for path in scanned_files():
        for no, line in enumerate(path.read_text().splitlines(), 1):
            if any(ref in line for ref in DYNAMIC_REFERENCE) or "ManageMasterUserPassword" in line:
                continue
            for what, pattern in LITERAL_SECRETS:
                if pattern.search(line):
                    hits.append(f"{path.relative_to(ROOT)}:{no}: {what}: {line.strip()[:120]}")
    assert not hits, "\n".join(hits)


def test_gen_07_buildspecs_keep_secrets_out_of_plain_variables():
    problems = []
    for path in sorted((ROOT / "buildspecs").glob("*.yml")) if (ROOT / "buildspecs").is_dir() else []:
        spec = yaml.safe_load(path.read_text()) or {}
        for var, value in ((spec.get("env") or {}).get("variables") or {}).items():
            if names_a_secret(str(var)):
                problems.append(f"{path.relative_to(ROOT)}: env.variables.{var} is plain text; "
                                "use env.secrets-manager or env.parameter-store")
        for no, line in enumerate(path.read_text().splitlines(), 1):
            for what, pattern in LITERAL_SECRETS[:3]:
                if pattern.search(line):
                    problems.append(f"{path.relative_to(ROOT)}:{no}: {what}")
    assert not problems, "\n".join(problems)
{%- endraw %}
