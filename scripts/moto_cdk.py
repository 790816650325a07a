#!/usr/bin/env python3
"""Deploy the CDK flavour's synthesized cloud assembly into a moto server, as `cdk deploy` does.

    python scripts/moto_cdk.py --stackwright target/release/stackwright \
        --answers tests/fixtures/answers/01-minimal-us-east-1.yaml [--answers ...] [--keep]

For each answers file, `stackwright new --set flavor=cdk` writes the project into a temporary
directory, the shared cached node_modules of scripts/check_cdk.py is linked into it and the pinned
CLI runs `cdk synth` (offline, cdk-nag on). The cloud assembly in cdk.out then goes to an
in-process moto server (ThreadedMotoServer on 127.0.0.1), step by step as the project's README
orders it, each step checked:

  1. bootstrap, once per account (the pipeline account is moto's default 123456789012, every
     environment with an account_id is that moto account): what `make bootstrap-policies` does
     (one IAM managed policy per bootstrap/execution-policy-<part>.json, named
     <project>-cdk-exec-<part>), then what `make bootstrap` does: the bootstrap template of the
     project's pinned CLI (aws-cdk/lib/api/bootstrap/bootstrap-template.yaml) deployed as stack
     CDKToolkit through a change set, with CloudFormationExecutionPolicies naming those policies
     and, in an environment account of a project with a pipeline, TrustedAccounts set to the
     pipeline account. Checked: /cdk-bootstrap/<qualifier>/version in SSM, the assets bucket, the
     execution role with exactly those policies attached;
  2. deploy, in the README's order (the pipeline stack, then every environment) and inside an
     environment in the dependency order of cdk.out/manifest.json (nested stage assemblies
     included), each stack as `cdk deploy --method=change-set` does it: the bootstrap version read
     from the SSM parameter the stack names and compared with requiresBootstrapStackVersion, the
     template's Rules (CheckBootstrapVersion) evaluated on it; every file asset of the stack's asset
     manifest (the template itself, zipped directories such as custom-resource provider code)
     uploaded with the file-publishing role's credentials to the bucket and key its destination
     names; the deploy and CloudFormation execution roles looked up before they are used; a change
     set (CREATE, TemplateURL of the uploaded template, RoleARN the execution role, capabilities
     IAM, NAMED_IAM and AUTO_EXPAND, the stack tags of the manifest, the template's own parameter
     defaults: BootstrapVersion resolved by CloudFormation from SSM) created, waited for, executed;
     then CREATE_COMPLETE, every resource of the template in list_stack_resources, every function
     with the code of its asset, every output resolved; spot checks of the first environment's key
     rotation, VPC, subnets and alarms (acting on the security stack's alert topic);
  3. no-op update: every stack again through a change set with the same template, as `cdk deploy
     --force` does: CloudFormation must find no changes (the change set FAILED with "didn't contain
     changes" and is deleted), and the stack keeps its status and every physical id;
  4. destroy every ephemeral environment, its stacks in reverse dependency order as `cdk destroy`
     does; every stack gone; the resources the templates retain are listed;
  5. redeploy it (DEP-04): every stack CREATE_COMPLETE again.

What moto cannot do is printed, never silently dropped: resource types moto has no CloudFormation
model for, and custom resources (moto runs their provider Lambda only in Docker) are removed from
the temporary copy of the template before it is published, by type and logical id, with every
resource and output that refers to one of them (Ref, GetAtt, Sub, an Fn::GetStackOutput of an
output that had to go) and the reason; a stack left with nothing moto can create is printed as
not emulated. moto bugs that make a valid template fail, and resource types moto has as APIs but
not in CloudFormation (CloudWatch alarms and dashboards, metric filters), are handled inside the
in-process server (motolib's shims and models), each printed. The generated project is
never changed; scripts/check_cdk.py checks it with cfn-lint, checkov and its own tests.

Output: one line per step (`moto_cdk: <fixture> <step>: ok|FAIL ... (<seconds>s)`), what moto could
not model, per fixture the stacks, resources and seconds, then `moto_cdk: N passed, M failed`;
exit 1 on any failure. --plant KIND plants a known error in the temporary copy (for proving the
checks: `asset` publishes no zip asset, `output` renames an output another stack reads through
Fn::GetStackOutput, `retain` gives the first ephemeral environment's security stack a retained
bucket with a fixed name); the run must then fail.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.request
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_cdk  # noqa: E402
import matrixlib  # noqa: E402
from motolib import (  # noqa: E402
    SHIMS, Check, adapt, eval_condition, indent, install_get_stack_output_shim, install_managed_policy_shim,
    install_monitoring_models, load_template, moto_gap, start_moto_server, walk,
)

PIPELINE_ACCOUNT = "123456789012"  # moto's default account
PARTITION = "aws"
TOOLKIT_STACK = "CDKToolkit"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
WAIT_SECONDS = 300
PLANTS = ("asset", "output", "retain")


# --------------------------------------------------------------------------
# the cloud assembly


@dataclass
class StackArtifact:
    """One aws:cloudformation:stack artifact of cdk.out (or of a nested stage assembly)."""

    artifact_id: str
    name: str
    directory: Path
    template: Path
    props: dict
    original: str = ""  # the synthesized template, before moto's gaps were taken out
    depends_on: list[str] = field(default_factory=list)  # artifact ids of stacks
    asset_manifests: list[Path] = field(default_factory=list)
    env: str | None = None  # None: the pipeline account's stack


def read_assembly(root: Path) -> dict[str, StackArtifact]:
    """Every stack of the cloud assembly, nested stage assemblies included, by artifact id."""
    stacks: dict[str, StackArtifact] = {}

    def visit(directory: Path) -> None:
        manifest = json.loads((directory / "manifest.json").read_text())
        arts = manifest.get("artifacts") or {}
        for aid, art in arts.items():
            kind = art.get("type")
            props = art.get("properties") or {}
            if kind == "cdk:cloud-assembly":
                visit(directory / props["directoryName"])
            elif kind == "aws:cloudformation:stack":
                deps = art.get("dependencies") or []
                stacks[aid] = StackArtifact(
                    artifact_id=aid, name=props.get("stackName") or aid, directory=directory,
                    template=directory / props["templateFile"], props=props,
                    depends_on=[d for d in deps if (arts.get(d) or {}).get("type") == "aws:cloudformation:stack"],
                    asset_manifests=[directory / arts[d]["properties"]["file"] for d in deps
                                     if (arts.get(d) or {}).get("type") == "cdk:asset-manifest"],
                )

    visit(root)
    return stacks


def deploy_order(stacks: dict[str, StackArtifact], wanted: list[str]) -> list[str]:
    """Artifact ids of `wanted` with every dependency before its dependents (stable)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(aid: str, path: tuple) -> None:
        if aid in seen:
            return
        if aid in path:
            raise ValueError(f"dependency cycle: {' -> '.join(path + (aid,))}")
        for dep in stacks[aid].depends_on:
            if dep in wanted:
                visit(dep, path + (aid,))
        seen.add(aid)
        order.append(aid)

    for aid in wanted:
        visit(aid, ())
    return order


def placeholders(text: str, account: str, region: str) -> str:
    return (text.replace("${AWS::AccountId}", account).replace("${AWS::Region}", region)
            .replace("${AWS::Partition}", PARTITION))


def zip_directory(src: Path, dest: Path) -> None:
    """A directory asset as cdk packages it: every file, sorted, with a fixed timestamp."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(src).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            z.writestr(info, path.read_bytes())


def output_refs(node: Any) -> set[tuple[str, str]]:
    """(stack name, output name) of every Fn::GetStackOutput with literal names in a fragment."""
    found = set()
    for value in walk(node):
        if isinstance(value, dict) and isinstance(value.get("Fn::GetStackOutput"), dict):
            spec = value["Fn::GetStackOutput"]
            if isinstance(spec.get("StackName"), str) and isinstance(spec.get("OutputName"), str):
                found.add((spec["StackName"], spec["OutputName"]))
    return found


# --------------------------------------------------------------------------
# one fixture


class Fixture:
    def __init__(self, answers: Path, out: Path, endpoint: str, plant: str | None) -> None:
        self.name = answers.stem
        self.out = out
        self.endpoint = endpoint
        self.plant = plant
        self.checks: list[Check] = []
        stored = yaml.safe_load((out / ".stackwright" / "answers.yaml").read_text())
        self.project = stored["project"]["name"]
        self.region = stored["region"]
        self.envs = stored["environments"]
        self.azs = int(stored["network"]["availability_zones"])
        self.pipeline = bool(stored["pipeline"]["stages"])
        self.creds: dict[str, dict[str, str]] = {}
        self.stacks: dict[str, StackArtifact] = {}
        self.adapted: dict[str, dict] = {}
        self.unmodelled: dict[str, set[str]] = {}
        self.dependents: list[str] = []
        self.retained: list[str] = []
        self.skipped: set[str] = set()  # stacks moto can create nothing of
        self.physical: dict[str, dict[str, str]] = {}
        self.counts = {"stacks": 0, "resources": 0, "deployable": 0, "deployed": 0, "unchanged": 0, "destroyed": 0,
                       "redeployed": 0, "assets": 0}
        self.synth_seconds = 0.0

    # ---- accounts and clients

    def account(self, env: str | None) -> str:
        if env is None:
            return PIPELINE_ACCOUNT
        entry = next(e for e in self.envs if e["name"] == env)
        return str(entry.get("account_id") or PIPELINE_ACCOUNT)

    def assume(self, role_arn: str, session: str) -> dict[str, str]:
        import boto3

        sts = boto3.client("sts", region_name=self.region, endpoint_url=self.endpoint,
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        c = sts.assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
        return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
                "aws_session_token": c["SessionToken"]}

    def credentials(self, account: str) -> dict[str, str]:
        """An administrator of the account (what `make bootstrap` runs with)."""
        if account not in self.creds:
            if account == PIPELINE_ACCOUNT:
                self.creds[account] = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing",
                                       "aws_session_token": "testing"}
            else:
                self.creds[account] = self.assume(f"arn:aws:iam::{account}:role/{self.project}-moto-admin", "moto-cdk")
        return self.creds[account]

    def client(self, service: str, account: str, creds: dict[str, str] | None = None) -> Any:
        import boto3

        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint,
                            **(creds or self.credentials(account)))

    def step(self, name: str) -> Check:
        check = Check(self.name, name, prefix="moto_cdk")
        self.checks.append(check)
        return check

    def env_stacks(self, env: str | None, all_stacks: bool = False) -> list[str]:
        """Artifact ids of an environment's stacks (None: the pipeline account's), in deploy order;
        without the stacks moto can create nothing of unless all_stacks."""
        order = deploy_order(self.stacks, [a for a, s in self.stacks.items() if s.env == env])
        return order if all_stacks else [a for a in order if a not in self.skipped]


def classify(fx: Fixture) -> None:
    names = sorted((e["name"] for e in fx.envs), key=len, reverse=True)
    for st in fx.stacks.values():
        st.env = next((n for n in names if st.name.startswith(f"{fx.project}-{n}-")), None)


# --------------------------------------------------------------------------
# what moto cannot model, and planted errors


def adapt_assembly(fx: Fixture) -> None:
    """Rewrite the temporary cdk.out's templates without what moto cannot create; record it all."""
    removed_outputs: set[tuple[str, str]] = set()

    def lost(node: Any) -> str | None:
        for stack, output in sorted(output_refs(node) & removed_outputs):
            return f"reads output {output} of {stack} (Fn::GetStackOutput), which moto could not produce"
        return None

    order = fx.env_stacks(None, True) + [a for e in fx.envs for a in fx.env_stacks(e["name"], True)]
    for aid in order:
        st = fx.stacks[aid]
        st.original = st.template.read_text()
        result = adapt(json.loads(st.original), lost)
        fx.adapted[aid] = result["template"]
        for rtype, lids in result["unmodelled"].items():
            fx.unmodelled.setdefault(rtype, set()).update(f"{st.name}:{lid}" for lid in lids)
        fx.dependents += [f"{st.name}: {d}" for d in result["dependents"]]
        fx.dependents += [f"{st.name}: Output {o}: {why}" for o, why in result["outputs"].items()]
        removed_outputs |= {(st.name, o) for o in result["outputs"]}
        if result["unmodelled"] or result["dependents"] or result["outputs"]:
            st.template.write_text(json.dumps(result["template"], indent=1) + "\n")


def plant_error(fx: Fixture) -> str:
    """Plant the --plant error in the temporary copy; returns what was planted."""
    if fx.plant == "output":
        for aid, tpl in fx.adapted.items():
            for stack, output in sorted(output_refs(tpl)):
                producer = next(a for a, s in fx.stacks.items() if s.name == stack)
                outs = fx.adapted[producer].get("Outputs", {})
                if output in outs:
                    outs[f"{output}Renamed"] = outs.pop(output)
                    fx.stacks[producer].template.write_text(json.dumps(fx.adapted[producer], indent=1) + "\n")
                    return f"output {output} of {stack} renamed (read by {fx.stacks[aid].name})"
        return "nothing to plant: no Fn::GetStackOutput"
    if fx.plant == "retain":
        env = next((e["name"] for e in fx.envs if e.get("profile") == "ephemeral"), None)
        aid = next((a for a in fx.env_stacks(env) if fx.stacks[a].name.endswith("-security")), None)
        if env is None or aid is None:
            return "nothing to plant: no ephemeral security stack"
        tpl = fx.adapted[aid]
        tpl["Resources"]["PlantedRetainedBucket"] = {
            "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"BucketName": f"{fx.project}-{env}-planted-fixed-name"}}
        fx.stacks[aid].template.write_text(json.dumps(tpl, indent=1) + "\n")
        return f"{fx.stacks[aid].name}: retained bucket {fx.project}-{env}-planted-fixed-name"
    return "zip assets are not published" if fx.plant == "asset" else ""


# --------------------------------------------------------------------------
# bootstrap


def bootstrap_template(out: Path) -> Path:
    path = out / "node_modules" / "aws-cdk" / "lib" / "api" / "bootstrap" / "bootstrap-template.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the pinned CLI's bootstrap template is missing")
    return path


def wait_stack(cfn: Any, name: str, check: Check) -> dict:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        desc = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not desc["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return desc
        time.sleep(0.5)


def failure_reasons(cfn: Any, name: str) -> list[str]:
    try:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    except Exception:  # noqa: BLE001
        return []
    return [f"{e['LogicalResourceId']}: {e['ResourceStatusReason']}" for e in events
            if e.get("ResourceStatusReason") and "FAILED" in e.get("ResourceStatus", "")][:5]


def change_set_deploy(cfn: Any, check: Check, stack_name: str, change_set_type: str, want: str,
                      **kwargs: Any) -> dict | None:
    """Create, wait for, execute a change set and wait for the stack; None (and a failure) if it did not reach `want`."""
    try:
        cs = cfn.create_change_set(StackName=stack_name, ChangeSetName="cdk-deploy-change-set",
                                   ChangeSetType=change_set_type, **kwargs)
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            desc = cfn.describe_change_set(ChangeSetName=cs["Id"])
            if desc["Status"] in ("CREATE_COMPLETE", "FAILED") or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if desc["Status"] != "CREATE_COMPLETE":
            check.fail(f"{stack_name}: change set {desc['Status']}: {desc.get('StatusReason')}")
            return None
        cfn.execute_change_set(ChangeSetName=cs["Id"])
        stack = wait_stack(cfn, stack_name, check)
    except Exception as e:  # noqa: BLE001
        check.fail(f"{stack_name}: {change_set_type} change set: {e}")
        return None
    if stack["StackStatus"] != want:
        check.fail(f"{stack_name}: {stack['StackStatus']}, want {want}: {failure_reasons(cfn, stack_name)}")
        return None
    return stack


def bootstrap_account(fx: Fixture, check: Check, account: str, trusted: str | None) -> None:
    """`make bootstrap-policies` and `make bootstrap` in one account."""
    iam = fx.client("iam", account)
    arns = []
    for policy in sorted((fx.out / "bootstrap").glob("execution-policy-*.json")):
        part = policy.stem.removeprefix("execution-policy-")
        try:
            arns.append(iam.create_policy(PolicyName=f"{fx.project}-cdk-exec-{part}",
                                          PolicyDocument=policy.read_text())["Policy"]["Arn"])
        except Exception as e:  # noqa: BLE001
            check.fail(f"{account}: create-policy {policy.name}: {e}")
    if not arns:
        check.fail(f"{account}: no bootstrap/execution-policy-*.json to bootstrap with")
        return
    tpl = fx.adapted[TOOLKIT_STACK]
    params = {"CloudFormationExecutionPolicies": ",".join(arns)}
    if trusted:
        params.update({"TrustedAccounts": trusted, "TrustedAccountsForLookup": trusted})
    cfn = fx.client("cloudformation", account)
    stack = change_set_deploy(
        cfn, check, TOOLKIT_STACK, "CREATE", "CREATE_COMPLETE", TemplateBody=json.dumps(tpl),
        Capabilities=CAPABILITIES, Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
    if stack is None:
        return
    outs = {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs", [])}
    qualifier = str(tpl["Parameters"]["Qualifier"]["Default"])
    want_version = str(tpl["Resources"]["CdkBootstrapVersion"]["Properties"]["Value"])
    try:
        got = fx.client("ssm", account).get_parameter(Name=f"/cdk-bootstrap/{qualifier}/version")["Parameter"]["Value"]
        if got != want_version or outs.get("BootstrapVersion") != want_version:
            check.fail(f"{account}: bootstrap version {got} (output {outs.get('BootstrapVersion')}), want {want_version}")
    except Exception as e:  # noqa: BLE001
        check.fail(f"{account}: /cdk-bootstrap/{qualifier}/version: {e}")
    bucket = f"cdk-{qualifier}-assets-{account}-{fx.region}"
    if outs.get("BucketName") != bucket:
        check.fail(f"{account}: assets bucket output {outs.get('BucketName')!r}, want {bucket}")
    try:
        fx.client("s3", account).head_bucket(Bucket=bucket)
    except Exception as e:  # noqa: BLE001
        check.fail(f"{account}: assets bucket {bucket}: {e}")
    role = f"cdk-{qualifier}-cfn-exec-role-{account}-{fx.region}"
    try:
        attached = sorted(p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"])
        if attached != sorted(arns):
            check.fail(f"{account}: {role} has {attached}, want exactly the execution policies {sorted(arns)}")
    except Exception as e:  # noqa: BLE001
        check.fail(f"{account}: execution role {role}: {e}")
    check.notes.append(f"{account}: CDKToolkit version {want_version}, {len(arns)} execution policies"
                       + (f", trusts {trusted}" if trusted else ""))


# --------------------------------------------------------------------------
# cdk deploy of one stack


def stack_parameters(fx: Fixture, tpl: dict, account: str) -> dict[str, str]:
    """The values CloudFormation resolves for the template's parameters (defaults; SSM-typed from SSM)."""
    values = {}
    ssm = fx.client("ssm", account)
    for key, spec in (tpl.get("Parameters") or {}).items():
        value = spec.get("Default")
        if value is not None and str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
            value = ssm.get_parameter(Name=str(value))["Parameter"]["Value"]
        if value is not None:
            values[key] = str(value)
    return values


def check_rules(tpl: dict, values: dict[str, str]) -> list[str]:
    """Assertions of the template's Rules that do not hold (CloudFormation refuses the stack then)."""
    failed = []
    for name, rule in (tpl.get("Rules") or {}).items():
        if "RuleCondition" in rule and eval_condition(rule["RuleCondition"], {}, values) is False:
            continue
        for assertion in rule.get("Assertions", []):
            holds = eval_condition(assertion["Assert"], {}, values)
            if holds is not True:
                failed.append(f"rule {name}: {assertion.get('AssertDescription', assertion['Assert'])}"
                              + (" (not evaluable)" if holds is None else ""))
    return failed


def role_exists(fx: Fixture, account: str, arn: str) -> str | None:
    try:
        fx.client("iam", account).get_role(RoleName=arn.rsplit("/", 1)[-1])
        return None
    except Exception as e:  # noqa: BLE001
        return f"role {arn}: {e}"


def publish_assets(fx: Fixture, check: Check, st: StackArtifact, account: str) -> int:
    """Upload the stack's file assets as cdk-assets does; returns how many were uploaded."""
    uploaded = 0
    for manifest_path in st.asset_manifests:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("dockerImages"):
            check.fail(f"{st.name}: container image assets are not emulated: {sorted(manifest['dockerImages'])}")
        for asset_id, asset in (manifest.get("files") or {}).items():
            source = (manifest_path.parent / asset["source"]["path"]).resolve()
            packaging = asset["source"].get("packaging", "file")
            if fx.plant == "asset" and packaging == "zip":
                continue
            for dest in asset["destinations"].values():
                bucket = placeholders(dest["bucketName"], account, fx.region)
                key = placeholders(dest["objectKey"], account, fx.region)
                role = placeholders(dest.get("assumeRoleArn", ""), account, fx.region)
                if role and (why := role_exists(fx, account, role)):
                    check.fail(f"{st.name}: asset {asset_id[:12]}: publishing {why}")
                    continue
                creds = fx.assume(role, "cdk-assets") if role else None
                s3 = fx.client("s3", account, creds)
                try:
                    if packaging == "zip":
                        with tempfile.TemporaryDirectory() as tmp:
                            archive = Path(tmp) / "asset.zip"
                            zip_directory(source, archive)
                            s3.put_object(Bucket=bucket, Key=key, Body=archive.read_bytes())
                    else:
                        s3.put_object(Bucket=bucket, Key=key, Body=source.read_bytes())
                    uploaded += 1
                except Exception as e:  # noqa: BLE001
                    check.fail(f"{st.name}: asset {asset['displayName'] if 'displayName' in asset else asset_id} "
                               f"to s3://{bucket}/{key}: {e}")
    return uploaded


def deploy_stack(fx: Fixture, check: Check, aid: str, account: str) -> dict | None:
    """`cdk deploy` of one stack into a bootstrapped account; returns the described stack."""
    st = fx.stacks[aid]
    props = st.props
    ssm_name = props.get("bootstrapStackVersionSsmParameter", "/cdk-bootstrap/hnb659fds/version")
    try:
        version = int(fx.client("ssm", account).get_parameter(Name=ssm_name)["Parameter"]["Value"])
    except Exception as e:  # noqa: BLE001
        check.fail(f"{st.name}: {ssm_name}: {e} (not bootstrapped?)")
        return None
    if version < int(props.get("requiresBootstrapStackVersion", 0)):
        check.fail(f"{st.name}: bootstrap version {version} < required {props['requiresBootstrapStackVersion']}")
        return None
    tpl = fx.adapted[aid]
    refused = check_rules(tpl, stack_parameters(fx, tpl, account))
    if refused:
        check.fail(f"{st.name}: {'; '.join(refused)}")
        return None
    fx.counts["assets"] += publish_assets(fx, check, st, account)
    deploy_role = placeholders(props["assumeRoleArn"], account, fx.region)
    exec_role = placeholders(props["cloudFormationExecutionRoleArn"], account, fx.region)
    for role in (deploy_role, exec_role):
        if why := role_exists(fx, account, role):
            check.fail(f"{st.name}: {why}")
            return None
    url = placeholders(props["stackTemplateAssetObjectUrl"], account, fx.region)
    bucket, key = url.removeprefix("s3://").split("/", 1)
    cfn = fx.client("cloudformation", account, fx.assume(deploy_role, "cdk-deploy"))
    tags = [{"Key": k, "Value": v} for k, v in sorted((props.get("tags") or {}).items())]
    existing = stack_status(cfn, st.name)
    stack = change_set_deploy(
        cfn, check, st.name, "UPDATE" if existing else "CREATE", "UPDATE_COMPLETE" if existing else "CREATE_COMPLETE",
        TemplateURL=f"https://s3.{fx.region}.amazonaws.com/{bucket}/{key}", RoleARN=exec_role,
        Capabilities=CAPABILITIES, Tags=tags)
    if stack is None:
        return None
    verify_stack(fx, check, cfn, aid, stack)
    return stack


def stack_status(cfn: Any, name: str) -> str | None:
    try:
        status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
    except Exception as e:  # noqa: BLE001
        if "does not exist" in str(e):
            return None
        raise
    return None if status == "DELETE_COMPLETE" else status


def verify_stack(fx: Fixture, check: Check, cfn: Any, aid: str, desc: dict) -> None:
    """Every resource of the (adapted) template present with a physical id, every output resolved."""
    st, tpl = fx.stacks[aid], fx.adapted[aid]
    values = {k: str(v.get("Default")) for k, v in (tpl.get("Parameters") or {}).items() if "Default" in v}
    conditions = tpl.get("Conditions") or {}
    present = {r["LogicalResourceId"]: r.get("PhysicalResourceId")
               for page in cfn.get_paginator("list_stack_resources").paginate(StackName=st.name)
               for r in page["StackResourceSummaries"]}
    for lid, res in tpl["Resources"].items():
        wanted = True if "Condition" not in res else eval_condition(conditions.get(res["Condition"]), conditions, values)
        if wanted and lid not in present:
            check.fail(f"{st.name}: resource {lid} ({res['Type']}) missing from list_stack_resources")
        elif wanted and not present[lid]:
            note = f"moto lists {res['Type']} resources without a physical id (its model has none)"
            if note not in check.notes:
                check.notes.append(note)
    fx.physical[aid] = present
    # CloudFormation fails a function whose code object is missing; moto creates it with empty code.
    for lid, res in tpl["Resources"].items():
        code = (res.get("Properties") or {}).get("Code") or {}
        if res["Type"] != "AWS::Lambda::Function" or "S3Key" not in code or not present.get(lid):
            continue
        try:
            size = fx.client("lambda", fx.account(st.env)).get_function(
                FunctionName=present[lid])["Configuration"].get("CodeSize", 0)
        except Exception as e:  # noqa: BLE001
            check.fail(f"{st.name}: function {lid}: {e}")
            continue
        if not size:
            check.fail(f"{st.name}: function {lid} has no code: its asset {code['S3Key']} is not in the assets "
                       "bucket (CloudFormation fails the resource: NoSuchKey)")
    outs = {o["OutputKey"]: o.get("OutputValue") for o in desc.get("Outputs", [])}
    for name in tpl.get("Outputs") or {}:
        value = outs.get(name)
        if value in (None, "", "None") or re.search(r"Fn::|\{'Ref'|\$\{", str(value)):
            check.fail(f"{st.name}: output {name} unresolved ({value!r})")


def spot_checks(fx: Fixture, check: Check, env: str) -> None:
    """The first environment's key, VPC and subnets, through moto's own APIs."""
    account = fx.account(env)
    outs: dict[str, str] = {}
    cfn = fx.client("cloudformation", account)
    for aid in fx.env_stacks(env):
        desc = cfn.describe_stacks(StackName=fx.stacks[aid].name)["Stacks"][0]
        outs.update({o["OutputKey"]: o.get("OutputValue") for o in desc.get("Outputs", [])})
    if "KmsKeyArn" in outs:
        kms = fx.client("kms", account)
        try:
            if not kms.get_key_rotation_status(KeyId=outs["KmsKeyArn"])["KeyRotationEnabled"]:
                check.fail(f"{env}: KMS key {outs['KmsKeyArn']}: rotation not enabled")
        except Exception as e:  # noqa: BLE001
            check.fail(f"{env}: KMS key {outs['KmsKeyArn']}: {e}")
    else:
        check.fail(f"{env}: no KmsKeyArn output")
    alarms = [a for page in fx.client("cloudwatch", account).get_paginator("describe_alarms").paginate()
              for a in page["MetricAlarms"] if a["AlarmName"].startswith(f"{fx.project}-{env}-")]
    if any(fx.stacks[a].name.endswith("-monitoring") for a in fx.env_stacks(env)):
        wrong = [a["AlarmName"] for a in alarms if set(a.get("AlarmActions") or []) != {outs.get("AlertTopicArn")}]
        if not alarms:
            check.fail(f"{env}: the monitoring stack is deployed but CloudWatch has no {fx.project}-{env}- alarm")
        elif wrong:
            check.fail(f"{env}: alarms not acting on the alert topic {outs.get('AlertTopicArn')}: {wrong[:5]}")
        else:
            check.notes.append(f"{env}: {len(alarms)} alarms act on the alert topic {outs.get('AlertTopicArn')}")
    ec2 = fx.client("ec2", account)
    try:
        vpc = ec2.describe_vpcs(VpcIds=[outs["VpcId"]])["Vpcs"][0]
        want_cidr = next((e.get("vpc_cidr") for e in fx.envs if e["name"] == env), None)
        if want_cidr and vpc["CidrBlock"] != want_cidr:
            check.fail(f"{env}: VPC CIDR {vpc['CidrBlock']}, answers say {want_cidr}")
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [outs["VpcId"]]}])["Subnets"]
        zones = {s["AvailabilityZone"] for s in subnets}
        if len(subnets) != 3 * fx.azs or len(zones) != fx.azs:
            check.fail(f"{env}: {len(subnets)} subnets in {len(zones)} AZs, want 3 x {fx.azs} in {fx.azs}")
        listed = set(outs.get("PrivateSubnetIds", "").split(",")) | set(outs.get("IsolatedSubnetIds", "").split(","))
        if not listed <= {s["SubnetId"] for s in subnets}:
            check.fail(f"{env}: subnet outputs {sorted(listed)} not in the VPC")
    except Exception as e:  # noqa: BLE001
        check.fail(f"{env}: VPC {outs.get('VpcId')}: {e}")


# --------------------------------------------------------------------------
# the run


def synth(fx: Fixture, check: Check) -> bool:
    res = check_cdk.Result(fx.name)
    env = dict(os.environ, **check_cdk.OFFLINE_ENV)
    start = time.monotonic()
    ok = check_cdk.check_synth(res, fx.out, env)
    fx.synth_seconds = time.monotonic() - start
    for title, detail in res.problems:
        check.fail(f"{title}\n{indent(matrixlib.trim(detail, 30))}" if detail else title)
    check.summary = f"cdk-nag {res.nag_findings} findings, {res.nag_acknowledged} acknowledged"
    check.seconds = fx.synth_seconds
    return ok and not res.problems


def timed_step(fx: Fixture, name: str):
    check = fx.step(name)
    check.started = time.monotonic()
    return check


def done(check: Check) -> None:
    check.seconds = time.monotonic() - check.started


def run_fixture(answers: Path, stackwright: str, endpoint: str, tmp: Path, node_modules: Path,
                plant: str | None) -> Fixture | Check:
    out = tmp / answers.stem
    proc = matrixlib.run([stackwright, "new", "--answers", answers, "--set", "flavor=cdk", "--out", out],
                         env=dict(os.environ, NO_COLOR="1", XDG_CONFIG_HOME=str(tmp / "xdg")), timeout=120)
    if proc.returncode != 0:
        c = Check(answers.stem, "generate", prefix="moto_cdk")
        c.fail(f"stackwright new exited {proc.returncode}: {matrixlib.output_of(proc)[-2000:]}")
        return c
    (out / "node_modules").symlink_to(node_modules)
    fx = Fixture(answers, out, endpoint, plant)
    c = fx.step("synth")
    if not synth(fx, c):
        return fx
    fx.stacks = read_assembly(out / "cdk.out")
    classify(fx)
    adapt_assembly(fx)
    boot = adapt(load_template(bootstrap_template(out)))
    fx.adapted[TOOLKIT_STACK] = boot["template"]
    for rtype, lids in boot["unmodelled"].items():
        fx.unmodelled.setdefault(rtype, set()).update(f"{TOOLKIT_STACK}:{lid}" for lid in lids)
    fx.dependents += [f"{TOOLKIT_STACK}: {d}" for d in boot["dependents"]]
    fx.dependents += [f"{TOOLKIT_STACK}: Output {o}: {why}" for o, why in boot["outputs"].items()]
    if plant:
        c.notes.append(f"planted ({plant}): {plant_error(fx)}")
    envs = [e["name"] for e in fx.envs]
    for aid, st in fx.stacks.items():
        total = len(json.loads(st.original).get("Resources") or {})
        kept = len(fx.adapted[aid]["Resources"])
        c.notes.append(f"{st.name}: {kept} of {total} resources deployable in moto"
                       + (f" ({total - kept} excluded, listed above)" if kept != total else ""))
        if not kept:
            # CloudFormation refuses a template without resources: nothing of this stack can be emulated.
            fx.skipped.add(aid)
            c.notes.append(f"{st.name}: NOT EMULATED, moto can create none of its {total} resources (listed above)")
    fx.counts["stacks"] = len(fx.stacks)
    fx.counts["resources"] = sum(len(json.loads(s.original).get("Resources") or {}) for s in fx.stacks.values())
    fx.counts["deployable"] = sum(len(fx.adapted[a]["Resources"]) for a in fx.stacks)
    c.summary += (f"; {len(fx.stacks)} stacks, {fx.counts['resources']} resources synthesized, "
                  f"{fx.counts['deployable']} deployable in moto")

    # 1. bootstrap, once per account
    c = timed_step(fx, "bootstrap")
    accounts = {PIPELINE_ACCOUNT: None}
    for e in fx.envs:
        if e.get("account_id") and str(e["account_id"]) != PIPELINE_ACCOUNT:
            accounts[str(e["account_id"])] = PIPELINE_ACCOUNT if fx.pipeline else None
    for account, trusted in accounts.items():
        bootstrap_account(fx, c, account, trusted)
    c.summary = f"{len(accounts)} account(s): {', '.join(accounts)}"
    done(c)
    if c.errors:
        return fx

    # 2. deploy: the pipeline stack, then every environment in order
    c = timed_step(fx, "deploy")
    plan = [(None, fx.env_stacks(None))] + [(e, fx.env_stacks(e)) for e in envs]
    for env, aids in plan:
        for aid in aids:
            if deploy_stack(fx, c, aid, fx.account(env)) is not None:
                fx.counts["deployed"] += 1
    if not c.errors:
        spot_checks(fx, c, envs[0])
    c.summary = (f"{fx.counts['deployed']} stacks, {fx.counts['assets']} assets published"
                 + (f", {len(fx.skipped)} not emulated" if fx.skipped else "") + ": "
                 + ", ".join(f"{env or 'pipeline'} {len(aids)}" for env, aids in plan))
    done(c)
    if c.errors:
        return fx

    # 3. no-op update of every stack
    c = timed_step(fx, "no-op update")
    for env, aids in plan:
        account = fx.account(env)
        for aid in aids:
            noop_update(fx, c, aid, account)
    c.summary = f"{fx.counts['unchanged']} stacks: change set without changes, physical ids kept"
    done(c)

    # 4. destroy the ephemeral environments, 5. redeploy them
    ephemeral = [e["name"] for e in fx.envs if e.get("profile") == "ephemeral"]
    if not ephemeral:
        c = fx.step("destroy and redeploy")
        c.summary = "skipped: no ephemeral environment"
        return fx
    c = timed_step(fx, "destroy")
    for env in ephemeral:
        destroy_env(fx, c, env)
    c.summary = (f"{', '.join(ephemeral)}: {fx.counts['destroyed']} stacks deleted in reverse order; retained: "
                 + (", ".join(fx.retained) or "nothing"))
    done(c)
    if c.errors:
        return fx
    c = timed_step(fx, "redeploy")
    for env in ephemeral:
        for aid in fx.env_stacks(env):
            if deploy_stack(fx, c, aid, fx.account(env)) is not None:
                fx.counts["redeployed"] += 1
    c.summary = f"{', '.join(ephemeral)}: {fx.counts['redeployed']} stacks CREATE_COMPLETE again"
    done(c)
    return fx


def noop_update(fx: Fixture, check: Check, aid: str, account: str) -> None:
    """`cdk deploy --force` of an unchanged stack: the change set must find no changes."""
    st = fx.stacks[aid]
    props = st.props
    url = placeholders(props["stackTemplateAssetObjectUrl"], account, fx.region)
    bucket, key = url.removeprefix("s3://").split("/", 1)
    cfn = fx.client("cloudformation", account,
                    fx.assume(placeholders(props["assumeRoleArn"], account, fx.region), "cdk-deploy"))
    before = stack_status(cfn, st.name)
    try:
        cs = cfn.create_change_set(
            StackName=st.name, ChangeSetName="cdk-deploy-change-set", ChangeSetType="UPDATE",
            TemplateURL=f"https://s3.{fx.region}.amazonaws.com/{bucket}/{key}",
            RoleARN=placeholders(props["cloudFormationExecutionRoleArn"], account, fx.region),
            Capabilities=CAPABILITIES,
            Tags=[{"Key": k, "Value": v} for k, v in sorted((props.get("tags") or {}).items())])
        desc = cfn.describe_change_set(ChangeSetName=cs["Id"])
        if desc["Status"] != "FAILED" or "didn't contain changes" not in str(desc.get("StatusReason")):
            check.fail(f"{st.name}: an unchanged deploy produced a change set {desc['Status']} "
                       f"with {len(desc.get('Changes', []))} change(s): {desc.get('StatusReason')}")
        cfn.delete_change_set(ChangeSetName=cs["Id"])
    except Exception as e:  # noqa: BLE001
        check.fail(f"{st.name}: no-op change set: {e}")
        return
    after = stack_status(cfn, st.name)
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId")
                for page in cfn.get_paginator("list_stack_resources").paginate(StackName=st.name)
                for r in page["StackResourceSummaries"]}
    if after != before or physical != fx.physical.get(aid):
        changed = sorted(k for k in set(physical) | set(fx.physical.get(aid, {}))
                         if physical.get(k) != fx.physical.get(aid, {}).get(k))
        check.fail(f"{st.name}: {before} -> {after}, physical ids changed: {changed[:10]}")
    else:
        fx.counts["unchanged"] += 1


def destroy_env(fx: Fixture, check: Check, env: str) -> None:
    """`cdk destroy --force` of an environment's stacks, in reverse dependency order."""
    account = fx.account(env)
    for aid in reversed(fx.env_stacks(env)):
        st = fx.stacks[aid]
        fx.retained += [f"{st.name}:{lid} ({r['Type']})" for lid, r in fx.adapted[aid]["Resources"].items()
                        if r.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")]
        cfn = fx.client("cloudformation", account,
                        fx.assume(placeholders(st.props["assumeRoleArn"], account, fx.region), "cdk-destroy"))
        try:
            cfn.delete_stack(StackName=st.name,
                             RoleARN=placeholders(st.props["cloudFormationExecutionRoleArn"], account, fx.region))
            deadline = time.monotonic() + WAIT_SECONDS
            while (status := stack_status(cfn, st.name)) is not None and time.monotonic() < deadline:
                if not status.endswith("_IN_PROGRESS"):
                    break
                time.sleep(0.5)
        except Exception as e:  # noqa: BLE001
            check.fail(f"{st.name}: delete: {e}")
            continue
        if status is not None:
            check.fail(f"{st.name}: {status} after delete: {failure_reasons(cfn, st.name)}")
        else:
            fx.counts["destroyed"] += 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stackwright", required=True, type=Path, help="path to the stackwright binary")
    ap.add_argument("--answers", action="append", required=True, type=Path, help="answers file (repeatable)")
    ap.add_argument("--cache", type=Path,
                    default=Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stackwright",
                    help="where the shared node_modules is kept (default ~/.cache/stackwright, as check_cdk.py)")
    ap.add_argument("--keep", action="store_true", help="keep the generated projects (path printed)")
    ap.add_argument("--plant", choices=PLANTS, help="plant a known error in the temporary copy; the run must fail")
    args = ap.parse_args()

    stackwright = args.stackwright.resolve()
    if not (stackwright.is_file() and os.access(stackwright, os.X_OK)):
        sys.exit(f"moto_cdk: {args.stackwright} is not an executable file (build it first)")
    if not shutil.which("npm") or not shutil.which("node"):
        sys.exit("moto_cdk: node and npm are needed")
    for var, val in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                     ("AWS_SESSION_TOKEN", "testing"), ("AWS_SECURITY_TOKEN", "testing")):
        os.environ[var] = val
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(var, None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    # AWS-managed policies (AWSLambdaBasicExecutionRole, ...) exist in moto's IAM only when loaded.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

    from moto import __version__ as moto_version
    node_modules = check_cdk.install_node_modules(args.cache.resolve())
    server, endpoint = start_moto_server(install_get_stack_output_shim, install_managed_policy_shim,
                                         install_monitoring_models)
    print(f"moto_cdk: moto {moto_version} server at {endpoint}", flush=True)
    for shim in SHIMS:
        print(f"moto_cdk: moto shim (emulator bug, template untouched): {shim}")
    checks: list[Check] = []
    gaps: dict[str, set[str]] = {}
    t0 = time.monotonic()
    tmpdir = tempfile.mkdtemp(prefix="moto-cdk-") if args.keep else None
    try:
        with tempfile.TemporaryDirectory(prefix="moto-cdk-") as auto_tmp:
            tmp = Path(tmpdir or auto_tmp)
            for answers in args.answers:
                urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
                start = time.monotonic()
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    result = run_fixture(answers, str(stackwright), endpoint, tmp, node_modules, args.plant)
                if isinstance(result, Check):
                    report([result])
                    checks.append(result)
                    continue
                fx = result
                skipped = [str(w.message) for w in caught if "not supported by moto" in str(w.message)]
                if skipped:  # adapt_assembly() removed them all; fail loudly if moto still skipped one
                    fx.step("moto skipped resources").fail(f"moto skipped resources: {skipped}")
                for rtype, where in sorted(fx.unmodelled.items()):
                    print(f"moto_cdk: {fx.name} excluded, {moto_gap(rtype)}: {rtype}: {', '.join(sorted(where))}")
                    gaps.setdefault(rtype, set()).add(fx.name)
                for d in fx.dependents:
                    print(f"moto_cdk: {fx.name}   excluded with them: {d}")
                report(fx.checks)
                print(f"moto_cdk: {fx.name}: {fx.counts['stacks']} stacks, {fx.counts['resources']} resources "
                      f"({fx.counts['deployable']} deployable in moto, {fx.counts['resources'] - fx.counts['deployable']} excluded) "
                      f"({len(fx.envs)} environment(s) and the pipeline account); deployed {fx.counts['deployed']}, "
                      f"unchanged on update {fx.counts['unchanged']}, destroyed {fx.counts['destroyed']}, "
                      f"redeployed {fx.counts['redeployed']}; synth {fx.synth_seconds:.0f}s, "
                      f"total {time.monotonic() - start:.0f}s", flush=True)
                checks += fx.checks
            if tmpdir:
                print(f"moto_cdk: projects kept in {tmpdir}")
    finally:
        server.stop()
    print("moto_cdk: excluded from the emulated deploy (" + str(len(gaps)) + " types): "
          + (", ".join(f"{t} [{', '.join(sorted(f))}]" for t, f in sorted(gaps.items())) or "none"))
    passed = sum(1 for c in checks if not c.errors)
    failed = len(checks) - passed
    print(f"moto_cdk: took {time.monotonic() - t0:.0f}s")
    print(f"moto_cdk: {passed} passed, {failed} failed")
    return 1 if failed else 0


def report(checks: list[Check]) -> None:
    for c in checks:
        print(c.line())
        for n in c.notes:
            print(f"  note: {n}")
        for e in c.errors:
            print(f"  FAIL {e}")
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
