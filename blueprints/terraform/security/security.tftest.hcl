# Plans the security module with a mocked AWS provider: the environment key,
# the access-log bucket and the account trail, with the values of {{ environments[0].name }}.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name                       = {{ (project.name ~ "-" ~ environments[0].name) | hcl_str }}
  create_trail               = true
  log_retention_days         = {{ environments[0].log_retention_days }}
  noncurrent_transition_days = {{ environments[0].noncurrent_transition_days }}
  noncurrent_expiration_days = {{ environments[0].noncurrent_expiration_days }}
}

run "test_sec_01_one_rotating_key_with_alias" {
  command = plan

  module {
    source = "./modules/security"
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "The environment key must rotate."
  }

  assert {
    condition     = aws_kms_alias.this.name == "alias/${var.name}"
    error_message = "The environment key must have an alias named after the environment."
  }
}

run "test_sec_02_multi_region_validated_encrypted_trail" {
  command = plan

  module {
    source = "./modules/security"
  }

  assert {
    condition     = aws_cloudtrail.this[0].is_multi_region_trail && aws_cloudtrail.this[0].include_global_service_events && aws_cloudtrail.this[0].enable_log_file_validation
    error_message = "The trail must be multi-region, with global service events and log file validation."
  }

  assert {
    condition     = length(module.trail_bucket) == 1
    error_message = "The trail must deliver to its own bucket."
  }
}

run "test_dep_07_trail_only_in_the_owning_environment" {
  command = plan

  module {
    source = "./modules/security"
  }

  variables {
    create_trail = false
  }

  assert {
    condition     = length(aws_cloudtrail.this) == 0 && length(module.trail_bucket) == 0
    error_message = "Only the environment that owns the account trail may create it."
  }
}

# The hardened bucket module in both of its roles: a data bucket (the trail's)
# and the environment's access-log bucket (log_target, the security module's
# module.access_logs). Public access blocks and versioning do not depend on
# the role; encryption, access logs and the lifecycle rule do.
run "test_sec_03_bucket_blocks_public_access_encrypts_with_key_and_logs" {
  command = plan

  module {
    source = "./modules/security/bucket"
  }

  variables {
    name              = "${var.name}-data-111122223333"
    kms_key_arn       = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
    access_log_bucket = "${var.name}-access-logs-111122223333"
  }

  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this.block_public_acls,
      aws_s3_bucket_public_access_block.this.block_public_policy,
      aws_s3_bucket_public_access_block.this.ignore_public_acls,
      aws_s3_bucket_public_access_block.this.restrict_public_buckets,
    ])
    error_message = "All four public access blocks must be on."
  }

  assert {
    condition     = one(aws_s3_bucket_versioning.this.versioning_configuration).status == "Enabled"
    error_message = "The bucket must be versioned."
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" && one(aws_s3_bucket_server_side_encryption_configuration.this.rule).bucket_key_enabled
    error_message = "A data bucket must be encrypted with the environment key and a bucket key."
  }

  assert {
    condition     = length(aws_s3_bucket_logging.this) == 1 && aws_s3_bucket_logging.this[0].target_bucket == var.access_log_bucket
    error_message = "A data bucket must send its server access logs to the access-log bucket."
  }
}

run "test_sec_03_access_log_bucket_s3_managed_keys_no_own_logs" {
  command = plan

  module {
    source = "./modules/security/bucket"
  }

  variables {
    name       = "${var.name}-access-logs-111122223333"
    log_target = true
  }

  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "Server access logs are delivered only to a bucket encrypted with S3-managed keys."
  }

  assert {
    condition     = length(aws_s3_bucket_logging.this) == 0
    error_message = "The access-log bucket must not log into itself."
  }
}

run "test_sec_04_noncurrent_versions_expire" {
  command = plan

  module {
    source = "./modules/security/bucket"
  }

  variables {
    name       = "${var.name}-access-logs-111122223333"
    log_target = true
  }

  assert {
    condition     = one(one(aws_s3_bucket_lifecycle_configuration.this.rule).noncurrent_version_expiration).noncurrent_days == var.noncurrent_expiration_days
    error_message = "Noncurrent versions must expire."
  }

  assert {
    condition     = one(one(aws_s3_bucket_lifecycle_configuration.this.rule).abort_incomplete_multipart_upload).days_after_initiation == 7
    error_message = "Incomplete multipart uploads must be aborted."
  }
}

run "test_sec_07_trail_log_group_encrypted_with_retention" {
  command = plan

  module {
    source = "./modules/security"
  }

  assert {
    condition     = aws_cloudwatch_log_group.trail[0].retention_in_days == var.log_retention_days
    error_message = "The trail log group must keep events for the environment's retention."
  }
}
