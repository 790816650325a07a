variable "name" {
  description = "Name prefix of every resource: <project>-<environment>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name))
    error_message = "The name must be 2-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Name of the environment, passed to the application as ENVIRONMENT."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,9}$", var.environment))
    error_message = "The environment name must be 1-10 lowercase letters or digits, starting with a letter."
  }
}

variable "app_port" {
  description = "TCP port the application listens on."
  type        = number

  validation {
    condition     = var.app_port >= 1 && var.app_port <= 65535 && !contains([22, 3389], var.app_port)
    error_message = "The application port must be from 1 to 65535 and not 22 or 3389: instances are reached through Session Manager."
  }
}

variable "kms_key_arn" {
  description = "ARN of the environment key: log group{% if app.kind == "ec2" %}, root volumes{% elif app.kind == "lambda" %}, function environment, dead-letter queue{% endif %}."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "The key must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Days the application log group keeps events."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The retention must be one of the values CloudWatch Logs accepts."
  }
}

variable "vpc_id" {
  description = "ID of the environment's VPC."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "The VPC ID must look like vpc-0123456789abcdef0."
  }
}

variable "vpc_cidr" {
  description = "IPv4 range of the VPC (DNS egress stays inside it)."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "The VPC range must be an IPv4 CIDR block."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets the application runs in, one per availability zone."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for s in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "The application needs at least two private subnet IDs (subnet-...)."
  }
}

variable "app_security_group_id" {
  description = "Security group of the application from the network module: no ingress from address ranges, HTTPS and DNS out."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.app_security_group_id))
    error_message = "The security group ID must look like sg-0123456789abcdef0."
  }
}
{%- if app.kind == "lambda" %}

variable "lambda_security_group_id" {
  description = "Security group of the function from the network module: no ingress, HTTPS out."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.lambda_security_group_id))
    error_message = "The security group ID must look like sg-0123456789abcdef0."
  }
}
{%- endif %}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms{% if app.kind == "ec2" %} and Auto Scaling notifications{% endif %} go to."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:sns:", var.alarm_topic_arn))
    error_message = "The alarm topic must be an SNS topic ARN."
  }
}

variable "alarm_evaluation_periods" {
  description = "Consecutive 5-minute periods over the threshold before an alarm fires."
  type        = number

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && var.alarm_evaluation_periods <= 24
    error_message = "Alarms need from 1 to 24 evaluation periods."
  }
}

variable "database_host" {
  description = "Address of the database the application uses; empty when there is none."
  type        = string
  default     = ""

  validation {
    condition     = var.database_host == "" || can(regex("^[a-z0-9][a-z0-9.-]*$", var.database_host))
    error_message = "The database host must be a DNS name, or empty."
  }
}

variable "database_port" {
  description = "Port of the database; 0 when there is none."
  type        = number
  default     = 0

  validation {
    condition     = var.database_port >= 0 && var.database_port <= 65535
    error_message = "The database port must be from 0 (none) to 65535."
  }
}
{%- if app.kind == "ec2" %}

variable "ami_parameter" {
  description = "Public SSM parameter naming the current Amazon Linux 2023 AMI (x86_64); read at every plan, so instances launch patched."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"

  validation {
    condition     = can(regex("^/aws/service/ami-amazon-linux-latest/al2023-ami-[a-z0-9.-]+-x86_64$", var.ami_parameter))
    error_message = "The AMI parameter must be an Amazon Linux 2023 x86_64 public parameter under /aws/service/ami-amazon-linux-latest/."
  }
}

variable "instance_type" {
  description = "EC2 instance type (x86_64, to match the AMI)."
  type        = string

  validation {
    condition     = contains(["t3.micro", "t3.small", "t3.medium", "t3.large", "m5.large", "m5.xlarge"], var.instance_type)
    error_message = "The instance type must be one of t3.micro, t3.small, t3.medium, t3.large, m5.large, m5.xlarge."
  }
}

variable "min_size" {
  description = "Fewest instances the Auto Scaling group keeps (2 or more spreads production over zones)."
  type        = number

  validation {
    condition     = var.min_size >= 1 && var.min_size <= 20
    error_message = "The minimum size must be from 1 to 20."
  }
}

variable "desired_capacity" {
  description = "Instances the Auto Scaling group starts with."
  type        = number

  validation {
    condition     = var.desired_capacity >= var.min_size && var.desired_capacity <= var.max_size
    error_message = "The desired capacity must be between the minimum and the maximum size."
  }
}

variable "max_size" {
  description = "Most instances the Auto Scaling group may scale out to."
  type        = number

  validation {
    condition     = var.max_size >= var.min_size && var.max_size <= 20
    error_message = "The maximum size must be at least the minimum size and at most 20."
  }
}

variable "cpu_alarm_threshold" {
  description = "Average CPU percent of the Auto Scaling group that raises the alarm."
  type        = number

  validation {
    condition     = var.cpu_alarm_threshold >= 1 && var.cpu_alarm_threshold <= 100
    error_message = "The CPU threshold must be a percentage from 1 to 100."
  }
}
{%- elif app.kind == "ecs" %}

variable "container_image" {
  description = "Container image of the service. The default is a placeholder (unprivileged nginx) that answers on the application port; replace it with your application's image."
  type        = string
  default     = "public.ecr.aws/nginx/nginx-unprivileged:stable-alpine"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9./_-]*(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$", var.container_image))
    error_message = "The container image must be a repository reference with an optional tag and digest."
  }
}

variable "container_user" {
  description = "Numeric uid[:gid] the container runs as; never 0 (root). 101 is the placeholder image's nginx user."
  type        = string
  default     = "101"

  validation {
    condition     = can(regex("^[1-9][0-9]{0,9}(:[1-9][0-9]{0,9})?$", var.container_user))
    error_message = "The container user must be a numeric uid (not 0), optionally with a numeric gid."
  }
}

variable "task_cpu" {
  description = "Fargate task CPU units."
  type        = number

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.task_cpu)
    error_message = "The task CPU must be 256, 512, 1024, 2048 or 4096 units."
  }
}

variable "task_memory" {
  description = "Fargate task memory (MiB); a valid pairing with task_cpu."
  type        = number

  validation {
    condition     = contains([512, 1024, 2048, 3072, 4096, 8192], var.task_memory)
    error_message = "The task memory must be 512, 1024, 2048, 3072, 4096 or 8192 MiB."
  }
}

variable "desired_count" {
  description = "Tasks the service keeps running (2 or more spreads production over zones)."
  type        = number

  validation {
    condition     = var.desired_count >= 1 && var.desired_count <= 20
    error_message = "The desired count must be from 1 to 20."
  }
}

variable "cpu_alarm_threshold" {
  description = "Average service CPU percent that raises the alarm."
  type        = number

  validation {
    condition     = var.cpu_alarm_threshold >= 1 && var.cpu_alarm_threshold <= 100
    error_message = "The CPU threshold must be a percentage from 1 to 100."
  }
}

variable "memory_alarm_threshold" {
  description = "Average service memory percent that raises the alarm."
  type        = number

  validation {
    condition     = var.memory_alarm_threshold >= 1 && var.memory_alarm_threshold <= 100
    error_message = "The memory threshold must be a percentage from 1 to 100."
  }
}
{%- else %}

variable "reserved_concurrency" {
  description = "Concurrent executions reserved for (and capping) the function."
  type        = number

  validation {
    condition     = var.reserved_concurrency >= 1 && var.reserved_concurrency <= 1000
    error_message = "The reserved concurrency must be from 1 to 1000."
  }
}

variable "memory_size" {
  description = "Function memory (MiB); CPU scales with it."
  type        = number

  validation {
    condition     = contains([128, 256, 512, 1024, 2048], var.memory_size)
    error_message = "The function memory must be 128, 256, 512, 1024 or 2048 MiB."
  }
}

variable "errors_alarm_threshold" {
  description = "Function errors per 5 minutes that raise the alarm (1 = any error)."
  type        = number

  validation {
    condition     = var.errors_alarm_threshold >= 1 && var.errors_alarm_threshold <= 1000
    error_message = "The errors threshold must be from 1 to 1000."
  }
}

variable "throttles_alarm_threshold" {
  description = "Throttled invocations per 5 minutes that raise the alarm."
  type        = number

  validation {
    condition     = var.throttles_alarm_threshold >= 1 && var.throttles_alarm_threshold <= 1000
    error_message = "The throttles threshold must be from 1 to 1000."
  }
}
{%- endif %}
