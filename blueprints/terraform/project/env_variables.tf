variable "region" {
  description = "AWS Region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "The region must be a Region code: two letters, an area and a number."
  }
}

variable "environment" {
  description = "Name of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.environment))
    error_message = "The environment name must be 1-16 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "account_id" {
  description = "Account the environment lives in; empty for the account of the credentials Terraform runs with (the pipeline's, when there is one)."
  type        = string
  default     = ""

  validation {
    condition     = var.account_id == "" || can(regex("^[0-9]{12}$", var.account_id))
    error_message = "The account id must be 12 digits, or empty for the account of the credentials in use."
  }
}

variable "apply_role_arn" {
  description = "Role the provider assumes to apply in another account than the pipeline's (CI-07); empty in the pipeline's account and in projects without a pipeline."
  type        = string
  default     = ""

  validation {
    condition     = var.apply_role_arn == "" || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/", var.apply_role_arn))
    error_message = "The apply role must be an IAM role ARN, or empty."
  }
}

variable "tags" {
  description = "Tags every resource carries (GEN-02): Project, Environment, Owner, CostCenter, ManagedBy and the answers' own."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["Project", "Environment", "Owner", "CostCenter", "ManagedBy"] : contains(keys(var.tags), k)])
    error_message = "The tags must include Project, Environment, Owner, CostCenter and ManagedBy."
  }
}

variable "vpc_cidr" {
  description = "IPv4 range of the VPC."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "The VPC range must be an IPv4 CIDR block."
  }
}

variable "subnets" {
  description = "Subnet ranges per tier (public, private, isolated), one per availability zone."
  type = object({
    public   = list(string)
    private  = list(string)
    isolated = list(string)
  })

  validation {
    condition     = length(var.subnets.public) == length(var.subnets.private) && length(var.subnets.private) == length(var.subnets.isolated)
    error_message = "Every tier must have one subnet range per availability zone."
  }
}

variable "nat_mode" {
  description = "NAT gateways: per-az, single or none."
  type        = string

  validation {
    condition     = contains(["per-az", "single", "none"], var.nat_mode)
    error_message = "The NAT mode must be per-az, single or none."
  }
}

variable "gateway_endpoints" {
  description = "Gateway endpoint services."
  type        = list(string)

  validation {
    condition     = alltrue([for s in var.gateway_endpoints : contains(["s3", "dynamodb"], s)])
    error_message = "Gateway endpoints exist only for s3 and dynamodb."
  }
}

variable "interface_endpoints" {
  description = "Interface endpoint services."
  type        = list(string)

  validation {
    condition     = alltrue([for s in var.interface_endpoints : can(regex("^[a-z0-9][a-z0-9.-]*$", s))])
    error_message = "Each interface endpoint is a service name such as ssm or ecr.api."
  }
}

variable "log_retention_days" {
  description = "Days log groups keep events."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The retention must be one of the values CloudWatch Logs accepts."
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

variable "owns_account_trail" {
  description = "Whether this environment creates its account's CloudTrail trail (DEP-07)."
  type        = bool
}

variable "ephemeral" {
  description = "Whether the environment may be destroyed with its data (DEP-04): buckets are emptied on destroy and nothing is retained."
  type        = bool
}

variable "app_port" {
  description = "TCP port the application listens on."
  type        = number

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535
    error_message = "The application port must be from 1 to 65535."
  }
}
