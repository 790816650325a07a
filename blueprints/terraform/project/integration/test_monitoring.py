{% raw -%}
"""Integration tests of the deployed monitoring (MON-01, MON-03): the alert topic encrypted with
the environment key, and the dashboard."""


def test_mon_01_live_alert_topic_is_encrypted(outputs, aws):
    attributes = aws.client("sns").get_topic_attributes(TopicArn=outputs["alert_topic_arn"])["Attributes"]
    assert attributes.get("KmsMasterKeyId") == outputs["kms_key_arn"], "the alert topic is not encrypted with the environment key"


def test_mon_03_live_dashboard_exists(outputs, aws):
    found = aws.client("cloudwatch").list_dashboards(DashboardNamePrefix=outputs["dashboard_name"])["DashboardEntries"]
    assert outputs["dashboard_name"] in [d["DashboardName"] for d in found]
{%- endraw %}
