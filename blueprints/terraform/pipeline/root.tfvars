# The pipeline of {{ project.name }}, computed by stackwright from the answers.
region = {{ region.code | hcl_str }}

tags = {{ tf_tags(environment="pipeline") }}

pipeline = {
  repository         = {{ pipeline.repository | hcl_str }}
  branch             = {{ pipeline.branch | hcl_str }}
  checks             = [{% set_global sep = "" %}{% for s in pipeline.stages %}{% if s != "deploy" and s != "integration_test" %}{{ sep }}{{ s | hcl_str }}{% set_global sep = ", " %}{% endif %}{% endfor %}]
  integration_test   = {{ pipeline.has.integration_test }}
  notification_email = {{ pipeline.notification_email | hcl_str }}
  environments = [
{%- for e in environments %}{% if pipeline.has.deploy %}
    { name = {{ e.name | hcl_str }}, approval = {{ e.approval }}, account_id = {{ e.account_id | hcl_str }} },{% endif %}
{%- endfor %}
  ]
}
