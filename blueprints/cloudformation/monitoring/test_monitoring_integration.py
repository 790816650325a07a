{% raw -%}
"""Integration tests of the deployed monitoring stack (MON-02, MON-03).

They read the outputs of <project>-<env>-monitoring (and of the security and
network stacks it imports from) through the `stack_outputs` fixture and check
the live alarms, metric filters and dashboard with boto3 (`aws` fixture).
Without AWS credentials or without a deployed stack every test is skipped with
a message saying why (see tests/integration/conftest.py).
"""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = yaml.safe_load((ROOT / ".stackwright" / "answers.yaml").read_text())
CIS_METRICS = {
    "RootAccountUsage", "UnauthorizedApiCalls", "ConsoleSignInWithoutMfa", "IamPolicyChanges",
    "SecurityGroupChanges", "NetworkAclChanges",
}


def alarm_names(out):
    return sorted(v for k, v in out.items() if k.endswith("AlarmName"))


def describe_alarms(aws, names):
    cloudwatch = aws.client("cloudwatch")
    found = {}
    for start in range(0, len(names), 100):
        page = cloudwatch.describe_alarms(AlarmNames=names[start:start + 100], AlarmTypes=["MetricAlarm"])
        found.update({a["AlarmName"]: a for a in page["MetricAlarms"]})
    return found


def test_mon_02_live_alarms_notify_the_alert_topic(stack_outputs, aws):
    out = stack_outputs("monitoring")
    topic = stack_outputs("security")["AlertTopicArn"]
    names = alarm_names(out)
    assert names, "the monitoring stack outputs no alarm names"
    found = describe_alarms(aws, names)
    assert sorted(found) == names, f"missing alarms: {sorted(set(names) - set(found))}"
    for name, alarm in found.items():
        assert alarm["ActionsEnabled"] is True, name
        assert alarm["AlarmActions"] == [topic], f"{name} notifies {alarm['AlarmActions']}"
        assert alarm["OKActions"] == [topic], f"{name} reports recovery to {alarm['OKActions']}"


def test_mon_02_live_alert_topic_is_encrypted_with_a_customer_key(stack_outputs, aws):
    # Alarms cannot publish to a topic encrypted with the aws/sns key.
    topic = stack_outputs("security")["AlertTopicArn"]
    key = aws.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"].get("KmsMasterKeyId", "")
    assert key and key != "alias/aws/sns", f"{topic} uses {key or 'no key'}"


def test_mon_02_live_nat_gateways_each_have_alarms(stack_outputs, aws):
    network = stack_outputs("network")
    out = stack_outputs("monitoring")
    nat_ids = {k: v for k, v in network.items() if re.fullmatch(r"NatGateway\d+Id", k)}
    if not nat_ids:
        assert network.get("NatMode") == "none", "network has NAT gateways but exports none"
    for key, nat_id in nat_ids.items():
        n = key[len("NatGateway"):-len("Id")]
        names = [out[f"NatGateway{n}PortAllocationAlarmName"], out[f"NatGateway{n}PacketsDroppedAlarmName"]]
        found = describe_alarms(aws, names)
        port = found[names[0]]
        assert port["MetricName"] == "ErrorPortAllocation"
        assert port["Dimensions"] == [{"Name": "NatGatewayId", "Value": nat_id}]
        dropped = found[names[1]]
        dims = {d["Value"] for m in dropped["Metrics"] if "MetricStat" in m for d in m["MetricStat"]["Metric"]["Dimensions"]}
        assert dims == {nat_id}, f"{names[1]} watches {dims}"


def test_mon_02_live_cis_metric_filters_on_the_trail_log_group(stack_outputs, aws):
    out = stack_outputs("monitoring")
    security = stack_outputs("security")
    if "TrailLogGroupName" not in security:
        pytest.skip({% endraw %}{% if security.existing_trail %}"security.account_trail is existing: no CIS filters in this project"{% else %}"the account trail and its CIS filters belong to another environment (TrailOwner, DEP-07)"{% endif %}{% raw %})
    log_group = security["TrailLogGroupName"]
    logs = aws.client("logs")
    filters = []
    for page in logs.get_paginator("describe_metric_filters").paginate(logGroupName=log_group):
        filters.extend(page["metricFilters"])
    metrics = {
        t["metricName"] for f in filters for t in f["metricTransformations"]
        if t["metricNamespace"] == out["SecurityMetricNamespace"]
    }
    assert CIS_METRICS <= metrics, f"missing CIS metric filters: {sorted(CIS_METRICS - metrics)}"


def dashboard_widgets(stack_outputs, aws):
    name = stack_outputs("monitoring")["DashboardName"]
    body = aws.client("cloudwatch").get_dashboard(DashboardName=name)["DashboardBody"]
    return json.loads(body)["widgets"]


def test_mon_03_live_dashboard_has_network_security_and_log_widgets(stack_outputs, aws):
    widgets = dashboard_widgets(stack_outputs, aws)
    types = {w["type"] for w in widgets}
    assert {"metric", "log", "text"} <= types, types
    # CIS alarms only where the environment owns its account's trail (DEP-07).
    assert ("alarm" in types) == ("TrailLogGroupName" in stack_outputs("security")), types
    network = stack_outputs("network")
    nat_ids = {v for k, v in network.items() if re.fullmatch(r"NatGateway\d+Id", k)}
    shown = {
        line[3] for w in widgets if w["type"] == "metric"
        for line in w["properties"]["metrics"] if line[0] == "AWS/NATGateway"
    }
    assert shown == nat_ids, f"dashboard shows NAT gateways {shown}, network has {nat_ids}"
    queries = [w["properties"]["query"] for w in widgets if w["type"] == "log"]
    assert any(f"SOURCE '{network['FlowLogGroupName']}'" in q for q in queries), queries


def test_mon_03_live_dashboard_database_and_pipeline_widgets_follow_the_answers(stack_outputs, aws):
    widgets = dashboard_widgets(stack_outputs, aws)
    namespaces = {
        line[0] for w in widgets if w["type"] == "metric" for line in w["properties"]["metrics"]
        if isinstance(line[0], str)
    }
    assert ("AWS/RDS" in namespaces) == (ANSWERS["database"]["engine"] != "none"), namespaces
    assert ("AWS/CodeBuild" in namespaces) == bool(ANSWERS["pipeline"]["stages"]), namespaces
    if ANSWERS["database"]["engine"] != "none":
        db = stack_outputs("database")["DbIdentifier"]
        ids = {line[3] for w in widgets if w["type"] == "metric" for line in w["properties"]["metrics"] if line[0] == "AWS/RDS"}
        assert ids == {db}, f"database widgets show {ids}, the database stack has {db}"


def test_mon_03_live_dashboard_queries_read_existing_log_groups(stack_outputs, aws):
    logs = aws.client("logs")
    for widget in dashboard_widgets(stack_outputs, aws):
        if widget["type"] != "log":
            continue
        source = re.match(r"SOURCE '([^']+)'", widget["properties"]["query"])
        assert source, widget["properties"]["query"]
        name = source.group(1)
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        assert name in {g["logGroupName"] for g in groups}, f"{widget['properties']['title']}: no log group {name}"
{%- endraw %}
