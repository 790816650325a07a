{% raw -%}
"""Fixtures of the integration tests: the environment under test, its terraform.tfvars, an AWS
session and the environment's Terraform outputs.

    make integration ENV=<env>          (or STACKWRIGHT_ENV=<env> pytest tests/integration)

The outputs come from STACKWRIGHT_TF_OUTPUTS, a file in the form `terraform output -json`
writes (the pipeline's apply writes it, without any sensitive output), else from `terraform
-chdir=envs/<env> output -json` (after `make init ENV=<env>`). Credentials come from the usual
places (AWS_PROFILE, environment variables, SSO, container credentials). A test skips, with the
reason, when there are no credentials, when they are for another account than the
environment's, or when the environment has no outputs (it is not applied), so the suite is safe
to run anywhere; the pipeline fails a run in which every test skipped. Without credentials
nothing touches the network: the EC2 instance-metadata lookup is off unless
AWS_EC2_METADATA_DISABLED=false.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = yaml.safe_load((ROOT / ".stackwright" / "answers.yaml").read_text())
ENVIRONMENTS = [e["name"] for e in ANSWERS["environments"]]

# Error codes that mean "these credentials do not work", not "the environment is wrong".
CREDENTIAL_ERRORS = {"InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException",
                     "SignatureDoesNotMatch", "AccessDenied", "AccessDeniedException"}


def selected_env():
    """The environment under test: STACKWRIGHT_ENV, else ENV, else the first in the answers."""
    name = os.environ.get("STACKWRIGHT_ENV") or os.environ.get("ENV") or ENVIRONMENTS[0]
    if name not in ENVIRONMENTS:
        pytest.fail(f"environment {name!r} is not in .stackwright/answers.yaml; known: {', '.join(ENVIRONMENTS)}")
    return name


@pytest.fixture(scope="session")
def env_name():
    return selected_env()


@pytest.fixture(scope="session")
def tfvars():
    """envs/<env>/terraform.tfvars as a dict (the values this environment was applied with)."""
    import hcl2

    with open(ROOT / "envs" / selected_env() / "terraform.tfvars", encoding="utf-8") as handle:
        raw = hcl2.load(handle)
    # The parser wraps every attribute value in a one-element list.
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in raw.items()}


@pytest.fixture(scope="session")
def aws(tfvars):
    """A boto3 Session in the environment's Region for the environment's account; skips
    when no usable credentials are configured."""
    boto3 = pytest.importorskip("boto3", reason="boto3 is not installed; run make venv")
    import botocore.session
    from botocore.exceptions import BotoCoreError, ClientError

    env = selected_env()
    core = botocore.session.get_session()
    if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() != "false":
        # The instance-metadata provider would try 169.254.169.254 with timeouts on every laptop.
        core.get_component("credential_provider").remove("iam-role")
    try:
        session = boto3.Session(botocore_session=core, region_name=os.environ.get("AWS_REGION") or tfvars["region"])
        credentials = session.get_credentials()
    except Exception as exc:  # a broken profile is as good as no credentials here
        pytest.skip(f"no usable AWS credentials ({exc}); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
    if credentials is None:
        pytest.skip("no AWS credentials; set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) "
                    f"for the account of {env} and run make integration ENV={env}")
    want = tfvars.get("account_id") or ""
    try:
        actual = session.client("sts").get_caller_identity()["Account"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in CREDENTIAL_ERRORS:
            pytest.skip(f"AWS rejected the credentials ({code}); refresh them (e.g. aws sso login) or set AWS_PROFILE")
        raise
    except BotoCoreError as exc:
        pytest.skip(f"cannot reach AWS with these credentials: {exc}")
    if want and actual != want:
        pytest.skip(f"{env} lives in account {want}, but the credentials are for {actual}; set AWS_PROFILE for that account")
    return session


def read_outputs(env):
    """The environment's outputs in the form of terraform output -json, or None with the reason."""
    given = os.environ.get("STACKWRIGHT_TF_OUTPUTS")
    if given:
        path = Path(given)
        if not path.is_file():
            pytest.fail(f"STACKWRIGHT_TF_OUTPUTS={given} is not a file")
        return json.loads(path.read_text()), None
    if shutil.which("terraform") is None:
        return None, "terraform is not on PATH (or set STACKWRIGHT_TF_OUTPUTS to a terraform output -json file)"
    run = subprocess.run(["terraform", f"-chdir=envs/{env}", "output", "-json", "-no-color"],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        reason = (run.stderr.strip().splitlines() or ["no message"])[0]
        return None, f"terraform output of envs/{env} failed ({reason}); run make init ENV={env}"
    return json.loads(run.stdout or "{}"), None


@pytest.fixture(scope="session")
def outputs(aws):
    """{output name: value} of the applied environment, sensitive outputs left out; skips when
    the environment has none (it is not applied)."""
    env = selected_env()
    raw, reason = read_outputs(env)
    if raw is None:
        pytest.skip(reason)
    if not raw:
        pytest.skip(f"envs/{env} has no outputs: it is not applied; run make plan ENV={env} and make apply ENV={env}")
    return {name: entry["value"] for name, entry in raw.items() if not entry.get("sensitive")}
{%- endraw %}
