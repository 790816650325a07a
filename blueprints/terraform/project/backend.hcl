# S3 backend settings of {{ env.name }}, one state key per environment.
# The bucket name carries the pipeline account's id, so it is read from SSM
# Parameter Store ({{ "/" ~ project.name ~ "/terraform/state-bucket" }}, written by the
# bootstrap stack) and passed at init: `make init ENV={{ env.name }}` does that.
key          = {{ ("envs/" ~ env.name ~ "/terraform.tfstate") | hcl_str }}
region       = {{ region.code | hcl_str }}
encrypt      = true
use_lockfile = true
{%- if state.lock_table %}

# DynamoDB locking as well (state.lock_table), while the team migrates to S3
# lock files: Terraform takes both locks. Created by the bootstrap stack.
dynamodb_table = {{ (project.name ~ "-tfstate-lock") | hcl_str }}
{%- endif %}
