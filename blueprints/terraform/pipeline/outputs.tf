output "pipeline_name" {
  description = "Name of the pipeline."
  value       = aws_codepipeline.this.name
}

output "connection_arn" {
  description = "CodeConnections connection to confirm once in the console."
  value       = aws_codestarconnections_connection.source.arn
}

output "artifact_bucket" {
  description = "Bucket holding the pipeline's artifacts, plans included."
  value       = module.artifacts.id
}

output "notification_topic_arn" {
  description = "Topic of approvals and failures."
  value       = aws_sns_topic.pipeline.arn
}
