# Plans the app module ({{ app.kind }}) with a mocked AWS provider (no credentials, no
# network), with the values of {{ environments[0].name }}: each run proves one control.
{%- set first = environments[0] %}

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
{%- if app.kind == "ec2" %}
  mock_data "aws_ssm_parameter" {
    defaults = {
      insecure_value = "ami-0123456789abcdef0"
    }
  }
  mock_data "aws_default_tags" {
    defaults = {
      tags = { Project = {{ project.name | hcl_str }} }
    }
  }
{%- endif %}
}

variables {
  name                     = {{ (project.name ~ "-" ~ first.name) | hcl_str }}
  environment              = {{ first.name | hcl_str }}
  app_port                 = {{ app.port }}
  kms_key_arn              = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
  log_retention_days       = {{ first.log_retention_days }}
  vpc_id                   = "vpc-00000000000000001"
  vpc_cidr                 = {{ first.vpc_cidr | hcl_str }}
  private_subnet_ids       = ["subnet-00000000000000001", "subnet-00000000000000002"]
  app_security_group_id    = "sg-00000000000000001"
{%- if app.kind == "lambda" %}
  lambda_security_group_id = "sg-00000000000000002"
{%- endif %}
  alarm_topic_arn          = "arn:aws:sns:us-east-1:111122223333:example-alerts"
  alarm_evaluation_periods = {{ first.alarm.evaluation_periods }}
{%- if database.enabled %}
  database_host            = "db.example.internal"
  database_port            = {{ database.port }}
{%- endif %}
{% if app.kind == "ec2" %}
  instance_type       = {% if first.production %}"t3.small"{% else %}"t3.micro"{% endif %}
  min_size            = {% if first.production %}2{% else %}1{% endif %}
  desired_capacity    = {% if first.production %}2{% else %}1{% endif %}
  max_size            = {% if first.production %}4{% else %}2{% endif %}
  cpu_alarm_threshold = {{ first.alarm.cpu_percent }}
{%- elif app.kind == "ecs" %}
  task_cpu               = {% if first.production %}512{% else %}256{% endif %}
  task_memory            = {% if first.production %}1024{% else %}512{% endif %}
  desired_count          = {% if first.production %}2{% else %}1{% endif %}
  cpu_alarm_threshold    = {{ first.alarm.cpu_percent }}
  memory_alarm_threshold = {{ first.alarm.cpu_percent }}
{%- else %}
  reserved_concurrency      = {% if first.production %}20{% else %}5{% endif %}
  memory_size               = {% if first.production %}256{% else %}128{% endif %}
  errors_alarm_threshold    = {% if first.production %}1{% else %}5{% endif %}
  throttles_alarm_threshold = {% if first.production %}1{% else %}5{% endif %}
{%- endif %}
}

run "test_app_port_22_refused" {
  command = plan

  module {
    source = "./modules/app"
  }

  variables {
    app_port = 22
  }

  expect_failures = [var.app_port]
}

run "test_app_log_group_encrypted_with_retention" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_cloudwatch_log_group.app.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.app.retention_in_days == var.log_retention_days
    error_message = "The application log group must be encrypted with the environment key and keep the environment's retention."
  }
}
{%- if app.kind == "ec2" %}

run "test_app_01_imdsv2_required_hop_limit_one" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_launch_template.app.metadata_options[0].http_tokens == "required" && aws_launch_template.app.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "Instances must require IMDSv2 tokens with a hop limit of 1."
  }
}

run "test_app_01_root_volume_encrypted_with_environment_key" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_launch_template.app.block_device_mappings[0].ebs[0].encrypted == "true" && aws_launch_template.app.block_device_mappings[0].ebs[0].kms_key_id == var.kms_key_arn
    error_message = "The root volume must be encrypted with the environment key."
  }
}

run "test_app_01_private_no_public_ip_no_key_pair" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_launch_template.app.network_interfaces[0].associate_public_ip_address == "false" && aws_launch_template.app.key_name == null
    error_message = "Instances must get no public IP and no SSH key pair."
  }

  assert {
    condition     = toset(aws_autoscaling_group.app.vpc_zone_identifier) == toset(var.private_subnet_ids)
    error_message = "The Auto Scaling group must launch into the private subnets only."
  }
}

run "test_app_01_ami_from_public_ssm_parameter" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = data.aws_ssm_parameter.ami.name == var.ami_parameter && aws_launch_template.app.image_id == data.aws_ssm_parameter.ami.insecure_value
    error_message = "The AMI must come from the Amazon Linux public SSM parameter."
  }
}

run "test_app_01_ssm_managed_role" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_iam_role_policy_attachment.instance["AmazonSSMManagedInstanceCore"].policy_arn == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" && length(aws_iam_role_policy_attachment.instance) == 2
    error_message = "The instance role must hold the Session Manager core policy and the CloudWatch agent policy, nothing more."
  }
}

run "test_app_02_user_data_fails_fast_patches_and_rotates" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition = alltrue([for s in ["set -euo pipefail", "dnf -y upgrade --security", "chmod -R o-rwx", "/etc/logrotate.d/app", "amazon-cloudwatch-agent-ctl"] :
    strcontains(base64decode(aws_launch_template.app.user_data), s)])
    error_message = "User data must fail fast, install security updates, tighten permissions, rotate the log and start the CloudWatch agent."
  }
}

run "test_mon_04_launch_and_terminate_errors_notified" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_autoscaling_notification.app.topic_arn == var.alarm_topic_arn && toset(aws_autoscaling_notification.app.notifications) == toset(["autoscaling:EC2_INSTANCE_LAUNCH_ERROR", "autoscaling:EC2_INSTANCE_TERMINATE_ERROR"])
    error_message = "Launch and terminate errors must be sent to the alert topic."
  }
}

run "test_mon_04_alarm_below_min_size_in_service" {
  command = plan

  module {
    source = "./modules/app"
  }

  # Sizes unlike any default, so the threshold must follow min_size.
  variables {
    min_size         = 3
    desired_capacity = 3
    max_size         = 5
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.app["in_service"].metric_name == "GroupInServiceInstances" && aws_cloudwatch_metric_alarm.app["in_service"].threshold == var.min_size && aws_cloudwatch_metric_alarm.app["in_service"].comparison_operator == "LessThanThreshold"
    error_message = "An alarm must fire when fewer than min_size instances are in service."
  }

  assert {
    condition     = contains(aws_cloudwatch_metric_alarm.app["in_service"].alarm_actions, var.alarm_topic_arn) && contains(aws_autoscaling_group.app.enabled_metrics, "GroupInServiceInstances")
    error_message = "The in-service alarm must notify the alert topic, on the group metrics the group publishes."
  }
}

run "test_app_05_only_the_app_security_group" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = toset(aws_launch_template.app.network_interfaces[0].security_groups) == toset([var.app_security_group_id])
    error_message = "Instances must carry only the app security group, which admits no address range."
  }
}

run "test_app_01_capacity_outside_sizes_refused" {
  command = plan

  module {
    source = "./modules/app"
  }

  variables {
    desired_capacity = 30
  }

  expect_failures = [var.desired_capacity]
}
{%- elif app.kind == "ecs" %}

run "test_app_04_container_insights_on" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = anytrue([for s in aws_ecs_cluster.app.setting : s.name == "containerInsights" && s.value == "enabled"])
    error_message = "The cluster must have Container Insights on."
  }
}

run "test_app_04_private_subnets_no_public_ip_no_exec" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_ecs_service.app.network_configuration[0].assign_public_ip == false && toset(aws_ecs_service.app.network_configuration[0].subnets) == toset(var.private_subnet_ids)
    error_message = "Tasks must run in the private subnets without a public IP."
  }

  assert {
    condition     = aws_ecs_service.app.enable_execute_command == false && aws_ecs_service.app.deployment_circuit_breaker[0].rollback
    error_message = "ECS Exec must be off and failed deployments rolled back."
  }
}

run "test_app_04_non_root_read_only_container" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition = alltrue([for c in jsondecode(aws_ecs_task_definition.app.container_definitions) :
    c.readonlyRootFilesystem && !c.privileged && c.user != "0" && c.linuxParameters.capabilities.drop == ["ALL"]])
    error_message = "Containers must run as a non-root user with a read-only root file system and no capabilities."
  }
}

run "test_app_04_egress_https_and_dns_only" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.tasks_https.from_port == 443 && aws_vpc_security_group_egress_rule.tasks_https.to_port == 443
    error_message = "Tasks may send HTTPS out."
  }

  assert {
    condition     = length(aws_vpc_security_group_egress_rule.tasks_dns) == 2 && alltrue([for r in aws_vpc_security_group_egress_rule.tasks_dns : r.from_port == 53 && r.to_port == 53 && r.cidr_ipv4 == var.vpc_cidr])
    error_message = "DNS egress must stay inside the VPC."
  }
}

run "test_app_05_no_address_range_admitted" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.tasks_app_port.referenced_security_group_id == var.app_security_group_id && aws_vpc_security_group_ingress_rule.tasks_app_port.cidr_ipv4 == null && aws_vpc_security_group_ingress_rule.tasks_app_port.cidr_ipv6 == null
    error_message = "Tasks must admit the application port from the app security group only, never from an address range."
  }
}

run "test_mon_04_alarm_below_desired_running_tasks" {
  command = plan

  module {
    source = "./modules/app"
  }

  # A count unlike any default, so the threshold must follow desired_count.
  variables {
    desired_count = 3
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.app["running_tasks"].namespace == "ECS/ContainerInsights" && aws_cloudwatch_metric_alarm.app["running_tasks"].metric_name == "RunningTaskCount" && aws_cloudwatch_metric_alarm.app["running_tasks"].threshold == var.desired_count && aws_cloudwatch_metric_alarm.app["running_tasks"].comparison_operator == "LessThanThreshold"
    error_message = "An alarm must fire when fewer than desired_count tasks run."
  }

  assert {
    condition     = contains(aws_cloudwatch_metric_alarm.app["running_tasks"].alarm_actions, var.alarm_topic_arn)
    error_message = "The running-tasks alarm must notify the alert topic."
  }
}

run "test_app_04_root_user_refused" {
  command = plan

  module {
    source = "./modules/app"
  }

  variables {
    container_user = "0"
  }

  expect_failures = [var.container_user]
}
{%- else %}

run "test_app_03_private_subnets_own_security_group" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = toset(aws_lambda_function.app.vpc_config[0].subnet_ids) == toset(var.private_subnet_ids) && toset(aws_lambda_function.app.vpc_config[0].security_group_ids) == toset([var.lambda_security_group_id])
    error_message = "The function must run in the private subnets with its own security group."
  }
}

run "test_app_03_reserved_concurrency" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_lambda_function.app.reserved_concurrent_executions == var.reserved_concurrency
    error_message = "The function must have reserved concurrency."
  }
}

run "test_app_03_encrypted_dead_letter_queue" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = length(aws_lambda_function.app.dead_letter_config) == 1 && aws_sqs_queue.dead_letter.kms_master_key_id == var.kms_key_arn
    error_message = "Failed invocations must land in a dead-letter queue encrypted with the environment key."
  }
}

run "test_app_03_tracing_and_encrypted_environment" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_lambda_function.app.tracing_config[0].mode == "Active" && aws_lambda_function.app.kms_key_arn == var.kms_key_arn
    error_message = "The function must trace with X-Ray and encrypt its environment with the environment key."
  }
}

run "test_app_03_errors_throttles_and_dead_letters_alarmed" {
  command = plan

  module {
    source = "./modules/app"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.app["errors"].metric_name == "Errors" && aws_cloudwatch_metric_alarm.app["throttles"].metric_name == "Throttles" && aws_cloudwatch_metric_alarm.app["dead_letters"].threshold == 0
    error_message = "Errors, throttles and dead letters must raise alarms."
  }

  assert {
    condition     = alltrue([for a in [aws_cloudwatch_metric_alarm.app["errors"], aws_cloudwatch_metric_alarm.app["throttles"], aws_cloudwatch_metric_alarm.app["dead_letters"]] : contains(a.alarm_actions, var.alarm_topic_arn)])
    error_message = "The function's alarms must notify the alert topic."
  }
}

run "test_app_03_zero_concurrency_refused" {
  command = plan

  module {
    source = "./modules/app"
  }

  variables {
    reserved_concurrency = 0
  }

  expect_failures = [var.reserved_concurrency]
}
{%- endif %}
