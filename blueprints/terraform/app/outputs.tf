output "log_group_name" {
  description = "Log group of the application (retention and environment key set)."
  value       = aws_cloudwatch_log_group.app.name
}

output "alarm_names" {
  description = "Names of the application alarms, in the order of their keys."
  value       = [for a in aws_cloudwatch_metric_alarm.app : a.alarm_name]
}
{%- if app.kind == "ec2" %}

output "autoscaling_group_name" {
  description = "Auto Scaling group of the application instances."
  value       = aws_autoscaling_group.app.name
}

output "launch_template_id" {
  description = "Launch template of the application instances."
  value       = aws_launch_template.app.id
}

output "instance_role_arn" {
  description = "Role of the application instances."
  value       = aws_iam_role.instance.arn
}
{%- elif app.kind == "ecs" %}

output "cluster_name" {
  description = "ECS cluster of the service."
  value       = aws_ecs_cluster.app.name
}

output "service_name" {
  description = "ECS service of the application."
  value       = aws_ecs_service.app.name
}

output "task_definition_arn" {
  description = "Task definition the service runs."
  value       = aws_ecs_task_definition.app.arn
}

output "task_security_group_id" {
  description = "Security group of the tasks."
  value       = aws_security_group.tasks.id
}
{%- else %}

output "function_name" {
  description = "Name of the application function."
  value       = aws_lambda_function.app.function_name
}

output "function_arn" {
  description = "ARN of the application function."
  value       = aws_lambda_function.app.arn
}

output "dead_letter_queue_arn" {
  description = "Dead-letter queue of the function."
  value       = aws_sqs_queue.dead_letter.arn
}
{%- endif %}
