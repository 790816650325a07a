#!/usr/bin/env python3
"""Read-only checks before the first deploy of an environment (`make preflight ENV=<env>`).

    scripts/preflight.py ENV

Checks, in this order, each printed as `ok`, `note` or `FAIL` with what to do:
  1. the AWS CLI the Makefile calls (AWS, default `aws`) runs and is recent enough;
  2. the credentials work, and belong to ENV's account when the answers give one;
  3. the service-linked roles ENV's templates need: those a template names (they must exist
     before the deploy) and those AWS creates on first use (named, with the permission needed);
  4. the CodeConnections connection of the pipeline stack is AVAILABLE (when that stack exists in
     this account);
  5. the deployment bucket `make bootstrap` creates exists in this account and region.
{%- if security.existing_trail %}
  6. the account has a multi-region CloudTrail trail that is logging: the project creates none
     (security.account_trail is existing), so an organization trail or the instructor's must
     record the account's API calls.
{%- endif %}

Nothing is created or changed: only Get/Describe/List/Head calls. Exit status 0 when no check
failed, 1 otherwise, 2 on an unknown environment.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {{ project.name | json_str }}
REGION = {{ region.code | json_str }}
PIPELINE_STACK = {% if pipeline.enabled %}PROJECT + "-pipeline"{% else %}None{% endif %}
BOOTSTRAP_STACK = PROJECT + "-bootstrap"
# Environment -> the account it lives in ("" = the pipeline account: whatever the credentials are).
ACCOUNTS = {
{%- for e in environments %}
    {{ e.name | json_str }}: {% if e.account_id %}{{ e.account_id | json_str }}{% else %}""{% endif %},
{%- endfor %}
}
# Stack -> template, in deploy order (written by stackwright from the blueprints).
STACK_TEMPLATES = {
{%- for s in stacks %}
    {{ s.name | json_str }}: {{ s.template | json_str }},
{%- endfor %}
}
{% raw %}
# The oldest CLI releases accepted: every `aws cloudformation deploy` option the Makefile passes
# (--s3-bucket, --s3-prefix, --tags, --no-fail-on-empty-changeset) exists there.
MIN_CLI = {1: (1, 25, 0), 2: (2, 9, 0)}
# Service-linked roles AWS creates itself the first time a resource of the type is created; the
# deploying principal then needs iam:CreateServiceLinkedRole for that service.
CREATED_ON_FIRST_USE = {
    "AWS::RDS::DBInstance": ("rds.amazonaws.com", "AWSServiceRoleForRDS"),
    "AWS::RDS::DBCluster": ("rds.amazonaws.com", "AWSServiceRoleForRDS"),
    "AWS::ECS::Cluster": ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
    "AWS::ECS::Service": ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
    "AWS::AutoScaling::AutoScalingGroup": ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("elasticloadbalancing.amazonaws.com",
                                                  "AWSServiceRoleForElasticLoadBalancing"),
}
NAMED_ROLE = re.compile(r"role/aws-service-role/([a-z0-9.-]+\.amazonaws\.com)/(AWSServiceRoleFor[A-Za-z0-9]+)")
RESOURCE_TYPE = re.compile(r"^\s+Type:\s+\"?(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)\"?\s*$", re.M)

RESULTS = []


def report(status, check, message):
    RESULTS.append(status)
    print(f"{status:<5} {check}: {message}")


def env_templates(env):
    """The templates `make deploy ENV=env` deploys (the stacks in params/<env>.json)."""
    given = json.loads((ROOT / "params" / f"{env}.json").read_text())
    return [ROOT / STACK_TEMPLATES[s] for s in STACK_TEMPLATES if s in given]


def check_cli():
    aws = os.environ.get("AWS", "aws")
    if not shutil.which(aws):
        report("FAIL", "aws cli", f"{aws!r} not found on PATH; install AWS CLI v2 "
               "(https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)")
        return
    proc = subprocess.run([aws, "--version"], capture_output=True, text=True, timeout=60)
    text = (proc.stdout + proc.stderr).strip()
    m = re.search(r"aws-cli/(\d+)\.(\d+)\.(\d+)", text)
    if proc.returncode != 0 or not m:
        report("FAIL", "aws cli", f"`{aws} --version` did not answer (exit {proc.returncode}): {text[:200]}")
        return
    version = tuple(int(x) for x in m.groups())
    need = MIN_CLI.get(version[0])
    shown = ".".join(map(str, version))
    if need is None or version < need:
        want = " or ".join(".".join(map(str, v)) for v in MIN_CLI.values())
        report("FAIL", "aws cli", f"aws-cli/{shown} is too old; install AWS CLI v2 (at least {want})")
    elif version[0] == 1:
        report("note", "aws cli", f"aws-cli/{shown} works, but v1 is in maintenance; prefer AWS CLI v2")
    else:
        report("ok", "aws cli", f"aws-cli/{shown}")


def check_account(env, sts):
    try:
        actual = sts.get_caller_identity()["Account"]
    except Exception as e:  # noqa: BLE001 - any failure means no usable credentials
        report("FAIL", "credentials", f"no usable AWS credentials ({e}); set AWS_PROFILE or run aws sso login")
        return None
    want = ACCOUNTS[env]
    if want and actual != want:
        report("FAIL", "credentials", f"{env} lives in account {want}, but the credentials are for {actual}; "
               f"set AWS_PROFILE to a profile for {want}")
        return actual
    where = f"{env}'s account" if want else "the pipeline account (no account_id in the answers)"
    report("ok", "credentials", f"account {actual}, {where}")
    return actual


def check_service_linked_roles(env, iam):
    named, on_first_use = {}, {}
    for path in env_templates(env):
        text = path.read_text()
        for service, role in NAMED_ROLE.findall(text):
            named.setdefault(role, (service, path.relative_to(ROOT)))
        for rtype in RESOURCE_TYPE.findall(text):
            if rtype in CREATED_ON_FIRST_USE:
                service, role = CREATED_ON_FIRST_USE[rtype]
                on_first_use.setdefault(role, (service, rtype))
    if not named and not on_first_use:
        report("ok", "service-linked roles", f"{env}'s templates need none")
    for role, (service, path) in sorted(named.items()):
        if role_exists(iam, role):
            report("ok", "service-linked roles", f"{role} exists ({path} names it)")
        else:
            report("FAIL", "service-linked roles", f"{role} does not exist, and {path} names it in a policy, "
                   f"which AWS refuses for a missing role. Create it once in this account: "
                   f"aws iam create-service-linked-role --aws-service-name {service}")
    for role, (service, rtype) in sorted(on_first_use.items()):
        if role in named:
            continue
        if role_exists(iam, role):
            report("ok", "service-linked roles", f"{role} exists ({rtype})")
        else:
            report("note", "service-linked roles", f"{role} does not exist yet; {service} creates it with the first "
                   f"{rtype}, if the deploying principal may call iam:CreateServiceLinkedRole for {service}")


def role_exists(iam, role):
    try:
        iam.get_role(RoleName=role)
        return True
    except iam.exceptions.NoSuchEntityException:
        return False


def check_connection(env, cfn, connections):
    if PIPELINE_STACK is None:
        report("ok", "connection", "the project has no pipeline")
        return
    if ACCOUNTS[env]:
        report("note", "connection", f"the pipeline lives in the pipeline account, not {env}'s; run "
               f"make preflight ENV=<an environment of the pipeline account> there to check its connection")
        return
    try:
        stack = cfn.describe_stacks(StackName=PIPELINE_STACK)["Stacks"][0]
    except cfn.exceptions.ClientError as e:
        if "does not exist" in str(e):
            report("note", "connection", f"{PIPELINE_STACK} is not deployed yet (make deploy-pipeline, then the "
                   "CodeConnections handshake: README.md)")
            return
        raise
    outputs = {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs", [])}
    arn = outputs.get("ConnectionArn")
    if not arn:
        report("FAIL", "connection", f"{PIPELINE_STACK} has no ConnectionArn output; redeploy it (make deploy-pipeline)")
        return
    try:
        status = connections.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"]
    except Exception as e:  # noqa: BLE001 - the API's own message says why
        report("FAIL", "connection", f"cannot read {arn}: {e}")
        return
    if status == "AVAILABLE":
        report("ok", "connection", f"{arn} is AVAILABLE")
    else:
        report("FAIL", "connection", f"{arn} is {status}: complete the handshake in the console (Developer Tools > "
               "Settings > Connections > Update pending connection); README.md, CodeConnections handshake")


def check_bucket(account, s3):
    bucket = f"{PROJECT}-deploy-{account}-{REGION}"
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
    except Exception as e:  # noqa: BLE001 - 404 and 403 both mean "not usable"
        report("FAIL", "deployment bucket", f"{bucket} not found in account {account} ({e}); run make bootstrap "
               "with these credentials (it deploys the stack " + BOOTSTRAP_STACK + ")")
        return
    report("ok", "deployment bucket", bucket)


{% endraw %}{% if security.existing_trail %}{% raw %}def check_account_trail(cloudtrail):
    """The account's own multi-region trail (security.account_trail is existing): the
    equivalent of `aws cloudtrail describe-trails` and `aws cloudtrail get-trail-status`."""
    fix = ("this project creates no trail (security.account_trail is existing): ask whoever runs the "
           "account (the instructor, or the organization's administrators) for a multi-region trail, or set "
           "security.account_trail: create in .stackwright/answers.yaml and render again")
    try:
        trails = cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", [])
    except Exception as e:  # noqa: BLE001 - the API's own message says why
        report("FAIL", "account trail", f"cannot list the account's trails ({e}); the credentials need "
               "cloudtrail:DescribeTrails and cloudtrail:GetTrailStatus")
        return
    multi = [t for t in trails if t.get("IsMultiRegionTrail")]
    if not multi:
        names = ", ".join(t.get("Name", "?") for t in trails) or "none"
        report("FAIL", "account trail", f"no multi-region CloudTrail trail in this account (trails: {names}); {fix}")
        return
    stopped = []
    for trail in multi:
        try:
            logging = cloudtrail.get_trail_status(Name=trail.get("TrailARN") or trail["Name"]).get("IsLogging")
        except Exception as e:  # noqa: BLE001 - the API's own message says why
            stopped.append(f"{trail.get('Name')} (status unreadable: {e})")
            continue
        if logging:
            kind = "organization trail" if trail.get("IsOrganizationTrail") else "trail"
            report("ok", "account trail", f"multi-region {kind} {trail.get('Name')} is logging")
            return
        stopped.append(f"{trail.get('Name')} (not logging)")
    report("FAIL", "account trail", f"no multi-region trail is logging: {', '.join(stopped)}; its owner starts it "
           f"with aws cloudtrail start-logging --name NAME, or {fix}")


{% endraw %}{% endif %}{% raw %}def main(argv):
    if len(argv) != 1 or argv[0] not in ACCOUNTS:
        print(f"usage: preflight.py ENV   (ENV one of: {', '.join(ACCOUNTS)})", file=sys.stderr)
        return 2
    env = argv[0]
    import boto3

    session = boto3.session.Session(region_name=REGION)
    print(f"preflight {PROJECT} {env} in {REGION} (read-only)")
    check_cli()
    account = check_account(env, session.client("sts"))
    if account is not None:
        check_service_linked_roles(env, session.client("iam"))
        check_connection(env, session.client("cloudformation"), session.client("codeconnections"))
        check_bucket(account, session.client("s3"))
{%- endraw %}{% if security.existing_trail %}
        check_account_trail(session.client("cloudtrail"))
{%- endif %}{% raw %}
    failed = RESULTS.count("FAIL")
    print(f"preflight: {len(RESULTS) - failed} passed or noted, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
{%- endraw %}
