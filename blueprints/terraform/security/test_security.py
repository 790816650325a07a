"""Security controls over modules/security, parsed offline."""

from hcl_helpers import {% if security.existing_trail %}ENVS, {% endif %}MODULES, load, named, resource, resources, value

SEC = MODULES / "security"
BUCKET = SEC / "bucket"


def hcl(expression: str) -> str:
    """An expression as written: the parser spells null, true and false the Python way."""
    return expression.replace("None", "null").replace("True", "true").replace("False", "false")


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


def test_sec_03_every_bucket_is_the_hardened_module():
    # No bucket is declared outside bucket/: the access-log and trail buckets are calls of it.
    assert [name for (rtype, name) in resources(SEC) if rtype.startswith("aws_s3_")] == []
    calls = named(SEC, "module")
    assert {name: value(call, "source") for name, call in calls.items()} == {"access_logs": "./bucket", "trail_bucket": "./bucket"}
    assert value(calls["access_logs"], "log_target") is True
    assert "kms_key_arn" not in calls["access_logs"] and "access_log_bucket" not in calls["access_logs"]
    assert value(calls["trail_bucket"], "log_target") is None, "the trail bucket is a data bucket"
    assert value(calls["trail_bucket"], "kms_key_arn") == "${aws_kms_key.this.arn}"
    assert value(calls["trail_bucket"], "access_log_bucket") == "${module.access_logs.log_target_name}", "logging waits for the log bucket policy"


def test_sec_03_bucket_module_hardened():
    block = resource(BUCKET, "aws_s3_bucket_public_access_block", "this")
    for setting in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert value(block, setting) is True, setting
    versioning = resource(BUCKET, "aws_s3_bucket_versioning", "this")
    assert value(versioning["versioning_configuration"][0], "status") == "Enabled"
    rule = resource(BUCKET, "aws_s3_bucket_server_side_encryption_configuration", "this")["rule"][0]
    default = rule["apply_server_side_encryption_by_default"][0]
    # The environment key with a bucket key, except for the access-log bucket (S3-managed keys).
    assert value(default, "sse_algorithm") == '${var.log_target ? "AES256" : "aws:kms"}'
    assert hcl(value(default, "kms_master_key_id")) == "${var.log_target ? null : var.kms_key_arn}"
    assert hcl(value(rule, "bucket_key_enabled")) == "${var.log_target ? null : true}"
    logging = resource(BUCKET, "aws_s3_bucket_logging", "this")
    assert value(logging, "count") == "${var.log_target ? 0 : 1}"
    assert value(logging, "target_bucket") == "${var.access_log_bucket}"
    assert "aws:SecureTransport" in (BUCKET / "main.tf").read_text()


def test_sec_04_lifecycle_expires_noncurrent_versions():
    rule = resource(BUCKET, "aws_s3_bucket_lifecycle_configuration", "this")["rule"][0]
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
