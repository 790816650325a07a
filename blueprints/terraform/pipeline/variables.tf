variable "project" {
  description = "Project name, the prefix of every pipeline resource."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,19}$", var.project))
    error_message = "The project name must be 3-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "repository" {
  description = "Repository the pipeline builds, as owner/name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.repository))
    error_message = "The repository must be written owner/name."
  }
}

variable "branch" {
  description = "Branch whose pushes start the pipeline."
  type        = string

  validation {
    condition     = length(var.branch) > 0 && !can(regex("\\s", var.branch))
    error_message = "The branch must be a name without spaces."
  }
}

variable "checks" {
  description = "CodeBuild stages that run before the environments, in the answered order (validate, test, security_scan, build); build writes the artifact every plan starts from."
  type        = list(string)

  validation {
    condition     = alltrue([for s in var.checks : contains(["validate", "test", "security_scan", "build"], s)]) && length(distinct(var.checks)) == length(var.checks)
    error_message = "The checks are validate, test, security_scan and build, each at most once."
  }
}

variable "integration_test" {
  description = "Whether an IntegrationTest-<env> stage follows every environment's deploy stage (pytest tests/integration against the deployed environment, read-only)."
  type        = bool
  default     = false
}

variable "environments" {
  description = "Environments in promotion order: name, whether a manual approval precedes the apply, and the account (empty for the pipeline's)."
  type = list(object({
    name       = string
    approval   = bool
    account_id = string
  }))

  validation {
    condition     = alltrue([for e in var.environments : e.account_id == "" || can(regex("^[0-9]{12}$", e.account_id))])
    error_message = "Account ids are 12 digits, or empty for the pipeline's account."
  }
}

variable "notification_email" {
  description = "Address subscribed to the approval and failure topic."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.notification_email))
    error_message = "The notification address must be an email address."
  }
}

variable "terraform_version" {
  description = "Terraform version the builds download."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.terraform_version))
    error_message = "The Terraform version must be written as 1.11.4."
  }
}

variable "terraform_sha256" {
  description = "SHA-256 of the linux_amd64 Terraform zip; the builds refuse a download that does not match."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.terraform_sha256))
    error_message = "The checksum must be 64 lowercase hexadecimal digits."
  }
}

variable "log_retention_days" {
  description = "Days the build log groups keep events."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The retention must be one of the values CloudWatch Logs accepts."
  }
}

variable "lock_table" {
  description = "DynamoDB state lock table the plan and apply builds lock with, next to S3 lock files; empty for S3 lock files only."
  type        = string
  default     = ""

  validation {
    condition     = var.lock_table == "" || can(regex("^[A-Za-z0-9_.-]{3,255}$", var.lock_table))
    error_message = "The lock table must be a DynamoDB table name (3-255 letters, digits, _ . -), or empty."
  }
}
