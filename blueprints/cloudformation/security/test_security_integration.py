{% raw -%}
"""Integration tests of the deployed security stack (controls SEC-01..SEC-07, MON-01).

They read the outputs of <project>-<env>-security through the `stack_outputs`
fixture and check the live resources with boto3 (`aws` fixture). Without AWS
credentials or without a deployed stack every test is skipped with a message
saying why (see tests/integration/conftest.py).
"""

import json

import pytest

PUBLIC_ACCESS_BLOCK = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def owns_trail(out):
    """Only the environment owning its account's trail has the trail outputs (DEP-07)."""
    return "TrailArn" in out


def trail_outputs(stack_outputs):
    out = stack_outputs("security")
    if not owns_trail(out):
        pytest.skip({% endraw %}{% if security.existing_trail %}"security.account_trail is existing: the account's own trail is not this project's (make preflight checks it)"{% else %}"this environment's account trail belongs to another environment (TrailOwner, DEP-07)"{% endif %}{% raw %})
    return out


def bucket_names(out):
    return [out["AccessLogsBucketName"]] + ([out["TrailBucketName"]] if owns_trail(out) else [])


def test_sec_01_live_key_enabled_rotating_and_aliased(stack_outputs, aws):
    out = stack_outputs("security")
    kms = aws.client("kms")
    meta = kms.describe_key(KeyId=out["KmsKeyId"])["KeyMetadata"]
    assert meta["Enabled"] and meta["KeyManager"] == "CUSTOMER"
    assert meta["Arn"] == out["KmsKeyArn"]
    assert kms.get_key_rotation_status(KeyId=out["KmsKeyId"])["KeyRotationEnabled"] is True
    aliases = kms.list_aliases(KeyId=out["KmsKeyId"])["Aliases"]
    assert out["KmsAliasName"] in [a["AliasName"] for a in aliases]


def test_sec_01_live_key_policy_grants_regional_logs_principal(stack_outputs, aws):
    out = stack_outputs("security")
    kms = aws.client("kms")
    policy = json.loads(kms.get_key_policy(KeyId=out["KmsKeyId"], PolicyName="default")["Policy"])
    services = set()
    for stmt in policy["Statement"]:
        service = stmt.get("Principal", {}).get("Service", [])
        services.update(service if isinstance(service, list) else [service])
    assert any(s.startswith(f"logs.{aws.region_name}.") for s in services), "no regional CloudWatch Logs principal"
    assert {"cloudwatch.amazonaws.com", "events.amazonaws.com"} <= services
    assert ("cloudtrail.amazonaws.com" in services) == owns_trail(out), "only the trail owner's key admits CloudTrail"


def test_sec_02_live_trail_logging_multi_region_validated(stack_outputs, aws):
    out = trail_outputs(stack_outputs)
    cloudtrail = aws.client("cloudtrail")
    trail = cloudtrail.get_trail(Name=out["TrailArn"])["Trail"]
    assert trail["IsMultiRegionTrail"] is True
    assert trail["IncludeGlobalServiceEvents"] is True
    assert trail["LogFileValidationEnabled"] is True
    assert trail["KmsKeyId"] == out["KmsKeyArn"]
    assert trail["S3BucketName"] == out["TrailBucketName"]
    assert out["TrailLogGroupName"] in trail.get("CloudWatchLogsLogGroupArn", "")
    status = cloudtrail.get_trail_status(Name=out["TrailArn"])
    assert status["IsLogging"] is True
    assert not status.get("LatestDeliveryError"), status.get("LatestDeliveryError")
    assert not status.get("LatestCloudWatchLogsDeliveryError"), status.get("LatestCloudWatchLogsDeliveryError")


def test_sec_03_live_buckets_block_public_access_and_enforce_tls(stack_outputs, aws):
    out = stack_outputs("security")
    s3 = aws.client("s3")
    for bucket in bucket_names(out):
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block[k] for k in PUBLIC_ACCESS_BLOCK), bucket
        assert s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled", bucket
        controls = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        assert controls[0]["ObjectOwnership"] == "BucketOwnerEnforced", bucket
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        assert any(
            s["Effect"] == "Deny" and str(s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")).lower() == "false"
            for s in policy["Statement"]
        ), f"{bucket} accepts plain HTTP"


def test_sec_03_live_trail_bucket_kms_encrypted_and_access_logged(stack_outputs, aws):
    out = trail_outputs(stack_outputs)
    s3 = aws.client("s3")
    rule = s3.get_bucket_encryption(Bucket=out["TrailBucketName"])["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == out["KmsKeyArn"]
    assert rule.get("BucketKeyEnabled") is True
    logging = s3.get_bucket_logging(Bucket=out["TrailBucketName"])["LoggingEnabled"]
    assert logging["TargetBucket"] == out["AccessLogsBucketName"]


def test_sec_04_live_buckets_have_lifecycle(stack_outputs, aws):
    out = stack_outputs("security")
    s3 = aws.client("s3")
    for bucket in bucket_names(out):
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        enabled = [r for r in rules if r["Status"] == "Enabled"]
        assert any("NoncurrentVersionExpiration" in r for r in enabled), bucket
        assert any("AbortIncompleteMultipartUpload" in r for r in enabled), bucket


def test_sec_07_live_trail_log_group_encrypted_with_retention(stack_outputs, aws):
    out = trail_outputs(stack_outputs)
    logs = aws.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=out["TrailLogGroupName"])["logGroups"]
    group = next(g for g in groups if g["logGroupName"] == out["TrailLogGroupName"])
    assert group.get("kmsKeyId") == out["KmsKeyArn"]
    assert group.get("retentionInDays", 0) > 0


def test_mon_01_live_alert_topic_encrypted_with_email_subscription(stack_outputs, aws):
    out = stack_outputs("security")
    sns = aws.client("sns")
    attributes = sns.get_topic_attributes(TopicArn=out["AlertTopicArn"])["Attributes"]
    assert attributes.get("KmsMasterKeyId") == out["KmsKeyArn"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=out["AlertTopicArn"])["Subscriptions"]
    assert any(s["Protocol"] == "email" for s in subscriptions), "no email subscription"
{%- endraw %}
