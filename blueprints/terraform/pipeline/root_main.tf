# Root module of the delivery pipeline, applied once in the pipeline's account
# (make pipeline-plan, make pipeline-apply). Values are in terraform.tfvars.

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}

variable "region" {
  description = "AWS Region of the pipeline."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "The region must be a Region code: two letters, an area and a number."
  }
}

variable "tags" {
  description = "Tags every resource carries (GEN-02)."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["Project", "Environment", "Owner", "CostCenter", "ManagedBy"] : contains(keys(var.tags), k)])
    error_message = "The tags must include Project, Environment, Owner, CostCenter and ManagedBy."
  }
}

variable "pipeline" {
  description = "The pipeline: repository, branch, check stages, environments and notification address."
  type = object({
    repository         = string
    branch             = string
    checks             = list(string)
    integration_test   = bool
    notification_email = string
    environments = list(object({
      name       = string
      approval   = bool
      account_id = string
    }))
  })

  validation {
    condition     = length(var.pipeline.checks) + length(var.pipeline.environments) >= 1
    error_message = "The pipeline needs a check stage or an environment to deploy."
  }
}

module "pipeline" {
  source = "../modules/pipeline"

  project            = var.tags["Project"]
  repository         = var.pipeline.repository
  branch             = var.pipeline.branch
  checks             = var.pipeline.checks
  integration_test   = var.pipeline.integration_test
  environments       = var.pipeline.environments
  notification_email = var.pipeline.notification_email
  # SHA-256 of terraform_1.11.4_linux_amd64.zip as published in HashiCorp's
  # terraform_1.11.4_SHA256SUMS (the same value in independent package
  # definitions: an Arch PKGBUILD, a Homebrew-style formula, a Nix flake and a
  # Chromebrew package). The builds check the zip against it before unzipping.
  terraform_version  = "1.11.4"
  terraform_sha256   = "1ce994251c00281d6845f0f268637ba50c0005657eb3cf096b92f753b42ef4dc"
  log_retention_days = 90
{%- if state.lock_table %}
  lock_table         = {{ (project.name ~ "-tfstate-lock") | hcl_str }}
{%- endif %}
}

output "pipeline_name" {
  description = "Name of the pipeline."
  value       = module.pipeline.pipeline_name
}

output "connection_arn" {
  description = "CodeConnections connection to confirm once in the console."
  value       = module.pipeline.connection_arn
}
