# One hardened S3 bucket (SEC-03, SEC-04): every public-access block, owner-
# enforced ownership, default encryption with the environment key and a bucket
# key, versioning, a TLS-only policy, a lifecycle for noncurrent versions and
# incomplete uploads, and server access logs to the environment's log bucket.
# With log_target the bucket is that log bucket itself: S3 delivers server
# access logs only to a bucket encrypted with S3-managed keys, and a log bucket
# does not log into itself.

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice the answers do not make; versioning and retention cover accidental deletes
  #checkov:skip=CKV2_AWS_62:No consumer of object events in this project
  bucket        = var.name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.log_target ? "AES256" : "aws:kms"
      kms_master_key_id = var.log_target ? null : var.kms_key_arn
    }
    bucket_key_enabled = var.log_target ? null : true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = var.log_target ? "expire-logs" : "noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_transition {
      noncurrent_days = var.noncurrent_transition_days
      storage_class   = "STANDARD_IA"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.log_target ? 0 : 1

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = "${var.name}/"
}

# The logging resource had no count before the access-log bucket used this module.
moved {
  from = aws_s3_bucket_logging.this
  to   = aws_s3_bucket_logging.this[0]
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = concat(jsondecode(data.aws_iam_policy_document.tls_only.json).Statement, jsondecode(var.policy_statements))
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}
