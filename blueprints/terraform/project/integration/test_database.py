{% raw -%}
"""Integration tests of the deployed database (DB-02, DB-04, DB-05, DB-07, DB-08): encrypted with
the environment key, not publicly accessible, deletion protection, Multi-AZ and backup retention
as envs/<env>/terraform.tfvars says, and its alarms acting on the alert topic."""

import pytest


def identifier(tfvars):
    """The database's identifier: <project>-<env>-db (modules/database)."""
    return f"{tfvars['tags']['Project']}-{tfvars['environment']}-db"


@pytest.fixture(scope="module")
def database(outputs, tfvars, aws):
    """(cluster or None, [instances]) of the environment's database."""
    rds = aws.client("rds")
    if tfvars["database"]["engine"].startswith("aurora"):
        cluster = rds.describe_db_clusters(DBClusterIdentifier=identifier(tfvars))["DBClusters"][0]
        assert cluster["Endpoint"] == outputs["database_endpoint"]
        members = [m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"]]
        instances = [rds.describe_db_instances(DBInstanceIdentifier=m)["DBInstances"][0] for m in members]
        return cluster, instances
    instance = rds.describe_db_instances(DBInstanceIdentifier=identifier(tfvars))["DBInstances"][0]
    assert instance["Endpoint"]["Address"] == outputs["database_endpoint"]
    return None, [instance]


def test_db_02_live_storage_encrypted_with_the_environment_key(database, outputs):
    cluster, instances = database
    holder = cluster if cluster else instances[0]
    assert holder["StorageEncrypted"] is True
    assert holder["KmsKeyId"] == outputs["kms_key_arn"]


def test_db_07_live_not_publicly_accessible_in_the_isolated_subnets(database, outputs):
    _, instances = database
    assert instances
    for instance in instances:
        assert instance["PubliclyAccessible"] is False, instance["DBInstanceIdentifier"]
        subnets = {s["SubnetIdentifier"] for s in instance["DBSubnetGroup"]["Subnets"]}
        assert subnets == set(outputs["isolated_subnet_ids"]), instance["DBInstanceIdentifier"]
        groups = [g["VpcSecurityGroupId"] for g in instance["VpcSecurityGroups"]]
        assert groups == [outputs["database_security_group_id"]], instance["DBInstanceIdentifier"]


def test_db_05_live_deletion_protection_and_backups_as_answered(database, tfvars):
    cluster, instances = database
    holder = cluster if cluster else instances[0]
    assert holder["DeletionProtection"] is tfvars["database"]["deletion_protection"]
    assert holder["BackupRetentionPeriod"] == tfvars["database"]["backup_retention_days"]


def test_db_04_live_multi_az_as_answered(database, tfvars):
    cluster, instances = database
    if cluster:
        zones = {i["AvailabilityZone"] for i in instances}
        assert (len(zones) > 1) is tfvars["database"]["multi_az"], f"instances in {sorted(zones)}"
    else:
        assert instances[0]["MultiAZ"] is tfvars["database"]["multi_az"]


def test_db_08_live_alarms_act_on_the_alert_topic(outputs, aws):
    names = outputs["database_alarm_names"]
    assert names
    alarms = aws.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in alarms) == sorted(names)
    for alarm in alarms:
        assert outputs["alert_topic_arn"] in alarm["AlarmActions"], alarm["AlarmName"]
{%- endraw %}
