output "id" {
  description = "Name of the bucket."
  value       = aws_s3_bucket.this.id
}

output "arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "log_target_name" {
  description = "Name of the bucket once its policy is in place: what buckets logging here take, since S3 refuses PutBucketLogging (InvalidTargetBucketForLogging) until the policy grants logging.s3.amazonaws.com."
  value       = aws_s3_bucket_policy.this.bucket
}
