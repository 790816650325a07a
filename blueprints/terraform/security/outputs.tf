output "kms_key_arn" {
  description = "ARN of the environment's customer-managed key."
  value       = aws_kms_key.this.arn
}

output "kms_alias" {
  description = "Alias of the environment's key."
  value       = aws_kms_alias.this.name
}

output "access_log_bucket" {
  description = "Bucket receiving the server access logs of the environment's buckets."
  value       = module.access_logs.id
}

output "trail_arn" {
  description = "ARN of the account's CloudTrail trail, or null when another environment owns it."
  value       = one(aws_cloudtrail.this[*].arn)
}
