"""moto machinery shared by the emulated deploys (moto_deploy.py for the CloudFormation
flavour, moto_cdk.py for the CDK flavour's synthesized templates): reading templates, evaluating
conditions, asking the installed moto which resource types and attributes it models, rewriting a
temporary copy of a template without what moto cannot create (every removal recorded with its
reason), the printed workarounds for moto bugs, and the per-step result lines."""
from __future__ import annotations

import json
import logging
import re
import socket
from pathlib import Path
from typing import Any, Callable

import yaml


# --------------------------------------------------------------------------
# CloudFormation YAML (short-form intrinsic tags) -> plain JSON-able data


class CfnLoader(yaml.SafeLoader):
    pass


def _cfn_tag(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=CfnLoader)  # noqa: S506 - SafeLoader subclass


def references(node: Any) -> set[str]:
    """Logical ids a template fragment refers to (Ref, GetAtt, ${} in Sub)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                if isinstance(value, list) and value and isinstance(value[0], str):
                    found.add(value[0])
                elif isinstance(value, str):
                    found.add(value.split(".", 1)[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    for var in re.findall(r"\$\{([^!}][^}]*)\}", text):
                        found.add(var.split(".", 1)[0])
                if isinstance(value, list) and len(value) > 1:
                    found |= references(value[1])
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def eval_condition(expr: Any, conditions: dict, params: dict) -> bool | None:
    """Evaluate a Conditions expression over parameter values; None if unsure."""

    def value(x: Any) -> Any:
        if isinstance(x, dict) and set(x) == {"Ref"} and x["Ref"] in params:
            return params[x["Ref"]]
        if isinstance(x, (str, int, float, bool)):
            return str(x)
        raise ValueError(x)

    def ev(x: Any) -> bool:
        if isinstance(x, dict) and len(x) == 1:
            (op, arg), = x.items()
            if op == "Fn::Contains":  # Rules assertions: a list of values and one value
                return value(arg[1]) in [value(item) for item in arg[0]]
            if op == "Fn::Equals":
                return value(arg[0]) == value(arg[1])
            if op == "Fn::Not":
                return not ev(arg[0])
            if op == "Fn::And":
                return all(ev(a) for a in arg)
            if op == "Fn::Or":
                return any(ev(a) for a in arg)
            if op == "Condition":
                return ev(conditions[arg])
        raise ValueError(x)

    try:
        return ev(expr)
    except (ValueError, KeyError, IndexError, TypeError):
        return None


# --------------------------------------------------------------------------
# moto


def moto_class(resource_type: str) -> Any:
    from moto.cloudformation.parsing import resource_class_from_type

    # resource_class_from_type logs a notice for unknown types; keep it quiet.
    log = logging.getLogger("moto.cloudformation.parsing")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        return resource_class_from_type(resource_type)
    finally:
        log.setLevel(level)


def moto_implements(resource_type: str) -> bool:
    return moto_class(resource_type) is not None


def moto_getatt_missing(resource_type: str, attr: str) -> bool:
    """True if moto declares the attribute but raises NotImplementedError for it
    (its GetAtt then logs a warning and resolves to junk), e.g. Subnet.AvailabilityZone."""
    cls = moto_class(resource_type)
    if cls is None:
        return False
    if not cls.has_cfn_attr(attr):  # moto refuses the whole stack: "does not support attribute type"
        return True
    if not hasattr(cls, "get_cfn_attribute"):  # moto's Fn::GetAtt then fails with AttributeError
        return True
    try:
        cls.get_cfn_attribute(object.__new__(cls), attr)
    except NotImplementedError:
        return True
    except Exception:  # noqa: BLE001 - needs a real instance: assume implemented
        return False
    return False


def getatts(node: Any) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::GetAtt" and isinstance(value, list) and len(value) == 2:
                found.add((value[0], value[1]))
            else:
                found |= getatts(value)
    elif isinstance(node, list):
        for item in node:
            found |= getatts(item)
    return found


SHIMS: list[str] = []


def install_moto_shims() -> None:
    """Work around moto bugs that make valid templates fail; every shim is printed.

    moto's AWS::KMS::Key handler passes the template's Tags (CloudFormation's
    Key/Value shape, as AWS documents it) straight to the KMS tagger, which
    wants TagKey/TagValue, so any tagged key fails with KeyError 'TagKey' and
    the whole stack with "Fn::GetAtt references undefined resource". The shim
    converts the shape; the tags are then checked through kms.list_resource_tags.
    The same handler stores KeyPolicy as the parsed object, and every later
    DescribeKey/GetKeyRotationStatus fails json.loads with a 500; the shim
    serialises it, as the real CreateKey API receives it."""
    from moto.kms.models import Key

    orig = Key.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        props = cloudformation_json.get("Properties", {})
        tags = props.get("Tags")
        if isinstance(tags, list) and tags and all(isinstance(t, dict) and "Key" in t for t in tags):
            props["Tags"] = [{"TagKey": t["Key"], "TagValue": t.get("Value", "")} for t in tags]
        if isinstance(props.get("KeyPolicy"), dict):
            policy = props["KeyPolicy"]
            if isinstance(policy.get("Statement"), list):
                # An Fn::If branch of AWS::NoValue is no statement at all in CloudFormation.
                policy["Statement"] = [st for st in policy["Statement"] if st is not None]
            props["KeyPolicy"] = json.dumps(policy)
        return orig(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Key.create_from_cloudformation_json = classmethod(create)

    from moto.cloudformation.models import CloudFormationBackend

    orig_execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
        orig_execute(self, change_set_name, stack_name)
        change_set = self.change_sets.get(change_set_name) or next(
            cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name)
        stack = self.stacks[change_set.stack_id]
        stack.parameters = change_set.parameters  # the values given this time (moto keeps the first ones)
        stack._parse_template()  # the template the change set applied, not the empty one it was created with
        stack.output_map = stack._create_output_map()
        for name in [n for n, e in self.exports.items() if e.exporting_stack_id == stack.stack_id]:
            del self.exports[name]
        self._validate_export_uniqueness(stack)
        for export in stack.exports:
            self.exports[export.name] = export

    CloudFormationBackend.execute_change_set = execute_change_set

    orig_create_change_set = CloudFormationBackend.create_change_set

    def create_change_set(self, stack_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("change_set_type") == "UPDATE" and kwargs.get("parameters"):
            stack = next((s for s in self.stacks.values() if s.name == stack_name), None)
            if stack is not None:
                given = dict(stack.parameters or {})
                resolved = stack.stack_parameters
                params = dict(kwargs["parameters"])
                for key, value in list(params.items()):
                    # moto's response put the resolved value itself in for UsePreviousValue.
                    if key in resolved and value is resolved[key] and given.get(key) != value:
                        if key in given:
                            params[key] = given[key]
                        else:
                            del params[key]  # never given: the template's default applies again
                kwargs["parameters"] = params
        result = orig_create_change_set(self, stack_name, *args, **kwargs)
        for stack in self.stacks.values():
            if stack.name == stack_name:
                stack.cross_stack_resources = self.exports
                stack.resource_map.cross_stack_resources = self.exports
        return result

    CloudFormationBackend.create_change_set = create_change_set

    from moto.cloudformation.parsing import ResourceMap
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.flow_logs import FlowLogs
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment

    orig_delete_resource = ResourceMap._delete_resource

    def delete_resource(self, parsed_resource, resource_json):  # type: ignore[no-untyped-def]
        ec2 = ec2_backends[self._account_id][self._region_name]
        if isinstance(parsed_resource, FlowLogs):
            ec2.delete_flow_logs([parsed_resource.id])
        elif isinstance(parsed_resource, VPCGatewayAttachment):
            igw = ec2.internet_gateways.get(parsed_resource.gateway_id)
            if igw is not None and igw.vpc is not None:
                ec2.detach_internet_gateway(parsed_resource.gateway_id, parsed_resource.vpc_id)
        elif isinstance(parsed_resource, InternetGateway):
            ec2.delete_internet_gateway(parsed_resource.id)
        elif isinstance(parsed_resource, RouteTable):
            for association_id in list(parsed_resource._associations):
                ec2.disassociate_route_table(association_id)
            ec2.delete_route_table(parsed_resource.id)
        elif isinstance(parsed_resource, Route):
            pass  # goes with its route table
        else:
            orig_delete_resource(self, parsed_resource, resource_json)

    ResourceMap._delete_resource = delete_resource

    from moto.rds import models as rds_models

    def named_parameter_groups(cls):  # type: ignore[no-untyped-def]
        orig_rds = cls.create_from_cloudformation_json.__func__

        def create_rds(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
            props = cloudformation_json.get("Properties", {})
            for key, value in list(props.items()):
                if key.endswith("ParameterGroupName") and not isinstance(value, str) and hasattr(value, "name"):
                    props[key] = value.name
            return orig_rds(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs)

        cls.create_from_cloudformation_json = classmethod(create_rds)

    for cls_name in ("DBInstance", "DBCluster"):
        if hasattr(getattr(rds_models, cls_name, None), "create_from_cloudformation_json"):
            named_parameter_groups(getattr(rds_models, cls_name))
    SHIMS.append("AWS::KMS::Key Tags Key/Value -> TagKey/TagValue (moto KMS CloudFormation handler bug)")
    SHIMS.append("AWS::KMS::Key KeyPolicy object -> JSON string (moto stores the dict, then DescribeKey fails json.loads), "
                 "without the null a statement `Fn::If [..., AWS::NoValue]` leaves (moto keeps it; every KMS call fails)")
    SHIMS.append("ExecuteChangeSet reads the outputs of the template it applied and registers the stack's exports "
                 "(moto keeps the empty template a CREATE change set starts with and registers exports only in "
                 "CreateStack, so an `aws cloudformation deploy` stack had no outputs and exported nothing)")
    SHIMS.append("DeleteStack deletes AWS::EC2::FlowLog, VPCGatewayAttachment, InternetGateway, RouteTable (and its "
                 "routes and associations) through the EC2 backend (moto has no CloudFormation delete for them, so "
                 "the VPC of every network stack failed to delete with DependencyViolation)")
    SHIMS.append("AWS::RDS::DBInstance/DBCluster receive a referenced parameter group's name (moto's Ref to a "
                 "DBParameterGroup resolves to the object, and CreateDBInstance fails on it)")
    SHIMS.append("CreateChangeSet gives the new stack the account's exports to import (moto gives a CREATE "
                 "change set's stack none, so every Fn::ImportValue failed with 'No export named')")
    SHIMS.append("CreateChangeSet with UsePreviousValue passes the value the stack was given (the SSM parameter "
                 "name of an AWS::SSM::Parameter::Value parameter, nothing for a parameter left at its default) "
                 "and ExecuteChangeSet records the values given (moto passed the resolved value, so an unchanged "
                 "stack with an SSM-typed parameter got a change set and its update failed with a 500 "
                 "looking the AMI id up as an SSM parameter)")


def install_get_stack_output_shim() -> None:
    """moto 5.2 has no Fn::GetStackOutput (CloudFormation's weak cross-stack reference, which CDK
    writes for references between stacks of one environment): its clean_json leaves the function
    in place, so the resource receives a dict where a string belongs. The shim resolves it as
    CloudFormation does at create/update time: the named output of the named stack (Region
    defaults to the stack's own, RoleArn names the account), and fails the operation when the
    stack or the output does not exist."""
    from moto.cloudformation import models as cfn_models
    from moto.cloudformation import parsing
    from moto.cloudformation.exceptions import ValidationError

    orig = parsing.clean_json

    def clean_json(resource_json, resources_map):  # type: ignore[no-untyped-def]
        if isinstance(resource_json, dict) and "Fn::GetStackOutput" in resource_json:
            spec = orig(resource_json["Fn::GetStackOutput"], resources_map)
            account = resources_map._account_id
            if spec.get("RoleArn"):
                account = str(spec["RoleArn"]).split(":")[4]
            region = spec.get("Region") or resources_map._region_name
            backend = cfn_models.cloudformation_backends[account][region]
            stack = next((s for s in backend.stacks.values()
                          if s.name == spec.get("StackName") and s.status != "DELETE_COMPLETE"), None)
            if stack is None:
                raise ValidationError(message=f"Fn::GetStackOutput: stack {spec.get('StackName')} does not exist "
                                              f"in {account}/{region}")
            value = next((o["OutputValue"] for o in stack.outputs or [] if o["OutputKey"] == spec.get("OutputName")),
                         None)
            if value is None:
                raise ValidationError(message=f"Fn::GetStackOutput: stack {spec.get('StackName')} has no output "
                                              f"{spec.get('OutputName')}")
            return value
        return orig(resource_json, resources_map)

    parsing.clean_json = clean_json

    from moto.ec2.models.nat_gateways import NatGateway

    if not hasattr(NatGateway, "get_cfn_attribute"):
        def nat_gateway_attribute(self, attribute_name):  # type: ignore[no-untyped-def]
            if attribute_name == "NatGatewayId":
                return self.id
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
            raise UnformattedGetAttTemplateException()

        NatGateway.get_cfn_attribute = nat_gateway_attribute
        SHIMS.append("AWS::EC2::NatGateway answers Fn::GetAtt NatGatewayId with its id (moto's model has no "
                     "attributes at all, and the GetAtt fails with AttributeError)")
    SHIMS.append("Fn::GetStackOutput resolved to the named stack's output (moto 5.2 lacks the intrinsic and "
                 "passes it through unresolved); a missing stack or output fails the operation")


def install_managed_policy_shim() -> None:
    """moto's AWS::IAM::Role handler ignores ManagedPolicyArns, so a role created by CloudFormation
    has none of its managed policies (the CDK bootstrap's execution role would have no execution
    policy at all). The shim attaches them as CloudFormation does (an unknown policy fails the
    resource: AWS-managed ones exist when MOTO_IAM_LOAD_MANAGED_POLICIES=true) and detaches them
    before the role is deleted (moto refuses to delete a role with attached policies)."""
    from moto.iam.models import Role, iam_backends
    from moto.utilities.utils import get_partition

    orig_create = Role.create_from_cloudformation_json.__func__
    orig_delete = Role.delete_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        role = orig_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        backend = iam_backends[account_id][get_partition(region_name)]
        for arn in cloudformation_json.get("Properties", {}).get("ManagedPolicyArns") or []:
            backend.attach_role_policy(arn, role.name)
        return role

    def delete(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        backend = iam_backends[account_id][get_partition(region_name)]
        for role in list(backend.roles.values()):
            if role.name == resource_name:
                for arn in list(role.managed_policies):
                    backend.detach_role_policy(arn, role.name)
        return orig_delete(cls, resource_name, cloudformation_json, account_id, region_name)

    Role.create_from_cloudformation_json = classmethod(create)
    Role.delete_from_cloudformation_json = classmethod(delete)
    SHIMS.append("AWS::IAM::Role attaches its ManagedPolicyArns (moto's handler ignores them) and detaches them "
                 "on delete (moto refuses to delete a role with attached policies)")


def install_monitoring_models() -> None:
    """CloudFormation models for AWS::CloudWatch::Alarm, AWS::CloudWatch::Dashboard and
    AWS::Logs::MetricFilter, which moto 5.2 implements as APIs but not in CloudFormation (a CDK
    monitoring stack holds nothing else, so without them it could not be emulated at all). Each
    calls moto's own backend as the resource handler calls the API, with the checks that API makes
    in AWS: a metric filter's log group must exist (ResourceNotFoundException), a dashboard body
    must be JSON (InvalidParameterInput). Registered before moto first builds its model map."""
    from moto.cloudformation import parsing
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
    from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
    from moto.core.common_models import CloudFormationModel
    from moto.logs.models import logs_backends

    class MonitoringModel:
        """What the three models share; each is a direct CloudFormationModel subclass, which is
        how moto finds models (CloudFormationModel.__subclasses__()), and names a moto module,
        under whose service moto's model metaclass files it."""

        def __init__(self, name: str, account_id: str, region_name: str, arn: str = "") -> None:
            self.name, self.account_id, self.region_name, self.arn = name, account_id, region_name, arn

        @property
        def physical_resource_id(self) -> str:
            return self.name

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Arn" and cls is AlarmModel

        def get_cfn_attribute(self, attribute_name: str) -> str:
            if attribute_name == "Arn" and self.arn:
                return self.arn
            raise UnformattedGetAttTemplateException()

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,  # type: ignore[no-untyped-def]
                                            account_id, region_name):
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    def metric_queries(name: str, p: dict) -> list | None:
        """An alarm's Metrics as moto's PutMetricAlarm builds them, with the checks CloudWatch makes:
        a metric alarm has MetricName or Metrics (not both, not neither), and exactly one of the
        Metrics returns data (ReturnData defaults to true)."""
        metrics = p.get("Metrics")
        if bool(metrics) == bool(p.get("MetricName")):
            raise ValidationError(message=f"ValidationError: alarm {name}: give either MetricName or Metrics")
        if not metrics:
            return None
        returning = [m.get("Id") for m in metrics if str(m.get("ReturnData", True)).lower() == "true"]
        if len(returning) != 1:
            raise ValidationError(message=f"ValidationError: alarm {name}: exactly one element of the metrics "
                                          f"list should return data, not {returning}")
        queries = []
        for m in metrics:
            stat = m.get("MetricStat")
            metric_stat = None
            if stat:
                metric = stat["Metric"]
                metric_stat = MetricStat(
                    metric=Metric(metric_name=metric["MetricName"], namespace=metric.get("Namespace"),
                                  dimensions=[Dimension(name=d["Name"], value=d["Value"])
                                              for d in metric.get("Dimensions") or []]),
                    period=stat.get("Period"), stat=stat.get("Stat"), unit=stat.get("Unit"))
            elif not m.get("Expression"):
                raise ValidationError(message=f"ValidationError: alarm {name}: metric {m.get('Id')} has neither "
                                              "MetricStat nor Expression")
            queries.append(MetricDataQuery(query_id=m["Id"], label=m.get("Label"), period=m.get("Period"),
                                           return_data=m.get("ReturnData"), expression=m.get("Expression"),
                                           metric_stat=metric_stat))
        return queries

    class AlarmModel(MonitoringModel, CloudFormationModel):
        __module__ = "moto.cloudwatch.models"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::CloudWatch::Alarm"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "AlarmName"

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,  # type: ignore[no-untyped-def]
                                            **kwargs):
            p = cloudformation_json["Properties"]
            name = p.get("AlarmName") or resource_name
            alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
                name=name, namespace=p.get("Namespace"), metric_name=p.get("MetricName"),
                metric_data_queries=metric_queries(name, p),
                comparison_operator=p["ComparisonOperator"], evaluation_periods=int(p["EvaluationPeriods"]),
                period=int(p["Period"]) if "Period" in p else None, threshold=float(p["Threshold"]) if "Threshold" in p else None,
                statistic=p.get("Statistic"), description=p.get("AlarmDescription"),
                dimensions=p.get("Dimensions") or [], alarm_actions=p.get("AlarmActions") or [],
                datapoints_to_alarm=p.get("DatapointsToAlarm"), extended_statistic=p.get("ExtendedStatistic"),
                ok_actions=p.get("OKActions"), insufficient_data_actions=p.get("InsufficientDataActions"),
                unit=p.get("Unit"), actions_enabled=p.get("ActionsEnabled", True),
                treat_missing_data=p.get("TreatMissingData"), tags=p.get("Tags"))
            return cls(name, account_id, region_name, alarm.alarm_arn)

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([self.name])

    class DashboardModel(MonitoringModel, CloudFormationModel):
        __module__ = "moto.cloudwatch.models"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::CloudWatch::Dashboard"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "DashboardName"

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,  # type: ignore[no-untyped-def]
                                            **kwargs):
            p = cloudformation_json["Properties"]
            name = p.get("DashboardName") or resource_name
            body = p["DashboardBody"]
            try:
                json.loads(body)
            except (TypeError, ValueError) as e:
                raise ValidationError(message=f"InvalidParameterInput: dashboard {name}: body is not JSON: {e}")
            cloudwatch_backends[account_id][region_name].put_dashboard(name, body)
            return cls(name, account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_dashboards([self.name])

    class MetricFilterModel(MonitoringModel, CloudFormationModel):
        __module__ = "moto.logs.models"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::Logs::MetricFilter"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "FilterName"

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,  # type: ignore[no-untyped-def]
                                            **kwargs):
            p = cloudformation_json["Properties"]
            name = p.get("FilterName") or resource_name
            backend = logs_backends[account_id][region_name]
            if p["LogGroupName"] not in backend.groups:
                raise ValidationError(message=f"ResourceNotFoundException: metric filter {name}: log group "
                                              f"{p['LogGroupName']} does not exist")
            transformations = [{"metricName": m["MetricName"], "metricNamespace": m["MetricNamespace"],
                                "metricValue": m["MetricValue"]} for m in p["MetricTransformations"]]
            backend.put_metric_filter(name, p.get("FilterPattern", ""), p["LogGroupName"], transformations)
            instance = cls(name, account_id, region_name)
            instance.log_group = p["LogGroupName"]
            return instance

        def delete(self, account_id: str, region_name: str) -> None:
            logs_backends[account_id][region_name].delete_metric_filter(self.name, self.log_group)

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    for model in (AlarmModel, DashboardModel, MetricFilterModel):
        if parsing.get_model_map().get(model.cloudformation_type()) is not model:
            raise RuntimeError(f"moto did not register the {model.cloudformation_type()} model")
    SHIMS.append("CloudFormation models for AWS::CloudWatch::Alarm, AWS::CloudWatch::Dashboard and "
                 "AWS::Logs::MetricFilter over moto's own CloudWatch and Logs backends (moto has the APIs, "
                 "not the resource types); a missing log group and a dashboard body that is not JSON fail "
                 "the resource as the APIs do")


def install_database_models() -> None:
    """A CloudFormation model for AWS::RDS::OptionGroup (moto 5.2 has the RDS API, not the resource
    type; a MySQL database with the audit plugin names one, so without it the database, the app
    that imports its endpoint and the dashboard that imports its identifier could not be emulated).
    The option group is created through moto's RDS backend, with the checks CreateOptionGroup makes
    (engine, description; moto's table of major versions lacks MySQL 8.4, which RDS has), and its
    options added as ModifyOptionGroup does; a DB instance naming a missing option group then fails
    as in RDS."""
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import OptionGroup, rds_backends

    class OptionGroupModel(CloudFormationModel):
        __module__ = "moto.rds.models"

        def __init__(self, name: str) -> None:
            self.name = name

        @property
        def physical_resource_id(self) -> str:
            return self.name

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::RDS::OptionGroup"

        @staticmethod
        def cloudformation_name_type() -> str:
            return "OptionGroupName"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return False

        @classmethod
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name,  # type: ignore[no-untyped-def]
                                            **kwargs):
            p = cloudformation_json["Properties"]
            backend = rds_backends[account_id][region_name]
            spec = {"option_group_name": (p.get("OptionGroupName") or resource_name).lower(),
                    "engine_name": p["EngineName"], "major_engine_version": str(p["MajorEngineVersion"]),
                    "option_group_description": p.get("OptionGroupDescription"), "tags": p.get("Tags")}
            try:
                group = backend.create_option_group(spec)
            except RDSClientError as e:
                # moto's table of major versions stops at MySQL 8.0; RDS has 8.4 option groups.
                if "Cannot find major version" not in str(e) or not spec["option_group_description"]:
                    raise
                group = OptionGroup(backend, **spec)
                backend.option_groups[group.name] = group
            if p.get("OptionConfigurations"):
                backend.modify_option_group(group.name, options_to_include=p["OptionConfigurations"])
            return cls(group.name)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json,  # type: ignore[no-untyped-def]
                                            account_id, region_name):
            cls.delete_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
            backend = rds_backends[account_id][region_name]
            if resource_name in backend.option_groups:
                backend.delete_option_group(resource_name)

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    for model in (OptionGroupModel,):
        if parsing.get_model_map().get(model.cloudformation_type()) is not model:
            raise RuntimeError(f"moto did not register the {model.cloudformation_type()} model")
    SHIMS.append("A CloudFormation model for AWS::RDS::OptionGroup over moto's RDS backend (CreateOptionGroup's "
                 "checks but moto's table of major versions, which lacks MySQL 8.4; options as ModifyOptionGroup "
                 "adds them; moto has the API, not the resource type)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def start_moto_server(*installers: Callable[[], None]) -> tuple[Any, str]:
    """The in-process moto server of an emulated deploy: moto's request log muted and its
    warnings collected in MOTO_LOG, install_moto_shims() and then the given installers run,
    a ThreadedMotoServer started on a free loopback port. Returns the server and its endpoint,
    named "localhost": moto resolves a TemplateURL on any other host as virtual-hosted S3, so a
    path-style upload URL (endpoint/bucket/key) on 127.0.0.1 would name the bucket "127"."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_logger = logging.getLogger("moto")
    moto_logger.addHandler(MOTO_LOG)
    moto_logger.propagate = False
    for install in (install_moto_shims, *installers):
        install()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://localhost:{port}"


MOTO_DEFAULT_ACCOUNT = "123456789012"


def account_credentials(cache: dict[str, dict[str, str]], account: str, role_arn: str, session: str,
                        region: str, endpoint: str) -> dict[str, str]:
    """Environment variables with credentials for `account` in moto: the default account's test
    keys, or (any other account) the keys of `role_arn` assumed there; kept in `cache`."""
    if account not in cache:
        if account == MOTO_DEFAULT_ACCOUNT:
            cache[account] = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                              "AWS_SESSION_TOKEN": "testing"}
        else:
            import boto3

            sts = boto3.client("sts", region_name=region, endpoint_url=endpoint,
                               aws_access_key_id="testing", aws_secret_access_key="testing")
            c = sts.assume_role(RoleArn=role_arn, RoleSessionName=session)["Credentials"]
            cache[account] = {"AWS_ACCESS_KEY_ID": c["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
                              "AWS_SESSION_TOKEN": c["SessionToken"]}
    return cache[account]


def moto_gap(resource_type: str) -> str | None:
    """Why moto cannot create a resource of this type in CloudFormation, or None if it can."""
    if resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource":
        # moto invokes the provider Lambda in a Docker container (lambda image pulled from a
        # registry) and waits for the handler to PUT its response back to the moto server.
        return "moto runs a custom resource's provider Lambda only in Docker, which is not available here"
    if not moto_implements(resource_type):
        return "moto has no CloudFormation model for this type"
    return None


def adapt(template: dict, lost: Callable[[Any], str | None] = lambda node: None) -> dict:
    """A copy of the template without the resources moto cannot model and those that need them.

    lost(fragment): why a fragment refers to something an earlier stack could not produce
    (an import of a removed export, a stack output that had to go), else None; a resource or
    output for which it answers goes too.
    Returns {"template", "unmodelled": {type: [logical ids]}, "dependents": [text], "outputs": {name: why}}."""
    tpl = json.loads(json.dumps(template, default=str))
    resources = tpl.get("Resources", {})
    unmodelled: dict[str, list[str]] = {}
    gone: dict[str, str] = {}
    for lid, res in resources.items():
        if moto_gap(res["Type"]):
            unmodelled.setdefault(res["Type"], []).append(lid)
            gone[lid] = f"moto lacks {res['Type']}"
    dependents: list[str] = []

    changed = True
    while changed:
        changed = False
        for lid, res in resources.items():
            if lid in gone:
                continue
            body = {k: v for k, v in res.items() if k != "DependsOn"}
            why = None
            bad = references(body) & set(gone)
            if bad:
                why = "refers to " + ", ".join(f"{b} ({resources[b]['Type']})" for b in sorted(bad))
            if why is None:
                missing = sorted(f"{r}.{a}" for r, a in getatts(body)
                                 if r in resources and r not in gone and moto_getatt_missing(resources[r]["Type"], a))
                if missing:
                    why = f"uses GetAtt {', '.join(missing)}, which moto does not implement"
            if why is None:
                why = lost(body)
            if why:
                gone[lid] = why
                dependents.append(f"{lid} ({res['Type']}): {why}")
                changed = True
    for lid in gone:
        del resources[lid]
    for res in resources.values():
        dep = res.get("DependsOn")
        if dep:
            keep = [d for d in ([dep] if isinstance(dep, str) else dep) if d not in gone]
            if keep:
                res["DependsOn"] = keep
            else:
                del res["DependsOn"]
    outputs = tpl.get("Outputs", {})
    dropped: dict[str, str] = {}
    for name in list(outputs):
        missing = sorted(f"{r}.{a}" for r, a in getatts(outputs[name])
                         if r in resources and moto_getatt_missing(resources[r]["Type"], a))
        bad = sorted(references(outputs[name]) & set(gone))
        why = (f"refers to {', '.join(bad)}" if bad else
               f"uses GetAtt {', '.join(missing)}, which moto does not implement" if missing else
               lost(outputs[name]))
        if why:
            del outputs[name]
            dropped[name] = why
    if not outputs and "Outputs" in tpl:
        del tpl["Outputs"]
    return {"template": tpl, "unmodelled": unmodelled, "dependents": dependents, "outputs": dropped}


def walk(node: Any):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


class MotoWarnings(logging.Handler):
    """Collects moto's WARNING records (skipped resources, unresolvable GetAtt)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


MOTO_LOG = MotoWarnings()


class Check:
    """One step of the run; spot checks append to errors and notes."""

    def __init__(self, fixture: str, name: str, prefix: str = "moto") -> None:
        self.fixture, self.name, self.prefix = fixture, name, prefix
        self.errors: list[str] = []
        self.notes: list[str] = []
        self.seconds = 0.0
        self.summary = ""

    def fail(self, msg: str) -> None:
        self.errors.append(msg)

    def line(self) -> str:
        status = "ok" if not self.errors else "FAIL"
        extra = f" {self.summary}" if self.summary else ""
        return f"{self.prefix}: {self.fixture} {self.name}: {status}{extra} ({self.seconds:.1f}s)"


def indent(text: str) -> str:
    return "\n".join("      " + line for line in text.rstrip().splitlines())



def moto_updates(resource_type: str) -> bool:
    """moto has a CloudFormation update handler for the type (else an update drops the resource)."""
    cls = moto_class(resource_type)
    return cls is not None and not hasattr(cls.update_from_cloudformation_json, "__isabstractmethod__")
