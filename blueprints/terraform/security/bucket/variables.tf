variable "name" {
  description = "Bucket name; globally unique (it carries the account id)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "A bucket name is 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit."
  }
}

variable "log_target" {
  description = "Whether this is the environment's access-log bucket: S3-managed encryption (the only kind server access logs are delivered to), no access logs of its own, and the expire-logs lifecycle rule."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for default encryption (with an S3 bucket key); null for the access-log bucket."
  type        = string
  default     = null

  validation {
    condition     = var.log_target ? var.kms_key_arn == null : can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "The key must be a KMS key ARN, and the access-log bucket (log_target) takes no key."
  }
}

variable "access_log_bucket" {
  description = "Bucket receiving this bucket's server access logs; null for the access-log bucket."
  type        = string
  default     = null

  validation {
    condition     = var.log_target ? var.access_log_bucket == null : try(length(var.access_log_bucket) >= 3, false)
    error_message = "Name the bucket that receives the access logs, unless this is the access-log bucket (log_target), which takes none."
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

variable "policy_statements" {
  description = "Extra bucket policy statements (a JSON list) added to the TLS-only statement."
  type        = string
  default     = "[]"

  validation {
    condition     = can(tolist(jsondecode(var.policy_statements)))
    error_message = "The extra statements must be a JSON list."
  }
}

variable "force_destroy" {
  description = "Whether destroying the environment may delete the bucket with its objects (ephemeral environments only)."
  type        = bool
  default     = false
}
