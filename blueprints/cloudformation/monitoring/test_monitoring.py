{% raw -%}
"""Unit tests for templates/monitoring.yaml: alarms with actions on the alert
topic and sane per-environment thresholds (MON-02), and the per-environment
dashboard (MON-03). Offline: they read the rendered templates, the stored
answers and params/<env>.json.

The dashboard body is a JSON document inside a Fn::Sub; these tests resolve
it for every environment (conditions from that environment's parameters,
imports and pseudo parameters replaced by recognisable markers) and parse it,
because cfn-lint checks it only lightly and CloudFormation only at deploy time.
"""

import json
import re
from pathlib import Path

from helpers import answers, as_list, env_names, params, resources, stack_params, template, walk

STACK = "monitoring"
TPL = template(STACK)
ANSWERS = answers()
PROJECT = ANSWERS["project"]["name"]
REGION = ANSWERS["region"]
AZS = ANSWERS["network"]["availability_zones"]
ALARM = "AWS::CloudWatch::Alarm"
FILTER = "AWS::Logs::MetricFilter"
PSEUDO_REGION = "<pseudo AWS::Region>"
ROOT = Path(__file__).resolve().parents[2]

# The CIS AWS Foundations Benchmark monitoring controls this stack must carry:
# metric name -> event names (or fragments) its CloudTrail filter must match.
CIS_FILTERS = {
    "UnauthorizedApiCalls": ['"*UnauthorizedOperation"', '"AccessDenied*"'],
    "RootAccountUsage": ['$.userIdentity.type = "Root"', "$.userIdentity.invokedBy NOT EXISTS"],
    "ConsoleSignInWithoutMfa": ["ConsoleLogin", '$.additionalEventData.MFAUsed != "Yes"'],
    "IamPolicyChanges": [
        "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
        "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
        "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy",
        "AttachGroupPolicy", "DetachGroupPolicy",
    ],
    "SecurityGroupChanges": [
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup",
    ],
    "NetworkAclChanges": [
        "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation",
    ],
    "CloudTrailConfigChanges": ["CreateTrail", "UpdateTrail", "DeleteTrail", "StopLogging"],
    "KmsKeyDisableOrDeletion": ["DisableKey", "ScheduleKeyDeletion"],
    "RouteTableChanges": ["CreateRoute", "ReplaceRoute", "DeleteRouteTable"],
    "VpcChanges": ["CreateVpc", "DeleteVpc", "ModifyVpcAttribute"],
}


def import_of(stack, name):
    """The Fn::ImportValue of an export of this environment's <stack> stack."""
    return {"Fn::ImportValue": {"Fn::Sub": PROJECT + "-${EnvironmentName}-" + stack + "-" + name}}


ALERT_TOPIC = import_of("security", "AlertTopicArn")


def profile(env):
    return next(e["profile"] for e in ANSWERS["environments"] if e["name"] == env)


def expected_nat_gateways(env):
    """NAT gateways of an environment, from the answers (NET-03): none, single,
    per-az, or auto = per AZ for production-like environments, one otherwise."""
    mode = ANSWERS["network"]["nat"]
    if mode == "auto":
        mode = "per-az" if profile(env) == "production" else "single"
    return {"none": 0, "single": 1, "per-az": AZS}[mode]


# ------------------------------------------------------------ a tiny evaluator


def parameter_values(env):
    """Template defaults overlaid with what params/<env>.json passes, as strings."""
    values = {k: str(v["Default"]) for k, v in TPL.get("Parameters", {}).items() if "Default" in v}
    values.update({k: str(v) for k, v in stack_params(env, STACK).items()})
    return values


def condition(name, env):
    return evaluate(TPL["Conditions"][name], env)


def evaluate(node, env):
    """The truth of a condition expression for this environment's parameters."""
    (fn, args), = node.items()
    if fn == "Condition":
        return condition(args, env)
    if fn == "Fn::Equals":
        return resolve(args[0], env) == resolve(args[1], env)
    if fn == "Fn::Not":
        return not evaluate(args[0], env)
    if fn == "Fn::And":
        return all(evaluate(a, env) for a in args)
    if fn == "Fn::Or":
        return any(evaluate(a, env) for a in args)
    raise AssertionError(f"unexpected condition function {fn}")


def substitute(text, env, variables):
    def one(match):
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return resolve(variables[name], env)
        return resolve({"Ref": name} if "." not in name else {"Fn::GetAtt": name.split(".", 1)}, env)

    return re.sub(r"\$\{([^}]+)\}", one, text)


def resolve(node, env):
    """A template value as the string CloudFormation would produce for env;
    imports, attributes and resource references become markers."""
    if isinstance(node, (str, int, float, bool)):
        return str(node)
    (fn, args), = node.items()
    if fn == "Ref":
        if args == "AWS::Region":
            return PSEUDO_REGION
        if args.startswith("AWS::"):
            return f"<pseudo {args}>"
        values = parameter_values(env)
        if args in values:
            return values[args]
        assert args in TPL["Resources"], f"Ref to unknown {args}"
        return f"<ref {args}>"
    if fn == "Fn::GetAtt":
        target = args[0] if isinstance(args, list) else args.split(".")[0]
        assert target in TPL["Resources"], f"GetAtt of unknown {target}"
        return f"<getatt {target}>"
    if fn == "Fn::Sub":
        text, variables = (args, {}) if isinstance(args, str) else args
        return substitute(text, env, variables)
    if fn == "Fn::If":
        return resolve(args[1] if condition(args[0], env) else args[2], env)
    if fn == "Fn::ImportValue":
        return f"<import {resolve(args, env)}>"
    if fn == "Fn::Join":
        return args[0].join(resolve(a, env) for a in args[1])
    raise AssertionError(f"unexpected function {fn}")


def exported(env, stack, name):
    """The marker resolve() gives an import of <project>-<env>-<stack>-<name>."""
    return f"<import {PROJECT}-{env}-{stack}-{name}>"


def created(env):
    """Logical id -> resource, only those created in this environment."""
    return {
        name: res
        for name, res in TPL["Resources"].items()
        if "Condition" not in res or condition(res["Condition"], env)
    }


def alarms(env=None):
    found = resources(TPL, ALARM) if env is None else {k: v for k, v in created(env).items() if v["Type"] == ALARM}
    return found


def dashboard():
    found = resources(TPL, "AWS::CloudWatch::Dashboard")
    assert len(found) == 1, f"expected one dashboard, found {sorted(found)}"
    return next(iter(found.values()))


def widgets(env):
    body = resolve(dashboard()["Properties"]["DashboardBody"], env)
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        context = body[max(0, exc.pos - 200):exc.pos + 100]
        raise AssertionError(f"{env}: DashboardBody is not valid JSON ({exc}) near:\n{context}") from None
    return doc["widgets"]


def metric_lines(widget):
    """The metric arrays of a metric widget, without their rendering options."""
    return [[part for part in line if not isinstance(part, dict)] for line in widget["properties"].get("metrics", [])]


def metrics_of(env, namespace):
    return [line for w in widgets(env) if w["type"] == "metric" for line in metric_lines(w) if line[0] == namespace]


# ------------------------------------------------------------------- MON-02


def stack_names_by_scope():
    """Stacks deployed per environment (params/<env>.json) and the pipeline-scope ones."""
    per_env = {stack for env in env_names() for stack in params(env)}
    pipeline_file = ROOT / "params" / "pipeline.json"
    pipeline = set(json.loads(pipeline_file.read_text())) if pipeline_file.is_file() else set()
    return per_env, pipeline


def topic_resources_exported_as_alert_topic(tpl):
    """In the security template itself: the topic whose ARN is exported as AlertTopicArn."""
    names = set()
    for out in tpl.get("Outputs", {}).values():
        export = out.get("Export", {}).get("Name", {})
        if isinstance(export, dict) and str(export.get("Fn::Sub", "")).endswith("-AlertTopicArn"):
            value = out["Value"]
            if isinstance(value, dict) and "Ref" in value:
                names.add(value["Ref"])
    return names


def test_mon_02_every_alarm_in_every_template_notifies_the_alert_topic():
    per_env, pipeline = stack_names_by_scope()
    checked = 0
    for stack in sorted(per_env | pipeline):
        tpl = template(stack)
        own_topics = topic_resources_exported_as_alert_topic(tpl)
        for name, alarm in resources(tpl, ALARM).items():
            props = alarm["Properties"]
            assert props.get("ActionsEnabled", True) is not False, f"{stack}.{name}: actions disabled"
            actions = as_list(props.get("AlarmActions", []))
            assert actions, f"{stack}.{name} has no AlarmActions: nobody would hear it"
            for action in actions:
                if stack in per_env:
                    ok = action == ALERT_TOPIC or (isinstance(action, dict) and action.get("Ref") in own_topics)
                    assert ok, f"{stack}.{name} notifies {action}, not the environment's alert topic"
                else:
                    target = action.get("Ref") if isinstance(action, dict) else None
                    assert target and tpl["Resources"][target]["Type"] == "AWS::SNS::Topic", f"{stack}.{name}: {action}"
            checked += 1
    assert checked >= len(resources(TPL, ALARM)) > 0


def test_mon_02_monitoring_alarms_also_report_recovery():
    for name, alarm in resources(TPL, ALARM).items():
        props = alarm["Properties"]
        assert as_list(props["AlarmActions"]) == [ALERT_TOPIC], name
        assert as_list(props.get("OKActions", [])) == [ALERT_TOPIC], f"{name}: no OKActions, recovery goes unnoticed"


def test_mon_02_alarm_periods_thresholds_and_missing_data_are_sane():
    for name, alarm in resources(TPL, ALARM).items():
        props = alarm["Properties"]
        periods = [props["Period"]] if "Period" in props else [
            m["MetricStat"]["Period"] for m in props["Metrics"] if "MetricStat" in m
        ]
        assert periods and all(int(p) in (60, 300) for p in periods), f"{name}: periods {periods}"
        assert "Threshold" in props and props["ComparisonOperator"], name
        # Absence of data (no traffic, no matching events) is the healthy state here.
        assert props["TreatMissingData"] == "notBreaching", name
        evaluation = props["EvaluationPeriods"]
        assert evaluation == {"Ref": "AlarmEvaluationPeriods"} or int(evaluation) >= 1, name
        if "Metrics" in props:
            returned = [m for m in props["Metrics"] if m.get("ReturnData", True)]
            assert len(returned) == 1, f"{name}: an alarm must return exactly one series"


def test_mon_02_cis_cloudtrail_metric_filters_feed_alarms():
    filters = resources(TPL, FILTER)
    by_metric = {}
    for name, flt in filters.items():
        props = flt["Properties"]
        assert props["LogGroupName"] == import_of("security", "TrailLogGroupName"), name
        pattern = props["FilterPattern"]
        assert pattern.strip().startswith("{") and pattern.strip().endswith("}"), f"{name}: not a JSON filter"
        assert pattern.count("(") == pattern.count(")"), f"{name}: unbalanced parentheses"
        assert len(pattern) <= 1024, f"{name}: CloudWatch Logs accepts filter patterns up to 1024 characters"
        (transform,) = props["MetricTransformations"]
        by_metric[transform["MetricName"]] = (transform, pattern)
    missing = set(CIS_FILTERS) - set(by_metric)
    assert not missing, f"CIS metric filters missing: {sorted(missing)}"
    for metric, needles in CIS_FILTERS.items():
        transform, pattern = by_metric[metric]
        for needle in needles:
            assert needle in pattern, f"{metric} filter does not match {needle}"
        namespace = transform["MetricNamespace"]
        assert "${EnvironmentName}" in namespace["Fn::Sub"], f"{metric}: namespace shared between environments"
        wired = [
            a for a in resources(TPL, ALARM).values()
            if a["Properties"].get("MetricName") == metric and a["Properties"].get("Namespace") == namespace
        ]
        assert len(wired) == 1, f"{metric}: {len(wired)} alarms on the filter's metric"
        props = wired[0]["Properties"]
        assert props["Statistic"] == "Sum" and props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert 1 <= float(props["Threshold"]) <= 5, f"{metric}: threshold {props['Threshold']}"


def test_mon_02_thresholds_follow_the_environment_profile():
    declared = TPL["Parameters"]["AlarmEvaluationPeriods"]
    production_value = int(declared["Default"])
    values = {}
    for env in env_names():
        passed = stack_params(env, STACK)
        periods = int(passed["AlarmEvaluationPeriods"])
        assert declared["MinValue"] <= periods <= declared["MaxValue"], env
        values.setdefault(profile(env), set()).add(periods)
    # Each profile has one value; production alarms sooner than cheap environments.
    assert all(len(v) == 1 for v in values.values()), values
    if "production" in values:
        assert values["production"] == {production_value}, "the default must be the production value"
        if "ephemeral" in values:
            assert min(values["production"]) < min(values["ephemeral"]), values


def test_mon_02_nat_mode_matches_the_answers_and_the_network_stack():
    for env in env_names():
        mode = stack_params(env, STACK)["NatMode"]
        expected = expected_nat_gateways(env)
        assert {"none": 0, "single": 1, "per-az": AZS}[mode] == expected, f"{env}: NatMode {mode}"
        network = stack_params(env, "network")
        if "NatMode" in network:
            assert network["NatMode"] == mode, f"{env}: monitoring and network disagree on NAT gateways"


def test_mon_02_every_nat_gateway_has_both_alarms():
    for env in env_names():
        count = expected_nat_gateways(env)
        live = alarms(env)
        for kind in ("PortAllocation", "PacketsDropped"):
            names = sorted(n for n in live if n.startswith("NatGateway") and n.endswith(kind + "Alarm"))
            assert names == [f"NatGateway{i}{kind}Alarm" for i in range(1, count + 1)], f"{env}: {names}"
        for i in range(1, count + 1):
            port = live[f"NatGateway{i}PortAllocationAlarm"]["Properties"]
            assert port["MetricName"] == "ErrorPortAllocation" and port["Namespace"] == "AWS/NATGateway"
            assert resolve(port["Dimensions"][0]["Value"], env) == exported(env, "network", f"NatGateway{i}Id")
            assert float(port["Threshold"]) == 0 and port["ComparisonOperator"] == "GreaterThanThreshold"
            dropped = live[f"NatGateway{i}PacketsDroppedAlarm"]["Properties"]
            stats = {m["Id"]: m["MetricStat"] for m in dropped["Metrics"] if "MetricStat" in m}
            assert {s["Metric"]["MetricName"] for s in stats.values()} >= {"PacketsDropCount"}
            for stat in stats.values():
                (dim,) = stat["Metric"]["Dimensions"]
                assert resolve(dim["Value"], env) == exported(env, "network", f"NatGateway{i}Id")
            threshold = float(resolve(dropped["Threshold"], env))
            assert 0 < threshold <= 1, f"{env}: NAT drop threshold {threshold} %"


def test_mon_02_nat_imports_exist_in_the_network_stack_under_the_same_condition():
    network = template("network") if "network" in stack_names_by_scope()[0] else None
    if network is None:
        return
    outputs = network.get("Outputs", {})
    for i in range(1, AZS + 1):
        alarm = TPL["Resources"].get(f"NatGateway{i}PortAllocationAlarm")
        assert alarm, f"no alarm for NAT gateway {i}"
        output = outputs.get(f"NatGateway{i}Id")
        assert output, f"network stack does not export NatGateway{i}Id"
        assert output.get("Condition") == alarm.get("Condition"), f"NAT gateway {i}: conditions differ"


def test_mon_02_imports_match_exports_of_the_stacks_deployed_before():
    per_env, _ = stack_names_by_scope()
    imports = {
        node["Fn::ImportValue"]["Fn::Sub"]
        for node in walk(TPL["Resources"])
        if isinstance(node, dict) and "Fn::ImportValue" in node
    }
    assert imports, "the monitoring stack imports nothing"
    for name in sorted(imports):
        prefix = f"{PROJECT}-${{EnvironmentName}}-"
        assert name.startswith(prefix), name
        stack, _, export = name[len(prefix):].partition("-")
        assert stack in per_env and stack != STACK, f"{name}: no {stack} stack in this project"
        exports = {
            out["Export"]["Name"]["Fn::Sub"]
            for out in template(stack).get("Outputs", {}).values()
            if isinstance(out.get("Export", {}).get("Name"), dict)
        }
        assert "${AWS::StackName}-" + export in exports, f"{stack} stack does not export {export}"


def test_mon_02_alarm_and_filter_names_are_unique_per_environment():
    for kind, key in ((ALARM, "AlarmName"), (FILTER, "FilterName")):
        names = []
        for name, res in resources(TPL, kind).items():
            value = res["Properties"][key]["Fn::Sub"]
            assert value.startswith(f"{PROJECT}-${{EnvironmentName}}-"), f"{name}: {value}"
            names.append(value)
        assert len(names) == len(set(names)), f"duplicate {key}s"
    outputs = TPL["Outputs"]
    for name in resources(TPL, ALARM):
        assert outputs[name + "Name"]["Value"] == {"Ref": name}, f"{name}: alarm name not output"


# ------------------------------------------------------------------- MON-03


def test_mon_03_dashboard_named_per_environment_and_exported():
    props = dashboard()["Properties"]
    assert props["DashboardName"] == {"Fn::Sub": f"{PROJECT}-${{EnvironmentName}}"}
    out = TPL["Outputs"]["DashboardName"]
    assert out["Value"] == {"Ref": next(iter(resources(TPL, "AWS::CloudWatch::Dashboard")))}
    assert out["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-DashboardName"}


def test_mon_03_dashboard_body_is_valid_json_in_every_environment():
    for env in env_names():
        found = widgets(env)
        assert len(found) >= 5, env
        for w in found:
            assert w["type"] in {"metric", "text", "log", "alarm"}, w
            assert 1 <= w["width"] <= 24 and w["height"] >= 1, w
            if w["type"] in ("metric", "log"):
                # The region comes from ${AWS::Region}, never a literal.
                assert w["properties"]["region"] == PSEUDO_REGION, w["properties"].get("title")
                assert w["properties"].get("title"), w
            if w["type"] == "metric":
                for line in metric_lines(w):
                    assert len(line) >= 2 and len(line) % 2 == 0, f"{env}: malformed metric {line}"
                    assert all("<" not in str(p) or p.startswith("<import ") for p in line), line


def test_mon_03_dashboard_has_no_literal_region_or_partition():
    text = json.dumps(dashboard()["Properties"]["DashboardBody"])
    assert REGION not in text
    assert "arn:aws:" not in text


def test_mon_03_dashboard_has_network_widgets():
    for env in env_names():
        found = widgets(env)
        nat = [w for w in found if w["type"] == "metric" and any(l[0] == "AWS/NATGateway" for l in metric_lines(w))]
        count = expected_nat_gateways(env)
        assert len(nat) == count, f"{env}: {len(nat)} NAT widgets for {count} NAT gateways"
        for i, w in enumerate(nat, start=1):
            names = {line[1] for line in metric_lines(w)}
            assert {"PacketsDropCount", "ErrorPortAllocation", "BytesOutToDestination"} <= names
            ids = {line[3] for line in metric_lines(w)}
            assert ids == {exported(env, "network", f"NatGateway{i}Id")}, f"{env}: NAT widget {i} shows {ids}"
        flow = exported(env, "network", "FlowLogGroupName")
        rejected = [w for w in found if w["type"] == "log" and f"SOURCE '{flow}'" in w["properties"]["query"]]
        assert rejected, f"{env}: no Logs Insights widget on the VPC flow logs"
        assert all('action = "REJECT"' in w["properties"]["query"] for w in rejected)


def trail_owner(env):
    return stack_params(env, "security")["TrailOwner"]


def test_mon_03_dashboard_has_security_widgets():
    for env in env_names():
        found = widgets(env)
        trail = exported(env, "security", "TrailLogGroupName")
        if env != trail_owner(env):
            # The account's trail and CIS alarms are another environment's (DEP-07).
            assert not [w for w in found if w["type"] == "alarm"], env
            assert not any(trail in w["properties"].get("query", "") for w in found), env
            text = " ".join(w["properties"].get("markdown", "") for w in found if w["type"] == "text")
{%- endraw %}
{%- if security.existing_trail %}
            # security.account_trail is existing: the account's own trail, no CIS alarms here.
            assert trail_owner(env) == "" and "security.account_trail is existing" in text, env
{%- else %}
            assert f"**{trail_owner(env)}**" in text and f"{PROJECT}-{trail_owner(env)}" in text, env
{%- endif %}
{%- raw %}
            continue
        declared = {f"<getatt {n}>" for n, a in alarms(env).items() if a.get("Condition") == "IsTrailOwner"}
        (alarm_widget,) = [w for w in found if w["type"] == "alarm"]
        assert set(alarm_widget["properties"]["alarms"]) == declared, env
        assert any(w["type"] == "log" and f"SOURCE '{trail}'" in w["properties"]["query"] for w in found)


def test_dep_07_cis_filters_and_alarms_once_per_account_in_the_trail_owner():
    for env in env_names():
        assert stack_params(env, STACK)["TrailOwner"] == trail_owner(env), env
        filters = {n for n, r in created(env).items() if r["Type"] == FILTER}
        cis_alarms = {n for n, a in alarms(env).items()
                      if "CloudTrail" in str(a["Properties"].get("Namespace"))}
        if env == trail_owner(env):
            assert len(filters) == len(resources(TPL, FILTER)) == len(cis_alarms) >= len(CIS_FILTERS), env
        else:
            assert filters == set() and cis_alarms == set(), f"{env} would alarm on its account's trail a second time"


def test_dep_07_no_environment_imports_an_export_its_security_stack_lacks():
    security = template("security")
    for env in env_names():
        owner = env == trail_owner(env)
        texts = [resolve(dashboard()["Properties"]["DashboardBody"], env)]
        for name, res in created(env).items():
            if res["Type"] != "AWS::CloudWatch::Dashboard":
                texts.extend(resolve(node, env) for node in walk(res) if isinstance(node, dict) and "Fn::ImportValue" in node)
        for output, spec in security["Outputs"].items():
            if spec.get("Condition") == "IsTrailOwner" and not owner:
                marker = exported(env, "security", output)
                assert not any(marker in t for t in texts), f"{env} imports {output}, which only {trail_owner(env)} exports"


def test_mon_03_dashboard_has_a_logs_insights_query_widget():
    for env in env_names():
        logs = [w for w in widgets(env) if w["type"] == "log"]
        assert logs, env
        for w in logs:
            query = w["properties"]["query"]
            source = re.match(r"^SOURCE '([^']+)' \| ", query)
            assert source, f"{env}: not a Logs Insights query: {query}"
            assert source.group(1).startswith(f"<import {PROJECT}-{env}-"), f"{env}: log group {source.group(1)}"
            assert "stats" in query or "sort" in query, query


def test_mon_03_dashboard_has_database_widgets_when_enabled():
    engine = ANSWERS["database"]["engine"]
    for env in env_names():
        rds = metrics_of(env, "AWS/RDS")
        if engine == "none":
            assert not rds, f"{env}: database widgets without a database"
            continue
        dimension = "DBClusterIdentifier" if engine.startswith("aurora-") else "DBInstanceIdentifier"
        storage = "FreeLocalStorage" if engine.startswith("aurora-") else "FreeStorageSpace"
        names = {line[1] for line in rds}
        assert {"CPUUtilization", "DatabaseConnections", storage, "ReadLatency", "WriteLatency"} <= names, names
        for line in rds:
            assert line[2:] == [dimension, exported(env, "database", "DbIdentifier")], line


def codebuild_projects():
    """CodeBuild project names of the pipeline stack, as the pipeline template sets them."""
    per_env, pipeline = stack_names_by_scope()
    if "pipeline" not in pipeline:
        return None
    names = set()
    for res in resources(template("pipeline"), "AWS::CodeBuild::Project").values():
        name = res["Properties"].get("Name")
        if isinstance(name, dict) and "Fn::Sub" in name and isinstance(name["Fn::Sub"], str):
            name = name["Fn::Sub"]
        if isinstance(name, str):
            # The pipeline stack is deployed as <project>-pipeline.
            names.add(name.replace("${AWS::StackName}", f"{PROJECT}-pipeline"))
    return names


def test_mon_03_dashboard_has_pipeline_widgets_when_enabled():
    stages = ANSWERS["pipeline"]["stages"]
    projects = codebuild_projects()
    for env in env_names():
        builds = metrics_of(env, "AWS/CodeBuild")
        if not stages:
            assert not builds, f"{env}: pipeline widgets without a pipeline"
            continue
        shown = {line[3] for line in builds if line[1] in ("SucceededBuilds", "FailedBuilds")}
        kinds = {line[1] for line in builds}
        assert {"SucceededBuilds", "FailedBuilds"} <= kinds, kinds
        assert all(s.startswith(f"{PROJECT}-") for s in shown), shown
        if projects is not None:
            assert shown == projects, f"{env}: dashboard shows {sorted(shown)}, pipeline builds {sorted(projects)}"
        texts = " ".join(w["properties"]["markdown"] for w in widgets(env) if w["type"] == "text")
        assert "CodePipeline publishes no CloudWatch metrics" in texts


def test_mon_03_dashboard_has_app_widgets_for_the_app_kind():
    kind = ANSWERS["app"]["kind"]
    expected = {"ec2": ("AWS/EC2", "AutoScalingGroupName"), "ecs": ("AWS/ECS", "ServiceName"),
                "lambda": ("AWS/Lambda", "FunctionName")}
    for env in env_names():
        for other, (namespace, export) in expected.items():
            lines = metrics_of(env, namespace)
            if other != kind:
                assert not lines, f"{env}: {other} widgets for a {kind} app"
                continue
            assert lines, f"{env}: no {namespace} widgets"
            assert all(exported(env, "app", export) in line for line in lines), lines
        app_logs = [w for w in widgets(env) if w["type"] == "log" and "-app-AppLogGroupName>" in w["properties"]["query"]]
        assert bool(app_logs) == (kind != "none"), env
{%- endraw %}
