variable "name" {
  description = "Prefix of every name in this module: <project>-<environment>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name))
    error_message = "The name must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "kms_key_arn" {
  description = "Environment key encrypting the alert topic (MON-01)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "The key must be a KMS key ARN."
  }
}

variable "notification_email" {
  description = "Address subscribed to the alert topic; empty for none."
  type        = string

  validation {
    condition     = var.notification_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.notification_email))
    error_message = "The notification address must be an email address, or empty."
  }
}

variable "flow_log_group_name" {
  description = "Log group of the VPC flow logs, for the dashboard's Logs Insights widget."
  type        = string

  validation {
    condition     = length(var.flow_log_group_name) > 0
    error_message = "Name the flow log group."
  }
}

variable "database_alarm_names" {
  description = "Names of the database alarms shown on the dashboard."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.database_alarm_names : length(n) > 0])
    error_message = "Alarm names must not be empty."
  }
}
