# S3 backend settings of the pipeline root; the bucket is read from SSM
# Parameter Store by `make pipeline-plan` (see README.md).
key          = "pipeline/terraform.tfstate"
region       = {{ region.code | hcl_str }}
encrypt      = true
use_lockfile = true
