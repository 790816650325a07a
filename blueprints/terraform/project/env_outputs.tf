output "kms_key_arn" {
  description = "ARN of the environment key."
  value       = module.security.kms_key_arn
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnet IDs in zone order."
  value       = module.network.private_subnet_ids
}

output "isolated_subnet_ids" {
  description = "Isolated subnet IDs in zone order."
  value       = module.network.isolated_subnet_ids
}

# What the integration tests (tests/integration) read to find the deployed
# resources: identifiers and names only, none of them sensitive (the pipeline's
# apply passes terraform output -json on to the tests without any sensitive output).
output "vpc_cidr" {
  description = "CIDR block of the VPC."
  value       = module.network.vpc_cidr
}

output "public_subnet_ids" {
  description = "Public subnet IDs in zone order."
  value       = module.network.public_subnet_ids
}

output "app_security_group_id" {
  description = "Security group of the application tier."
  value       = module.network.app_security_group_id
}

output "nat_gateway_count" {
  description = "Number of NAT gateways of the VPC."
  value       = module.network.nat_gateway_count
}

output "flow_log_group_name" {
  description = "Log group the VPC flow logs are delivered to."
  value       = module.network.flow_log_group_name
}

output "access_log_bucket" {
  description = "Bucket of the environment's S3 server access logs."
  value       = module.security.access_log_bucket
}

output "trail_arn" {
  description = "ARN of the account trail this environment owns; null when another environment or the account provides it."
  value       = module.security.trail_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the environment."
  value       = module.monitoring.dashboard_name
}
{%- if database.enabled %}

output "database_security_group_id" {
  description = "Security group of the database."
  value       = module.database.security_group_id
}

output "database_alarm_names" {
  description = "Names of the database alarms."
  value       = module.database.alarm_names
}
{%- endif %}
{%- if app.kind != "none" %}

output "app_alarm_names" {
  description = "Names of the application alarms."
  value       = module.app.alarm_names
}
{%- endif %}
