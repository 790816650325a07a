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
