# Plans the monitoring module with a mocked AWS provider.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "111122223333"
    }
  }
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  name                 = {{ (project.name ~ "-" ~ environments[0].name) | hcl_str }}
  kms_key_arn          = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
  notification_email   = "alerts@example.com"
  flow_log_group_name  = "/example/vpc-flow-logs"
  database_alarm_names = ["example-db-cpu"]
}

run "test_mon_01_encrypted_topic_with_email" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  assert {
    condition     = aws_sns_topic.alerts.kms_master_key_id == var.kms_key_arn
    error_message = "The alert topic must be encrypted with the environment key."
  }

  assert {
    condition     = aws_sns_topic_subscription.email[0].protocol == "email" && aws_sns_topic_subscription.email[0].endpoint == var.notification_email
    error_message = "The answers' address must be subscribed."
  }
}

run "test_mon_02_alarms_and_rules_may_publish" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  assert {
    condition     = toset(flatten([for p in data.aws_iam_policy_document.alerts.statement[0].principals : p.identifiers])) == toset(["cloudwatch.amazonaws.com", "events.amazonaws.com"])
    error_message = "CloudWatch alarms and EventBridge rules must be allowed to publish to the alert topic."
  }

  assert {
    condition     = data.aws_iam_policy_document.alerts.statement[0].actions == toset(["sns:Publish"])
    error_message = "The topic policy may grant publishing only."
  }
}

run "test_mon_03_dashboard_with_logs_insights" {
  command = plan

  module {
    source = "./modules/monitoring"
  }

  assert {
    condition     = length([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w if w.type == "log"]) == 1
    error_message = "The dashboard must have a Logs Insights widget."
  }

  assert {
    condition     = length([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w if w.type == "alarm"]) == 1
    error_message = "The dashboard must show the database alarms."
  }
}
