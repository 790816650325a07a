# The delivery pipeline (CI-01..10): CodePipeline V2 with a CodeConnections
# source; one CodeBuild project per check stage (validate, test,
# security_scan, build, in the answered order; build writes the artifact every
# plan starts from), and per environment a plan project (the plan and its
# JSON as a KMS-encrypted artifact), a manual approval where answered (SNS,
# the plan summary in CustomData), an apply project that applies exactly that
# plan and, where answered, an integration-test project that checks the
# deployed environment read-only. Backend settings come from SSM Parameter
# Store; environments in other accounts are applied through their apply role
# and tested through their integration-read role (bootstrap/apply-role.yaml).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.id
  envs      = { for e in var.environments : e.name => e }
  # kind: check (a stage before the environments), plan, apply (the two that
  # read and write the state), integration (reads the deployed environment).
  builds = merge(
    { for s in var.checks : s => { buildspec = "buildspecs/${s}.yml", env = "", kind = "check" } },
    { for e in var.environments : "plan-${e.name}" => { buildspec = "buildspecs/plan.yml", env = e.name, kind = "plan" } },
    { for e in var.environments : "apply-${e.name}" => { buildspec = "buildspecs/apply.yml", env = e.name, kind = "apply" } },
    { for e in var.integration_test ? var.environments : [] : "integration-${e.name}" => { buildspec = "buildspecs/integration_test.yml", env = e.name, kind = "integration" } },
  )
  state_parameter = "/${var.project}/terraform/state-bucket"
  # Plans and applies start from the build stage's artifact when build is
  # answered (the source, the function package, the checked lock files),
  # otherwise from the source itself.
  plan_input = contains(var.checks, "build") ? "build" : "source"
  # Per environment, in promotion order: Deploy-<env>, then IntegrationTest-<env> where answered.
  deploy_stages = flatten([for e in var.environments : concat(
    [{ kind = "deploy", env = e, id = replace(e.name, "-", "_") }],
    var.integration_test ? [{ kind = "integration", env = e, id = replace(e.name, "-", "_") }] : [],
  )])
}

resource "aws_kms_key" "pipeline" {
  description             = "${var.project} pipeline: artifacts, build logs and notifications"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
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
        # DEP-05: EventBridge sends no source condition key when it uses the topic key.
        Sid       = "EventBridgeAndCodeStarNotifications"
        Effect    = "Allow"
        Principal = { Service = ["events.amazonaws.com", "codestar-notifications.amazonaws.com"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "pipeline" {
  name          = "alias/${var.project}-pipeline"
  target_key_id = aws_kms_key.pipeline.key_id
}

# Server access logs of the artifact bucket (S3 delivers them only to SSE-S3 buckets).
resource "aws_s3_bucket" "access_logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log bucket; logging it into itself would loop
  #checkov:skip=CKV_AWS_145:S3 server access logging delivers only to buckets encrypted with S3-managed keys
  #checkov:skip=CKV_AWS_144:Cross-region replication is a disaster-recovery choice the answers do not make
  #checkov:skip=CKV2_AWS_62:No consumer of object events in this project
  bucket = "${var.project}-pipeline-logs-${local.account}"
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = 365
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "ServerAccessLogs"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${aws_s3_bucket.access_logs.arn}/*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
      },
    ]
  })
  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}

# CI-04: the artifact bucket, hardened like every data bucket.
# access_log_bucket goes through the log bucket's policy: S3 refuses PutBucketLogging
# (InvalidTargetBucketForLogging) until that policy grants logging.s3.amazonaws.com.
module "artifacts" {
  source = "../security/bucket"

  name                       = "${var.project}-pipeline-artifacts-${local.account}"
  kms_key_arn                = aws_kms_key.pipeline.arn
  access_log_bucket          = aws_s3_bucket_policy.access_logs.bucket
  noncurrent_transition_days = 30
  noncurrent_expiration_days = 90
}

# CI-03, CI-08: approvals and failures, encrypted, to the answers' address.
resource "aws_sns_topic" "pipeline" {
  name              = "${var.project}-pipeline"
  kms_master_key_id = aws_kms_key.pipeline.arn
}

resource "aws_sns_topic_subscription" "email" {
  topic_arn = aws_sns_topic.pipeline.arn
  protocol  = "email"
  endpoint  = var.notification_email
}

resource "aws_sns_topic_policy" "pipeline" {
  arn = aws_sns_topic.pipeline.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeRulesOfThisAccount"
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = aws_sns_topic.pipeline.arn
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })
}

# CI-01: the repository connection; confirm it once in the console (README: the handshake).
resource "aws_codestarconnections_connection" "source" {
  name          = substr("${var.project}-source", 0, 32)
  provider_type = "GitHub"
}

resource "aws_cloudwatch_log_group" "build" {
  #checkov:skip=CKV_AWS_338:Build logs are kept for the answers' retention; the pipeline's history is in CodePipeline
  for_each = local.builds

  name              = "/${var.project}/codebuild/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.pipeline.arn
}

data "aws_iam_policy_document" "codebuild_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codebuild.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "build" {
  for_each = local.builds

  name               = "${var.project}-build-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.codebuild_trust.json
}

# CI-05, SEC-05: each build may write its own log group and test reports, read
# and write the artifact bucket and use the pipeline key; plans and applies
# also read the backend parameter and the state, and for another account
# assume that account's apply role; an integration test of another account
# assumes only that account's integration-read role.
data "aws_iam_policy_document" "build" {
  for_each = local.builds

  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.build[each.key].arn}:*"]
  }

  statement {
    sid       = "Artifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"]
    resources = ["${module.artifacts.arn}/*"]
  }

  statement {
    sid       = "PipelineKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = [aws_kms_key.pipeline.arn]
  }

  statement {
    sid       = "TestReports"
    actions   = ["codebuild:CreateReportGroup", "codebuild:CreateReport", "codebuild:UpdateReport", "codebuild:BatchPutTestCases"]
    resources = ["arn:${local.partition}:codebuild:${local.region}:${local.account}:report-group/${var.project}-${each.key}-*"]
  }

  dynamic "statement" {
    for_each = contains(["plan", "apply"], each.value.kind) ? [each.value.env] : []
    content {
      sid       = "BackendSettings"
      actions   = ["ssm:GetParameter", "ssm:GetParameters"]
      resources = ["arn:${local.partition}:ssm:${local.region}:${local.account}:parameter/${var.project}/terraform/*"]
    }
  }

  dynamic "statement" {
    for_each = contains(["plan", "apply"], each.value.kind) ? [each.value.env] : []
    content {
      sid       = "State"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]
      resources = ["arn:${local.partition}:s3:::${var.project}-tfstate-${local.account}", "arn:${local.partition}:s3:::${var.project}-tfstate-${local.account}/envs/${statement.value}/*"]
    }
  }

  # The state key (bootstrap stack, alias/<project>-tfstate) encrypts the
  # state objects{% if state.lock_table %} and the lock table{% endif %}: reading and writing them needs it.
  dynamic "statement" {
    for_each = contains(["plan", "apply"], each.value.kind) ? [each.value.env] : []
    content {
      sid       = "StateKey"
      actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
      resources = ["arn:${local.partition}:kms:${local.region}:${local.account}:key/*"]

      condition {
        test     = "ForAnyValue:StringEquals"
        variable = "kms:ResourceAliases"
        values   = ["alias/${var.project}-tfstate"]
      }
    }
  }

  # The DynamoDB lock (state.lock_table): exactly the item actions the S3
  # backend takes a lock with, on that table only.
  dynamic "statement" {
    for_each = !contains(["plan", "apply"], each.value.kind) || var.lock_table == "" ? [] : [var.lock_table]
    content {
      sid       = "StateLock"
      actions   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]
      resources = ["arn:${local.partition}:dynamodb:${local.region}:${local.account}:table/${statement.value}"]
    }
  }

  dynamic "statement" {
    for_each = contains(["plan", "apply"], each.value.kind) && try(local.envs[each.value.env].account_id, "") != "" ? [local.envs[each.value.env]] : []
    content {
      sid       = "AssumeApplyRole"
      actions   = ["sts:AssumeRole"]
      resources = ["arn:${local.partition}:iam::${statement.value.account_id}:role/${var.project}-${statement.value.name}-terraform-apply"]
    }
  }

  dynamic "statement" {
    for_each = each.value.kind == "integration" && try(local.envs[each.value.env].account_id, "") != "" ? [local.envs[each.value.env]] : []
    content {
      sid       = "AssumeIntegrationReadRole"
      actions   = ["sts:AssumeRole"]
      resources = ["arn:${local.partition}:iam::${statement.value.account_id}:role/${var.project}-${statement.value.name}-integration-read"]
    }
  }
}

resource "aws_iam_role_policy" "build" {
  for_each = local.builds

  name   = "build"
  role   = aws_iam_role.build[each.key].id
  policy = data.aws_iam_policy_document.build[each.key].json
}

# DEP-02: plans and applies of an environment in the pipeline's own account
# run with the rights Terraform needs for every resource type the modules
# declare; other accounts get the same policy through their apply role.
resource "aws_iam_role_policy_attachment" "same_account_apply" {
  for_each = { for k, b in local.builds : k => b if contains(["plan", "apply"], b.kind) && try(local.envs[b.env].account_id, "") == "" }

  role       = aws_iam_role.build[each.key].name
  policy_arn = aws_iam_policy.apply.arn
}

# The integration tests of an environment in the pipeline's account read the
# deployed configuration (describe and get calls, no data) with SecurityAudit;
# other accounts grant the same through their integration-read role.
resource "aws_iam_role_policy_attachment" "same_account_integration" {
  for_each = { for k, b in local.builds : k => b if b.kind == "integration" && try(local.envs[b.env].account_id, "") == "" }

  role       = aws_iam_role.build[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/SecurityAudit"
}

resource "aws_iam_policy" "apply" {
  #checkov:skip=CKV_AWS_289:Terraform creates and manages the environment's resources; the actions are limited to the services the modules use
  #checkov:skip=CKV_AWS_290:Terraform creates the environment's resources, whose ARNs do not exist before the apply
  #checkov:skip=CKV_AWS_355:Terraform creates the environment's resources, whose ARNs do not exist before the apply
  #checkov:skip=CKV_AWS_286:Terraform creates the environment's IAM roles; iam:PassRole is limited to roles named after the project
  #checkov:skip=CKV_AWS_287:Terraform reads the database secret ARN that RDS manages; it never reads its value
  #checkov:skip=CKV_AWS_288:Terraform reads back every resource it manages, including the secrets RDS creates
  name        = "${var.project}-terraform-apply"
  description = "What terraform plan and apply need for the resources of ${var.project}'s modules"
  policy      = file("${path.module}/apply-policy.json")
}

resource "aws_codebuild_project" "this" {
  for_each = local.builds

  name           = "${var.project}-${each.key}"
  description    = "${var.project}: ${each.key}"
  service_role   = aws_iam_role.build[each.key].arn
  encryption_key = aws_kms_key.pipeline.arn
  build_timeout  = 60

  artifacts {
    type = "CODEPIPELINE"
  }

  source {
    type      = "CODEPIPELINE"
    buildspec = each.value.buildspec
  }

  environment {
    compute_type                = "BUILD_GENERAL1_SMALL"
    image                       = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    type                        = "LINUX_CONTAINER"
    privileged_mode             = false
    image_pull_credentials_type = "CODEBUILD"

    environment_variable {
      name  = "TF_ENV"
      value = each.value.env
    }

    environment_variable {
      name  = "TERRAFORM_VERSION"
      value = var.terraform_version
    }

    environment_variable {
      name  = "TERRAFORM_SHA256"
      value = var.terraform_sha256
    }

    dynamic "environment_variable" {
      for_each = contains(["plan", "apply"], each.value.kind) ? [local.state_parameter] : []
      content {
        name  = "TF_STATE_BUCKET"
        type  = "PARAMETER_STORE"
        value = environment_variable.value
      }
    }

    environment_variable {
      name  = "PROJECT"
      value = var.project
    }

    # The integration tests of an environment in another account read it
    # through that account's integration-read role.
    dynamic "environment_variable" {
      for_each = each.value.kind == "integration" && try(local.envs[each.value.env].account_id, "") != "" ? [local.envs[each.value.env]] : []
      content {
        name  = "TARGET_ROLE_ARN"
        value = "arn:${local.partition}:iam::${environment_variable.value.account_id}:role/${var.project}-${environment_variable.value.name}-integration-read"
      }
    }
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.build[each.key].name
      status     = "ENABLED"
    }
  }
}

data "aws_iam_policy_document" "pipeline_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codepipeline.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "pipeline" {
  name               = "${var.project}-pipeline"
  assume_role_policy = data.aws_iam_policy_document.pipeline_trust.json
}

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid       = "Artifacts"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:GetBucketVersioning"]
    resources = [module.artifacts.arn, "${module.artifacts.arn}/*"]
  }

  statement {
    sid       = "PipelineKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = [aws_kms_key.pipeline.arn]
  }

  statement {
    sid       = "Source"
    actions   = ["codestar-connections:UseConnection", "codeconnections:UseConnection"]
    resources = [aws_codestarconnections_connection.source.arn]
  }

  statement {
    sid       = "Builds"
    actions   = ["codebuild:StartBuild", "codebuild:BatchGetBuilds"]
    resources = [for p in aws_codebuild_project.this : p.arn]
  }

  statement {
    sid       = "Approvals"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.pipeline.arn]
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "pipeline"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

resource "aws_codepipeline" "this" {
  name          = var.project
  role_arn      = aws_iam_role.pipeline.arn
  pipeline_type = "V2"

  artifact_store {
    location = module.artifacts.id
    type     = "S3"

    encryption_key {
      id   = aws_kms_key.pipeline.arn
      type = "KMS"
    }
  }

  stage {
    name = "Source"

    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      namespace        = "SourceVariables"
      output_artifacts = ["source"]

      configuration = {
        ConnectionArn        = aws_codestarconnections_connection.source.arn
        FullRepositoryId     = var.repository
        BranchName           = var.branch
        OutputArtifactFormat = "CODE_ZIP"
        DetectChanges        = "true"
      }
    }
  }

  dynamic "stage" {
    for_each = var.checks
    content {
      name = replace(title(replace(stage.value, "_", " ")), " ", "")

      action {
        name             = "Run"
        category         = stage.value == "build" ? "Build" : "Test"
        owner            = "AWS"
        provider         = "CodeBuild"
        version          = "1"
        input_artifacts  = ["source"]
        output_artifacts = stage.value == "build" ? ["build"] : []

        configuration = {
          ProjectName = aws_codebuild_project.this[stage.value].name
        }
      }
    }
  }

  dynamic "stage" {
    for_each = local.deploy_stages
    content {
      name = "${stage.value.kind == "deploy" ? "Deploy" : "IntegrationTest"}-${stage.value.env.name}"

      dynamic "action" {
        for_each = stage.value.kind == "deploy" ? [stage.value] : []
        content {
          name             = "Plan"
          category         = "Build"
          owner            = "AWS"
          provider         = "CodeBuild"
          version          = "1"
          run_order        = 1
          namespace        = "Plan_${action.value.id}"
          input_artifacts  = [local.plan_input]
          output_artifacts = ["plan_${action.value.id}"]

          configuration = {
            ProjectName = aws_codebuild_project.this["plan-${action.value.env.name}"].name
          }
        }
      }

      dynamic "action" {
        for_each = stage.value.kind == "deploy" && stage.value.env.approval ? [stage.value] : []
        content {
          name      = "Approve"
          category  = "Approval"
          owner     = "AWS"
          provider  = "Manual"
          version   = "1"
          run_order = 2

          configuration = {
            NotificationArn = aws_sns_topic.pipeline.arn
            CustomData      = "${var.project} ${action.value.env.name}: #{Plan_${action.value.id}.PLAN_SUMMARY} (commit #{SourceVariables.CommitId}). Approve to apply exactly this plan."
          }
        }
      }

      # With integration tests, the apply also writes the environment's
      # non-sensitive outputs (terraform output -json) as outputs_<env>.
      dynamic "action" {
        for_each = stage.value.kind == "deploy" ? [stage.value] : []
        content {
          name             = "Apply"
          category         = "Build"
          owner            = "AWS"
          provider         = "CodeBuild"
          version          = "1"
          run_order        = 3
          input_artifacts  = [local.plan_input, "plan_${action.value.id}"]
          output_artifacts = var.integration_test ? ["outputs_${action.value.id}"] : []

          configuration = {
            ProjectName   = aws_codebuild_project.this["apply-${action.value.env.name}"].name
            PrimarySource = local.plan_input
          }
        }
      }

      dynamic "action" {
        for_each = stage.value.kind == "integration" ? [stage.value] : []
        content {
          name            = "IntegrationTest"
          category        = "Test"
          owner           = "AWS"
          provider        = "CodeBuild"
          version         = "1"
          run_order       = 1
          input_artifacts = ["source", "outputs_${action.value.id}"]

          configuration = {
            ProjectName   = aws_codebuild_project.this["integration-${action.value.env.name}"].name
            PrimarySource = "source"
          }
        }
      }
    }
  }
}

# CI-08: failures and pending approvals to the pipeline topic.
resource "aws_cloudwatch_event_rule" "pipeline" {
  for_each = {
    failed   = { detail-type = ["CodePipeline Pipeline Execution State Change"], detail = { state = ["FAILED"] } }
    approval = { detail-type = ["CodePipeline Action Execution State Change"], detail = { state = ["STARTED"], type = { category = ["Approval"] } } }
  }

  name        = "${var.project}-pipeline-${each.key}"
  description = "${var.project} pipeline: ${each.key}"
  event_pattern = jsonencode({
    source      = ["aws.codepipeline"]
    detail-type = each.value.detail-type
    resources   = [aws_codepipeline.this.arn]
    detail      = each.value.detail
  })
}

resource "aws_cloudwatch_event_target" "pipeline" {
  for_each = aws_cloudwatch_event_rule.pipeline

  rule = each.value.name
  arn  = aws_sns_topic.pipeline.arn
}
