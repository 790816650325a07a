# Values of {{ env.name }}, computed by stackwright from the answers.
{#- The account trail belongs to the first production-profile environment of
    the account, else to the account's first environment (DEP-07). #}
{%- set_global trail_owner = "" %}
{%- for e in environments %}{% if e.account_id == env.account_id and e.production and trail_owner == "" %}{% set_global trail_owner = e.name %}{% endif %}{% endfor %}
{%- for e in environments %}{% if e.account_id == env.account_id and trail_owner == "" %}{% set_global trail_owner = e.name %}{% endif %}{% endfor %}
region      = {{ region.code | hcl_str }}
environment = {{ env.name | hcl_str }}
account_id  = {{ env.account_id | hcl_str }}
{%- if env.cross_account %}

apply_role_arn = {{ ("arn:" ~ region.partition ~ ":iam::" ~ env.account_id ~ ":role/" ~ project.name ~ "-" ~ env.name ~ "-terraform-apply") | hcl_str }}
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
owns_account_trail         = {{ trail_owner == env.name }}
ephemeral                  = {{ env.profile == "ephemeral" }}
app_port                   = {{ app.port }}
