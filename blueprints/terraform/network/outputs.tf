output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 range of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnet IDs in zone order."
  value       = [for k in sort(keys(aws_subnet.public)) : aws_subnet.public[k].id]
}

output "private_subnet_ids" {
  description = "Private subnet IDs in zone order."
  value       = [for k in sort(keys(aws_subnet.private)) : aws_subnet.private[k].id]
}

output "isolated_subnet_ids" {
  description = "Isolated (database) subnet IDs in zone order."
  value       = [for k in sort(keys(aws_subnet.isolated)) : aws_subnet.isolated[k].id]
}

output "app_security_group_id" {
  description = "Security group of the application."
  value       = aws_security_group.app.id
}

output "client_security_group_ids" {
  description = "Security groups allowed to reach the database: the application's and, when there are Lambda functions, theirs. Its length is known at plan time, so it can key a for_each."
  value       = concat([aws_security_group.app.id], aws_security_group.lambda[*].id)
}

output "lambda_security_group_id" {
  description = "Security group of the Lambda functions, or null when there are none."
  value       = one(aws_security_group.lambda[*].id)
}

output "nat_gateway_count" {
  description = "Number of NAT gateways."
  value       = length(aws_nat_gateway.this)
}

output "flow_log_group_name" {
  description = "Log group receiving the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
