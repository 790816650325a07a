#!/usr/bin/env python3
"""Emulated `terraform apply` of generated Terraform projects against a moto server.

    python scripts/moto_terraform.py --stackwright target/release/stackwright \
        --answers tests/fixtures/answers/01-minimal-us-east-1.yaml [--answers ...] [--keep]

For each answers file, `stackwright new --set flavor=terraform` writes the project into a
temporary directory; the script works in a COPY of it (the rendered project is hashed before and
after, and any change fails the run). Against an in-process moto server (ThreadedMotoServer on
127.0.0.1, a free port, reset before each fixture):

  1. bootstrap: `make bootstrap` of the project itself (bootstrap/state.yaml through moto's
     CloudFormation with the AWS CLI of this interpreter's environment, as a user runs it); the
     state bucket's name is then read from SSM Parameter Store exactly as `make init` does;
  2. for every cross-account environment, `make apply-role ENV=<env> PIPELINE_ACCOUNT=<id>` with
     credentials of that account (sts:AssumeRole into it), as the README tells its owner to;
  3. per root module (envs/<env>, then pipeline/ when the project has one):
     `terraform init` with the S3 backend at moto, `plan -out=tfplan` then `apply tfplan` (as the
     pipeline does), a second `plan -detailed-exitcode` that must show no changes (idempotence),
     `destroy`, and `plan -out` + `apply` again (re-creation after destroy, DEP-04: names that
     outlive a destroy, such as KMS aliases, log groups or fixed bucket names, must not collide).
     Destroy and re-apply run for ephemeral environments and the pipeline root; a production
     environment is not destroyed (its database has deletion protection), which is printed. The
     pipeline's log bucket has no force_destroy and receives the access logs of the artifact
     bucket, so it is emptied (and emptied again if the destroy's own log records arrive) first.

What the copy gets, and why (nothing else differs from the rendered project):

  * `zz_moto_override.tf` in each root: a Terraform override file merged into the root's own
    `provider "aws"` block (its region, allowed_account_ids, assume_role and default_tags stay):
      - `endpoints { <service> = <moto> }` for every service the blueprints call, so no request
        leaves the machine (an unlisted service would go to AWS and fail: loud, never silent);
      - `access_key`/`secret_key` "testing": moto's default account 123456789012 is the
        pipeline account; cross-account roots reach their account through the root's own
        assume_role (moto's STS issues credentials of the role's account);
      - `skip_credentials_validation`, `skip_metadata_api_check`, `skip_region_validation`: no
        real STS/IMDS and moto accepts any region name;
      - `s3_use_path_style`: moto serves buckets under the endpoint's path, not as a subdomain;
      - `max_retries = 2`: moto answers an API it lacks with a 500, which the provider would
        otherwise retry for about 15 minutes before failing.
    `skip_requesting_account_id` is NOT set: moto answers sts:GetCallerIdentity, and that is what
    makes the provider check the root's `allowed_account_ids` (the wrong account must refuse).
  * `moto.s3.tfbackend`, passed as a second `-backend-config` after the project's backend.hcl and
    the bucket from SSM: the S3 backend's `endpoints` (s3, sts), fake credentials,
    `use_path_style`, and the `skip_*` checks for the same reasons. key, region, encrypt and
    use_lockfile come from backend.hcl unchanged (the lock file is a conditional PutObject, which
    moto implements).

Attributes moto does not read back as AWS does (MOTO_DRIFT below) are the only changes the
idempotence plan may show; each is printed, and any other change fails the step.

What moto cannot do is a named, printed exclusion (EXCLUDED below): the resources of those types
are kept out with `-target` of every other resource, and resources that depend on them go with
them, printed as dependents. No exclusion is silent.

Output: one line per step (`moto_terraform: <fixture> <root> <step>: ok|FAIL ... (<seconds>s)`),
per fixture the resources created per root and the seconds, the exclusions, then
`moto_terraform: N passed, M failed`; exit 1 on any failure.
"""
from __future__ import annotations

import argparse
import hashlib
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

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import motolib  # noqa: E402  (the moto shims, free_port, indent)

PIPELINE_ACCOUNT = "123456789012"  # moto's default account
TIMEOUT_TF = 900
TIMEOUT_GENERATE = 120

# Services the blueprints call; the provider gets moto's endpoint for each.
SERVICES = [
    "acm", "appautoscaling", "autoscaling", "cloudtrail", "cloudwatch", "codebuild", "codeconnections",
    "codepipeline", "codestarconnections", "dynamodb", "ec2", "ecr", "ecs", "elbv2", "events", "iam", "kms",
    "lambda", "logs", "rds", "s3", "secretsmanager", "sns", "sqs", "ssm", "sts",
]

# Resource types moto cannot create, read back or delete faithfully enough for terraform to
# apply them: type -> reason. Kept out with -target (see module docstring), always printed.
EXCLUDED: dict[str, str] = {
    "aws_codestarconnections_connection": "moto 5.2.5 has no CodeStar Connections / CodeConnections backend: "
                                          "CreateConnection is answered with a 500",
}


def install_shims() -> None:
    """moto bugs met by the bootstrap stack beyond motolib's shims; each is printed.

    AWS::SSM::Parameter's Tags are a JSON map in CloudFormation ({Key: Value}, as AWS documents
    the property); moto passes the map to put_parameter, which wants the API's [{Key, Value}]
    list, and the change set fails with a 500 (TypeError: string indices must be integers)."""
    from moto.ssm.models import Parameter

    orig = Parameter.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        props = cloudformation_json.get("Properties", {})
        if isinstance(props.get("Tags"), dict):
            props["Tags"] = [{"Key": k, "Value": v} for k, v in props["Tags"].items()]
        return orig(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Parameter.create_from_cloudformation_json = classmethod(create)

    # PutBucketLogging: moto reads every statement of the target bucket's policy as
    # {"Principal": {"Service": ...}} and crashes (500, AttributeError) on the `"Principal": "*"` of
    # a TLS-only Deny statement; such a statement grants the log service nothing, so skip it.
    from moto.s3.models import FakeBucket

    orig_logging = FakeBucket._log_permissions_enabled_policy

    def log_permissions(target_bucket, target_prefix):  # type: ignore[no-untyped-def]
        policy = target_bucket.policy
        if policy:
            doc = json.loads(policy.decode())
            kept = [st for st in doc.get("Statement", []) if isinstance(st.get("Principal", {}), dict)]
            if len(kept) != len(doc.get("Statement", [])):
                saved = target_bucket.policy
                target_bucket.policy = json.dumps(dict(doc, Statement=kept)).encode()
                try:
                    return orig_logging(target_bucket, target_prefix)
                finally:
                    target_bucket.policy = saved
        return orig_logging(target_bucket, target_prefix)

    FakeBucket._log_permissions_enabled_policy = staticmethod(log_permissions)
    motolib.SHIMS.append("PutBucketLogging skips target-policy statements whose Principal is a string such as "
                             "\"*\" when looking for the logging.s3.amazonaws.com grant (moto crashes on them with a "
                             "500; the grant check itself still runs)")

    # CreateProject: AWS ignores source.location (and artifacts.location) for the CODEPIPELINE and
    # NO_SOURCE/NO_ARTIFACTS types; moto demands a location for every type but NO_ARTIFACTS.
    import moto.codebuild.responses as cb

    orig_source, orig_artifacts = cb._validate_required_params_source, cb._validate_required_params_artifacts

    def source_ok(source):  # type: ignore[no-untyped-def]
        if source.get("type") in ("CODEPIPELINE", "NO_SOURCE") and not source.get("location"):
            return orig_source(dict(source, location=source["type"]))
        return orig_source(source)

    def artifacts_ok(artifacts):  # type: ignore[no-untyped-def]
        if artifacts.get("type") == "CODEPIPELINE" and not artifacts.get("location"):
            return orig_artifacts(dict(artifacts, location="CODEPIPELINE"))
        return orig_artifacts(artifacts)

    cb._validate_required_params_source, cb._validate_required_params_artifacts = source_ok, artifacts_ok

    # CreateProject: moto drops encryptionKey and always reports alias/aws/s3, so every later plan
    # wants to put the project's own key back (an endless in-place update).
    orig_create = cb.CodeBuildResponse.create_project

    def create_project(self):  # type: ignore[no-untyped-def]
        result = orig_create(self)
        key = self._get_param("encryptionKey")
        project = self.codebuild_backend.codebuild_projects.get(self._get_param("name"))
        if key and project is not None:
            project.project_metadata["encryptionKey"] = key
        return result

    cb.CodeBuildResponse.create_project = create_project

    # DeleteProject: the provider names the project by its ARN (its resource id), which AWS accepts;
    # moto looks the ARN up as a name, deletes nothing and answers 200, so a re-create fails with
    # ResourceAlreadyExistsException.
    from moto.codebuild.models import CodeBuildBackend

    orig_delete = CodeBuildBackend.delete_project

    def delete_project(self, project_name):  # type: ignore[no-untyped-def]
        if project_name.startswith("arn:") and ":project/" in project_name:
            project_name = project_name.split(":project/", 1)[1]
        return orig_delete(self, project_name)

    CodeBuildBackend.delete_project = delete_project
    motolib.SHIMS.append("CodeBuild CreateProject accepts a CODEPIPELINE/NO_SOURCE source and a CODEPIPELINE "
                             "artifact without a location, as AWS does (moto: 'Project source location is "
                             "required')")
    motolib.SHIMS.append("CodeBuild CreateProject keeps the encryptionKey it is given (moto reports "
                             "alias/aws/s3 whatever was sent)")
    motolib.SHIMS.append("CodeBuild DeleteProject accepts the project's ARN, as AWS does (moto deleted nothing "
                             "and answered 200, so re-creating the project failed with 'Project already exists')")
    motolib.SHIMS.append("AWS::SSM::Parameter Tags map -> [{Key, Value}] list (moto passes the CloudFormation "
                             "map to put_parameter, and CreateChangeSet fails with a 500)")


# Attributes moto does not read back as AWS does, so a plan right after an apply shows them as
# changes that AWS would not: (resource type, attribute) -> what moto does. The idempotence check
# accepts a change only when every changed attribute is listed here, and prints each one.
MOTO_DRIFT: dict[tuple[str, str], str] = {
    ("aws_db_instance", "performance_insights_enabled"): "moto's RDS has no Performance Insights: reported off",
    ("aws_db_instance", "performance_insights_retention_period"): "moto's RDS has no Performance Insights: no "
                                                                  "retention",
    ("aws_db_instance", "performance_insights_kms_key_id"): "moto's RDS has no Performance Insights: no key",
    ("aws_db_parameter_group", "parameter"): "moto's DescribeDBParameters does not give the set parameters back "
                                             "in the form the provider reads (it reads none)",
    ("aws_vpc_security_group_ingress_rule", "description"): "moto drops the description of a rule that "
                                                            "references a security group",
    ("aws_vpc_security_group_egress_rule", "description"): "moto drops the description of a rule that "
                                                           "references a security group",
}


def drift(plan: dict) -> tuple[list[str], list[str]]:
    """(changes MOTO_DRIFT explains, changes it does not) of a plan's resource_changes."""
    explained, unexplained = [], []
    for rc in plan.get("resource_changes", []):
        actions = rc["change"]["actions"]
        if actions in (["no-op"], ["read"]):
            continue
        before, after = rc["change"].get("before") or {}, rc["change"].get("after") or {}
        unknown = rc["change"].get("after_unknown") or {}
        keys = sorted(k for k in set(before) | set(after)
                      if before.get(k) != after.get(k) or unknown.get(k) is True)
        if actions == ["update"] and keys and all((rc["type"], k) in MOTO_DRIFT for k in keys):
            explained += [f"{rc['address']}.{k}: {MOTO_DRIFT[(rc['type'], k)]}" for k in keys]
        else:
            unexplained.append(f"{'/'.join(actions)} {rc['address']} ({', '.join(keys) or 'no attribute'})")
    return explained, unexplained


class Check:
    def __init__(self, fixture: str, root: str, name: str) -> None:
        self.fixture, self.root, self.name = fixture, root, name
        self.errors: list[str] = []
        self.notes: list[str] = []
        self.seconds = 0.0
        self.summary = ""

    def fail(self, msg: str) -> None:
        self.errors.append(msg)

    def line(self) -> str:
        status = "ok" if not self.errors else "FAIL"
        extra = f" {self.summary}" if self.summary else ""
        where = f" {self.root}" if self.root else ""
        return f"moto_terraform: {self.fixture}{where} {self.name}: {status}{extra} ({self.seconds:.1f}s)"


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        h.update(rel.encode() + b"\0")
        if p.is_file() and not p.is_symlink():
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def cli_config(work: Path, mirror: Path) -> Path:
    """Providers only from the offline mirror; reused from TF_CLI_CONFIG_FILE when that exists."""
    given = os.environ.get("TF_CLI_CONFIG_FILE")
    if given and Path(given).is_file():
        return Path(given)
    rc = work / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = \"{mirror}\"\n    include = [\"registry.terraform.io/*/*\"]\n  }}\n"
        "  direct {\n    exclude = [\"registry.terraform.io/*/*\"]\n  }\n}\n"
    )
    return rc


def provider_override(endpoint: str) -> str:
    eps = "\n".join(f"    {s:<19} = \"{endpoint}\"" for s in SERVICES)
    return (
        "# Written by scripts/moto_terraform.py into a temporary copy only: the provider talks to a\n"
        "# local moto server. Merged into this root's provider \"aws\" block (an override file).\n"
        "provider \"aws\" {\n"
        "  access_key                  = \"testing\"\n"
        "  secret_key                  = \"testing\"\n"
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  skip_region_validation      = true\n"
        "  s3_use_path_style           = true\n"
        "  max_retries                 = 2\n\n"
        "  endpoints {\n" + eps + "\n  }\n}\n"
    )


def backend_override(endpoint: str) -> str:
    return (
        "# Written by scripts/moto_terraform.py: the S3 backend at a local moto server.\n"
        f"endpoints = {{\n  s3  = \"{endpoint}\"\n  sts = \"{endpoint}\"\n}}\n"
        "access_key                  = \"testing\"\n"
        "secret_key                  = \"testing\"\n"
        "use_path_style              = true\n"
        "skip_credentials_validation = true\n"
        "skip_requesting_account_id  = true\n"
        "skip_metadata_api_check     = true\n"
        "skip_region_validation      = true\n"
    )


class Fixture:
    def __init__(self, answers: Path, tmp: Path, endpoint: str, venv_bin: Path, tf_env: dict) -> None:
        self.answers = answers
        self.name = answers.stem
        self.base = tmp / self.name
        self.rendered = self.base / "project"
        self.work = self.base / "work"
        self.endpoint = endpoint
        self.venv_bin = venv_bin
        self.tf_env = tf_env
        self.checks: list[Check] = []
        self.creds: dict[str, dict[str, str]] = {}
        self.resources: dict[str, int] = {}
        self.excluded: list[str] = []
        self.skipped: list[str] = []
        self.printed = 0

    def load(self) -> None:
        stored = yaml.safe_load((self.rendered / ".stackwright" / "answers.yaml").read_text())
        self.project = stored["project"]["name"]
        self.region = stored["region"]
        self.envs = stored["environments"]

    def step(self, root: str, name: str) -> Check:
        self.report()
        c = Check(self.name, root, name)
        self.checks.append(c)
        return c

    def report(self) -> None:
        """Print the finished steps not printed yet (each step ends where the next begins)."""
        for c in self.checks[self.printed:]:
            print(c.line())
            for n in c.notes:
                print(f"  note: {n}")
            for e in c.errors:
                print(f"  FAIL {e}")
        self.printed = len(self.checks)

    def account(self, env: str | None) -> str:
        if env is None:
            return PIPELINE_ACCOUNT
        entry = next(e for e in self.envs if e["name"] == env)
        return str(entry.get("account_id") or PIPELINE_ACCOUNT)

    def credentials(self, account: str) -> dict[str, str]:
        return motolib.account_credentials(self.creds, account, f"arn:aws:iam::{account}:role/{self.project}-account-admin",
                                     "moto-terraform", self.region, self.endpoint)

    def client(self, service: str, account: str):  # type: ignore[no-untyped-def]
        import boto3

        c = self.credentials(account)
        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint,
                            aws_access_key_id=c["AWS_ACCESS_KEY_ID"], aws_secret_access_key=c["AWS_SECRET_ACCESS_KEY"],
                            aws_session_token=c["AWS_SESSION_TOKEN"])

    def aws_env(self, account: str) -> dict:
        env = {k: v for k, v in self.tf_env.items() if not k.startswith("AWS_")}
        env.update(self.credentials(account))
        env.update({
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_PAGER": "",
            "PATH": f"{self.venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        })
        return env

    def run(self, check: Check, argv: list[str], cwd: Path, env: dict, ok_codes: tuple[int, ...] = (0,)) \
            -> subprocess.CompletedProcess:
        start = time.monotonic()
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_TF)
        check.seconds += time.monotonic() - start
        if proc.returncode not in ok_codes:
            text = proc.stdout + proc.stderr
            check.fail(f"{' '.join(argv)} exited {proc.returncode}:\n{motolib.indent(text[-4000:])}")
        return proc

    def tf(self, check: Check, root: Path, *args: str, ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        return self.run(check, ["terraform", *args], root, self.tf_env, ok_codes)


def roots_of(project: Path) -> list[tuple[str, str | None]]:
    """(relative root, environment or None) in deploy order: environments, then the pipeline."""
    envs = project / "envs"
    order = [(f"envs/{p.name}", p.name) for p in sorted(envs.iterdir()) if p.is_dir()] if envs.is_dir() else []
    if (project / "pipeline" / "main.tf").is_file():
        order.append(("pipeline", None))
    return order


def state_resources(fx: Fixture, check: Check, root: Path) -> list[str]:
    proc = fx.tf(check, root, "state", "list")
    return [a for a in proc.stdout.split() if a and not a.startswith("data.") and ".data." not in a]


def exclusion_targets(fx: Fixture, check: Check, root: Path) -> list[str]:
    """-target arguments for every resource block except the EXCLUDED types and what depends on them.

    `terraform graph` (the simplified graph: resource and data blocks and their dependency edges,
    through locals, variables and module boundaries) gives the dependents; -target of a block
    address covers all its instances."""
    if not EXCLUDED:
        return []
    proc = fx.tf(check, root, "graph")
    if proc.returncode:
        return []
    deps: dict[str, set[str]] = {}
    for line in proc.stdout.splitlines():
        m = re.match(r'\s*"([^"]+)"\s*->\s*"([^"]+)"', line)
        if m:
            deps.setdefault(m.group(1), set()).add(m.group(2))
            deps.setdefault(m.group(2), set())
        else:
            m = re.match(r'\s*"([^"]+)"\s*\[', line)
            if m:
                deps.setdefault(m.group(1), set())

    def split(node: str) -> tuple[bool, str]:
        parts = node.split(".")
        while len(parts) > 2 and parts[0] == "module":
            parts = parts[2:]
        return (True, parts[1]) if parts[0] == "data" else (False, parts[0])

    dropped = {n for n in deps if split(n)[1] in EXCLUDED}
    if not dropped:
        return []
    excluded_types = set(dropped)
    changed = True
    while changed:
        changed = False
        for node, needs in deps.items():
            if node not in dropped and needs & dropped:
                dropped.add(node)
                changed = True
    rel = root.relative_to(fx.work)
    for node in sorted(excluded_types):
        fx.excluded.append(f"{rel}: {node} ({EXCLUDED[split(node)[1]]})")
    for node in sorted(dropped - excluded_types):
        if not split(node)[0]:
            fx.excluded.append(f"{rel}: {node} (needs {', '.join(sorted(deps[node] & dropped))})")
    return [f"-target={n}" for n in sorted(deps) if n not in dropped and not split(n)[0]]


def empty_kept_buckets(fx: Fixture, check: Check, root: Path) -> list[str]:
    """Delete every object version of the root's buckets that have no force_destroy and hold objects."""
    proc = fx.tf(check, root, "show", "-json")
    if proc.returncode:
        return []
    names: list[str] = []

    def walk(module: dict) -> None:
        for r in module.get("resources", []):
            if r.get("type") == "aws_s3_bucket" and r.get("mode") == "managed" \
                    and not r.get("values", {}).get("force_destroy"):
                names.append(r["values"]["bucket"])
        for child in module.get("child_modules", []):
            walk(child)

    walk(json.loads(proc.stdout).get("values", {}).get("root_module", {}))
    s3 = fx.client("s3", PIPELINE_ACCOUNT)
    emptied = []
    for name in sorted(names):
        doomed = []
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
                doomed.append({"Key": v["Key"], "VersionId": v["VersionId"]})
        for i in range(0, len(doomed), 1000):
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed[i:i + 1000], "Quiet": True})
        if doomed:
            emptied.append(f"{name} ({len(doomed)} object versions)")
    return emptied


def deploy_root(fx: Fixture, rel: str, env: str | None, bucket: str) -> None:
    root = fx.work / rel
    label = rel
    (root / "zz_moto_override.tf").write_text(provider_override(fx.endpoint))
    (root / "moto.s3.tfbackend").write_text(backend_override(fx.endpoint))

    c = fx.step(label, "init")
    fx.tf(c, root, "init", "-input=false", "-no-color", "-backend-config=backend.hcl",
          f"-backend-config=bucket={bucket}", "-backend-config=moto.s3.tfbackend")
    targets = exclusion_targets(fx, c, root)
    if c.errors:
        return

    def plan_apply(step: str) -> bool:
        c = fx.step(label, step)
        fx.tf(c, root, "plan", "-input=false", "-no-color", "-out=tfplan", *targets)
        if c.errors:
            return False
        fx.tf(c, root, "apply", "-input=false", "-no-color", "tfplan")
        if c.errors:
            return False
        made = state_resources(fx, c, root)
        fx.resources[f"{label} {step}"] = len(made)
        c.summary = f"{len(made)} resources"
        if not made:
            c.fail("the apply created no resource")
        return not c.errors

    if not plan_apply("apply"):
        return

    c = fx.step(label, "idempotent")
    proc = fx.tf(c, root, "plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=tfplan", *targets,
                  ok_codes=(0, 2))
    if proc.returncode == 2:
        shown = fx.tf(c, root, "show", "-json", "tfplan")
        explained, unexplained = drift(json.loads(shown.stdout)) if shown.returncode == 0 else ([], ["unreadable plan"])
        for e in explained:
            c.notes.append(f"moto drift, not a change on AWS: {e}")
        if unexplained:
            c.fail(f"a second plan right after the apply wants {len(unexplained)} change(s):\n"
                   + motolib.indent("\n".join(unexplained) + "\n" + proc.stdout[-6000:]))
        else:
            c.summary = f"no changes but {len(explained)} attribute(s) moto does not read back"
    elif proc.returncode == 0:
        c.summary = "no changes"

    profile = next((str(e.get("profile")) for e in fx.envs if e["name"] == env), "") if env else ""
    if env and profile != "ephemeral":
        fx.skipped.append(f"{label} destroy and re-apply: not run, {env} is a {profile} environment (DEP-04 asks it "
                          "of ephemeral environments; a production database refuses deletion by design)")
        return

    c = fx.step(label, "destroy")
    if env is None:
        emptied = empty_kept_buckets(fx, c, root)
        if emptied:
            c.notes.append("emptied first, as an operator must (no force_destroy; moto delivered S3 access logs "
                           f"into them as AWS does): {', '.join(emptied)}")
    proc = fx.tf(c, root, "destroy", "-input=false", "-no-color", "-auto-approve", ok_codes=(0, 1))
    if proc.returncode == 1 and env is None and "BucketNotEmpty" in proc.stdout + proc.stderr:
        # The destroy's own requests to the artifact bucket are logged into the log bucket before
        # that is deleted (moto delivers access logs at once; AWS within hours): empty it again.
        again = empty_kept_buckets(fx, c, root)
        c.notes.append(f"BucketNotEmpty: log records of the destroy itself arrived; emptied {', '.join(again)} "
                       "and ran destroy again")
        proc = fx.tf(c, root, "destroy", "-input=false", "-no-color", "-auto-approve", ok_codes=(0, 1))
    if proc.returncode:
        c.fail(f"terraform destroy exited {proc.returncode}:\n{motolib.indent((proc.stdout + proc.stderr)[-4000:])}")
    if not c.errors:
        left = state_resources(fx, c, root)
        if left:
            c.fail(f"resources left in state after destroy: {left}")
        else:
            c.summary = "state empty"
    if c.errors:
        return

    plan_apply("re-apply")


def run_fixture(fx: Fixture, stackwright: str) -> None:
    c = fx.step("", "render")
    fx.base.mkdir(parents=True, exist_ok=True)
    fx.run(c, [stackwright, "new", "--answers", str(fx.answers), "--set", "flavor=terraform",
               "--out", str(fx.rendered)], Path.cwd(), dict(os.environ))
    if c.errors:
        return
    fx.load()
    before = tree_digest(fx.rendered)
    shutil.copytree(fx.rendered, fx.work, symlinks=True)

    c = fx.step("", "bootstrap")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fx.run(c, ["make", "--no-print-directory", "bootstrap"], fx.work, fx.aws_env(PIPELINE_ACCOUNT))
    for w in caught:
        m = re.search(r"parse (\S+) but it's not supported", str(w.message))
        if m:
            note = (f"moto's CloudFormation skips {m.group(1)} (not implemented): the bootstrap stack "
                    "deploys without it here; cfn-lint, checkov and the deploy checks see it elsewhere")
            if note not in c.notes:
                c.notes.append(note)
    bucket = ""
    if not c.errors:
        param = f"/{fx.project}/terraform/state-bucket"
        proc = fx.run(c, ["aws", "ssm", "get-parameter", "--region", fx.region, "--name", param,
                          "--query", "Parameter.Value", "--output", "text"], fx.work, fx.aws_env(PIPELINE_ACCOUNT))
        bucket = proc.stdout.strip()
        if not c.errors and not bucket:
            c.fail(f"{param} is empty after make bootstrap")
        c.summary = f"state bucket {bucket}"
    if c.errors:
        return

    for e in fx.envs:
        if e.get("account_id") and (fx.work / "bootstrap" / "apply-role.yaml").is_file():
            c = fx.step(f"envs/{e['name']}", "apply-role")
            fx.run(c, ["make", "--no-print-directory", "apply-role", f"ENV={e['name']}",
                       f"PIPELINE_ACCOUNT={PIPELINE_ACCOUNT}"], fx.work, fx.aws_env(str(e["account_id"])))

    for rel, env in roots_of(fx.work):
        deploy_root(fx, rel, env, bucket)

    c = fx.step("", "rendered project untouched")
    if tree_digest(fx.rendered) != before:
        c.fail(f"{fx.rendered} changed during the run")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stackwright", required=True, help="path to the stackwright binary")
    ap.add_argument("--answers", action="append", required=True, type=Path, help="answers file (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep the generated projects (path printed)")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[attr-defined]

    venv_bin = Path(sys.executable).parent
    mirror = Path(os.environ.get("TF_PLUGIN_MIRROR", "/opt/tf-plugins"))
    missing = [t for t in ("terraform", "make") if not shutil.which(t)]
    if not shutil.which("aws", path=str(venv_bin)):
        missing.append(f"aws (in {venv_bin})")
    if not (mirror / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        missing.append(f"the AWS provider mirror ({mirror}/registry.terraform.io; set TF_PLUGIN_MIRROR)")
    if missing:
        print(f"moto_terraform: NOT RUN, missing: {', '.join(missing)}", file=sys.stderr)
        print(f"moto_terraform: 0 passed, {len(args.answers)} failed")
        return 1

    # AWS managed policies (e.g. service-role/AmazonRDSEnhancedMonitoringRole, which the database
    # module attaches) exist in every AWS account; moto creates them only when asked to.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    from moto import __version__ as moto_version

    server, endpoint = motolib.start_moto_server(install_shims)
    tfv = subprocess.run(["terraform", "version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"moto_terraform: moto {moto_version} server at {endpoint}; {tfv}; provider mirror {mirror}; "
          "MOTO_IAM_LOAD_MANAGED_POLICIES=true (AWS managed policies exist)")
    for shim in motolib.SHIMS:
        print(f"moto_terraform: moto shim (emulator bug, project untouched): {shim}")
    for rtype, why in sorted(EXCLUDED.items()):
        print(f"moto_terraform: excluded resource type {rtype}: {why}")

    checks: list[Check] = []
    t0 = time.monotonic()
    tmpdir = tempfile.mkdtemp(prefix="moto-terraform-") if args.keep else None
    try:
        with tempfile.TemporaryDirectory(prefix="moto-terraform-") as auto_tmp:
            tmp = Path(tmpdir or auto_tmp)
            rc = cli_config(tmp, mirror)
            tf_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            tf_env.update(TF_CLI_CONFIG_FILE=str(rc), TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", NO_COLOR="1",
                          TF_INPUT="0", TF_PLUGIN_CACHE_DIR="", AWS_CONFIG_FILE=os.devnull,
                          AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
            tf_env.pop("TF_PLUGIN_CACHE_DIR")
            for answers in args.answers:
                urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
                start = time.monotonic()
                fx = Fixture(answers, tmp, endpoint, venv_bin, tf_env)
                run_fixture(fx, args.stackwright)
                fx.report()
                for x in fx.excluded:
                    print(f"moto_terraform: {fx.name} excluded: {x}")
                for x in fx.skipped:
                    print(f"moto_terraform: {fx.name} {x}")
                made = ", ".join(f"{k}: {v}" for k, v in fx.resources.items()) or "none"
                print(f"moto_terraform: {fx.name}: resources {made} ({time.monotonic() - start:.0f}s)")
                checks += fx.checks
            if tmpdir:
                print(f"moto_terraform: projects kept in {tmpdir}")
    finally:
        server.stop()
    passed = sum(1 for c in checks if not c.errors)
    failed = len(checks) - passed
    print(f"moto_terraform: {len(args.answers)} fixture(s) in {time.monotonic() - t0:.0f}s")
    print(f"moto_terraform: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
