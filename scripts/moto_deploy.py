#!/usr/bin/env python3
"""Deploy generated projects into a moto server through their own Makefile and AWS CLI.

    python scripts/moto_deploy.py --stackwright target/release/stackwright \
        --answers tests/fixtures/answers/01-minimal-us-east-1.yaml [--answers ...] [--keep]

For each answers file, `stackwright new` writes the project into a temporary directory and the
project's own Makefile targets run against an in-process moto server (ThreadedMotoServer on
127.0.0.1, a free port): `make` runs with AWS_ENDPOINT_URL pointing at it, dummy credentials,
and the `aws` and `python3` of this interpreter's environment on PATH (the AWS CLI pinned in
scripts/requirements-checkers.txt). Accounts are real moto accounts: the pipeline account is moto's
default 123456789012, and every environment with an account_id gets credentials of that account
through sts:AssumeRole, so `make` runs there as it would with that account's AWS_PROFILE.

The first-deploy order of the project's README, step by step, with checks after each:

  1. refusals before anything exists: `make preflight ENV=<first>` fails naming `make bootstrap`;
     `make deploy ENV=<first>` stops before creating a stack ("run make bootstrap"); for a
     cross-account environment, `make preflight` with the pipeline account's credentials fails
     naming the account;
  2. `make bootstrap` once per account (ENV=<env> in each environment account): the stack
     <project>-bootstrap, and the deployment bucket checked through S3 (SSE-KMS with a bucket key,
     versioning, public access block, TLS-only policy, access logging, lifecycle);
  3. `make preflight ENV=<env>` for every environment passes; when it names a missing
     service-linked role, the README's `aws iam create-service-linked-role` runs first; with
     security.account_trail existing, preflight must first refuse the account for having no
     multi-region trail, and passes once one is created and logging (as the account's owner would);
  4. `make deploy-role ENV=<env>` for every cross-account environment, `make deploy-pipeline`,
     then `make deploy ENV=<env>` for every environment in promotion order;
  5. every stack: CREATE_COMPLETE/UPDATE_COMPLETE, every resource whose condition holds listed,
     every output resolved and exported, its template uploaded to the deployment bucket under the
     stack's prefix (so the deploy went through --s3-bucket); in every environment, spot checks of
     the security and network stacks against moto's own APIs, and of its alarms, metric filters
     and dashboards through CloudWatch and Logs: every alarm acts on the security stack's alert
     topic; every alarm and dashboard metric dimension (DB instance or cluster, Auto Scaling group,
     NAT gateway, function, queue) names a resource that exists; every metric a CIS alarm watches
     comes from a metric filter on the trail's log group and every filter's metric is watched;
     every dashboard body is JSON without unresolved references whose log queries name log groups
     that exist;
  6. update: one parameter of an environment changed in params/<env>.json, `make deploy` again:
     the stack is UPDATE_COMPLETE with the new value (alarms whose EvaluationPeriods it is evaluate
     over the new value);
  7. destroy: `make destroy ENV=<ephemeral>` without CONFIRM and a wrong answer is refused and
     deletes nothing; with CONFIRM=<env> every stack of the environment is gone;
  8. redeploy: `make deploy ENV=<ephemeral>` creates them all again.

What moto cannot model is listed, never silently deleted: moto's CloudFormation skips resource types
it does not implement with a warning and resolves their Ref/GetAtt to junk. Before `make` runs, the
harness asks the installed moto which types it implements and rewrites, in the temporary copy only,
each template without those resources, printing them by type; resources that refer to one of them
(Ref, GetAtt, Sub, or an import of an output that had to go) are removed with it and printed as
dependents, with the reason. The generated project itself is never changed, and cfn-lint, checkov
and the project's tests check it elsewhere (scripts/check_matrix.py). moto bugs that make a valid
template fail are worked around inside the in-process server (motolib's shims: install_moto_shims,
role ManagedPolicyArns), and the types moto has as APIs but not in CloudFormation (CloudWatch
alarms and dashboards, Logs metric filters) get models over moto's own backends
(install_monitoring_models); each is printed.

Output: one line per step (`moto: <fixture> <step>: ok|FAIL ... (<seconds>s)`), the resource types
moto could not model, the counts (stacks x environments deployed, updated, destroyed, redeployed),
then `moto_deploy: N passed, M failed`; exit 1 on any failure. --plant KIND plants a known error in
the temporary copy of the monitoring template (for proving the checks: `alarm` drops an alarm's
AlarmActions, `filter` renames the metric a CIS metric filter produces, `dashboard` points a
dashboard's log query at a log group that does not exist); the run must then fail.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from motolib import (  # noqa: E402
    SHIMS, Check, account_credentials, adapt, eval_condition, indent, install_database_models,
    install_managed_policy_shim, install_monitoring_models, load_template, moto_updates, references,
    start_moto_server, walk,
)

TIMEOUT_GENERATE = 120
TIMEOUT_MAKE = 600
PIPELINE_ACCOUNT = "123456789012"  # moto's default account
INLINE_LIMIT = 51_200
PLANTS = ("alarm", "filter", "dashboard")


def spot_check_security(res: Check, outs: dict, clients: dict, owner: bool = True) -> None:
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
    if "TrailBucketName" not in outs and "TrailLogGroupName" not in outs:
        # Only the environment that owns its account's trail has it (TrailOwner parameter).
        if owner:
            res.fail("the trail owner's security stack has no TrailBucketName/TrailLogGroupName output")
        return
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


def spot_check_network(res: Check, outs: dict, params: dict, azs: int, clients: dict, kms_arn: str | None) -> None:
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


DIMENSION_LOOKUPS = {
    # dimension name -> (client, call, its argument, the list in the answer)
    "DBInstanceIdentifier": ("rds", "describe_db_instances", "DBInstanceIdentifier", "DBInstances"),
    "DBClusterIdentifier": ("rds", "describe_db_clusters", "DBClusterIdentifier", "DBClusters"),
    "AutoScalingGroupName": ("autoscaling", "describe_auto_scaling_groups", "AutoScalingGroupNames", "AutoScalingGroups"),
    "NatGatewayId": ("ec2", "describe_nat_gateways", "NatGatewayIds", "NatGateways"),
    "FunctionName": ("lambda", "get_function", "FunctionName", "Configuration"),
    "QueueName": ("sqs", "get_queue_url", "QueueName", "QueueUrl"),
}


def dimension_missing(clients: dict, name: str, value: str) -> str | None:
    """Why a metric dimension names nothing that exists (None: it exists, or its kind is not looked up)."""
    if re.search(r"Fn::|\{'|\$\{", value) or value in ("", "None"):
        return f"{name}={value!r} is unresolved"
    if name not in DIMENSION_LOOKUPS:
        return None
    service, call, arg, key = DIMENSION_LOOKUPS[name]
    try:
        found = getattr(clients[service], call)(**{arg: [value] if arg.endswith("s") else value}).get(key)
    except Exception as e:  # noqa: BLE001
        return f"{name}={value}: {e}"
    return None if found else f"{name}={value} names nothing"


def widget_dimensions(body: dict) -> list[tuple[str, str]]:
    """(name, value) of every dimension in the dashboard's metric widgets ([ns, metric, name, value, ..., {opts}])."""
    found = []
    for widget in body.get("widgets", []):
        for metric in (widget.get("properties") or {}).get("metrics") or []:
            items = [m for m in metric if isinstance(m, str)]
            found += list(zip(items[2::2], items[3::2]))
    return found


def spot_check_monitoring(fx: Fixture, res: Check, env: str, outs_by_stack: dict, clients: dict) -> None:
    """The environment's alarms, metric filters and dashboards through CloudWatch and Logs: every alarm
    acts on the security stack's alert topic, every dimension names a resource that exists, every
    metric a CIS alarm watches comes from a metric filter on the trail's log group (and every filter's
    metric is watched), every dashboard is JSON whose log queries and metrics name what exists."""
    cfn, cw, logs = clients["cloudformation"], clients["cloudwatch"], clients["logs"]
    errors_before = len(res.errors)
    sec = outs_by_stack.get("security") or {}
    topic = sec.get("AlertTopicArn")
    by_type: dict[str, list[str]] = {}
    for stack in fx.env_stacks(env):
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=f"{fx.project}-{env}-{stack}"):
            for r in page["StackResourceSummaries"]:
                by_type.setdefault(r["ResourceType"], []).append(r.get("PhysicalResourceId") or "")
    names = by_type.get("AWS::CloudWatch::Alarm", [])
    alarms: dict[str, dict] = {}
    for i in range(0, len(names), 100):
        for page in cw.get_paginator("describe_alarms").paginate(AlarmNames=names[i:i + 100]):
            alarms.update({a["AlarmName"]: a for a in page["MetricAlarms"]})
    if set(names) - set(alarms):
        res.fail(f"{env}: alarms the stacks list but CloudWatch lacks: {sorted(set(names) - set(alarms))}")
    missing_dims: list[str] = []
    for name, alarm in sorted(alarms.items()):
        if alarm.get("AlarmActions") != [topic] or set(alarm.get("OKActions") or []) - {topic}:
            res.fail(f"{env}: alarm {name} acts on {alarm.get('AlarmActions')} (OK: {alarm.get('OKActions')}), "
                     f"not on the alert topic {topic}")
        dims = [(d["Name"], d["Value"]) for d in alarm.get("Dimensions") or []]
        for query in alarm.get("Metrics") or []:
            metric = (query.get("MetricStat") or {}).get("Metric") or {}
            dims += [(d["Name"], d["Value"]) for d in metric.get("Dimensions") or []]
        missing_dims += [f"alarm {name}: {why}" for n, v in sorted(set(dims)) if (why := dimension_missing(clients, n, v))]
    filters = {}
    for name in by_type.get("AWS::Logs::MetricFilter", []):
        found = [f for f in logs.describe_metric_filters(filterNamePrefix=name)["metricFilters"] if f["filterName"] == name]
        if not found:
            res.fail(f"{env}: metric filter {name} missing from CloudWatch Logs")
            continue
        filters[name] = found[0]
        if found[0]["logGroupName"] != sec.get("TrailLogGroupName"):
            res.fail(f"{env}: metric filter {name} is on {found[0]['logGroupName']}, not the trail's log group "
                     f"{sec.get('TrailLogGroupName')}")
    produced = {(t["metricNamespace"], t["metricName"]) for f in filters.values() for t in f["metricTransformations"]}
    namespaces = {ns for ns, _ in produced}
    watched = {(a.get("Namespace"), a.get("MetricName")) for a in alarms.values()}
    for name, alarm in sorted(alarms.items()):
        if alarm.get("Namespace") in namespaces and (alarm["Namespace"], alarm.get("MetricName")) not in produced:
            res.fail(f"{env}: alarm {name} watches {alarm['Namespace']} {alarm.get('MetricName')}, which no metric "
                     "filter produces (it can never fire)")
    for ns, metric in sorted(produced - watched):
        res.fail(f"{env}: metric filter metric {ns} {metric} is watched by no alarm")
    dashboards = by_type.get("AWS::CloudWatch::Dashboard", [])
    for name in dashboards:
        try:
            body = json.loads(cw.get_dashboard(DashboardName=name)["DashboardBody"])
        except Exception as e:  # noqa: BLE001
            res.fail(f"{env}: dashboard {name}: {e}")
            continue
        if not body.get("widgets"):
            res.fail(f"{env}: dashboard {name} has no widgets")
        text = json.dumps(body)
        unresolved = re.findall(r"Fn::[A-Za-z]+|\$\{[^}]*\}", text)
        if unresolved:
            res.fail(f"{env}: dashboard {name} holds unresolved references: {unresolved[:5]}")
        for group in sorted(set(re.findall(r"SOURCE '([^']+)'", text))):
            if not any(g["logGroupName"] == group
                       for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]):
                res.fail(f"{env}: dashboard {name} queries log group {group}, which does not exist")
        missing_dims += [f"dashboard {name}: {why}" for n, v in sorted(set(widget_dimensions(body)))
                         if (why := dimension_missing(clients, n, v))]
    for why in missing_dims:
        res.fail(f"{env}: {why}")
    kept = {r["Type"] for r in fx.adapted.get("monitoring", {}).get("Resources", {}).values()}
    if "monitoring" in fx.env_stacks(env) and (("AWS::CloudWatch::Alarm" in kept and not alarms)
                                               or ("AWS::CloudWatch::Dashboard" in kept and not dashboards)):
        res.fail(f"{env}: the monitoring stack is deployed but has {len(alarms)} alarms, {len(dashboards)} dashboards")
    if len(res.errors) == errors_before:
        res.notes.append(f"{env}: {len(alarms)} alarms act on the alert topic, {len(filters)} metric filters feed "
                         f"{len(produced & watched)} of them, {len(dashboards)} dashboard(s); the dimensions name "
                         "resources that exist")


# --------------------------------------------------------------------------
# results


class Fixture:
    """One generated project, its accounts and what has been deployed so far."""

    def __init__(self, answers: Path, out: Path, endpoint: str, venv_bin: Path) -> None:
        self.name = answers.stem
        self.out = out
        self.endpoint = endpoint
        self.venv_bin = venv_bin
        self.checks: list[Check] = []
        stored = yaml.safe_load((out / ".stackwright" / "answers.yaml").read_text())
        self.project = stored["project"]["name"]
        self.region = stored["region"]
        self.envs = stored["environments"]
        self.azs = int(stored["network"]["availability_zones"])
        self.pipeline = bool(stored["pipeline"]["stages"])
        self.existing_trail = (stored.get("security") or {}).get("account_trail") == "existing"
        self.stack_templates = stack_templates(out)
        self.creds: dict[str, dict[str, str]] = {}
        self.unmodelled: dict[str, set[str]] = {}
        self.dependents: list[str] = []
        self.adapted: dict[str, dict] = {}
        self.counts = {"deployed": 0, "updated": 0, "destroyed": 0, "redeployed": 0}

    # ---- accounts and clients

    def account(self, env: str | None) -> str:
        if env is None:
            return PIPELINE_ACCOUNT
        entry = next(e for e in self.envs if e["name"] == env)
        return str(entry.get("account_id") or PIPELINE_ACCOUNT)

    def credentials(self, account: str) -> dict[str, str]:
        return account_credentials(self.creds, account, f"arn:aws:iam::{account}:role/{self.project}-moto-deployer",
                                     "moto-deploy", self.region, self.endpoint)

    def client(self, service: str, account: str) -> Any:
        import boto3

        c = self.credentials(account)
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint,
                            aws_access_key_id=c["AWS_ACCESS_KEY_ID"], aws_secret_access_key=c["AWS_SECRET_ACCESS_KEY"],
                            aws_session_token=c["AWS_SESSION_TOKEN"])

    # ---- make

    def make(self, args: list[str], account: str, stdin: str = "") -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.credentials(account))
        env.update({
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_PAGER": "",
            "PATH": f"{self.venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        })
        return subprocess.run(["make", "--no-print-directory", *args], cwd=self.out, env=env, input=stdin,
                              capture_output=True, text=True, timeout=TIMEOUT_MAKE)

    def step(self, name: str) -> Check:
        check = Check(self.name, name)
        self.checks.append(check)
        return check

    def run_make(self, check: Check, args: list[str], account: str, expect_ok: bool = True,
                 expect_text: str | None = None, stdin: str = "") -> subprocess.CompletedProcess:
        start = time.monotonic()
        proc = self.make(args, account, stdin)
        check.seconds += time.monotonic() - start
        text = proc.stdout + proc.stderr
        shown = f"make {' '.join(args)}"
        if expect_ok and proc.returncode != 0:
            check.fail(f"{shown} exited {proc.returncode}:\n{indent(text[-3000:])}")
        if not expect_ok and proc.returncode == 0:
            check.fail(f"{shown} succeeded, but must fail here:\n{indent(text[-1500:])}")
        if expect_text and expect_text not in text:
            check.fail(f"{shown} does not say {expect_text!r}:\n{indent(text[-1500:])}")
        return proc

    # ---- stacks

    def env_stacks(self, env: str) -> list[str]:
        given = json.loads((self.out / "params" / f"{env}.json").read_text())
        return [s for s in self.stack_templates if s in given]

    def params(self, label: str, stack: str) -> dict:
        given = json.loads((self.out / "params" / f"{label}.json").read_text())
        return {k: str(v) for k, v in given.get(stack, {}).get("Parameters", {}).items()}

    def stack_status(self, account: str, stack_name: str) -> str | None:
        cfn = self.client("cloudformation", account)
        try:
            return cfn.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
        except Exception as e:  # noqa: BLE001
            if "does not exist" in str(e):
                return None
            raise


def stack_templates(out: Path) -> dict[str, str]:
    """Stack -> template in deploy order, from the project's scripts/scan.py (written by stackwright)."""
    text = (out / "scripts" / "scan.py").read_text()
    block = text[text.index("STACK_TEMPLATES = {"):]
    block = block[:block.index("\n}")]
    return dict(re.findall(r'^\s+"([^"]+)": "(templates/[^"]+)",$', block, re.M))


# --------------------------------------------------------------------------
# what moto cannot model


def lost_import(removed_exports: set[tuple[str, str]], stack_names: list[str]):
    """adapt()'s test for an Fn::ImportValue of an export an earlier stack lost:
    removed_exports holds (stack, output) pairs; exports are named <project>-<env>-<stack>-<output>."""

    def lost(node: Any) -> str | None:
        for value in walk(node):
            if isinstance(value, dict) and "Fn::ImportValue" in value:
                text = json.dumps(value["Fn::ImportValue"])
                for stack, output in removed_exports:
                    if f"-{stack}-{output}\"" in text and stack in stack_names:
                        return f"imports {stack}-{output}, which moto could not produce"
        return None

    return lost


def adapt_project(fx: Fixture) -> None:
    """Rewrite the temporary copy's templates without what moto cannot create; record it all."""
    removed_exports: set[tuple[str, str]] = set()
    for stack, rel in {"bootstrap": "templates/bootstrap.yaml", **fx.stack_templates}.items():
        path = fx.out / rel
        template = load_template(path)
        result = adapt(template, lost_import(removed_exports, list(fx.stack_templates)))
        fx.adapted[stack] = result["template"]
        for rtype, lids in result["unmodelled"].items():
            fx.unmodelled.setdefault(rtype, set()).update(f"{stack}:{lid}" for lid in lids)
        fx.dependents += [f"{stack}: {d}" for d in result["dependents"]]
        fx.dependents += [f"{stack}: Output {o}: {why}" for o, why in result["outputs"].items()]
        removed_exports |= {(stack, o) for o in result["outputs"]}
        if result["unmodelled"] or result["dependents"] or result["outputs"]:
            path.write_text(json.dumps(result["template"], indent=1, default=str) + "\n")


# --------------------------------------------------------------------------
# checks


def verify_stack(fx: Fixture, check: Check, account: str, label: str, stack: str, want: set[str]) -> dict:
    """Status, resources, outputs, exports and the uploaded template of one deployed stack."""
    stack_name = f"{fx.project}-{stack}" if label == "pipeline" else f"{fx.project}-{label}-{stack}"
    cfn = fx.client("cloudformation", account)
    try:
        desc = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    except Exception as e:  # noqa: BLE001
        check.fail(f"{stack_name}: {e}")
        return {}
    if desc["StackStatus"] not in want:
        reasons = [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason')}"
                   for e in cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
                   if e.get("ResourceStatusReason")]
        check.fail(f"{stack_name}: {desc['StackStatus']}, want {' or '.join(sorted(want))} {reasons[:5]}")
        return {}
    tpl = fx.adapted[stack]
    params = fx.params(label, stack)
    conditions = tpl.get("Conditions", {})
    values = {k: str(v.get("Default")) for k, v in tpl.get("Parameters", {}).items() if "Default" in v}
    values.update(params)
    present = {r["LogicalResourceId"]
               for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name)
               for r in page["StackResourceSummaries"]}
    for lid, res in tpl["Resources"].items():
        wanted = True if "Condition" not in res else eval_condition(conditions.get(res["Condition"]), conditions, values)
        if wanted and lid not in present:
            check.fail(f"{stack_name}: resource {lid} ({res['Type']}) missing from list_stack_resources")
        if wanted is False and lid in present:
            check.fail(f"{stack_name}: resource {lid} created although condition {res['Condition']} is false")
    outs = {o["OutputKey"]: o.get("OutputValue") for o in desc.get("Outputs", [])}
    exports = {e["Name"]: e.get("Value")
               for page in cfn.get_paginator("list_exports").paginate() for e in page["Exports"]}
    for name, spec in tpl.get("Outputs", {}).items():
        if "Condition" in spec and eval_condition(conditions.get(spec["Condition"]), conditions, values) is False:
            continue
        value = outs.get(name)
        if value in (None, "", "None") or re.search(r"Fn::|\{'Ref'|\$\{", str(value)):
            check.fail(f"{stack_name}: output {name} unresolved ({value!r})")
        elif "Export" in spec and exports.get(f"{stack_name}-{name}") != value:
            check.fail(f"{stack_name}: export {stack_name}-{name} is {exports.get(f'{stack_name}-{name}')!r}, output {value!r}")
    # The template went through the deployment bucket, under the stack's prefix.
    bucket = f"{fx.project}-deploy-{account}-{fx.region}"
    try:
        keys = fx.client("s3", account).list_objects_v2(Bucket=bucket, Prefix=f"{stack_name}/").get("KeyCount", 0)
    except Exception as e:  # noqa: BLE001
        keys = 0
        check.fail(f"{stack_name}: cannot list {bucket}: {e}")
    if not keys:
        check.fail(f"{stack_name}: no template under s3://{bucket}/{stack_name}/ (deployed without --s3-bucket?)")
    return outs


def verify_bucket(fx: Fixture, check: Check, account: str) -> None:
    s3 = fx.client("s3", account)
    bucket = f"{fx.project}-deploy-{account}-{fx.region}"
    try:
        s3.head_bucket(Bucket=bucket)
    except Exception as e:  # noqa: BLE001
        check.fail(f"deployment bucket {bucket}: {e}")
        return
    try:
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        if rule["ApplyServerSideEncryptionByDefault"].get("SSEAlgorithm") != "aws:kms":
            check.fail(f"{bucket}: encryption {rule}")
        if rule.get("BucketKeyEnabled") is not True:
            check.notes.append(f"{bucket}: BucketKeyEnabled not reported by moto ({rule})")
    except Exception as e:  # noqa: BLE001
        check.fail(f"{bucket}: encryption: {e}")
    # moto's AWS::S3::Bucket handler applies only BucketName, BucketEncryption and Tags (and
    # AWS::S3::BucketPolicy is not modelled): the rest of the hardening is checked on the template
    # by the project's test_dep_01_deployment_bucket_is_hardened, and here only reported.
    unapplied = []
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        unapplied.append("VersioningConfiguration")
    try:
        s3.get_public_access_block(Bucket=bucket)
    except Exception:  # noqa: BLE001
        unapplied.append("PublicAccessBlockConfiguration")
    if not s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled"):
        unapplied.append("LoggingConfiguration")
    try:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    except Exception:  # noqa: BLE001
        unapplied.append("LifecycleConfiguration")
    if unapplied:
        note = f"moto's AWS::S3::Bucket does not apply {', '.join(unapplied)} (checked on the template by the unit tests)"
        if note not in check.notes:
            check.notes.append(note)


SKIP_UPDATE = {"EnvironmentName", "TrailOwner", "PipelineAccountId"}


def update_parameter(fx: Fixture, env: str) -> tuple[str, str, str, str, list[str]] | None:
    """Change one parameter of env in params/<env>.json to another valid value.

    Prefers a parameter whose resources moto can update in place (moto drops a resource whose
    type has no update handler); returns (stack, key, old, new, resources it feeds)."""
    path = fx.out / "params" / f"{env}.json"
    given = json.loads(path.read_text())
    candidates = []
    for stack in fx.env_stacks(env):
        declared = fx.adapted[stack].get("Parameters", {})
        for key, old in sorted(given[stack]["Parameters"].items()):
            spec = declared.get(key)
            if spec is None or key in SKIP_UPDATE or "DeletionProtection" in key:
                continue
            old = str(old)
            choices = [str(v) for v in spec.get("AllowedValues", []) if str(v) != old]
            if not choices and "MaxValue" in spec and re.fullmatch(r"\d+", old) and int(old) < int(spec["MaxValue"]):
                choices = [str(int(old) + 1)]
            if not choices:
                continue
            tpl = fx.adapted[stack]
            conditions = tpl.get("Conditions", {})
            values = {k: str(v.get("Default")) for k, v in tpl.get("Parameters", {}).items() if "Default" in v}
            values.update({k: str(v) for k, v in given[stack]["Parameters"].items()})
            fed = {lid: r for lid, r in tpl["Resources"].items() if key in references(r.get("Properties", {}))}
            absent = [lid for lid, r in fed.items() if "Condition" in r
                      and eval_condition(conditions.get(r["Condition"]), conditions, values) is not True]
            users = [f"{lid} ({r['Type']})" for lid, r in fed.items() if lid not in absent]
            # moto cannot update a type without an update handler (it drops the resource), and
            # crashes updating a resource whose condition is false; real CloudFormation does both.
            updatable = bool(users) and not absent and all(moto_updates(r["Type"]) for r in fed.values())
            # Best: resources moto updates in place; then a parameter no modelled resource reads
            # (the stack still updates); a resource moto would drop or crash on only as a last resort.
            in_conditions = key in references(conditions)
            rank = 3 if absent or in_conditions else 0 if updatable else 1 if not users else 2
            candidates.append((rank, stack, key, old, choices[-1], users))
    if not candidates:
        return None
    _, stack, key, old, new, users = sorted(candidates, key=lambda c: c[0])[0]
    given[stack]["Parameters"][key] = new
    path.write_text(json.dumps(given, indent=2) + "\n")
    return stack, key, old, new, users


class Clients(dict):
    """boto3 clients of one account, created when first used."""

    def __init__(self, fx: Fixture, account: str) -> None:
        super().__init__()
        self.fx, self.account = fx, account

    def __missing__(self, service: str) -> Any:
        self[service] = self.fx.client(service, self.account)
        return self[service]


def spot_checks(fx: Fixture, check: Check, env: str, outs_by_stack: dict) -> None:
    account = fx.account(env)
    clients = Clients(fx, account)
    sec = outs_by_stack.get("security")
    if sec:
        trail_owner = fx.params(env, "security").get("TrailOwner", env)
        spot_check_security(check, sec, clients, owner=trail_owner == env)
    net = outs_by_stack.get("network")
    if net:
        spot_check_network(check, net, fx.params(env, "network"), fx.azs, clients, (sec or {}).get("KmsKeyArn"))
    spot_check_monitoring(fx, check, env, outs_by_stack, clients)


# --------------------------------------------------------------------------
# the run


def check_updated_alarms(fx: Fixture, check: Check, env: str, stack: str, key: str, new: str) -> None:
    """Alarms whose EvaluationPeriods is the changed parameter evaluate over its new value."""
    stack_name = f"{fx.project}-{env}-{stack}"
    cfn = fx.client("cloudformation", fx.account(env))
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId")
                for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack_name)
                for r in page["StackResourceSummaries"]}
    fed = [physical[lid] for lid, r in fx.adapted[stack]["Resources"].items()
           if r["Type"] == "AWS::CloudWatch::Alarm" and lid in physical
           and r.get("Properties", {}).get("EvaluationPeriods") == {"Ref": key}]
    if not fed:
        return
    cw = fx.client("cloudwatch", fx.account(env))
    alarms = cw.describe_alarms(AlarmNames=fed[:100])["MetricAlarms"]
    wrong = [a["AlarmName"] for a in alarms if str(a["EvaluationPeriods"]) != new]
    if wrong or len(alarms) != len(fed[:100]):
        check.fail(f"{stack_name}: after {key} -> {new}, alarms {wrong or sorted(set(fed) - {a['AlarmName'] for a in alarms})} "
                   "do not evaluate over the new value")
    else:
        check.summary += f"; {len(alarms)} alarms now evaluate {new} periods"


def create_account_trail(fx: Fixture, account: str) -> None:
    """The account's own multi-region trail, logging (what security.account_trail: existing relies on)."""
    bucket = f"{fx.project}-account-trail-{account}"
    s3 = fx.client("s3", account)
    if fx.region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": fx.region})
    trail = fx.client("cloudtrail", account)
    trail.create_trail(Name="account-trail", S3BucketName=bucket, IsMultiRegionTrail=True)
    trail.start_logging(Name="account-trail")


def plant_error(fx: Fixture, plant: str) -> str:
    """Plant a known error in the temporary copy of the monitoring template; returns what was planted."""
    tpl = fx.adapted.get("monitoring")
    if tpl is None:
        return "nothing to plant: no monitoring stack"
    resources = tpl["Resources"]
    of_type = {t: sorted(lid for lid, r in resources.items() if r["Type"] == t)
               for t in ("AWS::CloudWatch::Alarm", "AWS::Logs::MetricFilter", "AWS::CloudWatch::Dashboard")}
    if plant == "alarm" and of_type["AWS::CloudWatch::Alarm"]:
        lid = of_type["AWS::CloudWatch::Alarm"][0]
        del resources[lid]["Properties"]["AlarmActions"]
        what = f"alarm {lid} without AlarmActions"
    elif plant == "filter" and of_type["AWS::Logs::MetricFilter"]:
        lid = of_type["AWS::Logs::MetricFilter"][0]
        for t in resources[lid]["Properties"]["MetricTransformations"]:
            t["MetricName"] = f"{t['MetricName']}Typo"
        what = f"metric filter {lid} produces a metric name no alarm watches"
    elif plant == "dashboard" and of_type["AWS::CloudWatch::Dashboard"]:
        lid = of_type["AWS::CloudWatch::Dashboard"][0]
        body = resources[lid]["Properties"]["DashboardBody"]
        text = body["Fn::Sub"][0] if isinstance(body, dict) and isinstance(body.get("Fn::Sub"), list) else None
        if text is None or "SOURCE '${" not in text:
            return f"nothing to plant: dashboard {lid} has no log query"
        body["Fn::Sub"][0] = text.replace("SOURCE '${", "SOURCE 'planted-${", 1)
        what = f"dashboard {lid} queries a log group that does not exist"
    else:
        return f"nothing to plant: no {plant} in the monitoring template"
    (fx.out / fx.stack_templates["monitoring"]).write_text(json.dumps(tpl, indent=1, default=str) + "\n")
    return what


def run_fixture(answers: Path, stackwright: str, endpoint: str, tmp: Path, venv_bin: Path,
                plant: str | None = None) -> Fixture | Check:
    out = tmp / answers.stem
    proc = subprocess.run([stackwright, "new", "--answers", str(answers), "--out", str(out)],
                          capture_output=True, text=True, timeout=TIMEOUT_GENERATE)
    if proc.returncode != 0:
        c = Check(answers.stem, "generate")
        c.fail(f"stackwright new exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
        return c
    fx = Fixture(answers, out, endpoint, venv_bin)
    adapt_project(fx)
    if plant:
        fx.step("plant").summary = f"planted ({plant}): {plant_error(fx, plant)}"
    envs = [e["name"] for e in fx.envs]
    first = envs[0]
    cross = [e["name"] for e in fx.envs if e.get("account_id")]
    accounts = {PIPELINE_ACCOUNT: None}
    for e in fx.envs:
        if e.get("account_id"):
            accounts.setdefault(str(e["account_id"]), e["name"])
    pipeline_params = f"PipelineAccountId={PIPELINE_ACCOUNT}"

    # 1. refusals before anything exists
    c = fx.step("refusals before bootstrap")
    fx.run_make(c, ["preflight", f"ENV={first}"], fx.account(first), expect_ok=False, expect_text="make bootstrap")
    fx.run_make(c, ["deploy", f"ENV={first}"], fx.account(first), expect_ok=False,
                expect_text="run make bootstrap with these credentials first")
    if fx.stack_status(fx.account(first), f"{fx.project}-{first}-{fx.env_stacks(first)[0]}") is not None:
        c.fail("make deploy created a stack although the deployment bucket is missing")
    for env in cross[:1]:
        fx.run_make(c, ["preflight", f"ENV={env}"], PIPELINE_ACCOUNT, expect_ok=False,
                    expect_text=f"{env} lives in account {fx.account(env)}")
    c.summary = "preflight and deploy stop before bootstrap" + (", wrong account refused" if cross else "")

    # 2. bootstrap, once per account
    c = fx.step("bootstrap")
    for account, env in accounts.items():
        fx.run_make(c, ["bootstrap"] + ([f"ENV={env}"] if env else []), account)
        verify_bucket(fx, c, account)
    c.summary = f"{len(accounts)} account(s): {', '.join(accounts)}"

    # 3. preflight passes (after the README's service-linked-role command when it asks for one)
    c = fx.step("preflight")
    if fx.existing_trail:
        # The project creates no trail: preflight must refuse an account without one, and pass once
        # the account's owner (the workshop's instructor) has a multi-region trail logging.
        fx.run_make(c, ["preflight", f"ENV={first}"], fx.account(first), expect_ok=False,
                    expect_text="no multi-region CloudTrail trail")
        for account in accounts:
            create_account_trail(fx, account)
        c.notes.append(f"security.account_trail existing: preflight refused the account without a trail; a "
                       f"multi-region trail was created and started in {', '.join(accounts)}, as the account's owner would")
    for env in envs:
        account = fx.account(env)
        proc = fx.make(["preflight", f"ENV={env}"], account)
        for service in sorted(set(re.findall(r"create-service-linked-role --aws-service-name (\S+)", proc.stdout))):
            c.notes.append(f"{env}: preflight asked for the {service} service-linked role; created as the README says")
            fx.client("iam", account).create_service_linked_role(AWSServiceName=service)
        fx.run_make(c, ["preflight", f"ENV={env}"], account)
    c.summary = f"{len(envs)} environment(s) pass"

    # 4. the first deployment
    c = fx.step("deploy")
    deployed: dict[str, dict] = {}
    for env in cross:
        if any(s == "deploy-role" for s in fx.env_stacks(env)):
            fx.run_make(c, ["deploy-role", f"ENV={env}", f"PARAMS={pipeline_params}"], fx.account(env))
    if fx.pipeline:
        fx.run_make(c, ["deploy-pipeline", f"PARAMS={pipeline_params}"], PIPELINE_ACCOUNT)
    for env in envs:
        fx.run_make(c, ["deploy", f"ENV={env}", f"PARAMS={pipeline_params}"], fx.account(env))
    if not c.errors:
        pipeline_stacks = [s for s in fx.stack_templates if s not in {x for e in envs for x in fx.env_stacks(e)}]
        if fx.pipeline:
            for stack in pipeline_stacks:
                verify_stack(fx, c, PIPELINE_ACCOUNT, "pipeline", stack, {"CREATE_COMPLETE"})
                fx.counts["deployed"] += 1
        for env in envs:
            outs = {}
            for stack in fx.env_stacks(env):
                outs[stack] = verify_stack(fx, c, fx.account(env), env, stack, {"CREATE_COMPLETE", "UPDATE_COMPLETE"})
                fx.counts["deployed"] += 1
            deployed[env] = outs
        for env in envs:
            spot_checks(fx, c, env, deployed.get(env, {}))
    c.summary = (f"{fx.counts['deployed']} stacks: " + ", ".join(f"{e} {len(fx.env_stacks(e))}" for e in envs)
                 + (f", pipeline {len(fx.stack_templates) - len({x for e in envs for x in fx.env_stacks(e)})}"
                    if fx.pipeline else ""))
    if c.errors:
        return fx

    # 5. update: one changed parameter, make deploy again
    ephemeral = next((e["name"] for e in fx.envs if e.get("profile") == "ephemeral"), None)
    target = ephemeral or first
    c = fx.step("update")
    changed = update_parameter(fx, target)
    if changed is None:
        c.fail(f"no parameter of {target} to change")
    else:
        stack, key, old, new, users = changed
        fx.run_make(c, ["deploy", f"ENV={target}", f"PARAMS={pipeline_params}"], fx.account(target))
        stack_name = f"{fx.project}-{target}-{stack}"
        verify_stack(fx, c, fx.account(target), target, stack, {"UPDATE_COMPLETE"})
        got = {p["ParameterKey"]: p.get("ParameterValue") for p in
               fx.client("cloudformation", fx.account(target)).describe_stacks(StackName=stack_name)["Stacks"][0].get("Parameters", [])}
        if got.get(key) != new:
            c.fail(f"{stack_name}: {key} is {got.get(key)!r} after the update, want {new!r}")
        fx.counts["updated"] += 1
        c.summary = f"{stack_name} {key} {old} -> {new} (feeds {', '.join(users) or 'no resource'}): UPDATE_COMPLETE"
        check_updated_alarms(fx, c, target, stack, key, new)

    # 6. destroy an ephemeral environment
    if ephemeral is None:
        c = fx.step("destroy and redeploy")
        c.summary = "skipped: no ephemeral environment"
        return fx
    c = fx.step("destroy")
    account = fx.account(ephemeral)
    stacks = fx.env_stacks(ephemeral)
    fx.run_make(c, ["destroy", f"ENV={ephemeral}"], account, expect_ok=False, expect_text="aborted", stdin="no\n")
    still = [s for s in stacks if fx.stack_status(account, f"{fx.project}-{ephemeral}-{s}") is not None]
    if still != stacks:
        c.fail(f"a refused destroy deleted {sorted(set(stacks) - set(still))}")
    fx.run_make(c, ["destroy", f"ENV={ephemeral}", f"CONFIRM={ephemeral}"], account)
    left = {s: fx.stack_status(account, f"{fx.project}-{ephemeral}-{s}") for s in stacks}
    left = {s: st for s, st in left.items() if st not in (None, "DELETE_COMPLETE")}
    if left:
        c.fail(f"stacks left after make destroy: {left}")
    fx.counts["destroyed"] += len(stacks) - len(left)
    c.summary = f"{ephemeral}: {len(stacks) - len(left)} of {len(stacks)} stacks deleted (a refused prompt deleted none)"
    if c.errors:
        return fx

    # 7. redeploy it
    c = fx.step("redeploy")
    fx.run_make(c, ["deploy", f"ENV={ephemeral}", f"PARAMS={pipeline_params}"], account)
    if not c.errors:
        outs = {}
        for stack in stacks:
            outs[stack] = verify_stack(fx, c, account, ephemeral, stack, {"CREATE_COMPLETE"})
            fx.counts["redeployed"] += 1
        spot_checks(fx, c, ephemeral, outs)
    c.summary = f"{ephemeral}: {fx.counts['redeployed']} stacks CREATE_COMPLETE again"
    return fx


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stackwright", required=True, help="path to the stackwright binary")
    ap.add_argument("--answers", action="append", required=True, type=Path, help="answers file (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the generated projects (path printed)")
    ap.add_argument("--plant", choices=PLANTS, help="plant a known error in the temporary copy; the run must fail")
    args = ap.parse_args()

    venv_bin = Path(sys.executable).parent
    for tool in ("aws", "make"):
        if not (shutil.which(tool, path=str(venv_bin)) or (tool == "make" and shutil.which(tool))):
            print(f"moto_deploy: {tool} not found ({venv_bin}); install scripts/requirements-checkers.txt", file=sys.stderr)
            return 1
    for var, val in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                     ("AWS_SESSION_TOKEN", "testing"), ("AWS_SECURITY_TOKEN", "testing")):
        os.environ[var] = val
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(var, None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    # AWS-managed policies (AmazonSSMManagedInstanceCore, ...) exist in moto's IAM only when loaded.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

    from moto import __version__ as moto_version

    server, endpoint = start_moto_server(install_managed_policy_shim, install_monitoring_models,
                                         install_database_models)
    cli = subprocess.run([str(venv_bin / "aws"), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"moto_deploy: moto {moto_version} server at {endpoint}; {cli}")
    for shim in SHIMS:
        print(f"moto_deploy: moto shim (emulator bug, template untouched): {shim}")
    checks: list[Check] = []
    unmodelled: dict[str, set[str]] = {}
    totals = {"deployed": 0, "updated": 0, "destroyed": 0, "redeployed": 0}
    t0 = time.monotonic()
    tmpdir = tempfile.mkdtemp(prefix="moto-deploy-") if args.keep else None
    try:
        with tempfile.TemporaryDirectory(prefix="moto-deploy-") as auto_tmp:
            tmp = Path(tmpdir or auto_tmp)
            for answers in args.answers:
                # Each fixture starts from an empty moto.
                urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
                start = time.monotonic()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    result = run_fixture(answers, args.stackwright, endpoint, tmp, venv_bin, args.plant)
                if isinstance(result, Check):
                    print(result.line())
                    for e in result.errors:
                        print(f"  FAIL {e}")
                    checks.append(result)
                    continue
                fx = result
                skipped = [str(w.message) for w in caught if "not supported by moto" in str(w.message)]
                if skipped:  # cannot happen after adapt_project(); fail loudly if it does
                    fx.step("moto skipped resources").fail(f"moto skipped resources: {skipped}")
                for rtype, where in sorted(fx.unmodelled.items()):
                    print(f"moto: {fx.name} not modelled by moto, removed from the temporary copy: {rtype}: {', '.join(sorted(where))}")
                    unmodelled.setdefault(rtype, set()).add(fx.name)
                for d in fx.dependents:
                    print(f"moto: {fx.name}   removed with them: {d}")
                for c in fx.checks:
                    print(c.line())
                    for n in c.notes:
                        print(f"  note: {n}")
                    for e in c.errors:
                        print(f"  FAIL {e}")
                for k in totals:
                    totals[k] += fx.counts[k]
                print(f"moto: {fx.name}: {len(fx.envs)} environment(s), deployed {fx.counts['deployed']} stacks, "
                      f"updated {fx.counts['updated']}, destroyed {fx.counts['destroyed']}, "
                      f"redeployed {fx.counts['redeployed']} ({time.monotonic() - start:.0f}s)")
                checks += fx.checks
            if tmpdir:
                print(f"moto_deploy: projects kept in {tmpdir}")
    finally:
        server.stop()
    print(f"moto_deploy: resource types moto could not model ({len(unmodelled)}): "
          + (", ".join(f"{t} [{', '.join(sorted(f))}]" for t, f in sorted(unmodelled.items())) or "none"))
    print(f"moto_deploy: stacks deployed {totals['deployed']}, updated {totals['updated']}, "
          f"destroyed {totals['destroyed']}, redeployed {totals['redeployed']} in {time.monotonic() - t0:.0f}s")
    passed = sum(1 for c in checks if not c.errors)
    failed = len(checks) - passed
    print(f"moto_deploy: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
