"""Deploy path of the {{ project.name }} pipeline: templates go to S3 and change sets are
created from their URL.

Why: a CodePipeline CloudFormation action passes the template it reads from an
input artifact (TemplatePath) inline, and the CodePipeline user guide gives that
template a maximum of 51,200 bytes ("AWS CloudFormation" action reference,
TemplatePath). Some of this project's templates are larger. CloudFormation
accepts up to 1 MB from an S3 URL (CreateChangeSet TemplateURL), so:

  package  (build stage) uploads every template to the artifact bucket under a
           key made of its SHA-256, and writes build/template-urls.json
           {"templates/x.yaml": "https://<bucket>.s3.<region>.<suffix>/templates/<sha256>/x.yaml"}
  create   (CreateChangeSet-<stack> actions) creates the change set from that URL
           with the stack's template configuration and execution role; a change
           set without changes is reported and left for `execute` to skip
  execute  (ExecuteChangeSet-<stack> actions, after any approval) executes it and
           waits for the stack, or skips a change set without changes

For an environment in another account, --assume-role is its
<project>-<env>-pipeline-deploy role; CloudFormation reads the template URL with
that role's permissions (it may read the artifact bucket and its key).

Usage:
  python buildspecs/change_set.py package --bucket B --region R --url-suffix S [--out F] TEMPLATE...
  python buildspecs/change_set.py create  --stack S --change-set C --template T --config F --role-arn R [--urls F] [--assume-role A]
  python buildspecs/change_set.py execute --stack S --change-set C [--assume-role A]
"""

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}


def boto3_session(assume_role=None):
    import boto3

    session = boto3.session.Session()
    if not assume_role:
        return session
    creds = session.client("sts").assume_role(RoleArn=assume_role, RoleSessionName="pipeline-change-set")["Credentials"]
    return boto3.session.Session(aws_access_key_id=creds["AccessKeyId"],
                                 aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"],
                                 region_name=session.region_name)


def template_key(path):
    """Content-addressed key: the same bytes always get the same URL, other bytes never do."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return f"templates/{digest}/{Path(path).name}"


def package(s3, bucket, region, url_suffix, templates):
    urls = {}
    for t in templates:
        key = template_key(t)
        s3.upload_file(str(t), bucket, key)
        urls[Path(t).as_posix()] = f"https://{bucket}.s3.{region}.{url_suffix}/{key}"
    return urls


def parameters(config_path):
    """A CodePipeline template configuration {"Parameters": {...}} as CreateChangeSet parameters."""
    given = json.loads(Path(config_path).read_text()).get("Parameters", {})
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(given.items())]


def describe_stack(cfn, stack):
    try:
        return cfn.describe_stacks(StackName=stack)["Stacks"][0]
    except cfn.exceptions.ClientError as e:
        if "does not exist" in str(e):
            return None
        raise


def stack_status(cfn, stack):
    found = describe_stack(cfn, stack)
    return found["StackStatus"] if found else None


def wait_change_set(cfn, stack, name, poll):
    while True:
        cs = cfn.describe_change_set(StackName=stack, ChangeSetName=name)
        if cs["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return cs
        time.sleep(poll)


def no_changes(cs):
    return cs["Status"] == "FAILED" and any(m in cs.get("StatusReason", "") for m in NO_CHANGES)


def create(cfn, stack, name, url, params, role_arn, poll=5):
    status = stack_status(cfn, stack)
    if status == "ROLLBACK_COMPLETE":
        raise SystemExit(f"{stack}: its first creation failed and rolled back (ROLLBACK_COMPLETE); such a stack "
                         "cannot be updated: delete it (it holds no resources), then release the change again")
    kind = "UPDATE" if status and status != "REVIEW_IN_PROGRESS" else "CREATE"
    try:
        cfn.delete_change_set(StackName=stack, ChangeSetName=name)
    except cfn.exceptions.ClientError as e:
        if "does not exist" not in str(e) and "ChangeSetNotFound" not in str(e):
            raise
    cfn.create_change_set(StackName=stack, ChangeSetName=name, TemplateURL=url, Parameters=params,
                          Capabilities=CAPABILITIES, RoleARN=role_arn, ChangeSetType=kind)
    cs = wait_change_set(cfn, stack, name, poll)
    if no_changes(cs):
        print(f"{stack}: no changes; ExecuteChangeSet will skip it")
        return "no-changes"
    if cs["Status"] != "CREATE_COMPLETE":
        raise SystemExit(f"{stack}: change set {name} failed: {cs.get('StatusReason')}")
    for c in cs.get("Changes", []):
        rc = c.get("ResourceChange", {})
        print(f"{stack}: {rc.get('Action')} {rc.get('LogicalResourceId')} ({rc.get('ResourceType')})"
              f"{' replacement ' + rc['Replacement'] if rc.get('Replacement') in ('True', 'Conditional') else ''}")
    return kind


def execute(cfn, stack, name, poll=15):
    cs = cfn.describe_change_set(StackName=stack, ChangeSetName=name)
    if no_changes(cs):
        cfn.delete_change_set(StackName=stack, ChangeSetName=name)
        print(f"{stack}: no changes to execute")
        return "no-changes"
    if cs["Status"] != "CREATE_COMPLETE" or cs.get("ExecutionStatus") != "AVAILABLE":
        raise SystemExit(f"{stack}: change set {name} is {cs['Status']}/{cs.get('ExecutionStatus')}, not executable")
    before = describe_stack(cfn, stack) or {}
    cfn.execute_change_set(StackName=stack, ChangeSetName=name)
    # Execution is asynchronous: until the stack's LastUpdatedTime moves (an update) or it
    # leaves REVIEW_IN_PROGRESS (a creation), a finished status is the previous one.
    while True:
        now = describe_stack(cfn, stack) or {}
        status = now.get("StackStatus")
        started = before.get("StackStatus") == "REVIEW_IN_PROGRESS" or \
            now.get("LastUpdatedTime") != before.get("LastUpdatedTime")
        if status and started and not status.endswith("_IN_PROGRESS"):
            break
        time.sleep(poll)
    if status not in DONE:
        events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
        for ev in [e for e in events if e.get("ResourceStatus", "").endswith("_FAILED")][:10]:
            print(f"{stack}: {ev['LogicalResourceId']} {ev['ResourceStatus']}: {ev.get('ResourceStatusReason')}",
                  file=sys.stderr)
        raise SystemExit(f"{stack}: {status}")
    print(f"{stack}: {status}")
    return status


def main(argv=None):
    ap = argparse.ArgumentParser(description="Package templates to S3 and deploy them through change sets.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("package")
    p.add_argument("--bucket", required=True)
    p.add_argument("--region", required=True)
    p.add_argument("--url-suffix", required=True)
    p.add_argument("--out", default="build/template-urls.json")
    p.add_argument("templates", nargs="+")
    c = sub.add_parser("create")
    c.add_argument("--stack", required=True)
    c.add_argument("--change-set", required=True)
    c.add_argument("--template", required=True)
    c.add_argument("--config", required=True)
    c.add_argument("--role-arn", required=True)
    c.add_argument("--urls", default="build/template-urls.json")
    c.add_argument("--assume-role", default="")
    e = sub.add_parser("execute")
    e.add_argument("--stack", required=True)
    e.add_argument("--change-set", required=True)
    e.add_argument("--assume-role", default="")
    a = ap.parse_args(argv)

    if a.cmd == "package":
        urls = package(boto3_session().client("s3"), a.bucket, a.region, a.url_suffix, a.templates)
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(urls, indent=2, sort_keys=True) + "\n")
        for t, u in sorted(urls.items()):
            print(f"{t} -> {u}")
        return 0
    cfn = boto3_session(a.assume_role).client("cloudformation")
    if a.cmd == "create":
        urls = json.loads(Path(a.urls).read_text())
        if a.template not in urls:
            raise SystemExit(f"{a.urls} has no URL for {a.template}; the build stage packages templates/*.yaml")
        create(cfn, a.stack, a.change_set, urls[a.template], parameters(a.config), a.role_arn)
    else:
        execute(cfn, a.stack, a.change_set)
    return 0


if __name__ == "__main__":
    sys.exit(main())
