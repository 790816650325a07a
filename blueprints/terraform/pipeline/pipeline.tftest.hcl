# Plans the pipeline module with a mocked AWS provider and the answers' stages
# and environments.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  project    = {{ project.name | hcl_str }}
  repository = {{ pipeline.repository | hcl_str }}
  branch     = {{ pipeline.branch | hcl_str }}
  checks     = ["validate", "test", "security_scan"]
  environments = [
{%- for e in environments %}
    { name = {{ e.name | hcl_str }}, approval = {{ e.approval }}, account_id = {{ e.account_id | hcl_str }} },
{%- endfor %}
  ]
  notification_email = "alerts@example.com"
  terraform_version  = "1.11.4"
  terraform_sha256   = "1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc"
  log_retention_days = 90
}

run "test_ci_01_v2_pipeline_with_connection_source" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  assert {
    condition     = aws_codepipeline.this.pipeline_type == "V2"
    error_message = "The pipeline must be a V2 pipeline."
  }

  assert {
    condition     = aws_codepipeline.this.stage[0].action[0].provider == "CodeStarSourceConnection" && aws_codepipeline.this.stage[0].action[0].configuration.BranchName == var.branch
    error_message = "The source must be the CodeConnections connection on the answered branch."
  }
}

run "test_ci_02_stages_in_answered_order" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  assert {
    condition     = [for s in aws_codepipeline.this.stage : s.name] == concat(["Source", "Validate", "Test", "SecurityScan"], [for e in var.environments : "Deploy-${e.name}"])
    error_message = "The stages must follow the answers: checks, then every environment in promotion order."
  }
}

run "test_ci_03_approvals_notify_with_the_plan_summary" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  assert {
    condition     = alltrue([for i, e in var.environments : e.approval == (length([for a in aws_codepipeline.this.stage[4 + i].action : a if a.category == "Approval"]) == 1)])
    error_message = "Exactly the environments that ask for an approval must have one."
  }

  assert {
    condition     = alltrue(flatten([for s in aws_codepipeline.this.stage : [for a in s.action : strcontains(a.configuration.CustomData, ".PLAN_SUMMARY") if a.category == "Approval"]]))
    error_message = "Approvals must carry the plan summary in CustomData."
  }
}

run "test_ci_04_artifacts_encrypted_with_the_pipeline_key" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  assert {
    condition     = one(one(aws_codepipeline.this.artifact_store).encryption_key).type == "KMS"
    error_message = "The artifact store must be encrypted with the pipeline key."
  }
}

run "test_ci_05_one_project_per_stage_small_unprivileged_logged" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  assert {
    condition     = length(aws_codebuild_project.this) == length(var.checks) + 2 * length(var.environments)
    error_message = "Every check stage and every environment's plan and apply need their own project."
  }

  assert {
    condition     = alltrue([for p in aws_codebuild_project.this : one(p.environment).compute_type == "BUILD_GENERAL1_SMALL" && !one(p.environment).privileged_mode])
    error_message = "Builds must be small and unprivileged."
  }

  assert {
    condition     = alltrue([for p in aws_codebuild_project.this : contains([for v in one(p.environment).environment_variable : v.type if v.name == "TF_STATE_BUCKET"], "PARAMETER_STORE")])
    error_message = "The backend bucket must come from SSM Parameter Store."
  }
}

run "test_ci_06_terraform_download_is_verified" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  assert {
    condition     = alltrue([for p in aws_codebuild_project.this : contains([for v in one(p.environment).environment_variable : v.value if v.name == "TERRAFORM_SHA256"], var.terraform_sha256)])
    error_message = "Every build must know the Terraform checksum."
  }
}

run "test_ci_08_failures_and_approvals_notify" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_event_rule.pipeline)) == toset(["failed", "approval"])
    error_message = "Pipeline failures and pending approvals must reach the topic."
  }
}

run "test_ci_09_apply_uses_the_plan_artifact" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  assert {
    condition     = alltrue([for i, e in var.environments : contains([for a in aws_codepipeline.this.stage[4 + i].action : join(",", a.input_artifacts) if a.name == "Apply"], "source,plan_${replace(e.name, "-", "_")}")])
    error_message = "Every apply must take its environment's plan artifact."
  }
}
