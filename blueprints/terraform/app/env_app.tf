{%- if app.kind == "ec2" %}
variable "app" {
  description = "The application instances of the environment: type, Auto Scaling sizes, alarm thresholds."
  type = object({
    instance_type            = string
    min_size                 = number
    desired_capacity         = number
    max_size                 = number
    cpu_alarm_threshold      = number
    alarm_evaluation_periods = number
  })

  validation {
    condition     = var.app.min_size <= var.app.desired_capacity && var.app.desired_capacity <= var.app.max_size
    error_message = "The desired capacity must be between the minimum and the maximum size."
  }
}
{%- elif app.kind == "ecs" %}
variable "app" {
  description = "The application service of the environment: task size, task count, alarm thresholds."
  type = object({
    task_cpu                 = number
    task_memory              = number
    desired_count            = number
    cpu_alarm_threshold      = number
    memory_alarm_threshold   = number
    alarm_evaluation_periods = number
  })

  validation {
    condition     = var.app.desired_count >= 1 && var.app.task_memory >= 2 * var.app.task_cpu
    error_message = "The service needs at least one task, and Fargate at least 2 MiB of memory per CPU unit."
  }
}
{%- else %}
variable "app" {
  description = "The application function of the environment: concurrency, memory, alarm thresholds."
  type = object({
    reserved_concurrency      = number
    memory_size               = number
    errors_alarm_threshold    = number
    throttles_alarm_threshold = number
    alarm_evaluation_periods  = number
  })

  validation {
    condition     = var.app.reserved_concurrency >= 1
    error_message = "The function needs a reserved concurrency of at least 1."
  }
}
{%- endif %}

module "app" {
  source = "../../modules/app"

  name                     = local.name
  environment              = var.environment
  app_port                 = var.app_port
  kms_key_arn              = module.security.kms_key_arn
  log_retention_days       = var.log_retention_days
  vpc_id                   = module.network.vpc_id
  vpc_cidr                 = module.network.vpc_cidr
  private_subnet_ids       = module.network.private_subnet_ids
  app_security_group_id    = module.network.app_security_group_id
{%- if app.kind == "lambda" %}
  lambda_security_group_id = module.network.lambda_security_group_id
{%- endif %}
  alarm_topic_arn          = module.monitoring.alert_topic_arn
  alarm_evaluation_periods = var.app.alarm_evaluation_periods
{%- if database.enabled %}
  database_host            = module.database.endpoint
  database_port            = module.database.port
{%- endif %}
{% if app.kind == "ec2" %}
  instance_type       = var.app.instance_type
  min_size            = var.app.min_size
  desired_capacity    = var.app.desired_capacity
  max_size            = var.app.max_size
  cpu_alarm_threshold = var.app.cpu_alarm_threshold
{%- elif app.kind == "ecs" %}
  task_cpu               = var.app.task_cpu
  task_memory            = var.app.task_memory
  desired_count          = var.app.desired_count
  cpu_alarm_threshold    = var.app.cpu_alarm_threshold
  memory_alarm_threshold = var.app.memory_alarm_threshold
{%- else %}
  reserved_concurrency      = var.app.reserved_concurrency
  memory_size               = var.app.memory_size
  errors_alarm_threshold    = var.app.errors_alarm_threshold
  throttles_alarm_threshold = var.app.throttles_alarm_threshold
{%- endif %}
}

output "app_log_group_name" {
  description = "Log group of the application."
  value       = module.app.log_group_name
}
{%- if app.kind == "ec2" %}

output "app_autoscaling_group_name" {
  description = "Auto Scaling group of the application instances (the Session Manager targets)."
  value       = module.app.autoscaling_group_name
}
{%- elif app.kind == "ecs" %}

output "app_cluster_name" {
  description = "ECS cluster of the application service."
  value       = module.app.cluster_name
}

output "app_service_name" {
  description = "ECS service of the application."
  value       = module.app.service_name
}
{%- else %}

output "app_function_name" {
  description = "Application function (invoke it with aws lambda invoke)."
  value       = module.app.function_name
}
{%- endif %}
