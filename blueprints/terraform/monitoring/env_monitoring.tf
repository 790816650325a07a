variable "notification_email" {
  description = "Address subscribed to the alert topic; empty for none."
  type        = string

  validation {
    condition     = var.notification_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.notification_email))
    error_message = "The notification address must be an email address, or empty."
  }
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                 = local.name
  kms_key_arn          = module.security.kms_key_arn
  notification_email   = var.notification_email
  flow_log_group_name  = module.network.flow_log_group_name
  database_alarm_names = {% if database.enabled %}module.database.alarm_names{% else %}[]{% endif %}
}

output "alert_topic_arn" {
  description = "ARN of the environment's alert topic."
  value       = module.monitoring.alert_topic_arn
}
