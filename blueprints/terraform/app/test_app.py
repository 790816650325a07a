"""Application controls ({{ app.kind }}) over modules/app, parsed offline."""
{%- if app.kind == "lambda" %}

import hashlib
import importlib.util
import zipfile
{%- endif %}

from hcl_helpers import MODULES, blocks, env_dirs, named, resource, resources, tfvars, value

APP = MODULES / "app"
NET = MODULES / "network"


def block(attrs: dict, name: str) -> dict:
    """The first nested block `name` of a resource."""
    found = attrs.get(name)
    assert found, f"no {name} block"
    return found[0] if isinstance(found, list) else found


def policy_statements(name: str) -> list[dict]:
    """The statements of the module's aws_iam_policy_document `name`."""
    for _, entry in blocks(APP, "data"):
        document = entry.get("aws_iam_policy_document", {}).get(name)
        if document is not None:
            return document["statement"]
    raise AssertionError(f"modules/app has no policy document {name}")


def app_alarm(key: str) -> dict:
    """The arguments of the alarm `key`: the one for_each alarm resource with
    each.value.<field> read from its entry in local.alarms."""
    alarm = resource(APP, "aws_cloudwatch_metric_alarm", "app")
    assert value(alarm, "for_each") == "${local.alarms}"
    alarms = {}
    for _, entry in blocks(APP, "locals"):
        alarms.update(value(entry, "alarms", {}))
    assert key in alarms, f"local.alarms has no {key} (it has {sorted(alarms)})"
    out = {}
    for name in alarm:
        arg = value(alarm, name)
        if isinstance(arg, str) and arg.startswith("${each.value.") and arg.endswith("}"):
            arg = alarms[key][arg[len("${each.value."):-1]]
        out[name] = [arg]
    return out


def test_app_module_in_every_environment():
    for env in env_dirs():
        call = named(env, "module").get("app")
        assert call is not None, f"{env.name}: no app module"
        assert value(call, "source") == "../../modules/app"
        assert value(call, "private_subnet_ids") == "${module.network.private_subnet_ids}"
        assert value(call, "kms_key_arn") == "${module.security.kms_key_arn}"
        assert value(call, "alarm_topic_arn") == "${module.monitoring.alert_topic_arn}"
        assert "app" in tfvars(env), f"{env.name}: terraform.tfvars sets no app sizes"


def test_app_log_group_encrypted_with_retention():
    group = resource(APP, "aws_cloudwatch_log_group", "app")
    assert value(group, "kms_key_id") == "${var.kms_key_arn}"
    assert value(group, "retention_in_days") == "${var.log_retention_days}"
{%- if app.kind == "ec2" %}


def test_app_01_launch_template_imdsv2_encrypted_private():
    template = resource(APP, "aws_launch_template", "app")
    metadata = block(template, "metadata_options")
    assert value(metadata, "http_tokens") == "required"
    assert value(metadata, "http_put_response_hop_limit") == 1
    ebs = block(block(template, "block_device_mappings"), "ebs")
    assert value(ebs, "encrypted") is True
    assert value(ebs, "kms_key_id") == "${var.kms_key_arn}"
    nic = block(template, "network_interfaces")
    assert value(nic, "associate_public_ip_address") is False
    assert value(nic, "security_groups") == ["${var.app_security_group_id}"]
    assert "key_name" not in template, "no SSH key pair: instances are reached through Session Manager"
    assert value(template, "image_id") == "${data.aws_ssm_parameter.ami.insecure_value}"


def test_app_01_fleet_in_private_subnets():
    group = resource(APP, "aws_autoscaling_group", "app")
    assert value(group, "vpc_zone_identifier") == "${var.private_subnet_ids}"


def test_app_01_instance_role_session_manager_and_agent_only():
    attachment = resource(APP, "aws_iam_role_policy_attachment", "instance")
    policies = value(attachment, "for_each").replace("'", '"')
    assert policies == '${toset(["AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy"])}', policies
    assert not [k for k in resources(APP) if k[0] in ("aws_iam_role_policy", "aws_iam_policy")], "the instance role needs no inline policy"


def test_app_01_key_policy_lets_auto_scaling_encrypt_volumes():
    for env in env_dirs():
        security = named(env, "module")["security"]
        assert value(security, "autoscaling_uses_key") is True, f"{env.name}: the Auto Scaling role cannot use the key"
    text = (MODULES / "security" / "main.tf").read_text()
    assert "AWSServiceRoleForAutoScaling" in text


def test_app_02_user_data_fails_fast_and_hardens():
    lines = (APP / "user_data.sh.tftpl").read_text().splitlines()
    assert lines[0] == "#!/bin/bash"
    code = [line for line in lines if line and not line.startswith("#")]
    assert code[0] == "set -euo pipefail", "the script must fail fast before anything else runs"
    text = "\n".join(lines)
    for needle in ("dnf -y upgrade --security", "umask 027", "chmod -R o-rwx", "/etc/logrotate.d/app", "amazon-cloudwatch-agent-ctl"):
        assert needle in text, needle
    assert text.index("dnf -y upgrade --security") < text.index("install -d"), "security updates come first"


def test_mon_04_launch_errors_and_in_service_alarm():
    notification = resource(APP, "aws_autoscaling_notification", "app")
    assert set(value(notification, "notifications")) == {"autoscaling:EC2_INSTANCE_LAUNCH_ERROR", "autoscaling:EC2_INSTANCE_TERMINATE_ERROR"}
    assert value(notification, "topic_arn") == "${var.alarm_topic_arn}"
    alarm = app_alarm("in_service")
    assert value(alarm, "metric_name") == "GroupInServiceInstances"
    assert value(alarm, "threshold") == "${var.min_size}"
    assert value(alarm, "comparison_operator") == "LessThanThreshold"
    assert value(alarm, "alarm_actions") == ["${var.alarm_topic_arn}"]
{%- elif app.kind == "ecs" %}


def test_app_04_container_insights_on():
    setting = block(resource(APP, "aws_ecs_cluster", "app"), "setting")
    assert value(setting, "name") == "containerInsights" and value(setting, "value") == "enabled"


def test_app_04_tasks_private_without_public_ip_or_exec():
    service = resource(APP, "aws_ecs_service", "app")
    network = block(service, "network_configuration")
    assert value(network, "assign_public_ip") is False
    assert value(network, "subnets") == "${var.private_subnet_ids}"
    assert value(service, "enable_execute_command") is False


def test_app_04_container_hardened():
    text = (APP / "main.tf").read_text()
    for needle in ("readonlyRootFilesystem = true", "privileged             = false", 'drop = ["ALL"]', "user                   = var.container_user"):
        assert needle in text, needle
    assert value(named(APP, "variable")["container_user"], "default") != "0"


def test_app_04_roles_least_privilege():
    (statement,) = policy_statements("execution")
    assert set(value(statement, "actions")) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert all(r.startswith("${aws_cloudwatch_log_group.app.arn}") for r in value(statement, "resources"))
    policies = [attrs for (rtype, _), attrs in resources(APP).items() if rtype in ("aws_iam_role_policy", "aws_iam_role_policy_attachment")]
    assert [value(p, "role") for p in policies] == ["${aws_iam_role.execution.id}"], "the task role has no permissions"


def test_app_04_egress_https_and_dns_only():
    rules = {name: attrs for (rtype, name), attrs in resources(APP).items() if rtype == "aws_vpc_security_group_egress_rule"}
    assert set(rules) == {"tasks_https", "tasks_dns"}
    assert value(rules["tasks_https"], "from_port") == 443 and value(rules["tasks_https"], "to_port") == 443
    assert value(rules["tasks_dns"], "from_port") == 53 and value(rules["tasks_dns"], "cidr_ipv4") == "${var.vpc_cidr}"


def test_mon_04_running_tasks_alarm():
    alarm = app_alarm("running_tasks")
    assert value(alarm, "namespace") == "ECS/ContainerInsights"
    assert value(alarm, "metric_name") == "RunningTaskCount"
    assert value(alarm, "threshold") == "${var.desired_count}"
    assert value(alarm, "comparison_operator") == "LessThanThreshold"
    assert value(alarm, "alarm_actions") == ["${var.alarm_topic_arn}"]
{%- else %}


def test_app_03_function_private_with_own_group():
    function = resource(APP, "aws_lambda_function", "app")
    vpc = block(function, "vpc_config")
    assert value(vpc, "subnet_ids") == "${var.private_subnet_ids}"
    assert value(vpc, "security_group_ids") == ["${var.lambda_security_group_id}"]
    for env in env_dirs():
        assert value(named(env, "module")["network"], "lambda_security_group") is True, f"{env.name}: no function security group"


def test_app_03_concurrency_dead_letters_tracing_key():
    function = resource(APP, "aws_lambda_function", "app")
    assert value(function, "reserved_concurrent_executions") == "${var.reserved_concurrency}"
    assert value(block(function, "dead_letter_config"), "target_arn") == "${aws_sqs_queue.dead_letter.arn}"
    assert value(block(function, "tracing_config"), "mode") == "Active"
    assert value(function, "kms_key_arn") == "${var.kms_key_arn}"
    assert value(resource(APP, "aws_sqs_queue", "dead_letter"), "kms_master_key_id") == "${var.kms_key_arn}"


def test_app_03_role_least_privilege():
    statements = {value(st, "sid"): st for st in policy_statements("function")}
    assert {sid: set(value(st, "actions")) for sid, st in statements.items()} == {
        "WriteOwnLogGroup": {"logs:CreateLogStream", "logs:PutLogEvents"},
        "WriteTraces": {"xray:PutTraceSegments", "xray:PutTelemetryRecords"},
        "SendToDeadLetterQueue": {"sqs:SendMessage"},
        "UseEnvironmentKey": {"kms:Decrypt", "kms:GenerateDataKey"},
    }
    for sid, st in statements.items():
        # X-Ray trace upload has no resource-level permissions.
        assert ("*" in value(st, "resources")) == (sid == "WriteTraces"), f"{sid}: resources {value(st, 'resources')}"
    assert value(statements["UseEnvironmentKey"], "resources") == ["${var.kms_key_arn}"]


def test_app_03_errors_throttles_and_dead_letters_alarmed():
    assert value(app_alarm("errors"), "metric_name") == "Errors"
    assert value(app_alarm("throttles"), "metric_name") == "Throttles"
    dead_letters = app_alarm("dead_letters")
    assert value(dead_letters, "dimensions") == {"QueueName": "${aws_sqs_queue.dead_letter.name}"}
    assert value(dead_letters, "threshold") == 0
    for key in ("errors", "throttles", "dead_letters"):
        assert value(app_alarm(key), "alarm_actions") == ["${var.alarm_topic_arn}"], key


def test_app_03_package_is_byte_stable(tmp_path):
    spec = importlib.util.spec_from_file_location("package", APP / "package.py")
    package = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(package)
    first, again = tmp_path / "first" / "app.zip", tmp_path / "again" / "app.zip"
    package.main(first)
    package.main(again)
    assert hashlib.sha256(first.read_bytes()).hexdigest() == hashlib.sha256(again.read_bytes()).hexdigest()
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == ["index.py"]
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
{%- endif %}
{%- if app.kind != "lambda" %}


def test_app_05_no_address_range_reaches_the_app():
    assert value(resource(NET, "aws_security_group", "app"), "ingress") == []
    # Every ingress rule of the app module, and every one of the network
    # module that lands on the app security group, names a security group.
    rules = [(name, attrs) for (rtype, name), attrs in resources(APP).items() if rtype == "aws_vpc_security_group_ingress_rule"]
    rules += [
        (name, attrs)
        for (rtype, name), attrs in resources(NET).items()
        if rtype == "aws_vpc_security_group_ingress_rule" and "aws_security_group.app." in value(attrs, "security_group_id")
    ]
    for name, attrs in rules:
        assert "cidr_ipv4" not in attrs and "cidr_ipv6" not in attrs, f"{name} admits an address range"
        assert "referenced_security_group_id" in attrs, f"{name} names no source security group"
{%- endif %}
