"""Integration tests for the deployed database stack (<project>-<env>-database):
read its outputs and check the live RDS resources with boto3.

The `env_name`, `stack_outputs` and `aws` fixtures come from tests/integration/conftest.py;
`stack_outputs("database")` skips a test with a clear message when the stack
is not deployed or there are no AWS credentials, so this file is safe to run
anywhere. Read-only: nothing here changes a resource.
"""
{% raw -%}
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = yaml.safe_load((ROOT / ".stackwright" / "answers.yaml").read_text())
LOCK = yaml.safe_load((ROOT / ".stackwright" / "lock.yaml").read_text())
# `auto` in the answers; what it resolved to is in the lock.
DB_VERSION = (LOCK.get("database") or {}).get("version") if ANSWERS["database"]["version"] == "auto" else ANSWERS["database"]["version"]
PROJECT = ANSWERS["project"]["name"]
ENGINE = ANSWERS["database"]["engine"]
AURORA = ENGINE.startswith("aurora-")
TLS = {
    "postgres": ("rds.force_ssl", {"1"}),
    "mysql": ("require_secure_transport", {"1", "ON"}),
    "aurora-postgresql": ("rds.force_ssl", {"1"}),
    "aurora-mysql": ("require_secure_transport", {"ON", "1"}),
}[ENGINE]


@pytest.fixture(scope="module")
def outputs(stack_outputs):
    return stack_outputs("database")


@pytest.fixture(scope="module")
def rds(aws, outputs):
    # Depends on outputs so an undeployed stack skips before a client is made.
    return aws.client("rds")


@pytest.fixture(scope="module")
def env_params(env_name):
    path = ROOT / "params" / f"{env_name}.json"
    return json.loads(path.read_text())["database"]["Parameters"]


@pytest.fixture(scope="module")
def owner(outputs, rds):
    """describe_db_clusters (Aurora) or describe_db_instances for the stack's database."""
    if AURORA:
        return rds.describe_db_clusters(DBClusterIdentifier=outputs["DbIdentifier"])["DBClusters"][0]
    return rds.describe_db_instances(DBInstanceIdentifier=outputs["DbIdentifier"])["DBInstances"][0]


@pytest.fixture(scope="module")
def instances(owner, rds):
    if not AURORA:
        return [owner]
    found = []
    for member in owner["DBClusterMembers"]:
        found += rds.describe_db_instances(DBInstanceIdentifier=member["DBInstanceIdentifier"])["DBInstances"]
    return found


def customer_managed(aws, key_id):
    meta = aws.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
    return meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] == "Enabled"


def test_db_01_live_engine_and_version(outputs, owner, instances, env_name, env_params):
    assert outputs["DbIdentifier"].startswith(f"{PROJECT}-{env_name}-db-")
    assert owner["Engine"] == ENGINE
    # Auto minor version upgrade may move the minor version on; the major stays pinned.
    assert owner["EngineVersion"].split(".")[0] == DB_VERSION.split(".")[0]
    for inst in instances:
        assert inst["DBInstanceClass"] == env_params["DbInstanceClass"]


def test_db_02_live_storage_and_performance_insights_on_customer_key(aws, owner, instances):
    assert owner["StorageEncrypted"] is True
    assert customer_managed(aws, owner["KmsKeyId"]), "storage is not on the environment's customer key"
    for inst in instances:
        assert inst.get("PerformanceInsightsEnabled") is True, inst["DBInstanceIdentifier"]
        assert inst["PerformanceInsightsKMSKeyId"].split("/")[-1] == owner["KmsKeyId"].split("/")[-1]


def test_db_03_live_master_secret_owned_by_rds(aws, outputs, owner):
    secret = owner["MasterUserSecret"]
    assert secret["SecretArn"] == outputs["DbSecretArn"]
    assert secret["SecretStatus"] == "active"
    described = aws.client("secretsmanager").describe_secret(SecretId=secret["SecretArn"])
    assert described.get("OwningService") == "rds", "the master secret is not managed by RDS"
    assert described.get("KmsKeyId") and customer_managed(aws, described["KmsKeyId"])


def test_db_04_live_multi_az_matches_environment(owner, instances, env_params):
    wanted = env_params["MultiAZ"] == "true"
    if AURORA:
        assert len(instances) == (2 if wanted else 1)
        if wanted:
            assert len({i["AvailabilityZone"] for i in instances}) == 2, "writer and reader share an AZ"
    else:
        assert owner["MultiAZ"] is wanted


def test_db_05_live_backups_protection_and_snapshot_tags(owner, env_params):
    assert owner["BackupRetentionPeriod"] == int(env_params["BackupRetentionDays"])
    assert owner["DeletionProtection"] is (env_params["DeletionProtection"] == "true")
    assert owner["CopyTagsToSnapshot"] is True
    assert owner["PreferredBackupWindow"] and owner["PreferredMaintenanceWindow"]


def test_db_06_live_monitoring_logs_and_iam_auth(aws, owner, instances, env_params):
    for inst in instances:
        assert inst["MonitoringInterval"] == 60 and inst.get("EnhancedMonitoringResourceArn")
        assert inst["AutoMinorVersionUpgrade"] is False, "pinned minor version, upgraded deliberately"
    assert owner["IAMDatabaseAuthenticationEnabled"] is True
    exports = owner.get("EnabledCloudwatchLogsExports", [])
    assert exports, "no log exports"
    assert "general" not in exports, "the general log (every statement with its values) stays off"
    if "mysql" in owner["Engine"]:
        assert ("audit" in exports) == (env_params["AuditLogging"] == "true"), exports
    kind, identifier = ("cluster", owner["DBClusterIdentifier"]) if AURORA else ("instance", owner["DBInstanceIdentifier"])
    logs = aws.client("logs")
    for log in exports:
        name = f"/aws/rds/{kind}/{identifier}/{log}"
        groups = [g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name]
        assert groups, f"log group {name} missing"
        assert groups[0].get("kmsKeyId"), f"{name} is not encrypted with the key"
        assert groups[0].get("retentionInDays") == int(env_params["LogRetentionDays"])


def test_db_07_live_private_isolated_and_tls_only(aws, rds, owner, instances):
    for inst in instances:
        assert inst["PubliclyAccessible"] is False
    subnet_group = instances[0]["DBSubnetGroup"]
    ec2 = aws.client("ec2")
    for subnet in subnet_group["Subnets"]:
        tables = ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet["SubnetIdentifier"]]}])["RouteTables"]
        for table in tables:
            for route in table["Routes"]:
                assert not (route.get("GatewayId", "").startswith("igw-") or route.get("NatGatewayId")), (
                    f"{subnet['SubnetIdentifier']} routes to the internet: {route}")
    name, accepted = TLS
    if AURORA:
        pages = rds.get_paginator("describe_db_cluster_parameters").paginate(
            DBClusterParameterGroupName=owner["DBClusterParameterGroup"], Source="user")
    else:
        pages = rds.get_paginator("describe_db_parameters").paginate(
            DBParameterGroupName=owner["DBParameterGroups"][0]["DBParameterGroupName"], Source="user")
    values = {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}
    assert values.get(name) in accepted, f"{name} = {values.get(name)!r}: clients may connect without TLS"


def test_db_07_live_security_group_admits_only_app_tiers(aws, outputs):
    sg = aws.client("ec2").describe_security_groups(GroupIds=[outputs["DbSecurityGroupId"]])["SecurityGroups"][0]
    port = int(outputs["DbPort"])
    assert sg["IpPermissions"], "no ingress at all"
    for perm in sg["IpPermissions"]:
        assert perm["IpProtocol"] == "tcp" and perm["FromPort"] == perm["ToPort"] == port, perm
        assert not perm.get("IpRanges") and not perm.get("Ipv6Ranges") and not perm.get("PrefixListIds"), perm
        assert perm["UserIdGroupPairs"], perm
    for perm in sg["IpPermissionsEgress"]:
        assert all(r["CidrIp"] != "0.0.0.0/0" for r in perm.get("IpRanges", [])), "open egress on the database tier"
        assert not perm.get("Ipv6Ranges"), perm


def test_db_08_live_alarms_notify(aws, env_name, instances):
    prefix = f"{PROJECT}-{env_name}-db"
    alarms = aws.client("cloudwatch").describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]
    by_instance = {}
    for alarm in alarms:
        assert alarm["ActionsEnabled"] is True, alarm["AlarmName"]
        assert alarm["AlarmActions"] and all(":sns:" in a for a in alarm["AlarmActions"]), alarm["AlarmName"]
        assert alarm["OKActions"], alarm["AlarmName"]
        for dim in alarm["Dimensions"]:
            if dim["Name"] == "DBInstanceIdentifier":
                by_instance.setdefault(dim["Value"], set()).add(alarm["MetricName"])
    storage = "FreeLocalStorage" if AURORA else "FreeStorageSpace"
    for inst in instances:
        assert by_instance.get(inst["DBInstanceIdentifier"]) == {"CPUUtilization", storage, "DatabaseConnections"}
{%- endraw %}
