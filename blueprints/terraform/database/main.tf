# The database (DB-01..09): an RDS instance, or an Aurora cluster with one
# writer (and a reader where Multi-AZ), on the isolated subnets, encrypted
# with the environment key, master password generated and held by Secrets
# Manager, TLS enforced, audit logging by profile, enhanced monitoring, and
# alarms to the environment's alert topic.

locals {
  aurora   = startswith(var.engine, "aurora-")
  postgres = endswith(var.engine, "postgresql") || var.engine == "postgres"
  major    = join(".", slice(split(".", var.engine_version), 0, local.postgres ? 1 : 2))

  # DB-09: no statement logging (it writes literal values to the logs); audit
  # records (connections, DDL, grants; no row data) where audit_logging is on.
  engine_parameters = local.postgres ? {
    (var.tls_parameter.name) = var.tls_parameter.value
    shared_preload_libraries = var.audit_logging ? "pg_stat_statements,pgaudit" : "pg_stat_statements"
    "pgaudit.log"            = var.audit_logging ? "ddl,role" : "none"
    "pgaudit.log_parameter"  = "0"
    log_statement            = "none"
    } : merge({
      (var.tls_parameter.name) = var.tls_parameter.value
      general_log              = "0"
      }, local.aurora ? {
      server_audit_logging = var.audit_logging ? "1" : "0"
      server_audit_events  = "CONNECT,QUERY_DCL,QUERY_DDL"
  } : {})
  mysql_audit  = !local.postgres && !local.aurora && var.audit_logging
  log_exports  = local.mysql_audit || (local.aurora && !local.postgres && var.audit_logging) ? distinct(concat(var.log_exports, ["audit"])) : var.log_exports
  writer_count = 1
  reader_count = local.aurora && var.multi_az ? 1 : 0
}

resource "aws_security_group" "db" {
  name        = "${var.name}-db"
  description = "Database: its port from the client security groups only"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-db" }
}

resource "aws_vpc_security_group_ingress_rule" "db_clients" {
  for_each = { for i, id in var.client_security_group_ids : tostring(i) => id }

  security_group_id            = aws_security_group.db.id
  description                  = "Database port from a client security group"
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
}

resource "aws_vpc_security_group_egress_rule" "clients_to_db" {
  for_each = { for i, id in var.client_security_group_ids : tostring(i) => id }

  security_group_id            = each.value
  description                  = "To the database port"
  referenced_security_group_id = aws_security_group.db.id
  ip_protocol                  = "tcp"
  from_port                    = var.port
  to_port                      = var.port
}

resource "aws_db_subnet_group" "this" {
  name        = "${var.name}-db"
  description = "Isolated subnets of ${var.name}"
  subnet_ids  = var.subnet_ids
}

resource "aws_db_parameter_group" "this" {
  count = local.aurora ? 0 : 1

  name        = "${var.name}-db"
  family      = var.parameter_group_family
  description = "${var.name}: TLS enforced, statement logging off, audit by profile"

  dynamic "parameter" {
    for_each = local.engine_parameters
    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = "pending-reboot"
    }
  }
}

resource "aws_rds_cluster_parameter_group" "this" {
  count = local.aurora ? 1 : 0

  name        = "${var.name}-db-cluster"
  family      = var.parameter_group_family
  description = "${var.name}: TLS enforced, statement logging off, audit by profile"

  dynamic "parameter" {
    for_each = local.engine_parameters
    content {
      name         = parameter.key
      value        = parameter.value
      apply_method = "pending-reboot"
    }
  }
}

resource "aws_db_option_group" "audit" {
  count = local.mysql_audit ? 1 : 0

  name                     = "${var.name}-db-audit"
  option_group_description = "${var.name}: MariaDB Audit Plugin (connections, DDL, grants)"
  engine_name              = "mysql"
  major_engine_version     = local.major

  option {
    option_name = "MARIADB_AUDIT_PLUGIN"

    option_settings {
      name  = "SERVER_AUDIT_EVENTS"
      value = "CONNECT,QUERY_DDL,QUERY_DCL"
    }
  }
}

data "aws_iam_policy_document" "monitoring_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "monitoring" {
  name               = "${var.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.monitoring_trust.json
}

data "aws_partition" "current" {}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_157:Multi-AZ is set per environment profile (DB-04): production-profile environments run in two zones, the ephemeral profile in one on purpose
  #checkov:skip=CKV_AWS_293:Deletion protection is set per environment profile (GEN-06): on for production profiles, off where the environment must be destroyable
  #checkov:skip=CKV2_AWS_30:Statement logging stays off (DB-09): it writes literal values to CloudWatch Logs; pgaudit records DDL and role changes instead
  count = local.aurora ? 0 : 1

  identifier                            = "${var.name}-db"
  engine                                = var.engine
  engine_version                        = var.engine_version
  instance_class                        = var.instance_class
  allocated_storage                     = 20
  max_allocated_storage                 = 100
  storage_type                          = "gp3"
  storage_encrypted                     = true
  kms_key_id                            = var.kms_key_arn
  db_name                               = var.database_name
  username                              = "dbadmin"
  manage_master_user_password           = true
  master_user_secret_kms_key_id         = var.kms_key_arn
  port                                  = var.port
  db_subnet_group_name                  = aws_db_subnet_group.this.name
  vpc_security_group_ids                = [aws_security_group.db.id]
  parameter_group_name                  = aws_db_parameter_group.this[0].name
  option_group_name                     = local.mysql_audit ? aws_db_option_group.audit[0].name : null
  publicly_accessible                   = false
  multi_az                              = var.multi_az
  deletion_protection                   = var.deletion_protection
  skip_final_snapshot                   = !var.final_snapshot
  final_snapshot_identifier             = var.final_snapshot ? "${var.name}-db-final" : null
  backup_retention_period               = var.backup_retention_days
  backup_window                         = "03:00-04:00"
  maintenance_window                    = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot                 = true
  auto_minor_version_upgrade            = true
  iam_database_authentication_enabled   = true
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
  enabled_cloudwatch_logs_exports       = local.log_exports
}

resource "aws_rds_cluster" "this" {
  #checkov:skip=CKV_AWS_139:Deletion protection is set per environment profile (GEN-06): on for production profiles, off where the environment must be destroyable
  #checkov:skip=CKV2_AWS_8:Backups are the cluster's automated backups with the profile's retention (DB-05); no AWS Backup plan is part of the answers
  #checkov:skip=CKV2_AWS_27:Statement logging stays off (DB-09): it writes literal values to CloudWatch Logs; pgaudit records DDL and role changes instead
  count = local.aurora ? 1 : 0

  cluster_identifier                  = "${var.name}-db"
  engine                              = var.engine
  engine_version                      = var.engine_version
  storage_encrypted                   = true
  kms_key_id                          = var.kms_key_arn
  database_name                       = var.database_name
  master_username                     = "dbadmin"
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = var.kms_key_arn
  port                                = var.port
  db_subnet_group_name                = aws_db_subnet_group.this.name
  vpc_security_group_ids              = [aws_security_group.db.id]
  db_cluster_parameter_group_name     = aws_rds_cluster_parameter_group.this[0].name
  deletion_protection                 = var.deletion_protection
  skip_final_snapshot                 = !var.final_snapshot
  final_snapshot_identifier           = var.final_snapshot ? "${var.name}-db-final" : null
  backup_retention_period             = var.backup_retention_days
  preferred_backup_window             = "03:00-04:00"
  preferred_maintenance_window        = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot               = true
  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = local.log_exports
}

resource "aws_rds_cluster_instance" "this" {
  count = local.aurora ? local.writer_count + local.reader_count : 0

  identifier                            = "${var.name}-db-${count.index}"
  cluster_identifier                    = aws_rds_cluster.this[0].id
  engine                                = var.engine
  engine_version                        = var.engine_version
  instance_class                        = var.instance_class
  db_subnet_group_name                  = aws_db_subnet_group.this.name
  publicly_accessible                   = false
  auto_minor_version_upgrade            = true
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
  copy_tags_to_snapshot                 = true
}

locals {
  alarm_dimensions = local.aurora ? { DBClusterIdentifier = "${var.name}-db" } : { DBInstanceIdentifier = "${var.name}-db" }
  alarms = merge({
    cpu = {
      metric      = "CPUUtilization"
      comparison  = "GreaterThanThreshold"
      threshold   = var.alarm.cpu_percent
      description = "Database CPU above ${var.alarm.cpu_percent}%"
    }
    connections = {
      metric      = "DatabaseConnections"
      comparison  = "GreaterThanThreshold"
      threshold   = var.alarm.connections
      description = "More than ${var.alarm.connections} database connections"
    }
    }, local.aurora ? {} : {
    storage = {
      metric      = "FreeStorageSpace"
      comparison  = "LessThanThreshold"
      threshold   = var.alarm.free_storage_bytes
      description = "Free database storage below ${var.alarm.free_storage_bytes} bytes"
    }
  })
}

resource "aws_cloudwatch_metric_alarm" "db" {
  for_each = local.alarms

  alarm_name          = "${var.name}-db-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/RDS"
  metric_name         = each.value.metric
  dimensions          = local.alarm_dimensions
  statistic           = "Average"
  period              = 300
  evaluation_periods  = var.alarm.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = "missing"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
}
