# Plans the database module with a mocked AWS provider, with the values of
# {{ environments[0].name }}; runs that prove a production-profile setting set it.
{%- set first = environments[0] %}

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name                      = {{ (project.name ~ "-" ~ first.name) | hcl_str }}
  engine                    = {{ database.engine | hcl_str }}
  engine_version            = {{ database.version | hcl_str }}
  parameter_group_family    = {{ database.parameter_group_family | hcl_str }}
  tls_parameter             = { name = {{ database.tls_parameter_name | hcl_str }}, value = {{ database.tls_parameter_value | hcl_str }} }
  audit_logging             = {{ first.production }}
  port                      = {{ database.port }}
  database_name             = {{ database.name | hcl_str }}
  instance_class            = {{ first.db_instance_class | hcl_str }}
  multi_az                  = {{ first.multi_az }}
  deletion_protection       = {{ first.deletion_protection }}
  final_snapshot            = {{ first.profile != "ephemeral" }}
  backup_retention_days     = {{ first.backup_retention_days }}
  log_exports               = [{% for l in database.log_exports %}{{ l | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]
  subnet_ids                = ["subnet-00000000000000001", "subnet-00000000000000002"]
  vpc_id                    = "vpc-00000000000000001"
  client_security_group_ids = ["sg-00000000000000001"]
  kms_key_arn               = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
  alarm_topic_arn           = "arn:aws:sns:us-east-1:111122223333:example-alerts"
  alarm = {
    cpu_percent        = {{ first.alarm.cpu_percent }}
    free_storage_bytes = {{ first.alarm.free_storage_bytes }}
    connections        = {{ first.alarm.connections }}
    evaluation_periods = {{ first.alarm.evaluation_periods }}
  }
}
{%- if database.aurora %}
{%- set db = "aws_rds_cluster.this[0]" %}
{%- set inst = "aws_rds_cluster_instance.this[0]" %}
{%- else %}
{%- set db = "aws_db_instance.this[0]" %}
{%- set inst = "aws_db_instance.this[0]" %}
{%- endif %}

run "test_db_01_engine_and_pinned_version" {
  command = plan

  module {
    source = "./modules/database"
  }

  assert {
    condition     = {{ db }}.engine == var.engine && {{ db }}.engine_version == var.engine_version
    error_message = "The database must run the answered engine at the pinned version."
  }
}

run "test_db_02_storage_and_insights_encrypted" {
  command = plan

  module {
    source = "./modules/database"
  }

  assert {
    condition     = {{ db }}.storage_encrypted && {{ db }}.kms_key_id == var.kms_key_arn
    error_message = "Storage must be encrypted with the environment key."
  }

  assert {
    condition     = {{ inst }}.performance_insights_enabled && {{ inst }}.performance_insights_kms_key_id == var.kms_key_arn
    error_message = "Performance Insights must be on, encrypted with the environment key."
  }
}

run "test_db_03_master_password_managed_by_secrets_manager" {
  command = plan

  module {
    source = "./modules/database"
  }

  assert {
    condition     = {{ db }}.manage_master_user_password && {{ db }}.master_user_secret_kms_key_id == var.kms_key_arn
    error_message = "RDS must generate and keep the master password in Secrets Manager."
  }
}

run "test_db_04_multi_az_for_production_profiles" {
  command = plan

  module {
    source = "./modules/database"
  }

  variables {
    multi_az = true
  }

  assert {
    condition     = {% if database.aurora %}length(aws_rds_cluster_instance.this) == 2{% else %}aws_db_instance.this[0].multi_az{% endif %}
    error_message = "A Multi-AZ environment must run the database in two zones."
  }
}

run "test_db_05_backups_and_final_snapshot" {
  command = plan

  module {
    source = "./modules/database"
  }

  variables {
    final_snapshot = true
  }

  assert {
    condition     = {{ db }}.backup_retention_period >= 7 && {{ db }}.copy_tags_to_snapshot && !{{ db }}.skip_final_snapshot
    error_message = "Backups must be kept 7 days or more, tags copied to snapshots, and a final snapshot taken."
  }
}

run "test_db_06_monitoring_logs_iam_auth" {
  command = plan

  module {
    source = "./modules/database"
  }

  assert {
    condition     = {{ inst }}.monitoring_interval == 60 && {{ inst }}.auto_minor_version_upgrade && {{ db }}.iam_database_authentication_enabled
    error_message = "Enhanced monitoring, minor version upgrades and IAM authentication must be on."
  }

  assert {
    condition     = length(setsubtract(toset(var.log_exports), {{ db }}.enabled_cloudwatch_logs_exports)) == 0
    error_message = "The engine logs must be exported to CloudWatch Logs."
  }
}

run "test_db_07_private_isolated_and_tls" {
  command = plan

  module {
    source = "./modules/database"
  }

  assert {
    condition     = !{{ inst }}.publicly_accessible
    error_message = "The database must not be publicly accessible."
  }

  assert {
    condition     = aws_db_subnet_group.this.subnet_ids == toset(var.subnet_ids)
    error_message = "The subnet group must hold the isolated subnets only."
  }

  assert {
    condition     = contains([for p in {% if database.aurora %}aws_rds_cluster_parameter_group.this[0]{% else %}aws_db_parameter_group.this[0]{% endif %}.parameter : p.value if p.name == var.tls_parameter.name], var.tls_parameter.value)
    error_message = "The parameter group must enforce TLS."
  }
}

run "test_db_08_alarms_notify_the_alert_topic" {
  command = plan

  module {
    source = "./modules/database"
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.db) >= 2 && alltrue([for a in aws_cloudwatch_metric_alarm.db : contains(a.alarm_actions, var.alarm_topic_arn)])
    error_message = "The database alarms must notify the alert topic."
  }
}

run "test_db_09_no_statement_logging_audit_by_profile" {
  command = plan

  module {
    source = "./modules/database"
  }

  variables {
    audit_logging = true
  }

  assert {
    condition     = length([for p in {% if database.aurora %}aws_rds_cluster_parameter_group.this[0]{% else %}aws_db_parameter_group.this[0]{% endif %}.parameter : p if contains(["log_statement", "general_log"], p.name) && !contains(["none", "0"], p.value)]) == 0
    error_message = "Statement logging must stay off."
  }
{%- if database.family == "postgres" %}

  assert {
    condition     = contains([for p in {% if database.aurora %}aws_rds_cluster_parameter_group.this[0]{% else %}aws_db_parameter_group.this[0]{% endif %}.parameter : p.value if p.name == "pgaudit.log"], "ddl,role")
    error_message = "pgaudit must record DDL and role changes where audit logging is on."
  }
{%- elif database.aurora %}

  assert {
    condition     = contains([for p in aws_rds_cluster_parameter_group.this[0].parameter : p.value if p.name == "server_audit_logging"], "1")
    error_message = "Aurora MySQL must write its audit log where audit logging is on."
  }
{%- else %}

  assert {
    condition     = length(aws_db_option_group.audit) == 1
    error_message = "RDS for MySQL must load the MariaDB audit plugin where audit logging is on."
  }
{%- endif %}
}

run "test_dep_04_ephemeral_destroy_leaves_no_named_snapshot" {
  command = plan

  module {
    source = "./modules/database"
  }

  variables {
    final_snapshot      = false
    deletion_protection = false
  }

  assert {
    condition     = {{ db }}.skip_final_snapshot && {{ db }}.final_snapshot_identifier == null && !{{ db }}.deletion_protection
    error_message = "An ephemeral environment's database must be destroyable again and again: no deletion protection and no final snapshot with a fixed name."
  }
}

run "test_gen_06_deletion_protection_by_profile" {
  command = plan

  module {
    source = "./modules/database"
  }

  variables {
    deletion_protection = true
  }

  assert {
    condition     = {{ db }}.deletion_protection
    error_message = "Production profiles must protect the database from deletion."
  }
}

run "test_net_07_database_port_from_clients_only" {
  command = plan

  module {
    source = "./modules/database"
  }

  assert {
    condition     = alltrue([for r in aws_vpc_security_group_ingress_rule.db_clients : r.from_port == var.port && r.to_port == var.port && r.cidr_ipv4 == null])
    error_message = "The database must admit its port from the client security groups only."
  }
}
