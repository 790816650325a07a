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
  checks     = [{% set_global sep = "" %}{% for s in pipeline.stages %}{% if s != "deploy" and s != "integration_test" %}{{ sep }}{{ s | hcl_str }}{% set_global sep = ", " %}{% endif %}{% endfor %}]
  # IntegrationTest-<env> after each Deploy-<env>: {{ pipeline.has.integration_test }} in the answers; the
  # test_ci_02 runs below also try other stage lists.
  integration_test = {{ pipeline.has.integration_test }}
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

  # The answered stages ({{ pipeline.stages | join(sep=", ") }}) with the answered environments.
  assert {
    condition     = [for s in aws_codepipeline.this.stage : s.name] == [{{ '"Source"' }}{% for s in pipeline.stages %}{% if s == "deploy" %}{% for e in environments %}, {{ ("Deploy-" ~ e.name) | hcl_str }}{% if pipeline.has.integration_test %}, {{ ("IntegrationTest-" ~ e.name) | hcl_str }}{% endif %}{% endfor %}{% elif s != "integration_test" %}, {{ s | pascal | hcl_str }}{% endif %}{% endfor %}]
    error_message = "The stages must be the answered ones in their order: the checks and build, then per environment its deploy{% if pipeline.has.integration_test %} and its integration test{% endif %}."
  }
}

run "test_ci_02_build_between_checks_feeds_every_plan_and_apply" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  variables {
    checks           = ["validate", "test", "build", "security_scan"]
    integration_test = false
    environments = [
      { name = "dev", approval = false, account_id = "" },
      { name = "prod", approval = true, account_id = "444455556666" },
    ]
  }

  assert {
    condition     = [for s in aws_codepipeline.this.stage : s.name] == ["Source", "Validate", "Test", "Build", "SecurityScan", "Deploy-dev", "Deploy-prod"]
    error_message = "validate, test, build, security_scan, deploy: the stages must be Source, Validate, Test, Build, SecurityScan, Deploy-dev, Deploy-prod."
  }

  assert {
    condition     = jsonencode(aws_codepipeline.this.stage[3].action[0].output_artifacts) == jsonencode(["build"]) && jsonencode(aws_codepipeline.this.stage[3].action[0].input_artifacts) == jsonencode(["source"])
    error_message = "The build stage must turn the source into the build artifact."
  }

  assert {
    condition     = alltrue([for s in slice(aws_codepipeline.this.stage, 5, 7) : alltrue([for a in s.action : a.input_artifacts[0] == "build" if a.category == "Build"])])
    error_message = "Every plan and apply must start from the build artifact, not the raw source."
  }

  assert {
    condition     = alltrue([for s in slice(aws_codepipeline.this.stage, 5, 7) : alltrue([for a in s.action : length(a.output_artifacts) == 0 if a.name == "Apply"])])
    error_message = "Without integration tests an apply writes no outputs artifact."
  }

  assert {
    condition     = !contains(keys(aws_codebuild_project.this), "integration-dev")
    error_message = "Without integration_test there is no integration-test project."
  }
}

run "test_ci_02_integration_test_after_each_deploy" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  variables {
    checks           = ["validate", "build"]
    integration_test = true
    environments = [
      { name = "dev", approval = false, account_id = "" },
      { name = "pre-prod", approval = true, account_id = "444455556666" },
    ]
  }

  assert {
    condition     = [for s in aws_codepipeline.this.stage : s.name] == ["Source", "Validate", "Build", "Deploy-dev", "IntegrationTest-dev", "Deploy-pre-prod", "IntegrationTest-pre-prod"]
    error_message = "validate, build, deploy, integration_test: every Deploy-<env> must be followed by its IntegrationTest-<env>."
  }

  assert {
    condition     = jsonencode([for a in aws_codepipeline.this.stage[5].action : a.output_artifacts if a.name == "Apply"]) == jsonencode([["outputs_pre_prod"]])
    error_message = "The apply must write the environment's outputs artifact for its integration test."
  }

  assert {
    condition     = jsonencode(aws_codepipeline.this.stage[6].action[0].input_artifacts) == jsonencode(["source", "outputs_pre_prod"]) && aws_codepipeline.this.stage[6].action[0].category == "Test" && aws_codepipeline.this.stage[6].action[0].configuration.ProjectName == "${var.project}-integration-pre-prod"
    error_message = "The integration test of an environment must run its own project on the source and that environment's outputs."
  }

  assert {
    condition     = [for v in one(aws_codebuild_project.this["integration-pre-prod"].environment).environment_variable : v.value if v.name == "TARGET_ROLE_ARN"] == ["arn:aws:iam::444455556666:role/${var.project}-pre-prod-integration-read"] && length([for v in one(aws_codebuild_project.this["integration-dev"].environment).environment_variable : v.value if v.name == "TARGET_ROLE_ARN"]) == 0
    error_message = "An environment in another account is tested through its integration-read role; one in the pipeline's account directly."
  }

  assert {
    condition     = keys(aws_iam_role_policy_attachment.same_account_integration) == ["integration-dev"] && aws_iam_role_policy_attachment.same_account_integration["integration-dev"].policy_arn == "arn:aws:iam::aws:policy/SecurityAudit"
    error_message = "Only the integration test of the pipeline account's environment reads with SecurityAudit in the pipeline account."
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.build["integration-pre-prod"].statement : s.sid] == ["OwnLogGroup", "Artifacts", "PipelineKey", "TestReports", "AssumeIntegrationReadRole"]
    error_message = "The integration test of another account may assume that account's integration-read role and nothing that plans, applies or reads state."
  }

  assert {
    condition     = jsonencode([for s in data.aws_iam_policy_document.build["integration-pre-prod"].statement : s.resources if s.sid == "AssumeIntegrationReadRole"]) == jsonencode([["arn:aws:iam::444455556666:role/${var.project}-pre-prod-integration-read"]])
    error_message = "The integration build may assume only its environment's integration-read role."
  }

  assert {
    condition     = length([for v in one(aws_codebuild_project.this["integration-dev"].environment).environment_variable : v if v.name == "TF_STATE_BUCKET"]) == 0
    error_message = "The integration test reads the outputs artifact, never the state."
  }
}

run "test_ci_02_checks_only_without_environments" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  variables {
    checks           = ["security_scan", "validate"]
    integration_test = false
    environments     = []
  }

  assert {
    condition     = [for s in aws_codepipeline.this.stage : s.name] == ["Source", "SecurityScan", "Validate"]
    error_message = "security_scan, validate without deploy: the stages must be Source, SecurityScan, Validate."
  }
}

run "test_ci_03_approvals_notify_with_the_plan_summary" {
  command = plan

  module {
    source = "./modules/pipeline"
  }

  assert {
    condition     = alltrue([for e in var.environments : e.approval == (length(flatten([for s in aws_codepipeline.this.stage : [for a in s.action : a if a.category == "Approval"] if s.name == "Deploy-${e.name}"])) == 1)])
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
    condition     = length(aws_codebuild_project.this) == length(var.checks) + (var.integration_test ? 3 : 2) * length(var.environments)
    error_message = "Every check stage and every environment's plan, apply and integration test need their own project."
  }

  assert {
    condition     = alltrue([for p in aws_codebuild_project.this : one(p.environment).compute_type == "BUILD_GENERAL1_SMALL" && !one(p.environment).privileged_mode])
    error_message = "Builds must be small and unprivileged."
  }

  assert {
    condition     = alltrue([for k, p in aws_codebuild_project.this : jsonencode([for v in one(p.environment).environment_variable : v.type if v.name == "TF_STATE_BUCKET"]) == jsonencode(startswith(k, "plan-") || startswith(k, "apply-") ? ["PARAMETER_STORE"] : [])])
    error_message = "The backend bucket must come from SSM Parameter Store, to the plan and apply builds only."
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
    condition     = alltrue([for e in var.environments : flatten([for s in aws_codepipeline.this.stage : [for a in s.action : join(",", a.input_artifacts) if a.name == "Apply"] if s.name == "Deploy-${e.name}"]) == ["${contains(var.checks, "build") ? "build" : "source"},plan_${replace(e.name, "-", "_")}"]])
    error_message = "Every apply must take its environment's plan artifact."
  }
}
