variable "name" {
  description = "Prefix of every name in this module: <project>-<environment>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name))
    error_message = "The name must be 3-41 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "engine" {
  description = "Database engine: postgres, mysql, aurora-postgresql or aurora-mysql."
  type        = string

  validation {
    condition     = contains(["postgres", "mysql", "aurora-postgresql", "aurora-mysql"], var.engine)
    error_message = "The engine must be postgres, mysql, aurora-postgresql or aurora-mysql."
  }
}

variable "engine_version" {
  description = "Pinned engine version (DB-01), such as 16.4."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+(\\.[0-9a-z_]+)*$", var.engine_version))
    error_message = "The engine version must be a version number such as 16.4 or 8.0.39."
  }
}

variable "parameter_group_family" {
  description = "DB (cluster) parameter group family of the engine version, such as postgres16."
  type        = string

  validation {
    condition     = can(regex("^[a-z-]+[0-9.]+$", var.parameter_group_family))
    error_message = "The family must be a parameter group family such as postgres16 or mysql8.0."
  }
}

variable "tls_parameter" {
  description = "The parameter that enforces TLS and its value (DB-07), such as rds.force_ssl = 1."
  type = object({
    name  = string
    value = string
  })

  validation {
    condition     = contains(["rds.force_ssl", "require_secure_transport"], var.tls_parameter.name)
    error_message = "TLS is enforced with rds.force_ssl (PostgreSQL) or require_secure_transport (MySQL)."
  }
}

variable "audit_logging" {
  description = "Whether the engine's audit logging is on (DB-09: production-profile environments)."
  type        = bool
}

variable "port" {
  description = "TCP port of the database."
  type        = number

  validation {
    condition     = var.port >= 1024 && var.port <= 65535
    error_message = "The database port must be from 1024 to 65535."
  }
}

variable "database_name" {
  description = "Name of the initial database."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.database_name))
    error_message = "The database name must start with a letter and hold at most 63 letters, digits or underscores."
  }
}

variable "instance_class" {
  description = "DB instance class, such as db.t4g.micro."
  type        = string

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "The instance class must look like db.t4g.micro."
  }
}

variable "multi_az" {
  description = "Whether the database runs in two zones (DB-04: production-like environments)."
  type        = bool
}

variable "deletion_protection" {
  description = "Whether the database refuses deletion (GEN-06)."
  type        = bool
}

variable "final_snapshot" {
  description = "Whether destroying the database keeps a final snapshot (DB-05). Off in ephemeral environments (DEP-04): the snapshot's fixed name would make the next destroy of a re-created environment fail."
  type        = bool
}

variable "backup_retention_days" {
  description = "Days automated backups are kept (DB-05)."
  type        = number

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "Backups must be kept from 7 to 35 days."
  }
}

variable "log_exports" {
  description = "Engine logs exported to CloudWatch Logs (DB-06)."
  type        = list(string)

  validation {
    condition     = length(var.log_exports) > 0
    error_message = "Export at least one engine log to CloudWatch Logs."
  }
}

variable "subnet_ids" {
  description = "Isolated subnets of the subnet group (DB-07)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "A subnet group needs subnets in at least two zones."
  }
}

variable "vpc_id" {
  description = "VPC of the database security group."
  type        = string

  validation {
    condition     = length(var.vpc_id) > 0
    error_message = "Give the id of the VPC."
  }
}

variable "client_security_group_ids" {
  description = "Security groups allowed to reach the database port (the application's, the Lambda functions')."
  type        = list(string)

  validation {
    condition     = length(var.client_security_group_ids) >= 1
    error_message = "Give at least one client security group."
  }
}

variable "kms_key_arn" {
  description = "Environment key for storage, Performance Insights and the master secret (DB-02)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:", var.kms_key_arn))
    error_message = "The key must be a KMS key ARN."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic the database alarms notify (DB-08)."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:sns:", var.alarm_topic_arn))
    error_message = "The alarm topic must be an SNS topic ARN."
  }
}

variable "alarm" {
  description = "Alarm thresholds: CPU percent, free storage bytes, connections, evaluation periods."
  type = object({
    cpu_percent        = number
    free_storage_bytes = number
    connections        = number
    evaluation_periods = number
  })

  validation {
    condition     = var.alarm.cpu_percent > 0 && var.alarm.cpu_percent <= 100 && var.alarm.evaluation_periods >= 1
    error_message = "The CPU threshold must be a percentage and alarms need at least one evaluation period."
  }
}
