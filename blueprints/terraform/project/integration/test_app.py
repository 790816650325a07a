"""Integration tests of the deployed application ({{ app.kind }}): where it runs, how it is
hardened, and that its alarms act on the alert topic and its logs are encrypted."""
{% raw %}

def test_mon_02_live_app_alarms_act_on_the_alert_topic(outputs, aws):
    names = outputs["app_alarm_names"]
    assert names
    alarms = aws.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(names)
    for alarm in alarms:
        assert outputs["alert_topic_arn"] in alarm["AlarmActions"], alarm["AlarmName"]


def test_sec_07_live_app_log_group_encrypted_with_retention(outputs, tfvars, aws):
    name = outputs["app_log_group_name"]
    groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    group = next((g for g in groups if g["logGroupName"] == name), None)
    assert group, f"log group {name} does not exist"
    assert group.get("kmsKeyId") == outputs["kms_key_arn"]
    assert group.get("retentionInDays") == tfvars["log_retention_days"]
{% endraw %}
{%- if app.kind == "ec2" %}{% raw %}

def test_app_01_live_instances_in_private_subnets_with_imdsv2(outputs, aws):
    group = aws.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[outputs["app_autoscaling_group_name"]])["AutoScalingGroups"][0]
    assert set(group["VPCZoneIdentifier"].split(",")) == set(outputs["private_subnet_ids"])
    template = group["LaunchTemplate"]
    version = aws.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=template["LaunchTemplateId"], Versions=[template["Version"]])["LaunchTemplateVersions"][0]
    metadata = version["LaunchTemplateData"]["MetadataOptions"]
    assert metadata["HttpTokens"] == "required", "IMDSv1 is allowed"
    assert metadata["HttpPutResponseHopLimit"] == 1
    for device in version["LaunchTemplateData"].get("BlockDeviceMappings", []):
        assert device["Ebs"]["Encrypted"] is True, device["DeviceName"]
{% endraw %}{%- elif app.kind == "ecs" %}{% raw %}

def test_app_04_live_service_in_private_subnets_with_container_insights(outputs, aws):
    ecs = aws.client("ecs")
    cluster = ecs.describe_clusters(clusters=[outputs["app_cluster_name"]], include=["SETTINGS"])["clusters"][0]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]
    service = ecs.describe_services(cluster=outputs["app_cluster_name"], services=[outputs["app_service_name"]])["services"][0]
    network = service["networkConfiguration"]["awsvpcConfiguration"]
    assert set(network["subnets"]) == set(outputs["private_subnet_ids"])
    assert network["assignPublicIp"] == "DISABLED"
{% endraw %}{%- elif app.kind == "lambda" %}{% raw %}

def test_app_03_live_function_in_private_subnets_traced_with_dead_letters(outputs, aws):
    function = aws.client("lambda").get_function_configuration(FunctionName=outputs["app_function_name"])
    assert set(function["VpcConfig"]["SubnetIds"]) == set(outputs["private_subnet_ids"])
    assert function["TracingConfig"]["Mode"] == "Active"
    assert function.get("DeadLetterConfig", {}).get("TargetArn"), "no dead-letter queue"
    assert function.get("KMSKeyArn") == outputs["kms_key_arn"]
{% endraw %}{%- endif %}
