"""Integration tests of the deployed {{ project.name }}-pipeline stack (once per project, not
per environment): they read its outputs and check the live pipeline, connection,
artifact bucket, key, topic, builds and rules with boto3.

    make integration ENV=<any environment>     (credentials for the pipeline account)

Every test skips with the reason when there are no credentials or the stack is
not deployed (fixtures `aws` and `stack_outputs` in conftest.py)."""

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = yaml.safe_load((ROOT / ".stackwright" / "answers.yaml").read_text())
PROJECT = ANSWERS["project"]["name"]
STAGES = ANSWERS["pipeline"]["stages"]
CODEBUILD_STAGES = [s for s in ("validate", "test", "security_scan", "build", "integration_test")
                    if s in STAGES or (s == "build" and "deploy" in STAGES)]


def pascal(text):
    return "".join(part[:1].upper() + part[1:] for part in text.replace("-", "_").split("_") if part)


def expected_stage_names():
    names = ["Source"]
    for s in STAGES:
        if s == "deploy":
            for e in ANSWERS["environments"]:
                names.append(f"Deploy-{e['name']}")
                if "integration_test" in STAGES:
                    names.append(f"IntegrationTest-{e['name']}")
        elif s != "integration_test":
            names.append(pascal(s))
    return names


@pytest.fixture(scope="module")
def outputs(stack_outputs):
    return stack_outputs("pipeline")


def test_pipeline_is_v2_with_the_answered_stages(aws, outputs):
    declared = aws.client("codepipeline").get_pipeline(name=outputs["PipelineName"])["pipeline"]
    assert declared["pipelineType"] == "V2"
    assert [s["name"] for s in declared["stages"]] == expected_stage_names()
    source = declared["stages"][0]["actions"][0]["configuration"]
    assert source["FullRepositoryId"] == ANSWERS["pipeline"]["repository"]
    assert source["BranchName"] == ANSWERS["pipeline"]["branch"]
    assert declared["artifactStore"]["encryptionKey"]["id"] == outputs["PipelineKeyArn"]


def test_source_connection_handshake_is_complete(aws, outputs):
    arn = outputs["ConnectionArn"]
    service = "codeconnections" if ":codeconnections:" in arn else "codestar-connections"
    status = aws.client(service).get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"]
    assert status == "AVAILABLE", (
        f"connection {arn} is {status}: complete the handshake in the console "
        "(Developer Tools > Settings > Connections > Update pending connection)")


def test_artifact_bucket_is_private_versioned_and_kms_encrypted(aws, outputs):
    s3 = aws.client("s3")
    bucket = outputs["ArtifactBucketName"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == outputs["PipelineKeyArn"]
    logging = s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
    assert logging["TargetBucket"] == outputs["AccessLogsBucketName"]


def test_pipeline_key_rotates(aws, outputs):
    kms = aws.client("kms")
    assert kms.get_key_rotation_status(KeyId=outputs["PipelineKeyArn"])["KeyRotationEnabled"] is True


def test_notification_topic_is_encrypted_and_subscribed(aws, outputs):
    sns = aws.client("sns")
    topic = outputs["NotificationTopicArn"]
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes.get("KmsMasterKeyId")
    endpoints = [s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
                 if s["Protocol"] == "email"]
    assert ANSWERS["pipeline"]["notification_email"] in endpoints


def test_codebuild_projects_are_encrypted_unprivileged_and_logged(aws, outputs):
    names = [outputs[f"{pascal(s)}ProjectName"] for s in CODEBUILD_STAGES]
    found = aws.client("codebuild").batch_get_projects(names=names)["projects"]
    assert sorted(p["name"] for p in found) == sorted(names)
    for p in found:
        assert p["encryptionKey"] == outputs["PipelineKeyArn"]
        assert p["environment"]["privilegedMode"] is False
        assert p["environment"]["computeType"] == "BUILD_GENERAL1_SMALL"
        assert p["logsConfig"]["cloudWatchLogs"]["status"] == "ENABLED"
        assert all(v["type"] != "PLAINTEXT" or "SECRET" not in v["name"].upper()
                   for v in p["environment"].get("environmentVariables", []))


def test_failure_and_approval_rules_are_enabled(aws, outputs):
    events = aws.client("events")
    rules = events.list_rules(NamePrefix=f"{PROJECT}-pipeline-")["Rules"]
    by_name = {r["Name"]: r for r in rules}
    assert by_name[f"{PROJECT}-pipeline-failed"]["State"] == "ENABLED"
    needs_approval = "deploy" in STAGES and any(e["approval"] for e in ANSWERS["environments"])
    if needs_approval:
        assert by_name[f"{PROJECT}-pipeline-approval-needed"]["State"] == "ENABLED"
    for name in by_name:
        targets = events.list_targets_by_rule(Rule=name)["Targets"]
        assert [t["Arn"] for t in targets] == [outputs["NotificationTopicArn"]]
