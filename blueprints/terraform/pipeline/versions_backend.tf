terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }

  # Partial configuration: the values are in backend.hcl beside this file
  # (terraform init -backend-config=backend.hcl). A backend block takes no variables.
  backend "s3" {}
}
