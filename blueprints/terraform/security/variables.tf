variable "name" {
  description = "Prefix of every name in this module: <project>-<environment>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name))
    error_message = "The name must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "create_trail" {
  description = "Whether this environment owns its account's CloudTrail trail (one trail per account)."
  type        = bool
}

variable "log_retention_days" {
  description = "Days the trail's log group keeps events, a value CloudWatch Logs accepts."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The retention must be one of the values CloudWatch Logs accepts, such as 7, 30, 90 or 365."
  }
}

variable "noncurrent_transition_days" {
  description = "Days before noncurrent object versions move to Standard-IA."
  type        = number

  validation {
    condition     = var.noncurrent_transition_days >= 30
    error_message = "S3 moves objects to Standard-IA after 30 days at the earliest."
  }
}

variable "noncurrent_expiration_days" {
  description = "Days before noncurrent object versions are deleted."
  type        = number

  validation {
    condition     = var.noncurrent_expiration_days > var.noncurrent_transition_days
    error_message = "Noncurrent versions must expire after they have moved to Standard-IA."
  }
}

variable "force_destroy" {
  description = "Whether destroying the environment may delete its buckets with their objects (ephemeral environments only)."
  type        = bool
  default     = false
}

variable "autoscaling_uses_key" {
  description = "Whether the Auto Scaling service-linked role may use the key, for the encrypted volumes of the application instances it launches. The role must exist (it does once Auto Scaling was used in the account; else aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com)."
  type        = bool
  default     = false
}
