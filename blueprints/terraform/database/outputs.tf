output "endpoint" {
  description = "Writer endpoint address of the database."
  value       = local.aurora ? aws_rds_cluster.this[0].endpoint : aws_db_instance.this[0].address
}

output "port" {
  description = "Port of the database."
  value       = var.port
}

output "master_secret_arn" {
  description = "ARN of the Secrets Manager secret RDS manages for the master user (the value is never in state outputs)."
  value       = local.aurora ? aws_rds_cluster.this[0].master_user_secret[0].secret_arn : aws_db_instance.this[0].master_user_secret[0].secret_arn
}

output "security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.db.id
}

output "alarm_names" {
  description = "Names of the database alarms."
  value       = [for a in aws_cloudwatch_metric_alarm.db : a.alarm_name]
}
