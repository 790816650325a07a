variable "name" {
  description = "Prefix of every name in this module: <project>-<environment>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name))
    error_message = "The name must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "IPv4 range of the VPC, for example 10.10.0.0/16."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "The VPC range must be an IPv4 CIDR block from /16 to /24."
  }
}

variable "public_subnet_cidrs" {
  description = "One public subnet range per availability zone, in zone order."
  type        = list(string)

  validation {
    condition     = contains([2, 3], length(var.public_subnet_cidrs)) && alltrue([for c in var.public_subnet_cidrs : can(cidrnetmask(c))])
    error_message = "Give two or three public subnet ranges, each an IPv4 CIDR block."
  }
}

variable "private_subnet_cidrs" {
  description = "One private (application) subnet range per availability zone, in zone order."
  type        = list(string)

  validation {
    condition     = contains([2, 3], length(var.private_subnet_cidrs)) && alltrue([for c in var.private_subnet_cidrs : can(cidrnetmask(c))])
    error_message = "Give two or three private subnet ranges, each an IPv4 CIDR block."
  }
}

variable "isolated_subnet_cidrs" {
  description = "One isolated (database) subnet range per availability zone, in zone order."
  type        = list(string)

  validation {
    condition     = contains([2, 3], length(var.isolated_subnet_cidrs)) && alltrue([for c in var.isolated_subnet_cidrs : can(cidrnetmask(c))])
    error_message = "Give two or three isolated subnet ranges, each an IPv4 CIDR block."
  }
}

variable "nat_mode" {
  description = "NAT gateways: per-az (one per zone), single (one shared) or none."
  type        = string

  validation {
    condition     = contains(["per-az", "single", "none"], var.nat_mode)
    error_message = "The NAT mode must be per-az, single or none."
  }
}

variable "gateway_endpoints" {
  description = "Gateway endpoint services (s3, dynamodb) on the private and isolated route tables."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.gateway_endpoints : contains(["s3", "dynamodb"], s)])
    error_message = "Gateway endpoints exist only for s3 and dynamodb."
  }
}

variable "interface_endpoints" {
  description = "Interface endpoint services (such as ssm, kms, logs, ecr.api) with private DNS in the private subnets."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.interface_endpoints : can(regex("^[a-z0-9][a-z0-9.-]*$", s))])
    error_message = "Each interface endpoint is a service name such as ssm or ecr.api."
  }
}

variable "kms_key_arn" {
  description = "ARN of the environment's customer-managed KMS key, for the flow log group."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "The key must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Days the flow logs are kept, a value CloudWatch Logs accepts."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The retention must be one of the values CloudWatch Logs accepts, such as 7, 30, 90 or 365."
  }
}

variable "app_port" {
  description = "TCP port the application listens on."
  type        = number

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535
    error_message = "The application port must be from 1 to 65535."
  }
}

variable "lambda_security_group" {
  description = "Whether to create the security group of the Lambda functions."
  type        = bool
  default     = false
}
