"""Integration tests of the deployed app stack ({{ app.kind }}): boto3 reads of the live resources.

They use the `stack_outputs` and `aws` fixtures of tests/integration/conftest.py,
which skip with a clear message when there are no AWS credentials or the stack
of the environment under test is not deployed. Read-only, except that the
Lambda health check is invoked once.
"""

import datetime
import json

import pytest

APP_KIND = "{{ app.kind }}"
APP_PORT = {{ app.port }}
DB_ENABLED = {% if database.enabled %}True{% else %}False{% endif %}


@pytest.fixture
def app(stack_outputs):
    return stack_outputs("app")


@pytest.fixture
def key_arn(stack_outputs):
    return stack_outputs("security")["KmsKeyArn"]


@pytest.fixture
def private_subnets(stack_outputs):
    return set(stack_outputs("network")["PrivateSubnetIds"].split(","))


def test_app_stack_is_the_answered_kind(app):
    assert app["AppKind"] == APP_KIND
    assert int(app["AppPort"]) == APP_PORT


def test_sec_07_app_log_group_encrypted_with_retention(app, aws, key_arn):
    name = app["AppLogGroupName"]
    groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    [group] = [g for g in groups if g["logGroupName"] == name]
    assert group.get("kmsKeyId") == key_arn
    assert group.get("retentionInDays"), "log group keeps logs forever"


def test_mon_02_app_alarms_notify_the_alert_topic(app, aws, stack_outputs):
    topic = stack_outputs("security")["AlertTopicArn"]
    alarms = aws.client("cloudwatch").describe_alarms(AlarmNamePrefix=app["AlarmNamePrefix"])["MetricAlarms"]
    assert alarms, f"no alarms named {app['AlarmNamePrefix']}*"
    for alarm in alarms:
        assert topic in alarm["AlarmActions"], alarm["AlarmName"]
        assert alarm["ActionsEnabled"], alarm["AlarmName"]
{%- if app.kind == "ec2" %}


def minutes_since(when):
    return (datetime.datetime.now(datetime.timezone.utc) - when).total_seconds() / 60


@pytest.fixture
def group(app, aws):
    [asg] = aws.client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[app["AutoScalingGroupName"]])["AutoScalingGroups"]
    return asg


@pytest.fixture
def instances(group, aws):
    ids = [i["InstanceId"] for i in group["Instances"] if i["LifecycleState"] == "InService"]
    if not ids:
        pytest.skip("the Auto Scaling group has no instance in service yet")
    reservations = aws.client("ec2").describe_instances(InstanceIds=ids)["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def test_app_01_group_spans_only_private_subnets(group, private_subnets):
    assert set(group["VPCZoneIdentifier"].split(",")) <= private_subnets
    assert group["MinSize"] >= 1


def test_app_01_launch_template_imdsv2_and_encrypted_volumes(app, aws, key_arn):
    [version] = aws.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=app["LaunchTemplateId"], Versions=["$Latest"])["LaunchTemplateVersions"]
    data = version["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    assert "KeyName" not in data
    for mapping in data["BlockDeviceMappings"]:
        assert mapping["Ebs"]["Encrypted"] is True
        assert mapping["Ebs"]["KmsKeyId"] == key_arn


def test_app_01_instances_private_imdsv2_encrypted(instances, private_subnets, aws, key_arn):
    ec2 = aws.client("ec2")
    for inst in instances:
        assert inst["SubnetId"] in private_subnets
        assert "PublicIpAddress" not in inst
        assert "KeyName" not in inst
        assert inst["MetadataOptions"]["HttpTokens"] == "required"
        volume_ids = [m["Ebs"]["VolumeId"] for m in inst["BlockDeviceMappings"]]
        for vol in ec2.describe_volumes(VolumeIds=volume_ids)["Volumes"]:
            assert vol["Encrypted"] and vol["KmsKeyId"] == key_arn


def test_app_01_instances_are_managed_by_ssm(instances, aws):
    settled = [i["InstanceId"] for i in instances if minutes_since(i["LaunchTime"]) > 10]
    if not settled:
        pytest.skip("instances launched less than 10 minutes ago")
    info = aws.client("ssm").describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": settled}])["InstanceInformationList"]
    online = {i["InstanceId"] for i in info if i["PingStatus"] == "Online"}
    assert online == set(settled), f"not reachable through Session Manager: {set(settled) - online}"


def test_app_02_cloudwatch_agent_ships_the_app_log(app, instances, aws):
    if not any(minutes_since(i["LaunchTime"]) > 10 for i in instances):
        pytest.skip("instances launched less than 10 minutes ago")
    streams = aws.client("logs").describe_log_streams(logGroupName=app["AppLogGroupName"])["logStreams"]
    assert any(s["logStreamName"].endswith("/app") for s in streams), "no instance has shipped its app log"
{%- elif app.kind == "ecs" %}


@pytest.fixture
def service(app, aws):
    [svc] = aws.client("ecs").describe_services(cluster=app["ClusterName"], services=[app["ServiceName"]])["services"]
    return svc


def test_app_04_container_insights_enabled(app, aws):
    [cluster] = aws.client("ecs").describe_clusters(clusters=[app["ClusterName"]], include=["SETTINGS"])["clusters"]
    settings = {s["name"]: s["value"] for s in cluster["settings"]}
    assert settings.get("containerInsights") in ("enabled", "enhanced")


def test_app_04_tasks_private_without_public_ip(service, private_subnets):
    vpc = service["networkConfiguration"]["awsvpcConfiguration"]
    assert vpc["assignPublicIp"] == "DISABLED"
    assert set(vpc["subnets"]) <= private_subnets


def test_app_04_task_egress_limited_to_443_and_dns(app, aws):
    [sg] = aws.client("ec2").describe_security_groups(GroupIds=[app["TaskSecurityGroupId"]])["SecurityGroups"]
    ports = {(p["IpProtocol"], p.get("FromPort"), p.get("ToPort")) for p in sg["IpPermissionsEgress"]}
    assert ports <= {("tcp", 443, 443), ("tcp", 53, 53), ("udp", 53, 53)}, ports
    for perm in sg["IpPermissions"]:
        assert (perm.get("FromPort"), perm.get("ToPort")) == (APP_PORT, APP_PORT)
        assert not perm["IpRanges"] and not perm["Ipv6Ranges"], "tasks accept traffic only from the app security group"


def test_app_04_task_definition_hardened(service, aws):
    task = aws.client("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert task["executionRoleArn"] != task["taskRoleArn"]
    for container in task["containerDefinitions"]:
        assert container["readonlyRootFilesystem"] is True
        assert container.get("user") and container["user"].split(":")[0] not in ("0", "root")


def test_app_04_service_reaches_its_desired_count(service):
    primary = [d for d in service["deployments"] if d["status"] == "PRIMARY"]
    if not primary or primary[0].get("rolloutState") != "COMPLETED":
        pytest.skip("the service is still rolling out")
    assert service["runningCount"] == service["desiredCount"] >= 1
{%- elif app.kind == "lambda" %}


@pytest.fixture
def function(app, aws):
    return aws.client("lambda").get_function(FunctionName=app["FunctionName"])


def test_app_03_function_in_private_subnets_with_its_own_security_group(function, private_subnets, stack_outputs):
    vpc = function["Configuration"]["VpcConfig"]
    assert set(vpc["SubnetIds"]) <= private_subnets and vpc["SubnetIds"]
    assert vpc["SecurityGroupIds"] == [stack_outputs("network")["LambdaSecurityGroupId"]]


def test_app_03_concurrency_tracing_dlq_and_key(function, app, key_arn, aws):
    config = function["Configuration"]
    assert function.get("Concurrency", {}).get("ReservedConcurrentExecutions", 0) >= 1
    assert config["TracingConfig"]["Mode"] == "Active"
    assert config["DeadLetterConfig"]["TargetArn"] == app["DeadLetterQueueArn"]
    assert config["KMSKeyArn"] == key_arn
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=app["DeadLetterQueueName"])["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["KmsMasterKeyId"])["Attributes"]
    assert attrs.get("KmsMasterKeyId") == key_arn


def test_app_03_health_check_answers_through_the_vpc(app, aws):
    response = aws.client("lambda").invoke(FunctionName=app["FunctionName"], Payload=b"{}")
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    result = json.loads(response["Payload"].read())
    body = json.loads(result["body"])
    assert result["statusCode"] == 200, body
    if DB_ENABLED:
        assert body["database"]["reachable"] is True, "the function cannot reach the database port"
{%- endif %}
