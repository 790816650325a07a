# Plans the network module with a mocked AWS provider (no credentials, no
# network): each run proves one control with the values of {{ environments[0].name }}.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names = ["zone-a", "zone-b", "zone-c"]
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition          = "aws"
      reverse_dns_prefix = "com.amazonaws"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name                  = {{ (project.name ~ "-" ~ environments[0].name) | hcl_str }}
  vpc_cidr              = {{ environments[0].vpc_cidr | hcl_str }}
  public_subnet_cidrs   = [{% for c in environments[0].subnets.public %}{{ c | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]
  private_subnet_cidrs  = [{% for c in environments[0].subnets.private %}{{ c | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]
  isolated_subnet_cidrs = [{% for c in environments[0].subnets.isolated %}{{ c | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]
  nat_mode              = {{ environments[0].nat_mode | hcl_str }}
  gateway_endpoints     = [{% for e in network.gateway_endpoints %}{{ e.service | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]
  interface_endpoints   = [{% for e in network.interface_endpoints %}{{ e.service | hcl_str }}{% if not loop.last %}, {% endif %}{% endfor %}]
  kms_key_arn           = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
  log_retention_days    = {{ environments[0].log_retention_days }}
  app_port              = {{ app.port }}
  lambda_security_group = {{ app.kind == "lambda" }}
}

run "test_net_01_vpc_has_dns_support_and_hostnames" {
  command = plan

  module {
    source = "./modules/network"
  }

  assert {
    condition     = aws_vpc.this.enable_dns_support && aws_vpc.this.enable_dns_hostnames
    error_message = "The VPC must have DNS support and DNS hostnames."
  }

  assert {
    condition     = aws_vpc.this.cidr_block == var.vpc_cidr
    error_message = "The VPC must use the range from the answers."
  }
}

run "test_net_02_three_tiers_in_every_zone" {
  command = plan

  module {
    source = "./modules/network"
  }

  assert {
    condition     = length(aws_subnet.public) == length(var.public_subnet_cidrs) && length(aws_subnet.private) == length(var.public_subnet_cidrs) && length(aws_subnet.isolated) == length(var.public_subnet_cidrs)
    error_message = "Every zone must have a public, a private and an isolated subnet."
  }

  assert {
    condition     = length(distinct([for s in aws_subnet.private : s.availability_zone])) == length(var.private_subnet_cidrs)
    error_message = "Private subnets must sit in distinct zones."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch == false])
    error_message = "Public subnets must not give instances public addresses by default."
  }
}

run "test_net_03_nat_gateways_follow_the_mode" {
  command = plan

  module {
    source = "./modules/network"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == (var.nat_mode == "per-az" ? length(var.public_subnet_cidrs) : (var.nat_mode == "single" ? 1 : 0))
    error_message = "NAT gateways must be one per zone (per-az), one (single) or none."
  }

  assert {
    condition     = length(aws_route.private_nat) == (var.nat_mode == "none" ? 0 : length(var.private_subnet_cidrs))
    error_message = "Every private route table must route out through a NAT gateway when there is one."
  }
}

run "test_net_03_single_nat_mode_makes_one_gateway" {
  command = plan

  module {
    source = "./modules/network"
  }

  variables {
    nat_mode = "single"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1
    error_message = "The single NAT mode must create exactly one NAT gateway."
  }
}

run "test_net_04_endpoints_with_private_dns" {
  command = plan

  module {
    source = "./modules/network"
  }

  assert {
    condition     = length(aws_vpc_endpoint.gateway) == length(var.gateway_endpoints) && length(aws_vpc_endpoint.interface) == length(var.interface_endpoints)
    error_message = "Every answered endpoint must exist."
  }

  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled])
    error_message = "Interface endpoints must have private DNS."
  }
}

run "test_net_05_flow_logs_encrypted" {
  command = plan

  module {
    source = "./modules/network"
  }

  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL"
    error_message = "Flow logs must record all traffic."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.flow_logs.retention_in_days == var.log_retention_days
    error_message = "The flow log group must be encrypted with the environment key and have a retention."
  }
}

run "test_net_06_default_security_group_is_closed" {
  command = plan

  module {
    source = "./modules/network"
  }

  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "The default security group must have no rules."
  }
}

run "test_net_07_app_egress_is_https_and_dns_only" {
  command = plan

  module {
    source = "./modules/network"
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.app_https.from_port == 443 && aws_vpc_security_group_egress_rule.app_dns.to_port == 53
    error_message = "The application may send HTTPS and DNS only."
  }
}

run "test_net_08_no_ingress_from_address_ranges" {
  command = plan

  module {
    source = "./modules/network"
  }

  assert {
    condition     = length(aws_security_group.app.ingress) == 0
    error_message = "The application security group must admit no address range."
  }
}

run "test_gen_03_a_bad_vpc_range_is_refused" {
  command = plan

  module {
    source = "./modules/network"
  }

  variables {
    vpc_cidr = "10.0.0.0/8"
  }

  expect_failures = [var.vpc_cidr]
}
