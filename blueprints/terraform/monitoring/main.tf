# The environment's alert topic (MON-01), encrypted with the environment key,
# with the answers' email subscription and a policy letting CloudWatch alarms
# and EventBridge rules of this account publish; and a dashboard (MON-03).

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

resource "aws_sns_topic" "alerts" {
  name              = "${var.name}-alerts"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "email" {
  count = var.notification_email == "" ? 0 : 1

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.notification_email
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "AlarmsAndRulesOfThisAccount"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = concat(
      [
        {
          type   = "log"
          x      = 0
          y      = 0
          width  = 24
          height = 6
          properties = {
            title  = "Rejected flows (VPC flow logs)"
            region = data.aws_region.current.id
            query  = "SOURCE '${var.flow_log_group_name}' | filter action = 'REJECT' | stats count(*) as rejected by srcAddr | sort rejected desc | limit 20"
          }
        },
        {
          type   = "metric"
          x      = 0
          y      = 6
          width  = 12
          height = 6
          properties = {
            title  = "NAT gateway traffic"
            region = data.aws_region.current.id
            stat   = "Sum"
            period = 300
            metrics = [
              ["AWS/NATGateway", "BytesOutToDestination"],
            ]
          }
        },
      ],
      length(var.database_alarm_names) == 0 ? [] : [
        {
          type   = "alarm"
          x      = 12
          y      = 6
          width  = 12
          height = 6
          properties = {
            title  = "Database alarms"
            alarms = [for n in var.database_alarm_names : "arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:alarm:${n}"]
          }
        },
      ],
    )
  })
}
