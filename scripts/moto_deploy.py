#!/usr/bin/env python3
"""Deploy a generated project's security and network stacks into moto.

    python scripts/moto_deploy.py --stackwright target/release/stackwright \
        --answers tests/fixtures/answers/01-minimal-us-east-1.yaml [--answers ...]

For each answers file: `stackwright new` writes the project into a temporary
directory; the first environment of the stored .stackwright/answers.yaml has
its security stack and then its network stack created (boto3
cloudformation.create_stack, parameters from params/<env>.json, stack names
<project>-<env>-<stack>) in an in-process moto server (ThreadedMotoServer on
127.0.0.1, a free port, dummy credentials, the answers' region).

Checks per stack: CREATE_COMPLETE; every resource of the deployed template
whose condition holds appears in list_stack_resources (moto would otherwise
skip something silently); every Output has a non-empty value; every Export is
listed by list_exports with that value; spot checks against moto's own APIs
(security: KMS key rotation enabled, ARN/alias/tags as the template says,
both buckets exist and the trail bucket is SSE-KMS, alert topic and trail
log group exist; network: VPC CIDR equals the VpcCidr parameter, the VPC has
3 x AZs subnets with the params' CIDRs in that many distinct AZs, the flow
log group exists and the VPC has a flow log). moto drops a log group's
KmsKeyId given through CloudFormation, so log-group encryption is printed as
a note, not checked.

moto bugs that make a valid template fail are worked around inside the
in-process server (install_moto_shims), never in the template; each shim is
printed at start-up. Outputs whose GetAtt moto declares but does not
implement (Subnet.AvailabilityZone) are removed and listed like resources.

What is NOT covered, honestly: moto's CloudFormation does not implement every
resource type. moto does not reject an unknown type, it warns and skips it,
so a deploy of the untouched template would "pass" while silently missing
those resources and resolving their Ref/GetAtt to junk. This script therefore
asks the installed moto which types it implements
(moto.cloudformation.parsing.resource_class_from_type) and deploys a copy of
the template with exactly the resources of unimplemented types removed, plus
the Outputs that refer to them and DependsOn entries naming them, printing
the list. If a kept resource refers to a removed one, the stack is reported
"not covered" and counted as failed; the template is never altered in any
other way. The original template text is deployed as-is when nothing needs
removing.

Output: one line per stack,
    moto: <fixture> <stack>: CREATE_COMPLETE, N outputs resolved, removed: [...]
then `moto_deploy: N passed, M failed`; exit 1 on any failure.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import yaml

STACKS = ["security", "network"]
TIMEOUT_GENERATE = 120
TIMEOUT_STACK = 180


# --------------------------------------------------------------------------
# CloudFormation YAML (short-form intrinsic tags) -> plain JSON-able data


class CfnLoader(yaml.SafeLoader):
    pass


def _cfn_tag(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=CfnLoader)  # noqa: S506 - SafeLoader subclass


def references(node: Any) -> set[str]:
    """Logical ids a template fragment refers to (Ref, GetAtt, ${} in Sub)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                if isinstance(value, list) and value and isinstance(value[0], str):
                    found.add(value[0])
                elif isinstance(value, str):
                    found.add(value.split(".", 1)[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    for var in re.findall(r"\$\{([^!}][^}]*)\}", text):
                        found.add(var.split(".", 1)[0])
                if isinstance(value, list) and len(value) > 1:
                    found |= references(value[1])
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def eval_condition(expr: Any, conditions: dict, params: dict) -> bool | None:
    """Evaluate a Conditions expression over parameter values; None if unsure."""

    def value(x: Any) -> Any:
        if isinstance(x, dict) and set(x) == {"Ref"} and x["Ref"] in params:
            return params[x["Ref"]]
        if isinstance(x, (str, int, float, bool)):
            return str(x)
        raise ValueError(x)

    def ev(x: Any) -> bool:
        if isinstance(x, dict) and len(x) == 1:
            (op, arg), = x.items()
            if op == "Fn::Equals":
                return value(arg[0]) == value(arg[1])
            if op == "Fn::Not":
                return not ev(arg[0])
            if op == "Fn::And":
                return all(ev(a) for a in arg)
            if op == "Fn::Or":
                return any(ev(a) for a in arg)
            if op == "Condition":
                return ev(conditions[arg])
        raise ValueError(x)

    try:
        return ev(expr)
    except (ValueError, KeyError, IndexError, TypeError):
        return None


# --------------------------------------------------------------------------
# moto


def moto_class(resource_type: str) -> Any:
    from moto.cloudformation.parsing import resource_class_from_type

    # resource_class_from_type logs a notice for unknown types; keep it quiet.
    log = logging.getLogger("moto.cloudformation.parsing")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        return resource_class_from_type(resource_type)
    finally:
        log.setLevel(level)


def moto_implements(resource_type: str) -> bool:
    return moto_class(resource_type) is not None


def moto_getatt_missing(resource_type: str, attr: str) -> bool:
    """True if moto declares the attribute but raises NotImplementedError for it
    (its GetAtt then logs a warning and resolves to junk), e.g. Subnet.AvailabilityZone."""
    cls = moto_class(resource_type)
    if cls is None:
        return False
    try:
        cls.get_cfn_attribute(object.__new__(cls), attr)
    except NotImplementedError:
        return True
    except Exception:  # noqa: BLE001 - needs a real instance: assume implemented
        return False
    return False


def getatts(node: Any) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::GetAtt" and isinstance(value, list) and len(value) == 2:
                found.add((value[0], value[1]))
            else:
                found |= getatts(value)
    elif isinstance(node, list):
        for item in node:
            found |= getatts(item)
    return found


SHIMS: list[str] = []


def install_moto_shims() -> None:
    """Work around moto bugs that make valid templates fail; every shim is printed.

    moto's AWS::KMS::Key handler passes the template's Tags (CloudFormation's
    Key/Value shape, as AWS documents it) straight to the KMS tagger, which
    wants TagKey/TagValue, so any tagged key fails with KeyError 'TagKey' and
    the whole stack with "Fn::GetAtt references undefined resource". The shim
    converts the shape; the tags are then checked through kms.list_resource_tags.
    The same handler stores KeyPolicy as the parsed object, and every later
    DescribeKey/GetKeyRotationStatus fails json.loads with a 500; the shim
    serialises it, as the real CreateKey API receives it."""
    from moto.kms.models import Key

    orig = Key.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        props = cloudformation_json.get("Properties", {})
        tags = props.get("Tags")
        if isinstance(tags, list) and tags and all(isinstance(t, dict) and "Key" in t for t in tags):
            props["Tags"] = [{"TagKey": t["Key"], "TagValue": t.get("Value", "")} for t in tags]
        if isinstance(props.get("KeyPolicy"), dict):
            props["KeyPolicy"] = json.dumps(props["KeyPolicy"])
        return orig(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Key.create_from_cloudformation_json = classmethod(create)
    SHIMS.append("AWS::KMS::Key Tags Key/Value -> TagKey/TagValue (moto KMS CloudFormation handler bug)")
    SHIMS.append("AWS::KMS::Key KeyPolicy object -> JSON string (moto stores the dict, then DescribeKey fails json.loads)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def adapt(template: dict, params: dict) -> tuple[dict, list[str], list[str]]:
    """Remove resources of types moto does not implement.

    Returns (template copy, removed descriptions, blocking problems)."""
    tpl = json.loads(json.dumps(template))
    resources = tpl.get("Resources", {})
    gone = {lid: r["Type"] for lid, r in resources.items() if not moto_implements(r["Type"])}
    removed = [f"{lid} ({typ})" for lid, typ in gone.items()]
    problems: list[str] = []
    for lid in gone:
        del resources[lid]
    for lid, res in resources.items():
        bad = references({k: v for k, v in res.items() if k != "DependsOn"}) & set(gone)
        if bad:
            problems.append(f"{lid} refers to {', '.join(f'{b} ({gone[b]})' for b in sorted(bad))}")
        for ref, attr in sorted(getatts(res)):
            if ref in resources and moto_getatt_missing(resources[ref]["Type"], attr):
                problems.append(f"{lid} uses GetAtt {ref}.{attr}, which moto does not implement")
        dep = res.get("DependsOn")
        if dep:
            deps = [dep] if isinstance(dep, str) else list(dep)
            dropped = [d for d in deps if d in gone]
            if dropped:
                keep = [d for d in deps if d not in gone]
                if keep:
                    res["DependsOn"] = keep
                else:
                    del res["DependsOn"]
                removed.append(f"{lid}.DependsOn {dropped}")
    outputs = tpl.get("Outputs", {})
    for name in list(outputs):
        if references(outputs[name]) & set(gone):
            del outputs[name]
            removed.append(f"Output {name}")
            continue
        missing = sorted(f"{lid}.{attr}" for lid, attr in getatts(outputs[name])
                         if lid in resources and moto_getatt_missing(resources[lid]["Type"], attr))
        if missing:
            del outputs[name]
            removed.append(f"Output {name} (moto cannot GetAtt {', '.join(missing)})")
    return tpl, removed, problems


# --------------------------------------------------------------------------
# per-stack checks


class MotoWarnings(logging.Handler):
    """Collects moto's WARNING records (skipped resources, unresolvable GetAtt)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


MOTO_LOG = MotoWarnings()


class StackResult:
    def __init__(self, fixture: str, stack: str) -> None:
        self.fixture, self.stack = fixture, stack
        self.errors: list[str] = []
        self.removed: list[str] = []
        self.outputs = 0
        self.status = "NOT_CREATED"
        self.not_covered = ""
        self.notes: list[str] = []

    def fail(self, msg: str) -> None:
        self.errors.append(msg)

    def line(self) -> str:
        head = f"moto: {self.fixture} {self.stack}: "
        if self.not_covered:
            return head + f"not covered — {self.not_covered}"
        return head + f"{self.status}, {self.outputs} outputs resolved, removed: [{', '.join(self.removed)}]"


def spot_check_security(res: StackResult, outs: dict, clients: dict) -> None:
    kms, s3 = clients["kms"], clients["s3"]
    key_id = outs.get("KmsKeyId", "")
    try:
        if not kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]:
            res.fail(f"KMS key {key_id}: rotation not enabled")
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        if meta["Arn"] != outs.get("KmsKeyArn"):
            res.fail(f"KmsKeyArn output {outs.get('KmsKeyArn')} != key ARN {meta['Arn']}")
        aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
        if aliases.get(outs.get("KmsAliasName")) != meta["KeyId"]:
            res.fail(f"alias {outs.get('KmsAliasName')} does not target {meta['KeyId']}")
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
        if not tags.get("Name", "").endswith("-key") or "ManagedBy" not in tags:
            res.fail(f"KMS key tags {tags} lack the template's Name/ManagedBy tags")
    except Exception as e:  # noqa: BLE001
        res.fail(f"KMS key {key_id}: {e}")
    for out in ("AccessLogsBucketName", "TrailBucketName"):
        if out not in outs:
            continue
        try:
            s3.head_bucket(Bucket=outs[out])
        except Exception as e:  # noqa: BLE001
            res.fail(f"bucket {outs[out]} ({out}): {e}")
    try:
        enc = s3.get_bucket_encryption(Bucket=outs["TrailBucketName"])
        rule = enc["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        if rule.get("SSEAlgorithm") != "aws:kms":
            res.fail(f"trail bucket encryption {rule}")
    except Exception as e:  # noqa: BLE001
        res.fail(f"trail bucket encryption: {e}")
    try:
        clients["sns"].get_topic_attributes(TopicArn=outs["AlertTopicArn"])
    except Exception as e:  # noqa: BLE001
        res.fail(f"alert topic: {e}")
    try:
        groups = clients["logs"].describe_log_groups(logGroupNamePrefix=outs["TrailLogGroupName"])["logGroups"]
        if not any(g["logGroupName"] == outs["TrailLogGroupName"] for g in groups):
            res.fail(f"log group {outs['TrailLogGroupName']} missing")
    except Exception as e:  # noqa: BLE001
        res.fail(f"trail log group: {e}")


def spot_check_network(res: StackResult, outs: dict, params: dict, azs: int, clients: dict, kms_arn: str | None) -> None:
    ec2 = clients["ec2"]
    vpc_id = outs.get("VpcId", "")
    try:
        vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
        if vpc["CidrBlock"] != params.get("VpcCidr"):
            res.fail(f"VPC CIDR {vpc['CidrBlock']} != params VpcCidr {params.get('VpcCidr')}")
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
        if len(subnets) != 3 * azs:
            res.fail(f"VPC has {len(subnets)} subnets, want 3 x {azs} AZs = {3 * azs}")
        want = {v for k, v in params.items() if re.fullmatch(r"(Public|Private|Isolated)Subnet\d+Cidr", k)}
        got = {s["CidrBlock"] for s in subnets}
        if got != want:
            res.fail(f"subnet CIDRs {sorted(got)} != params {sorted(want)}")
        zones = {s["AvailabilityZone"] for s in subnets}
        if len(zones) != azs:
            res.fail(f"subnets span {len(zones)} AZs, want {azs}")
    except Exception as e:  # noqa: BLE001
        res.fail(f"VPC {vpc_id}: {e}")
    name = outs.get("FlowLogGroupName")
    if name:
        try:
            groups = clients["logs"].describe_log_groups(logGroupNamePrefix=name)["logGroups"]
            group = next((g for g in groups if g["logGroupName"] == name), None)
            if group is None:
                res.fail(f"flow log group {name} missing")
            elif kms_arn and group.get("kmsKeyId") not in (None, kms_arn):
                res.fail(f"flow log group key {group.get('kmsKeyId')} != security KmsKeyArn {kms_arn}")
            elif group.get("kmsKeyId") is None:
                # moto's AWS::Logs::LogGroup handler forwards CloudFormation's
                # KmsKeyId where its backend reads kmsKeyId, so the key is dropped.
                res.notes.append("log-group encryption not checkable (moto drops AWS::Logs::LogGroup KmsKeyId)")
            flows = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
            if not flows:
                res.fail(f"no flow log on {vpc_id}")
        except Exception as e:  # noqa: BLE001
            res.fail(f"flow logs: {e}")


def deploy_stack(res: StackResult, clients: dict, stack_name: str, template_path: Path,
                 params: dict) -> dict | None:
    cfn = clients["cloudformation"]
    template = load_template(template_path)
    adapted, removed, problems = adapt(template, params)
    res.removed = removed
    if problems:
        types = sorted({t for lid, r in template["Resources"].items()
                        if not moto_implements(t := r["Type"])})
        res.not_covered = f"moto lacks {', '.join(types)} ({'; '.join(problems)})"
        res.fail(res.not_covered)
        return None
    body = template_path.read_text() if not removed else json.dumps(adapted, indent=1)
    known = set(template.get("Parameters", {}))
    cfn_params = [{"ParameterKey": k, "ParameterValue": str(v)} for k, v in params.items() if k in known]
    MOTO_LOG.records.clear()
    try:
        cfn.create_stack(StackName=stack_name, TemplateBody=body, Parameters=cfn_params,
                         Capabilities=["CAPABILITY_NAMED_IAM"])
    except Exception as e:  # noqa: BLE001
        res.fail(f"create_stack: {e}")
        return None
    deadline = time.monotonic() + TIMEOUT_STACK
    while True:
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        res.status = stack["StackStatus"]
        if not res.status.endswith("_IN_PROGRESS"):
            break
        if time.monotonic() > deadline:
            res.fail(f"still {res.status} after {TIMEOUT_STACK}s")
            return None
        time.sleep(0.5)
    if res.status != "CREATE_COMPLETE":
        reasons = [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
                   for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
                   if e.get("ResourceStatusReason")]
        res.fail(f"status {res.status} {stack.get('StackStatusReason', '')} {reasons[:5]}")
        return None

    for msg in MOTO_LOG.records:
        res.fail(f"moto warned while creating the stack: {msg}")
    # Nothing kept may have been skipped silently.
    conditions = adapted.get("Conditions", {})
    values = {k: str(v.get("Default")) for k, v in adapted.get("Parameters", {}).items() if "Default" in v}
    values.update({k: str(v) for k, v in params.items()})
    present = {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]}
    for lid, r in adapted["Resources"].items():
        want = True if "Condition" not in r else eval_condition(conditions.get(r["Condition"]), conditions, values)
        if want and lid not in present:
            res.fail(f"resource {lid} ({r['Type']}) missing from list_stack_resources")
        if want is False and lid in present:
            res.fail(f"resource {lid} created although condition {r['Condition']} is false")

    outs = {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs", [])}
    exports = {e["Name"]: e.get("Value") for e in cfn.list_exports()["Exports"]}
    expected = adapted.get("Outputs", {})
    for name, spec in expected.items():
        if "Condition" in spec and eval_condition(conditions.get(spec["Condition"]), conditions, values) is False:
            continue
        value = outs.get(name)
        if value in (None, "") or value == "None":
            res.fail(f"output {name} has no value ({value!r})")
            continue
        if re.search(r"Fn::|\{'Ref'|\$\{", str(value)):
            res.fail(f"output {name} unresolved: {value}")
        if "Export" in spec:
            ename = f"{stack_name}-{name}"
            if exports.get(ename) != value:
                res.fail(f"export {ename}: list_exports has {exports.get(ename)!r}, output is {value!r}")
        res.outputs += 1
    return outs


# --------------------------------------------------------------------------


def generate(stackwright: str, answers: Path, out: Path) -> str | None:
    proc = subprocess.run([stackwright, "new", "--answers", str(answers), "--out", str(out)],
                          capture_output=True, text=True, timeout=TIMEOUT_GENERATE)
    if proc.returncode != 0:
        return f"stackwright new exited {proc.returncode}: {proc.stderr.strip()[-2000:]}"
    return None


def run_fixture(answers: Path, stackwright: str, endpoint: str, tmp: Path) -> list[StackResult]:
    import boto3

    fixture = answers.stem
    out = tmp / fixture
    err = generate(stackwright, answers, out)
    if err:
        r = StackResult(fixture, "generate")
        r.fail(err)
        return [r]
    stored = yaml.safe_load((out / ".stackwright" / "answers.yaml").read_text())
    project, region = stored["project"]["name"], stored["region"]
    env = stored["environments"][0]["name"]
    azs = int(stored["network"]["availability_zones"])
    all_params = json.loads((out / "params" / f"{env}.json").read_text())
    clients = {svc: boto3.client(svc, region_name=region, endpoint_url=endpoint)
               for svc in ("cloudformation", "ec2", "kms", "s3", "sns", "logs")}

    results: list[StackResult] = []
    security_outs: dict | None = None
    for stack in STACKS:
        res = StackResult(fixture, stack)
        results.append(res)
        template = out / "templates" / f"{stack}.yaml"
        if not template.is_file():
            res.fail(f"{template.relative_to(out)} not generated")
            continue
        params = all_params.get(stack, {}).get("Parameters", {})
        outs = deploy_stack(res, clients, f"{project}-{env}-{stack}", template, params)
        if outs is None:
            continue
        if stack == "security":
            security_outs = outs
            spot_check_security(res, outs, clients)
        elif stack == "network":
            spot_check_network(res, outs, params, azs, clients,
                               (security_outs or {}).get("KmsKeyArn"))
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stackwright", required=True, help="path to the stackwright binary")
    ap.add_argument("--answers", action="append", required=True, type=Path, help="answers file (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the generated projects (path printed)")
    args = ap.parse_args()

    for var, val in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                     ("AWS_SESSION_TOKEN", "testing"), ("AWS_SECURITY_TOKEN", "testing")):
        os.environ[var] = val
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(var, None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    from moto import __version__ as moto_version
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_logger = logging.getLogger("moto")
    moto_logger.addHandler(MOTO_LOG)
    moto_logger.propagate = False
    install_moto_shims()

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    print(f"moto_deploy: moto {moto_version} server at {endpoint}")
    for shim in SHIMS:
        print(f"moto_deploy: moto shim (emulator bug, template untouched): {shim}")
    results: list[StackResult] = []
    tmpdir = tempfile.mkdtemp(prefix="moto-deploy-") if args.keep else None
    try:
        with tempfile.TemporaryDirectory(prefix="moto-deploy-") as auto_tmp:
            tmp = Path(tmpdir or auto_tmp)
            for answers in args.answers:
                # Each fixture starts from an empty moto.
                urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    fixture_results = run_fixture(answers, args.stackwright, endpoint, tmp)
                skipped = [str(w.message) for w in caught if "not supported by moto" in str(w.message)]
                if skipped:  # cannot happen after adapt(); fail loudly if it does
                    fixture_results[-1].fail(f"moto skipped resources: {skipped}")
                for r in fixture_results:
                    print(r.line())
                    for n in r.notes:
                        print(f"  note: {n}")
                    for e in r.errors:
                        if e != r.not_covered:
                            print(f"  FAIL {e}")
                results += fixture_results
            if tmpdir:
                print(f"moto_deploy: projects kept in {tmpdir}")
    finally:
        server.stop()
    passed = sum(1 for r in results if not r.errors)
    failed = len(results) - passed
    print(f"moto_deploy: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
