# Root module of {{ env.name }} ({{ env.profile }} profile{% if env.cross_account %}, account {{ env.account_id }}{% endif %}).
# Values are in terraform.tfvars; backend settings in backend.hcl.
{%- if env.cross_account and pipeline.enabled %}
# The pipeline's builds run in the pipeline's account and assume the apply
# role of account {{ env.account_id }} (var.apply_role_arn).
{%- elif env.cross_account %}
# Terraform runs with the credentials of account {{ env.account_id }} itself
# (no pipeline, no apply role); allowed_account_ids refuses any other account.
{%- endif %}

provider "aws" {
  region              = var.region
  allowed_account_ids = var.account_id == "" ? null : [var.account_id]

  dynamic "assume_role" {
    for_each = var.apply_role_arn == "" ? [] : [var.apply_role_arn]
    content {
      role_arn     = assume_role.value
      session_name = "terraform-${var.environment}"
    }
  }

  default_tags {
    tags = var.tags
  }
}

locals {
  name = "${var.tags["Project"]}-${var.environment}"
}

module "security" {
  source = "../../modules/security"

  name                       = local.name
  create_trail               = var.owns_account_trail
  log_retention_days         = var.log_retention_days
  noncurrent_transition_days = var.noncurrent_transition_days
  noncurrent_expiration_days = var.noncurrent_expiration_days
  force_destroy              = var.ephemeral
  autoscaling_uses_key       = {{ app.kind == "ec2" }}
}

module "network" {
  source = "../../modules/network"

  name                  = local.name
  vpc_cidr              = var.vpc_cidr
  public_subnet_cidrs   = var.subnets.public
  private_subnet_cidrs  = var.subnets.private
  isolated_subnet_cidrs = var.subnets.isolated
  nat_mode              = var.nat_mode
  gateway_endpoints     = var.gateway_endpoints
  interface_endpoints   = var.interface_endpoints
  kms_key_arn           = module.security.kms_key_arn
  log_retention_days    = var.log_retention_days
  app_port              = var.app_port
  lambda_security_group = {{ app.kind == "lambda" }}
}
