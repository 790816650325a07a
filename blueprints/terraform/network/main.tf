# VPC over two or three availability zones: public, private and isolated
# subnets (ranges computed by stackwright, never typed), NAT gateways by
# profile, gateway and interface endpoints, flow logs to an encrypted log
# group, a default security group that admits nothing, and the security
# groups of the application and its endpoints.

# Zone names map to different zones in every account, so they cannot be
# pinned at render time: each subnet takes the zone at its position once, and
# ignores later changes to the list (see the subnets' lifecycle).
data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Zone names differ per account; each subnet keeps the zone it was created in (lifecycle ignore_changes), so a zone added later moves nothing
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  # Keys are zone positions ("0", "1", "2"): known at plan time.
  zones    = { for i, cidr in var.public_subnet_cidrs : tostring(i) => data.aws_availability_zones.available.names[i] }
  public   = { for i, cidr in var.public_subnet_cidrs : tostring(i) => cidr }
  private  = { for i, cidr in var.private_subnet_cidrs : tostring(i) => cidr }
  isolated = { for i, cidr in var.isolated_subnet_cidrs : tostring(i) => cidr }
  nat_keys = var.nat_mode == "per-az" ? keys(local.public) : (var.nat_mode == "single" ? ["0"] : [])
  region   = data.aws_region.current.id
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = "${var.name}-vpc" }
}

# NET-06: the default security group admits and sends nothing.
resource "aws_default_security_group" "this" {
  vpc_id  = aws_vpc.this.id
  ingress = []
  egress  = []

  tags = { Name = "${var.name}-default-closed" }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name}-igw" }
}

resource "aws_subnet" "public" {
  for_each = local.public

  vpc_id                  = aws_vpc.this.id
  cidr_block              = each.value
  availability_zone       = local.zones[each.key]
  map_public_ip_on_launch = false

  tags = { Name = "${var.name}-public-${each.key}", Tier = "public" }

  lifecycle {
    ignore_changes = [availability_zone]
  }
}

resource "aws_subnet" "private" {
  for_each = local.private

  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = local.zones[each.key]

  tags = { Name = "${var.name}-private-${each.key}", Tier = "private" }

  lifecycle {
    ignore_changes = [availability_zone]
  }
}

resource "aws_subnet" "isolated" {
  for_each = local.isolated

  vpc_id            = aws_vpc.this.id
  cidr_block        = each.value
  availability_zone = local.zones[each.key]

  tags = { Name = "${var.name}-isolated-${each.key}", Tier = "isolated" }

  lifecycle {
    ignore_changes = [availability_zone]
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name}-public" }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  for_each = local.public

  subnet_id      = aws_subnet.public[each.key].id
  route_table_id = aws_route_table.public.id
}

resource "aws_eip" "nat" {
  for_each = toset(local.nat_keys)

  domain = "vpc"

  tags = { Name = "${var.name}-nat-${each.key}" }
}

resource "aws_nat_gateway" "this" {
  for_each = toset(local.nat_keys)

  allocation_id = aws_eip.nat[each.key].id
  subnet_id     = aws_subnet.public[each.key].id

  tags = { Name = "${var.name}-nat-${each.key}" }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "private" {
  for_each = local.private

  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name}-private-${each.key}" }
}

resource "aws_route" "private_nat" {
  for_each = var.nat_mode == "none" ? {} : local.private

  route_table_id         = aws_route_table.private[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[var.nat_mode == "per-az" ? each.key : "0"].id
}

resource "aws_route_table_association" "private" {
  for_each = local.private

  subnet_id      = aws_subnet.private[each.key].id
  route_table_id = aws_route_table.private[each.key].id
}

# Isolated subnets have no route out of the VPC.
resource "aws_route_table" "isolated" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name}-isolated" }
}

resource "aws_route_table_association" "isolated" {
  for_each = local.isolated

  subnet_id      = aws_subnet.isolated[each.key].id
  route_table_id = aws_route_table.isolated.id
}

resource "aws_vpc_endpoint" "gateway" {
  for_each = toset(var.gateway_endpoints)

  vpc_id            = aws_vpc.this.id
  service_name      = "${data.aws_partition.current.reverse_dns_prefix}.${local.region}.${each.value}"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = concat([for rt in aws_route_table.private : rt.id], [aws_route_table.isolated.id])

  tags = { Name = "${var.name}-${each.value}" }
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name}-endpoints"
  description = "Interface endpoints: HTTPS from inside the VPC only"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-endpoints" }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  security_group_id = aws_security_group.endpoints.id
  description       = "HTTPS from the VPC"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_endpoint" "interface" {
  for_each = toset(var.interface_endpoints)

  vpc_id              = aws_vpc.this.id
  service_name        = "${data.aws_partition.current.reverse_dns_prefix}.${local.region}.${each.value}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for s in aws_subnet.private : s.id]
  security_group_ids  = [aws_security_group.endpoints.id]

  tags = { Name = "${var.name}-${replace(each.value, ".", "-")}" }
}

# NET-05: flow logs of all traffic to a log group encrypted with the environment key.
resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment profile from the answers; production profiles keep logs longer
  name              = "/${var.name}/vpc-flow-logs"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "flow_logs_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name               = "${var.name}-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_trust.json
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = [aws_cloudwatch_log_group.flow_logs.arn, "${aws_cloudwatch_log_group.flow_logs.arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "deliver-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}

resource "aws_flow_log" "this" {
  vpc_id          = aws_vpc.this.id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn    = aws_iam_role.flow_logs.arn
}

# NET-07/NET-08: the application accepts no traffic from address ranges;
# operators reach it through Session Manager. Egress is HTTPS and DNS only.
resource "aws_security_group" "app" {
  #checkov:skip=CKV2_AWS_5:Attached by the app module of this project when the answers ask for an application
  name        = "${var.name}-app"
  description = "Application: no ingress from address ranges; HTTPS and DNS out"
  vpc_id      = aws_vpc.this.id
  ingress     = []

  tags = { Name = "${var.name}-app" }
}

resource "aws_vpc_security_group_egress_rule" "app_https" {
  security_group_id = aws_security_group.app.id
  description       = "HTTPS to AWS APIs and package mirrors"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "app_dns" {
  security_group_id = aws_security_group.app.id
  description       = "DNS to the VPC resolver"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "udp"
  from_port         = 53
  to_port           = 53
}

resource "aws_security_group" "lambda" {
  #checkov:skip=CKV2_AWS_5:Attached to the functions of the app module of this project
  count = var.lambda_security_group ? 1 : 0

  name        = "${var.name}-lambda"
  description = "Lambda functions: no ingress; HTTPS out"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-lambda" }
}

resource "aws_vpc_security_group_egress_rule" "lambda_https" {
  count = var.lambda_security_group ? 1 : 0

  security_group_id = aws_security_group.lambda[0].id
  description       = "HTTPS to AWS APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
