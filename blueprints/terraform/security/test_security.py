"""Security controls over modules/security, parsed offline."""

from hcl_helpers import {% if security.existing_trail %}ENVS, {% endif %}MODULES, load, named, resource, value

SEC = MODULES / "security"
BUCKET = SEC / "bucket"


def test_sec_01_rotating_key_with_alias():
    key = resource(SEC, "aws_kms_key", "this")
    assert value(key, "enable_key_rotation") is True
    assert value(resource(SEC, "aws_kms_alias", "this"), "name") == "alias/${var.name}"


def test_sec_02_trail_multi_region_validated_encrypted():
    trail = resource(SEC, "aws_cloudtrail", "this")
    assert value(trail, "is_multi_region_trail") is True
    assert value(trail, "include_global_service_events") is True
    assert value(trail, "enable_log_file_validation") is True
    assert value(trail, "kms_key_id") == "${aws_kms_key.this.arn}"


def test_sec_03_every_bucket_hardened():
    for folder, name in ((BUCKET, "this"), (SEC, "access_logs")):
        block = resource(folder, "aws_s3_bucket_public_access_block", name)
        for setting in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
            assert value(block, setting) is True, f"{folder.name}: {setting}"
        versioning = resource(folder, "aws_s3_bucket_versioning", name)
        assert value(versioning["versioning_configuration"][0], "status") == "Enabled"
    sse = resource(BUCKET, "aws_s3_bucket_server_side_encryption_configuration", "this")
    rule = sse["rule"][0]
    assert value(rule["apply_server_side_encryption_by_default"][0], "sse_algorithm") == "aws:kms"
    assert value(rule, "bucket_key_enabled") is True
    assert "aws:SecureTransport" in (SEC / "bucket" / "main.tf").read_text()


def test_sec_04_lifecycle_expires_noncurrent_versions():
    for folder, name in ((BUCKET, "this"), (SEC, "access_logs")):
        rule = resource(folder, "aws_s3_bucket_lifecycle_configuration", name)["rule"][0]
        assert "noncurrent_version_expiration" in rule
        assert value(rule["abort_incomplete_multipart_upload"][0], "days_after_initiation") == 7


def test_sec_07_trail_log_group_encrypted_with_retention():
    group = resource(SEC, "aws_cloudwatch_log_group", "trail")
    assert value(group, "kms_key_id") == "${aws_kms_key.this.arn}"
    assert value(group, "retention_in_days") == "${var.log_retention_days}"


def test_dep_05_cloudtrail_role_trust_has_no_source_conditions():
    docs = {}
    for entry in load(SEC / "main.tf").get("data", []):
        docs.update(entry.get("aws_iam_policy_document", {}))
    assert "condition" not in docs["trail_trust"]["statement"][0]


def test_dep_07_trail_only_where_owned():
    assert value(resource(SEC, "aws_cloudtrail", "this"), "count") == "${var.create_trail ? 1 : 0}"
    assert "create_trail" in named(SEC, "variable")
{%- if security.existing_trail %}


def test_sec_02_existing_account_trail_no_environment_creates_one():
    """security.account_trail is existing: the account already has a multi-region trail, so
    every environment sets owns_account_trail = false and its trail resources have count 0."""
    envs = sorted(p for p in ENVS.iterdir() if (p / "terraform.tfvars").is_file())
    assert envs, "no envs/*/terraform.tfvars"
    for env in envs:
        assert value(load(env / "terraform.tfvars"), "owns_account_trail") is False, env.name
    for rtype, name in (("aws_cloudtrail", "this"), ("aws_cloudwatch_log_group", "trail")):
        assert value(resource(SEC, rtype, name), "count") == "${var.create_trail ? 1 : 0}", rtype
{%- endif %}
