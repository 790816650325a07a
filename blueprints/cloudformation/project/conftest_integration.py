"""Fixtures for the integration tests: which environment, an AWS session, and the outputs
of the deployed stacks.

    make integration ENV=<env>          (or STACKWRIGHT_ENV=<env> pytest tests/integration)

Credentials come from the usual places (AWS_PROFILE, environment variables, SSO, container
credentials). A test skips, with the reason, when there are none or when the stack it reads is
not deployed, so the suite is safe to run anywhere. Without credentials nothing touches the
network: the EC2 instance-metadata lookup is off unless AWS_EC2_METADATA_DISABLED=false.
"""

import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = yaml.safe_load((ROOT / ".stackwright" / "answers.yaml").read_text())
PROJECT = ANSWERS["project"]["name"]
ENVIRONMENTS = {e["name"]: e for e in ANSWERS["environments"]}


# Error codes that mean "these credentials do not work", not "the stack is wrong".
CREDENTIAL_ERRORS = {"InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException",
                     "SignatureDoesNotMatch", "AccessDenied", "AccessDeniedException"}


def stack_name(stack, env):
    """The CloudFormation stack a blueprint's stack is deployed as."""
    return f"{PROJECT}-{stack}" if stack == "pipeline" else f"{PROJECT}-{env}-{stack}"


def selected_env():
    """The environment under test: STACKWRIGHT_ENV, else ENV, else the first in the answers."""
    name = os.environ.get("STACKWRIGHT_ENV") or os.environ.get("ENV") or next(iter(ENVIRONMENTS))
    if name not in ENVIRONMENTS:
        pytest.fail(f"environment {name!r} is not in .stackwright/answers.yaml; known: {', '.join(ENVIRONMENTS)}")
    return name


@pytest.fixture(scope="session")
def env_name():
    """The environment under test (STACKWRIGHT_ENV, else ENV, else the first in the answers)."""
    return selected_env()


# aws and stack_outputs read the environment through selected_env(), not the env_name fixture,
# so a test module may define its own narrower env_name without a scope clash.
@pytest.fixture(scope="session")
def aws():
    """A boto3 Session in the project's region; skips when no credentials are configured."""
    boto3 = pytest.importorskip("boto3", reason="boto3 is not installed; run make venv")
    import botocore.session

    core = botocore.session.get_session()
    if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() != "false":
        # The instance-metadata provider would try 169.254.169.254 with timeouts on every laptop.
        core.get_component("credential_provider").remove("iam-role")
    try:
        session = boto3.Session(botocore_session=core, region_name=os.environ.get("AWS_REGION") or ANSWERS["region"])
        credentials = session.get_credentials()
    except Exception as exc:  # a broken profile is as good as no credentials here
        pytest.skip(f"no usable AWS credentials ({exc}); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
    if credentials is None:
        env = selected_env()
        pytest.skip("no AWS credentials; set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) "
                    f"for the account of {env} and run make integration ENV={env}")
    return session


@pytest.fixture(scope="session")
def stack_outputs(aws):
    """stack_outputs("network") -> {OutputKey: OutputValue} of <project>-<env>-network
    (<project>-pipeline for "pipeline"); skips when that stack is not deployed."""
    from botocore.exceptions import BotoCoreError, ClientError

    env_name = selected_env()
    cache = {}
    checked_account = []

    def outputs(stack):
        name = stack_name(stack, env_name)
        if name in cache:
            return cache[name]
        cfn = aws.client("cloudformation")
        try:
            want = ENVIRONMENTS[env_name].get("account_id")
            if want and stack != "pipeline" and not checked_account:
                actual = aws.client("sts").get_caller_identity()["Account"]
                if actual != str(want):
                    pytest.skip(f"{env_name} lives in account {want}, but the credentials are for {actual}; "
                                "set AWS_PROFILE for that account")
                checked_account.append(actual)
            found = cfn.describe_stacks(StackName=name)["Stacks"][0]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if "does not exist" in str(exc):
                hint = "make deploy-pipeline" if stack == "pipeline" else f"make deploy ENV={env_name}"
                pytest.skip(f"stack {name} is not deployed; run {hint}")
            if code in CREDENTIAL_ERRORS:
                pytest.skip(f"AWS rejected the credentials ({code}); refresh them (e.g. aws sso login) or set AWS_PROFILE")
            raise
        except BotoCoreError as exc:
            pytest.skip(f"cannot reach CloudFormation with these credentials: {exc}")
        status = found["StackStatus"]
        if status == "REVIEW_IN_PROGRESS" or status.startswith("DELETE"):
            pytest.skip(f"stack {name} is {status}, not deployed; run make deploy ENV={env_name}")
        if status.endswith("_FAILED") or status in ("ROLLBACK_COMPLETE", "ROLLBACK_IN_PROGRESS"):
            pytest.fail(f"stack {name} is {status}; see aws cloudformation describe-stack-events --stack-name {name}")
        cache[name] = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
        return cache[name]

    return outputs
