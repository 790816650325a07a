"""Monitoring controls over modules/monitoring, parsed offline."""

from hcl_helpers import MODULES, load, resource, value

MON = MODULES / "monitoring"


def test_mon_01_topic_encrypted_with_email_subscription():
    assert value(resource(MON, "aws_sns_topic", "alerts"), "kms_master_key_id") == "${var.kms_key_arn}"
    assert value(resource(MON, "aws_sns_topic_subscription", "email"), "protocol") == "email"


def test_mon_02_alarms_publish_to_the_topic():
    docs = {}
    for entry in load(MON / "main.tf").get("data", []):
        docs.update(entry.get("aws_iam_policy_document", {}))
    statement = docs["alerts"]["statement"][0]
    services = value(statement["principals"][0], "identifiers")
    assert "cloudwatch.amazonaws.com" in services and "events.amazonaws.com" in services
    assert value(statement["condition"][0], "variable") == "aws:SourceAccount"


def test_mon_03_dashboard_queries_the_flow_logs():
    body = value(resource(MON, "aws_cloudwatch_dashboard", "this"), "dashboard_body")
    assert "flow_log_group_name" in body and "REJECT" in body
