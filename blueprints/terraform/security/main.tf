# The environment key (SEC-01), the access-log bucket, and the account's
# CloudTrail trail (SEC-02) in the environment that owns it.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.id
  trail_arn = "arn:${local.partition}:cloudtrail:${local.region}:${local.account}:trail/${var.name}-trail"
}

# A key policy's "*" resource means this key: the policy is written as JSON,
# not as an IAM policy document, because it attaches to the key alone.
locals {
  key_policy = {
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid       = "AccountRoot"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${local.region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
        Condition = { ArnLike = { "kms:EncryptionContext:aws:logs:arn" = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:*" } }
      },
      {
        Sid       = "ServicesOfThisAccount"
        Effect    = "Allow"
        Principal = { Service = ["cloudtrail.amazonaws.com", "sns.amazonaws.com", "cloudwatch.amazonaws.com"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
      },
      {
        # DEP-05: EventBridge sends no source condition key when it uses the topic key.
        Sid       = "EventBridgeToEncryptedTopics"
        Effect    = "Allow"
        Principal = { Service = "events.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ], local.autoscaling_statements)
  }
  # APP-01: the Auto Scaling service-linked role launches the application
  # instances, so it encrypts their volumes and publishes their failure
  # notifications to the encrypted alert topic with this key.
  autoscaling_role = "arn:${local.partition}:iam::${local.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
  autoscaling_statements = [for s in [
    {
      Sid       = "AutoScalingServiceLinkedRoleUsesKey"
      Effect    = "Allow"
      Principal = { AWS = local.autoscaling_role }
      Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
      Resource  = "*"
    },
    {
      Sid       = "AutoScalingServiceLinkedRoleAttachesVolumes"
      Effect    = "Allow"
      Principal = { AWS = local.autoscaling_role }
      Action    = "kms:CreateGrant"
      Resource  = "*"
      Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
    },
  ] : s if var.autoscaling_uses_key]
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: logs, buckets, topics, database and secrets of the environment"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = jsonencode(local.key_policy)
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

# The access-log bucket: the hardened bucket module as the log target (S3-managed
# keys, which server access logs require; no access logs of its own). Its policy
# adds the log delivery service of this account to the TLS-only statement. The
# skips sit on this call, so checkov applies them to this bucket only.
module "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log bucket; logging it into itself would loop
  #checkov:skip=CKV_AWS_145:S3 server access logging delivers only to buckets encrypted with S3-managed keys
  source = "./bucket"

  name                       = "${var.name}-access-logs-${local.account}"
  log_target                 = true
  noncurrent_transition_days = var.noncurrent_transition_days
  noncurrent_expiration_days = var.noncurrent_expiration_days
  force_destroy              = var.force_destroy
  policy_statements = jsonencode([
    {
      Sid       = "ServerAccessLogs"
      Effect    = "Allow"
      Principal = { Service = "logging.s3.amazonaws.com" }
      Action    = "s3:PutObject"
      Resource  = "arn:${local.partition}:s3:::${var.name}-access-logs-${local.account}/*"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    },
  ])
}

# The access-log bucket's resources were declared in this module before it
# used ./bucket: existing states move to the module call, nothing is replaced.
moved {
  from = aws_s3_bucket.access_logs
  to   = module.access_logs.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_public_access_block.access_logs
  to   = module.access_logs.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_ownership_controls.access_logs
  to   = module.access_logs.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.access_logs
  to   = module.access_logs.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_versioning.access_logs
  to   = module.access_logs.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.access_logs
  to   = module.access_logs.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.access_logs
  to   = module.access_logs.aws_s3_bucket_policy.this
}

# access_log_bucket goes through the log bucket's policy: S3 refuses PutBucketLogging
# (InvalidTargetBucketForLogging) until that policy grants logging.s3.amazonaws.com.
module "trail_bucket" {
  source = "./bucket"
  count  = var.create_trail ? 1 : 0

  name                       = "${var.name}-trail-${local.account}"
  kms_key_arn                = aws_kms_key.this.arn
  access_log_bucket          = module.access_logs.log_target_name
  noncurrent_transition_days = var.noncurrent_transition_days
  noncurrent_expiration_days = var.noncurrent_expiration_days
  force_destroy              = var.force_destroy
  policy_statements = jsonencode([
    {
      Sid       = "CloudTrailAclCheck"
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "s3:GetBucketAcl"
      Resource  = "arn:${local.partition}:s3:::${var.name}-trail-${local.account}"
      Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } }
    },
    {
      Sid       = "CloudTrailWrite"
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "s3:PutObject"
      Resource  = "arn:${local.partition}:s3:::${var.name}-trail-${local.account}/AWSLogs/${local.account}/*"
      Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn, "s3:x-amz-acl" = "bucket-owner-full-control" } }
    },
  ])
}

resource "aws_cloudwatch_log_group" "trail" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment profile from the answers; production profiles keep logs longer
  count = var.create_trail ? 1 : 0

  name              = "/${var.name}/cloudtrail"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this.arn
}

# DEP-05: CloudTrail sends no source condition keys when it assumes this role.
data "aws_iam_policy_document" "trail_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "trail" {
  count = var.create_trail ? 1 : 0

  name               = "${var.name}-cloudtrail-logs"
  assume_role_policy = data.aws_iam_policy_document.trail_trust.json
}

resource "aws_iam_role_policy" "trail" {
  count = var.create_trail ? 1 : 0

  name = "deliver-to-log-group"
  role = aws_iam_role.trail[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${aws_cloudwatch_log_group.trail[0].arn}:*"
    }]
  })
}

resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV_AWS_252:Trail delivery notifications have no subscriber in this project; failures surface through the log group
  count = var.create_trail ? 1 : 0

  name                          = "${var.name}-trail"
  s3_bucket_name                = module.trail_bucket[0].id
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = aws_kms_key.this.arn
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.trail[0].arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.trail[0].arn

  event_selector {
    read_write_type           = "All"
    include_management_events = true
  }

  depends_on = [module.trail_bucket]
}
