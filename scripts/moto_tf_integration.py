#!/usr/bin/env python3
"""Prove the integration tests of generated Terraform projects against a moto server.

    python scripts/moto_tf_integration.py --stackwright target/debug/stackwright \
        --answers tests/fixtures/answers/05-two-az-sa-east-1-aurora-mysql-lambda.yaml [--answers ...]

Terraform cannot apply the environment roots here (no provider endpoint for moto in the roots,
and moto does not model every resource they declare), so for each answers file this script:

  1. renders the project with `stackwright new --set flavor=terraform`;
  2. in an in-process moto server (ThreadedMotoServer on 127.0.0.1, a free port), creates through
     boto3 what `make apply ENV=<first environment>` creates that the tests read, as the modules
     declare it and with the values of envs/<env>/terraform.tfvars: the environment key, the VPC,
     its subnets, route tables, NAT gateways, endpoints, flow logs and default security group, the
     trail when the environment owns it, the alert topic, dashboard, database and alarms, and the
     application (function, Auto Scaling group or ECS service);
  3. writes outputs.json in the form `terraform output -json` has, with the outputs
     envs/<env>/*.tf declare, and runs the project's own tests/integration with
     STACKWRIGHT_TF_OUTPUTS pointing at it and AWS_ENDPOINT_URL at moto: every test must pass
     and none may skip;
  4. for every test, plants one wrong value in a fresh moto server (dns hostnames off, a public
     subnet IP, a default route in the isolated tier, a NAT gateway missing, an endpoint
     missing, an unencrypted flow-log group, a default security group rule, key rotation off,
     a trail that stopped logging, a public or unencrypted database, deletion protection or
     backups other than answered, an alarm without the topic, an unencrypted topic, a missing
     dashboard, an application deployed outside the private subnets or without its
     hardening) and checks that exactly the test of that concern fails.

Output: one line per fixture and step, then `moto_tf_integration: N passed, M failed`; exit 1
on any failure.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import boto3
import hcl2
import yaml
from moto.server import ThreadedMotoServer

HERE = Path(__file__).resolve().parent
ACCOUNT = "123456789012"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tfvars(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        raw = hcl2.load(handle)
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in raw.items()}


def declared_outputs(env_dir: Path) -> set[str]:
    names = set()
    for path in env_dir.glob("*.tf"):
        with open(path, encoding="utf-8") as handle:
            for entry in hcl2.load(handle).get("output", []):
                names.update(entry)
    return names


class World:
    """What the apply of one environment creates that the integration tests read, in moto."""

    def __init__(self, endpoint: str, project: Path, env: str, answers: dict, plant: str | None):
        self.project, self.env, self.answers, self.plant = project, env, answers, plant
        self.vars = tfvars(project / "envs" / env / "terraform.tfvars")
        self.name = f"{self.vars['tags']['Project']}-{env}"
        self.region = self.vars["region"]
        self.session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=self.region)
        self.endpoint = endpoint
        self.out: dict = {}

    def client(self, service):
        return self.session.client(service, endpoint_url=self.endpoint)

    def build(self) -> dict:
        self.security()
        self.network()
        self.monitoring()
        if self.answers["database"]["engine"] != "none":
            self.database()
        if self.answers["app"]["kind"] != "none":
            self.app(self.answers["app"]["kind"])
        return self.out

    # -- security -------------------------------------------------------------------------
    def security(self):
        kms = self.client("kms")
        key = kms.create_key(Description=f"{self.name} environment key")["KeyMetadata"]
        if self.plant != "key-rotation-off":
            kms.enable_key_rotation(KeyId=key["KeyId"])
        self.key = key["Arn"]
        self.out["kms_key_arn"] = self.key
        s3 = self.client("s3")
        logs_bucket = f"{self.name}-access-logs-{ACCOUNT}"
        self.bucket(s3, logs_bucket)
        self.out["access_log_bucket"] = logs_bucket
        trail_arn = None
        if self.vars["owns_account_trail"]:
            bucket = f"{self.name}-trail-{ACCOUNT}"
            self.bucket(s3, bucket)
            ct = self.client("cloudtrail")
            trail = ct.create_trail(Name=f"{self.name}-trail", S3BucketName=bucket, IsMultiRegionTrail=True,
                                    IncludeGlobalServiceEvents=True, EnableLogFileValidation=True, KmsKeyId=self.key)
            trail_arn = trail["TrailARN"]
            if self.plant != "trail-not-logging":
                ct.start_logging(Name=trail_arn)
        else:
            # Another environment of the account (applied before), or the account itself
            # (security.account_trail: existing), has the multi-region trail.
            bucket = f"account-trail-{ACCOUNT}"
            self.bucket(s3, bucket)
            ct = self.client("cloudtrail")
            other = ct.create_trail(Name="account-trail", S3BucketName=bucket, IsMultiRegionTrail=True)["TrailARN"]
            if self.plant != "trail-not-logging":
                ct.start_logging(Name=other)
        self.out["trail_arn"] = trail_arn

    def bucket(self, s3, name):
        if self.region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region})

    # -- network --------------------------------------------------------------------------
    def network(self):
        ec2, v = self.client("ec2"), self.vars
        vpc = ec2.create_vpc(CidrBlock=v["vpc_cidr"])["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": self.plant != "dns-hostnames-off"})
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
        subnets = {}
        for tier in ("public", "private", "isolated"):
            subnets[tier] = []
            for i, cidr in enumerate(v["subnets"][tier]):
                sid = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zones[i])["Subnet"]["SubnetId"]
                public_ip = self.plant == "public-ip-in-private-subnet" and tier == "private" and i == 0
                ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": public_ip})
                subnets[tier].append(sid)
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        for sid in subnets["public"]:
            ec2.associate_route_table(RouteTableId=public_rt, SubnetId=sid)
        nat_count = {"per-az": len(subnets["public"]), "single": 1, "none": 0}[v["nat_mode"]]
        if self.plant == "nat-missing" and nat_count:
            nat_count -= 1
        nats = []
        for sid in subnets["public"][:nat_count]:
            eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
            nats.append(ec2.create_nat_gateway(SubnetId=sid, AllocationId=eip)["NatGateway"]["NatGatewayId"])
        route_tables = []
        for i, sid in enumerate(subnets["private"]):
            rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
            if nats:
                ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nats[min(i, len(nats) - 1)])
            ec2.associate_route_table(RouteTableId=rt, SubnetId=sid)
            route_tables.append(rt)
        isolated_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        if self.plant == "isolated-default-route":
            ec2.create_route(RouteTableId=isolated_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        for sid in subnets["isolated"]:
            ec2.associate_route_table(RouteTableId=isolated_rt, SubnetId=sid)
        endpoint_sg = ec2.create_security_group(GroupName=f"{self.name}-endpoints", Description="endpoints", VpcId=vpc)["GroupId"]
        for service in v["gateway_endpoints"]:
            ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{self.region}.{service}", VpcEndpointType="Gateway",
                                    RouteTableIds=route_tables + [isolated_rt])
        interface = list(v["interface_endpoints"])
        if self.plant == "endpoint-missing" and interface:
            interface = interface[1:]
        for service in interface:
            ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{self.region}.{service}", VpcEndpointType="Interface",
                                    SubnetIds=subnets["private"], SecurityGroupIds=[endpoint_sg], PrivateDnsEnabled=True)
        logs = self.client("logs")
        group = f"/{self.name}/vpc-flow-logs"
        if self.plant == "flow-logs-unencrypted":
            logs.create_log_group(logGroupName=group)
        else:
            logs.create_log_group(logGroupName=group, kmsKeyId=self.key)
        logs.put_retention_policy(logGroupName=group, retentionInDays=v["log_retention_days"])
        iam = self.client("iam")
        role = iam.create_role(RoleName=f"{self.name}-flow-logs", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="cloud-watch-logs",
                             LogGroupName=group, DeliverLogsPermissionArn=role)
        default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                           {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
        if default_sg["IpPermissions"]:
            ec2.revoke_security_group_ingress(GroupId=default_sg["GroupId"], IpPermissions=default_sg["IpPermissions"])
        if default_sg["IpPermissionsEgress"] and self.plant != "default-sg-egress":
            ec2.revoke_security_group_egress(GroupId=default_sg["GroupId"], IpPermissions=default_sg["IpPermissionsEgress"])
        app_sg = ec2.create_security_group(GroupName=f"{self.name}-app", Description="app", VpcId=vpc)["GroupId"]
        self.subnets, self.vpc = subnets, vpc
        self.out.update({
            "vpc_id": vpc, "vpc_cidr": v["vpc_cidr"], "public_subnet_ids": subnets["public"],
            "private_subnet_ids": subnets["private"], "isolated_subnet_ids": subnets["isolated"],
            "app_security_group_id": app_sg, "nat_gateway_count": {"per-az": len(subnets["public"]), "single": 1, "none": 0}[v["nat_mode"]],
            "flow_log_group_name": group,
        })

    # -- monitoring -----------------------------------------------------------------------
    def monitoring(self):
        sns = self.client("sns")
        attributes = {} if self.plant == "topic-unencrypted" else {"KmsMasterKeyId": self.key}
        self.topic = sns.create_topic(Name=f"{self.name}-alerts", Attributes=attributes)["TopicArn"]
        self.out["alert_topic_arn"] = self.topic
        if self.plant != "dashboard-missing":
            self.client("cloudwatch").put_dashboard(DashboardName=self.name, DashboardBody=json.dumps({"widgets": []}))
        self.out["dashboard_name"] = self.name

    def alarms(self, names, namespace, metric, plant):
        cw = self.client("cloudwatch")
        for i, name in enumerate(names):
            actions = [] if self.plant == plant and i == 0 else [self.topic]
            cw.put_metric_alarm(AlarmName=name, Namespace=namespace, MetricName=metric, Statistic="Average", Period=300,
                                EvaluationPeriods=3, Threshold=80, ComparisonOperator="GreaterThanThreshold", AlarmActions=actions)
        return names

    # -- database -------------------------------------------------------------------------
    def database(self):
        ec2, rds, db = self.client("ec2"), self.client("rds"), self.vars["database"]
        sg = ec2.create_security_group(GroupName=f"{self.name}-db", Description="db", VpcId=self.vpc)["GroupId"]
        rds.create_db_subnet_group(DBSubnetGroupName=f"{self.name}-db", DBSubnetGroupDescription="isolated",
                                   SubnetIds=self.subnets["isolated"])
        identifier = f"{self.name}-db"
        encrypted = self.plant != "db-unencrypted"
        key = {"KmsKeyId": self.key} if encrypted else {}
        protection = db["deletion_protection"] != (self.plant == "db-deletion-protection")
        retention = db["backup_retention_days"] + (1 if self.plant == "db-backup-retention" else 0)
        public = self.plant == "db-public"
        zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
        if db["engine"].startswith("aurora"):
            cluster = rds.create_db_cluster(DBClusterIdentifier=identifier, Engine=db["engine"], EngineVersion=db["engine_version"],
                                            MasterUsername="admin_user", ManageMasterUserPassword=True, StorageEncrypted=encrypted,
                                            DeletionProtection=protection, BackupRetentionPeriod=retention, DBSubnetGroupName=f"{self.name}-db",
                                            VpcSecurityGroupIds=[sg], Port=db["port"], **key)["DBCluster"]
            count = 2 if db["multi_az"] else 1
            for i in range(count):
                rds.create_db_instance(DBInstanceIdentifier=f"{identifier}-{i}", DBClusterIdentifier=identifier, Engine=db["engine"],
                                       DBInstanceClass=db["instance_class"], PubliclyAccessible=public and i == 0,
                                       DBSubnetGroupName=f"{self.name}-db", AvailabilityZone=zones[i])
            endpoint = cluster["Endpoint"]
        else:
            instance = rds.create_db_instance(DBInstanceIdentifier=identifier, Engine=db["engine"], EngineVersion=db["engine_version"],
                                              DBInstanceClass=db["instance_class"], AllocatedStorage=20, MasterUsername="admin_user",
                                              ManageMasterUserPassword=True, StorageEncrypted=encrypted, MultiAZ=db["multi_az"],
                                              DeletionProtection=protection, BackupRetentionPeriod=retention, PubliclyAccessible=public,
                                              DBSubnetGroupName=f"{self.name}-db", VpcSecurityGroupIds=[sg], Port=db["port"], **key)["DBInstance"]
            endpoint = instance["Endpoint"]["Address"]
        names = [f"{self.name}-db-{m}" for m in ("cpu", "free-storage", "connections")]
        self.out.update({
            "database_endpoint": endpoint, "database_security_group_id": sg,
            "database_alarm_names": self.alarms(names, "AWS/RDS", "CPUUtilization", "db-alarm-without-topic"),
        })

    # -- app ------------------------------------------------------------------------------
    def app(self, kind):
        logs = self.client("logs")
        group = f"/{self.name}/app"
        logs.create_log_group(logGroupName=group, kmsKeyId=self.key)
        logs.put_retention_policy(logGroupName=group, retentionInDays=self.vars["log_retention_days"])
        self.out["app_log_group_name"] = group
        private = self.subnets["private"]
        placed = self.subnets["public"] if self.plant == "app-in-public-subnets" else private
        if kind == "lambda":
            iam, sqs, fn = self.client("iam"), self.client("sqs"), self.client("lambda")
            trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                                       "Action": "sts:AssumeRole"}]})
            role = iam.create_role(RoleName=f"{self.name}-function", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            queue = sqs.create_queue(QueueName=f"{self.name}-app-dlq")["QueueUrl"]
            dlq = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            code = io.BytesIO()
            with zipfile.ZipFile(code, "w") as archive:
                archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
            sg = self.client("ec2").create_security_group(GroupName=f"{self.name}-lambda", Description="fn", VpcId=self.vpc)["GroupId"]
            name = f"{self.name}-app"
            fn.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler",
                               Code={"ZipFile": code.getvalue()}, KMSKeyArn=self.key, DeadLetterConfig={"TargetArn": dlq},
                               TracingConfig={"Mode": "PassThrough" if self.plant == "app-hardening" else "Active"},
                               VpcConfig={"SubnetIds": placed, "SecurityGroupIds": [sg]})
            self.out["app_function_name"] = name
            alarms = [f"{name}-{m}" for m in ("errors", "throttles", "dead-letters")]
        elif kind == "ec2":
            ec2, asg = self.client("ec2"), self.client("autoscaling")
            tokens = "optional" if self.plant == "app-hardening" else "required"
            template = ec2.create_launch_template(LaunchTemplateName=f"{self.name}-app", LaunchTemplateData={
                "ImageId": "ami-12c6146b", "InstanceType": "t3.micro",
                "MetadataOptions": {"HttpTokens": tokens, "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"},
                "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "KmsKeyId": self.key, "VolumeType": "gp3", "VolumeSize": 20}}],
            })["LaunchTemplate"]
            name = f"{self.name}-app"
            asg.create_auto_scaling_group(AutoScalingGroupName=name, MinSize=1, MaxSize=2, DesiredCapacity=1,
                                          LaunchTemplate={"LaunchTemplateId": template["LaunchTemplateId"], "Version": "1"},
                                          VPCZoneIdentifier=",".join(placed))
            self.out["app_autoscaling_group_name"] = name
            alarms = [f"{name}-cpu", f"{name}-in-service"]
        else:
            ecs, ec2 = self.client("ecs"), self.client("ec2")
            insights = "disabled" if self.plant == "app-hardening" else "enabled"
            cluster = f"{self.name}-app"
            ecs.create_cluster(clusterName=cluster, settings=[{"name": "containerInsights", "value": insights}])
            task = ecs.register_task_definition(family=cluster, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                                                memory="512", containerDefinitions=[{"name": "app", "image": "public.ecr.aws/nginx/nginx:1.27",
                                                                                     "essential": True}])["taskDefinition"]["taskDefinitionArn"]
            sg = ec2.create_security_group(GroupName=f"{self.name}-tasks", Description="tasks", VpcId=self.vpc)["GroupId"]
            ecs.create_service(cluster=cluster, serviceName=f"{cluster}-service", taskDefinition=task, desiredCount=1, launchType="FARGATE",
                               networkConfiguration={"awsvpcConfiguration": {"subnets": placed, "securityGroups": [sg], "assignPublicIp": "DISABLED"}})
            self.out.update({"app_cluster_name": cluster, "app_service_name": f"{cluster}-service"})
            alarms = [f"{cluster}-{m}" for m in ("cpu", "memory", "running-tasks")]
        self.out["app_alarm_names"] = self.alarms(alarms, "AWS/Lambda", "Errors", "app-alarm-without-topic")


# plant -> the test that must fail (and be the only failure)
PLANTS = {
    "dns-hostnames-off": "test_net_01_live_vpc_has_the_answered_cidr_and_resolves_dns",
    "public-ip-in-private-subnet": "test_net_02_live_subnets_match_the_tiers_one_per_zone",
    "isolated-default-route": "test_net_02_live_isolated_subnets_have_no_internet_route",
    "nat-missing": "test_net_03_live_nat_gateways_match_the_mode",
    "endpoint-missing": "test_net_04_live_endpoints_match_the_answers",
    "flow-logs-unencrypted": "test_net_05_live_flow_logs_go_to_the_encrypted_log_group",
    "default-sg-egress": "test_net_06_live_default_security_group_has_no_rules",
    "key-rotation-off": "test_sec_01_live_environment_key_rotates",
    "trail-not-logging": "test_sec_02_live_account_trail_is_logging",
    "topic-unencrypted": "test_mon_01_live_alert_topic_is_encrypted",
    "dashboard-missing": "test_mon_03_live_dashboard_exists",
    "db-unencrypted": "test_db_02_live_storage_encrypted_with_the_environment_key",
    "db-public": "test_db_07_live_not_publicly_accessible_in_the_isolated_subnets",
    "db-deletion-protection": "test_db_05_live_deletion_protection_and_backups_as_answered",
    "db-backup-retention": "test_db_05_live_deletion_protection_and_backups_as_answered",
    "db-alarm-without-topic": "test_db_08_live_alarms_act_on_the_alert_topic",
    "app-alarm-without-topic": "test_mon_02_live_app_alarms_act_on_the_alert_topic",
    "app-in-public-subnets": "test_app_0",
    "app-hardening": "test_app_0",
}


def applies(plant: str, answers: dict, world_vars: dict) -> bool:
    if plant.startswith("db-") and answers["database"]["engine"] == "none":
        return False
    if plant.startswith("app-") and answers["app"]["kind"] == "none":
        return False
    if plant == "nat-missing" and world_vars["nat_mode"] == "none":
        return False
    if plant == "endpoint-missing" and not world_vars["interface_endpoints"]:
        return False
    return True


def run_tests(project: Path, env: str, endpoint: str, outputs: dict, python: str) -> tuple[dict, str]:
    """{test name: outcome} of the project's tests/integration against moto."""
    raw = {k: {"value": v, "type": "string", "sensitive": False} for k, v in outputs.items()}
    with tempfile.TemporaryDirectory() as tmp:
        out_file, report = Path(tmp) / "outputs.json", Path(tmp) / "report.xml"
        out_file.write_text(json.dumps(raw))
        environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        environ.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "STACKWRIGHT_ENV": env, "STACKWRIGHT_TF_OUTPUTS": str(out_file), "PYTHONDONTWRITEBYTECODE": "1"})
        run = subprocess.run([python, "-m", "pytest", "tests/integration", "-q", "-rs", "-p", "no:cacheprovider",
                              f"--junitxml={report}"], cwd=project, env=environ, capture_output=True, text=True, check=False)
        import xml.etree.ElementTree as ET

        outcomes = {}
        if report.exists():
            for case in ET.parse(report).getroot().iter("testcase"):
                state = "passed"
                for child in case:
                    if child.tag in ("failure", "error"):
                        state = "failed"
                    elif child.tag == "skipped":
                        state = "skipped"
                outcomes[case.get("name")] = state
        return outcomes, run.stdout + run.stderr


def install_moto_shims() -> None:
    """moto gaps that would fail a test that AWS passes, each printed when installed."""
    from moto.awslambda import models as awslambda

    # moto 5.2.5 drops a function's DeadLetterConfig: CreateFunction accepts it and
    # GetFunctionConfiguration leaves it out, where Lambda returns it.
    original_init = awslambda.LambdaFunction.__init__
    original_configuration = awslambda.LambdaFunction.get_configuration

    def init(self, account_id, spec, *rest, **kwargs):
        original_init(self, account_id, spec, *rest, **kwargs)
        self.shim_dead_letter_config = spec.get("DeadLetterConfig")

    def configuration(self, *rest, **kwargs):
        config = original_configuration(self, *rest, **kwargs)
        if getattr(self, "shim_dead_letter_config", None):
            config["DeadLetterConfig"] = self.shim_dead_letter_config
        return config

    awslambda.LambdaFunction.__init__ = init
    awslambda.LambdaFunction.get_configuration = configuration
    print("moto_tf_integration: shim: Lambda GetFunctionConfiguration returns the DeadLetterConfig CreateFunction was given")


def with_server(fn):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # The in-process servers share moto's backends: every world starts empty.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).read()
        return fn(endpoint)
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stackwright", required=True)
    parser.add_argument("--answers", action="append", required=True)
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs the generated tests (pytest, boto3, hcl2)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    install_moto_shims()
    passed = failed = 0
    for answers_file in args.answers:
        fixture = Path(answers_file).stem
        with tempfile.TemporaryDirectory() as tmp:
            project = Path(tmp) / "project"
            subprocess.run([args.stackwright, "new", "--answers", answers_file, "--set", "flavor=terraform", "--out", str(project)],
                           check=True, capture_output=True)
            answers = yaml.safe_load((project / ".stackwright" / "answers.yaml").read_text())
            env = answers["environments"][0]["name"]
            declared = declared_outputs(project / "envs" / env)

            def clean(endpoint):
                world = World(endpoint, project, env, answers, None)
                outputs = world.build()
                missing = sorted(set(outputs) - declared)
                assert not missing, f"the harness writes outputs envs/{env} does not declare: {missing}"
                outputs = {k: v for k, v in outputs.items() if k in declared}
                return world.vars, run_tests(project, env, endpoint, outputs, args.python)

            world_vars, (outcomes, log) = with_server(clean)
            bad = {k: v for k, v in outcomes.items() if v != "passed"}
            if outcomes and not bad:
                passed += 1
                print(f"moto_tf_integration: {fixture} {env} clean: ok, {len(outcomes)} tests passed, 0 skipped")
            else:
                failed += 1
                print(f"moto_tf_integration: {fixture} {env} clean: FAIL {bad or 'no test ran'}\n{log}")
                continue
            for plant, test in PLANTS.items():
                if not applies(plant, answers, world_vars):
                    continue

                def planted(endpoint, plant=plant):
                    world = World(endpoint, project, env, answers, plant)
                    outputs = {k: v for k, v in world.build().items() if k in declared}
                    return run_tests(project, env, endpoint, outputs, args.python)

                outcomes, log = with_server(planted)
                failing = sorted(k for k, v in outcomes.items() if v == "failed")
                others = sorted(k for k, v in outcomes.items() if v == "skipped")
                if failing and all(f.startswith(test) for f in failing) and not others:
                    passed += 1
                    print(f"moto_tf_integration: {fixture} {env} planted {plant}: caught by {', '.join(failing)}")
                else:
                    failed += 1
                    print(f"moto_tf_integration: {fixture} {env} planted {plant}: FAIL, failing {failing or 'none'} (want {test}), skipped {others}\n{log[-3000:]}")
    print(f"moto_tf_integration: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
