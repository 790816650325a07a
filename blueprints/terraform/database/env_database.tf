variable "database" {
  description = "The database of the environment: engine, pinned version, class, availability, protection, backups and logs."
  type = object({
    engine                 = string
    engine_version         = string
    parameter_group_family = string
    tls_parameter          = object({ name = string, value = string })
    audit_logging          = bool
    port                   = number
    name                   = string
    instance_class         = string
    multi_az               = bool
    deletion_protection    = bool
    backup_retention_days  = number
    log_exports            = list(string)
  })

  validation {
    condition     = contains(["postgres", "mysql", "aurora-postgresql", "aurora-mysql"], var.database.engine)
    error_message = "The engine must be postgres, mysql, aurora-postgresql or aurora-mysql."
  }
}

variable "alarm" {
  description = "Alarm thresholds of the environment: CPU percent, free storage bytes, connections, evaluation periods."
  type = object({
    cpu_percent        = number
    free_storage_bytes = number
    connections        = number
    evaluation_periods = number
  })

  validation {
    condition     = var.alarm.evaluation_periods >= 1
    error_message = "Alarms need at least one evaluation period."
  }
}

module "database" {
  source = "../../modules/database"

  name                      = local.name
  engine                    = var.database.engine
  engine_version            = var.database.engine_version
  parameter_group_family    = var.database.parameter_group_family
  tls_parameter             = var.database.tls_parameter
  audit_logging             = var.database.audit_logging
  port                      = var.database.port
  database_name             = var.database.name
  instance_class            = var.database.instance_class
  multi_az                  = var.database.multi_az
  deletion_protection       = var.database.deletion_protection
  final_snapshot            = !var.ephemeral
  backup_retention_days     = var.database.backup_retention_days
  log_exports               = var.database.log_exports
  subnet_ids                = module.network.isolated_subnet_ids
  vpc_id                    = module.network.vpc_id
  client_security_group_ids = module.network.client_security_group_ids
  kms_key_arn               = module.security.kms_key_arn
  alarm_topic_arn           = module.monitoring.alert_topic_arn
  alarm                     = var.alarm
}

output "database_endpoint" {
  description = "Writer endpoint of the database."
  value       = module.database.endpoint
}

output "database_secret_arn" {
  description = "Secrets Manager secret of the master user (its ARN, never its value)."
  value       = module.database.master_secret_arn
}
