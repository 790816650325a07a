# The project root holds no resources: it is where `terraform test` runs the
# module tests in tests/ (each run names its module with `module { source }`).

terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}
