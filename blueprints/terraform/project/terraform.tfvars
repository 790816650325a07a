# Values of {{ env.name }}, computed by stackwright from the answers.
{#- The account trail belongs to the first production-profile environment of
    the account, else to the account's first environment (DEP-07). #}
{%- set_global trail_owner = "" %}
{%- for e in environments %}{% if e.account_id == env.account_id and e.production and trail_owner == "" %}{% set_global trail_owner = e.name %}{% endif %}{% endfor %}
{%- for e in environments %}{% if e.account_id == env.account_id and trail_owner == "" %}{% set_global trail_owner = e.name %}{% endif %}{% endfor %}
region      = {{ region.code | hcl_str }}
environment = {{ env.name | hcl_str }}
account_id  = {{ env.account_id | hcl_str }}
{%- if env.cross_account and pipeline.enabled %}

# The pipeline's plan and apply builds of {{ env.name }} assume this role (bootstrap/apply-role.yaml).
apply_role_arn = {{ ("arn:" ~ region.partition ~ ":iam::" ~ env.account_id ~ ":role/" ~ project.name ~ "-" ~ env.name ~ "-terraform-apply") | hcl_str }}
{%- elif env.cross_account %}

# No pipeline, so no apply role: Terraform runs with your credentials, which
# must be those of account {{ env.account_id }} (allowed_account_ids refuses others).
{%- endif %}

tags = {{ tf_tags(environment=env.name) }}

vpc_cidr = {{ env.vpc_cidr | hcl_str }}
subnets = {
  public   = [{% for c in env.subnets.public %}{{ c | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]
  private  = [{% for c in env.subnets.private %}{{ c | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]
  isolated = [{% for c in env.subnets.isolated %}{{ c | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]
}
nat_mode            = {{ env.nat_mode | hcl_str }}
gateway_endpoints   = [{% for e in network.gateway_endpoints %}{{ e.service | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]
interface_endpoints = [{% for e in network.interface_endpoints %}{{ e.service | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]

log_retention_days         = {{ env.log_retention_days }}
noncurrent_transition_days = {{ env.noncurrent_transition_days }}
noncurrent_expiration_days = {{ env.noncurrent_expiration_days }}
owns_account_trail         = {% if security.existing_trail %}false{% else %}{{ trail_owner == env.name }}{% endif %}
ephemeral                  = {{ env.profile == "ephemeral" }}
app_port                   = {{ app.port }}
notification_email         = {{ pipeline.notification_email | hcl_str }}
{%- if database.enabled %}

database = {
  engine                 = {{ database.engine | hcl_str }}
  engine_version         = {{ database.version | hcl_str }}
  parameter_group_family = {{ database.parameter_group_family | hcl_str }}
  tls_parameter          = { name = {{ database.tls_parameter_name | hcl_str }}, value = {{ database.tls_parameter_value | hcl_str }} }
  audit_logging          = {{ env.production }}
  port                   = {{ database.port }}
  name                   = {{ database.name | hcl_str }}
  instance_class         = {{ env.db_instance_class | hcl_str }}
  multi_az               = {{ env.multi_az }}
  deletion_protection    = {{ env.deletion_protection }}
  backup_retention_days  = {{ env.backup_retention_days }}
  log_exports            = [{% for l in database.log_exports %}{{ l | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]
}

alarm = {
  cpu_percent        = {{ env.alarm.cpu_percent }}
  free_storage_bytes = {{ env.alarm.free_storage_bytes }}
  connections        = {{ env.alarm.connections }}
  evaluation_periods = {{ env.alarm.evaluation_periods }}
}
{%- endif %}
{%- if app.kind == "ec2" %}

app = {
  instance_type            = {% if env.production %}"t3.small"{% else %}"t3.micro"{% endif %}
  min_size                 = {% if env.production %}2{% else %}1{% endif %}
  desired_capacity         = {% if env.production %}2{% else %}1{% endif %}
  max_size                 = {% if env.production %}4{% else %}2{% endif %}
  cpu_alarm_threshold      = {{ env.alarm.cpu_percent }}
  alarm_evaluation_periods = {{ env.alarm.evaluation_periods }}
}
{%- elif app.kind == "ecs" %}

app = {
  task_cpu                 = {% if env.production %}512{% else %}256{% endif %}
  task_memory              = {% if env.production %}1024{% else %}512{% endif %}
  desired_count            = {% if env.production %}2{% else %}1{% endif %}
  cpu_alarm_threshold      = {{ env.alarm.cpu_percent }}
  memory_alarm_threshold   = {{ env.alarm.cpu_percent }}
  alarm_evaluation_periods = {{ env.alarm.evaluation_periods }}
}
{%- elif app.kind == "lambda" %}

app = {
  reserved_concurrency      = {% if env.production %}20{% else %}5{% endif %}
  memory_size               = {% if env.production %}256{% else %}128{% endif %}
  errors_alarm_threshold    = {% if env.production %}1{% else %}5{% endif %}
  throttles_alarm_threshold = {% if env.production %}1{% else %}5{% endif %}
  alarm_evaluation_periods  = {{ env.alarm.evaluation_periods }}
}
{%- endif %}
