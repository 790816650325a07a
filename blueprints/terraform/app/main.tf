# The application tier ({{ app.kind }} on port {{ app.port }}) of one environment, in the
# private subnets only: a log group encrypted with the environment key,
{%- if app.kind == "ec2" %}
# an Auto Scaling group of SSM-managed instances (APP-01, APP-02) with its
# failure notifications and in-service alarm (MON-04).
{%- elif app.kind == "ecs" %}
# an ECS service on Fargate (APP-04) with Container Insights and its
# running-task alarm (MON-04).
{%- else %}
# a Lambda function (APP-03) with a dead-letter queue, tracing and its
# errors, throttles and dead-letter alarms.
{%- endif %}
# Nothing admits an address range (APP-05): there is no load balancer, and
# the module README says how to reach the application.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.id
}

# Application log group: retention per environment, encrypted with the environment key.
resource "aws_cloudwatch_log_group" "app" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment profile from the answers; production profiles keep logs a year
{%- if app.kind == "lambda" %}
  name              = "/aws/lambda/${var.name}-app"
{%- else %}
  name              = "/${var.name}/app"
{%- endif %}
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}
{%- if app.kind == "ec2" %}

# ------------------------------------------------------------ EC2 (APP-01, APP-02)

# The current Amazon Linux 2023 AMI, from its public SSM parameter: read at
# every plan, so a new AMI makes a new launch template version and the
# instance refresh below rolls the fleet onto it.
data "aws_ssm_parameter" "ami" {
  name = var.ami_parameter
}

# Session Manager instead of SSH, and the CloudWatch agent. EC2 does not
# pass aws:SourceAccount when it assumes an instance role, so the trust
# names the service only.
data "aws_iam_policy_document" "instance_trust" {
  statement {
    sid     = "Ec2AssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name               = "${var.name}-app-instance"
  description        = "${var.name} application instances: SSM-managed, CloudWatch agent"
  assume_role_policy = data.aws_iam_policy_document.instance_trust.json
}

resource "aws_iam_role_policy_attachment" "instance" {
  for_each = toset(["AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"])

  role       = aws_iam_role.instance.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

resource "aws_iam_instance_profile" "instance" {
  name = "${var.name}-app-instance"
  role = aws_iam_role.instance.name
}

# The provider's default tags, for the instances, volumes and interfaces the
# launch template creates (default_tags reach only the template itself).
data "aws_default_tags" "current" {}

# IMDSv2 only with a hop limit of 1, an encrypted gp3 root volume with the
# environment key, no key pair, no public IP, the app security group (no
# port 22).
resource "aws_launch_template" "app" {
  name                   = "${var.name}-app"
  description            = "${var.name} application instances"
  image_id               = data.aws_ssm_parameter.ami.insecure_value
  instance_type          = var.instance_type
  ebs_optimized          = true
  update_default_version = true
  user_data = base64encode(templatefile("${path.module}/user_data.sh.tftpl", {
    environment    = var.environment
    app_port       = var.app_port
    log_group_name = aws_cloudwatch_log_group.app.name
    db_host        = var.database_host
    db_port        = var.database_port
  }))

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  monitoring {
    enabled = true
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  network_interfaces {
    device_index                = 0
    associate_public_ip_address = false
    delete_on_termination       = true
    security_groups             = [var.app_security_group_id]
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = 20
      encrypted             = true
      kms_key_id            = var.kms_key_arn
      delete_on_termination = true
    }
  }

  dynamic "tag_specifications" {
    for_each = toset(["instance", "volume", "network-interface"])
    content {
      resource_type = tag_specifications.value
      tags          = merge(data.aws_default_tags.current.tags, { Name = "${var.name}-app" })
    }
  }
}

# Private subnets only. The default Auto Scaling service-linked role
# (AWSServiceRoleForAutoScaling, no service_linked_role_arn: naming it would
# need iam:PassRole on it) launches the instances; the environment key's
# policy (security module) lets it use the key for the encrypted volumes.
resource "aws_autoscaling_group" "app" {
  name                      = "${var.name}-app"
  min_size                  = var.min_size
  max_size                  = var.max_size
  desired_capacity          = var.desired_capacity
  vpc_zone_identifier       = var.private_subnet_ids
  health_check_type         = "EC2"
  health_check_grace_period = 300
  # Group metrics (1-minute) feed the in-service alarm below (MON-04).
  enabled_metrics     = ["GroupInServiceInstances", "GroupDesiredCapacity", "GroupMinSize", "GroupMaxSize", "GroupTotalInstances"]
  metrics_granularity = "1Minute"

  launch_template {
    id      = aws_launch_template.app.id
    version = aws_launch_template.app.latest_version
  }

  # A new launch template version (a new AMI, new user data) replaces the
  # instances one at a time, keeping the minimum in service.
  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = 100
      max_healthy_percentage = 200
      instance_warmup        = 300
    }
  }

  dynamic "tag" {
    for_each = merge(data.aws_default_tags.current.tags, { Name = "${var.name}-app" })
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = false
    }
  }
}

# MON-04: failed launches and terminations go to the alert topic.
resource "aws_autoscaling_notification" "app" {
  group_names   = [aws_autoscaling_group.app.name]
  notifications = ["autoscaling:EC2_INSTANCE_LAUNCH_ERROR", "autoscaling:EC2_INSTANCE_TERMINATE_ERROR"]
  topic_arn     = var.alarm_topic_arn
}

# Keeps average CPU near 60 % between min_size and max_size.
resource "aws_autoscaling_policy" "cpu" {
  name                   = "${var.name}-app-cpu-target"
  autoscaling_group_name = aws_autoscaling_group.app.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }
    target_value = 60
  }
}

# The alarms of the instances, to the alert topic (one resource below, after
# the kinds). MON-04: fewer instances in service than min_size for the
# evaluation periods: launches keep failing or instances keep failing their checks.
locals {
  alarm_dimensions = { AutoScalingGroupName = aws_autoscaling_group.app.name }
  alarms = {
    cpu = {
      description = "${var.name}: application instances' average CPU is above ${var.cpu_alarm_threshold} %"
      namespace   = "AWS/EC2"
      dimensions  = local.alarm_dimensions
      metric      = "CPUUtilization"
      statistic   = "Average"
      periods     = var.alarm_evaluation_periods
      threshold   = var.cpu_alarm_threshold
      comparison  = "GreaterThanThreshold"
      missing     = "missing"
    }
    in_service = {
      description = "${var.name}: fewer than ${var.min_size} application instances in service"
      namespace   = "AWS/AutoScaling"
      dimensions  = local.alarm_dimensions
      metric      = "GroupInServiceInstances"
      statistic   = "Maximum"
      periods     = var.alarm_evaluation_periods
      threshold   = var.min_size
      comparison  = "LessThanThreshold"
      missing     = "missing"
    }
  }
}
{%- elif app.kind == "ecs" %}

# ------------------------------------------------------------ ECS on Fargate (APP-04)

locals {
  placeholder_image = "public.ecr.aws/nginx/nginx-unprivileged:stable-alpine"
  # The placeholder image gets a command that makes it answer on the
  # application port with a read-only root file system; your own image runs
  # its own entrypoint.
  placeholder_command = [
    "/bin/sh",
    "-c",
    join("\n", [
      "cat > /tmp/nginx.conf <<'EOF'",
      "pid /tmp/nginx.pid;",
      "error_log /dev/stderr warn;",
      "events { worker_connections 1024; }",
      "http {",
      "  access_log /dev/stdout;",
      "  server_tokens off;",
      "  client_body_temp_path /tmp/client_temp;",
      "  proxy_temp_path /tmp/proxy_temp;",
      "  fastcgi_temp_path /tmp/fastcgi_temp;",
      "  uwsgi_temp_path /tmp/uwsgi_temp;",
      "  scgi_temp_path /tmp/scgi_temp;",
      "  server {",
      "    listen ${var.app_port};",
      "    location = /health { default_type application/json; return 200 '{\"status\": \"ok\"}'; }",
      "    location / { default_type text/plain; return 200 'placeholder: set container_image to your application image\\n'; }",
      "  }",
      "}",
      "EOF",
      "exec nginx -c /tmp/nginx.conf -g 'daemon off;'",
    ]),
  ]
  environment = concat(
    [
      { name = "ENVIRONMENT", value = var.environment },
      { name = "APP_PORT", value = tostring(var.app_port) },
    ],
    var.database_host == "" ? [] : [
      { name = "DB_HOST", value = var.database_host },
      { name = "DB_PORT", value = tostring(var.database_port) },
    ],
  )
}

resource "aws_ecs_cluster" "app" {
  name = "${var.name}-app"

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

data "aws_iam_policy_document" "tasks_trust" {
  statement {
    sid     = "EcsTasksAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account}:*"]
    }
  }
}

# Writes the container log: nothing else. A private ECR image would also need
# ecr:GetAuthorizationToken and ecr:BatchGetImage.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-app-execution"
  description        = "${var.name} ECS task execution: write the container log"
  assume_role_policy = data.aws_iam_policy_document.tasks_trust.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "WriteContainerLog"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [aws_cloudwatch_log_group.app.arn, "${aws_cloudwatch_log_group.app.arn}:*"]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "container-log"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The application's own identity, separate from the execution role; it has
# no permissions until the application needs some.
resource "aws_iam_role" "task" {
  name               = "${var.name}-app-task"
  description        = "${var.name} ECS task (application) role"
  assume_role_policy = data.aws_iam_policy_document.tasks_trust.json
}

resource "aws_ecs_task_definition" "app" {
  family                   = "${var.name}-app"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The only writable path: task-local scratch space for /tmp.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([
    {
      name                   = "app"
      image                  = var.container_image
      essential              = true
      user                   = var.container_user
      privileged             = false
      readonlyRootFilesystem = true
      linuxParameters = {
        initProcessEnabled = true
        capabilities       = { drop = ["ALL"] }
      }
      portMappings = [{ containerPort = var.app_port, protocol = "tcp" }]
      mountPoints  = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
      # Lets the non-root user bind a port below 1024 without any capability.
      systemControls = var.app_port < 1024 ? [{ namespace = "net.ipv4.ip_unprivileged_port_start", value = tostring(var.app_port) }] : []
      environment    = local.environment
      command        = var.container_image == local.placeholder_image ? local.placeholder_command : null
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.app.name
          awslogs-region        = local.region
          awslogs-stream-prefix = "app"
        }
      }
    }
  ])
}

# Tasks accept the application port only from members of the app security
# group and talk out only on 443 (AWS APIs and the image registry) and 53
# inside the VPC (DNS). No port 80: the task runs a fixed image and installs
# nothing at run time.
resource "aws_security_group" "tasks" {
  name        = "${var.name}-app-tasks"
  description = "ECS tasks: app port from the app security group, egress 443/53 only"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-app-tasks" }
}

resource "aws_vpc_security_group_ingress_rule" "tasks_app_port" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Application port from the app security group"
  referenced_security_group_id = var.app_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs and registries"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "tasks_dns" {
  for_each = toset(["udp", "tcp"])

  security_group_id = aws_security_group.tasks.id
  description       = "DNS over ${upper(each.value)} inside the VPC"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = each.value
  from_port         = 53
  to_port           = 53
}

# Private subnets, no public IP, ECS Exec off; the tasks also carry the app
# security group, which admits no address range.
resource "aws_ecs_service" "app" {
  name                               = "${var.name}-app"
  cluster                            = aws_ecs_cluster.app.id
  task_definition                    = aws_ecs_task_definition.app.arn
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  desired_count                      = var.desired_count
  enable_execute_command             = false
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    assign_public_ip = false
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id, var.app_security_group_id]
  }
}

# The alarms of the service, to the alert topic (one resource below, after the
# kinds). MON-04: fewer tasks running than desired_count for the evaluation
# periods (Container Insights publishes RunningTaskCount per service).
locals {
  alarm_dimensions = { ClusterName = aws_ecs_cluster.app.name, ServiceName = aws_ecs_service.app.name }
  alarms = {
    cpu = {
      description = "${var.name}: the service's average CPU is above ${var.cpu_alarm_threshold} %"
      namespace   = "AWS/ECS"
      dimensions  = local.alarm_dimensions
      metric      = "CPUUtilization"
      statistic   = "Average"
      periods     = var.alarm_evaluation_periods
      threshold   = var.cpu_alarm_threshold
      comparison  = "GreaterThanThreshold"
      missing     = "missing"
    }
    memory = {
      description = "${var.name}: the service's average memory use is above ${var.memory_alarm_threshold} %"
      namespace   = "AWS/ECS"
      dimensions  = local.alarm_dimensions
      metric      = "MemoryUtilization"
      statistic   = "Average"
      periods     = var.alarm_evaluation_periods
      threshold   = var.memory_alarm_threshold
      comparison  = "GreaterThanThreshold"
      missing     = "missing"
    }
    running_tasks = {
      description = "${var.name}: fewer than ${var.desired_count} tasks of the service running"
      namespace   = "ECS/ContainerInsights"
      dimensions  = local.alarm_dimensions
      metric      = "RunningTaskCount"
      statistic   = "Maximum"
      periods     = var.alarm_evaluation_periods
      threshold   = var.desired_count
      comparison  = "LessThanThreshold"
      missing     = "missing"
    }
  }
}
{%- else %}

# ------------------------------------------------------------ Lambda (APP-03)

locals {
  # Built by `make package` (package.py: a byte-stable zip of src/), never
  # committed; plan and apply in the pipeline build it from the same source.
  package = "${path.module}/build/app.zip"
}

# Failed asynchronous invocations land here, encrypted with the environment
# key; kept 14 days (the SQS maximum) for replay.
resource "aws_sqs_queue" "dead_letter" {
  name                              = "${var.name}-app-dlq"
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 1209600
}

data "aws_iam_policy_document" "dead_letter" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.dead_letter.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "dead_letter" {
  queue_url = aws_sqs_queue.dead_letter.id
  policy    = data.aws_iam_policy_document.dead_letter.json
}

data "aws_iam_policy_document" "function_trust" {
  statement {
    sid     = "LambdaAssumeRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${var.name}-app-function"
  description        = "${var.name} application function"
  assume_role_policy = data.aws_iam_policy_document.function_trust.json
}

# Only the network-interface actions a function in a VPC needs.
resource "aws_iam_role_policy_attachment" "function_eni" {
  role       = aws_iam_role.function.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"
}

data "aws_iam_policy_document" "function" {
  statement {
    sid       = "WriteOwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [aws_cloudwatch_log_group.app.arn, "${aws_cloudwatch_log_group.app.arn}:*"]
  }

  # X-Ray trace upload has no resource-level permissions: "*" is the only valid resource.
  statement {
    sid       = "WriteTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }

  statement {
    sid       = "SendToDeadLetterQueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }

  # Decrypt the environment variables; encrypt messages for the encrypted queue.
  statement {
    sid       = "UseEnvironmentKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "function"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

# Health check: reports the environment and whether the database answers on
# its port through the VPC path (security groups, routes, DNS).
resource "aws_lambda_function" "app" {
  #checkov:skip=CKV_AWS_272:The function is built from this repository's own source by make package in the pipeline; code signing needs a signing profile the answers do not configure
  function_name                  = "${var.name}-app"
  description                    = "${var.name} application health check"
  runtime                        = "python3.13"
  architectures                  = ["x86_64"]
  handler                        = "index.handler"
  role                           = aws_iam_role.function.arn
  filename                       = local.package
  source_code_hash               = fileexists(local.package) ? filebase64sha256(local.package) : null
  memory_size                    = var.memory_size
  timeout                        = 10
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letter.arn
  }

  logging_config {
    log_group  = aws_cloudwatch_log_group.app.name
    log_format = "JSON"
  }

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [var.lambda_security_group_id]
  }

  # Non-secret settings only; credentials belong in Secrets Manager.
  environment {
    variables = merge(
      { ENVIRONMENT = var.environment },
      var.database_host == "" ? {} : { DB_HOST = var.database_host, DB_PORT = tostring(var.database_port) },
    )
  }

  depends_on = [aws_iam_role_policy.function, aws_iam_role_policy_attachment.function_eni]
}

# The alarms of the function, to the alert topic (one resource below, after
# the kinds). Anything in the dead-letter queue is a lost event until someone
# replays it, so one message there alarms at once.
locals {
  alarm_dimensions = { FunctionName = aws_lambda_function.app.function_name }
  alarms = {
    errors = {
      description = "${var.name}: the application function raised ${var.errors_alarm_threshold} or more errors in 5 minutes"
      namespace   = "AWS/Lambda"
      dimensions  = local.alarm_dimensions
      metric      = "Errors"
      statistic   = "Sum"
      periods     = var.alarm_evaluation_periods
      threshold   = var.errors_alarm_threshold
      comparison  = "GreaterThanOrEqualToThreshold"
      missing     = "notBreaching"
    }
    throttles = {
      description = "${var.name}: the application function was throttled ${var.throttles_alarm_threshold} or more times in 5 minutes (reserved concurrency reached)"
      namespace   = "AWS/Lambda"
      dimensions  = local.alarm_dimensions
      metric      = "Throttles"
      statistic   = "Sum"
      periods     = var.alarm_evaluation_periods
      threshold   = var.throttles_alarm_threshold
      comparison  = "GreaterThanOrEqualToThreshold"
      missing     = "notBreaching"
    }
    dead_letters = {
      description = "${var.name}: failed invocations are waiting in the dead-letter queue"
      namespace   = "AWS/SQS"
      dimensions  = { QueueName = aws_sqs_queue.dead_letter.name }
      metric      = "ApproximateNumberOfMessagesVisible"
      statistic   = "Maximum"
      periods     = 1
      threshold   = 0
      comparison  = "GreaterThanThreshold"
      missing     = "notBreaching"
    }
  }
}
{%- endif %}

# ------------------------------------------------------------ Alarms (to the alert topic)

# One alarm per entry of local.alarms (its keys are static), named
# <name>-app-<key with dashes>.
resource "aws_cloudwatch_metric_alarm" "app" {
  for_each = local.alarms

  alarm_name          = "${var.name}-app-${replace(each.key, "_", "-")}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison
  treat_missing_data  = each.value.missing
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
}

# Each alarm had a resource of its own before: existing states move to the
# instance of the same key, nothing is replaced.
{%- if app.kind == "ec2" %}
{%- set alarm_keys = ["cpu", "in_service"] %}
{%- elif app.kind == "ecs" %}
{%- set alarm_keys = ["cpu", "memory", "running_tasks"] %}
{%- else %}
{%- set alarm_keys = ["errors", "throttles", "dead_letters"] %}
{%- endif %}
{%- for key in alarm_keys %}

moved {
  from = aws_cloudwatch_metric_alarm.{{ key }}
  to   = aws_cloudwatch_metric_alarm.app["{{ key }}"]
}
{%- endfor %}
