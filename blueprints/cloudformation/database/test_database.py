"""Unit tests for templates/database.yaml: the database controls DB-01..DB-08,
asserted on the rendered template, the stored answers and params/<env>.json.
Offline. (Naming, tagging and parameter rules for every template are in
test_general.py.)

Engine facts below are written down independently of the generator (from the
RDS and Aurora user guides), so a template that drifts from them fails here.
"""
{% raw -%}
import re

from helpers import ROOT, answers, as_list, env_names, one, resources, stack_params, statements, template, walk

STACK = "database"
TPL = template(STACK)
ANSWERS = answers()
DB = ANSWERS["database"]
ENGINE = DB["engine"]
AURORA = ENGINE.startswith("aurora-")
PROJECT = ANSWERS["project"]["name"]

# What each engine must look like, from the AWS documentation.
ENGINES = {
    "postgres": {
        "port": 5432, "family": "postgres", "tls": ("rds.force_ssl", {"1"}),
        "exports": {"postgresql", "upgrade", "iam-db-auth-error"}, "required": {"postgresql"},
    },
    "mysql": {
        "port": 3306, "family": "mysql", "tls": ("require_secure_transport", {"1"}),
        "exports": {"audit", "error", "general", "slowquery", "iam-db-auth-error"}, "required": {"error", "slowquery"},
    },
    "aurora-postgresql": {
        "port": 5432, "family": "aurora-postgresql", "tls": ("rds.force_ssl", {"1"}),
        "exports": {"postgresql", "instance", "iam-db-auth-error"}, "required": {"postgresql"},
    },
    "aurora-mysql": {
        "port": 3306, "family": "aurora-mysql", "tls": ("require_secure_transport", {"ON", "1"}),
        "exports": {"audit", "error", "general", "slowquery", "instance", "iam-db-auth-error"},
        "required": {"error", "slowquery"},
    },
}
# A MySQL log export stays empty unless its parameter switches the log on.
LOG_SWITCHES = {"general": "general_log", "slowquery": "slow_query_log", "audit": "server_audit_logging"}
FACTS = ENGINES[ENGINE]
INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9]+\.[a-z0-9]+$")
ALLOWED_PERIODS = {10, 30} | {60 * n for n in range(1, 1441)}


def import_of(stack, name):
    """The Fn::ImportValue of another stack's export, as the template must write it."""
    return {"Fn::ImportValue": {"Fn::Sub": PROJECT + "-${EnvironmentName}-" + stack + "-" + name}}


RES_DB = TPL["Resources"]
KMS_KEY = import_of("security", "KmsKeyArn")
ALERT_TOPIC = import_of("security", "AlertTopicArn")


def owner():
    """The resource that owns the data: the Aurora cluster, or the DB instance."""
    return one(TPL, "AWS::RDS::DBCluster" if AURORA else "AWS::RDS::DBInstance")


def owner_name():
    kind = "AWS::RDS::DBCluster" if AURORA else "AWS::RDS::DBInstance"
    return next(iter(resources(TPL, kind)))


def db_instances():
    return resources(TPL, "AWS::RDS::DBInstance")


def parameter_group():
    kind = "AWS::RDS::DBClusterParameterGroup" if AURORA else "AWS::RDS::DBParameterGroup"
    return one(TPL, kind)


def profiles():
    return {e["name"]: e["profile"] for e in ANSWERS["environments"]}


def production_envs():
    return [name for name, profile in profiles().items() if profile == "production"]


def env_value(env, key):
    value = stack_params(env, STACK).get(key)
    assert value is not None, f"params/{env}.json passes no {STACK}.{key}"
    return value


def ref(value):
    return value.get("Ref") if isinstance(value, dict) else None


def true(value):
    return value is True or value == "true"


def alarms():
    return resources(TPL, "AWS::CloudWatch::Alarm")


def audit_on(env):
    return env_value(env, "AuditLogging") == "true"


def in_env(value, env):
    """A value with any !If [HasAuditLogging, a, b] resolved for one environment."""
    if isinstance(value, dict) and "Fn::If" in value:
        cond, yes, no = value["Fn::If"]
        assert cond == "HasAuditLogging", cond
        return in_env(yes if audit_on(env) else no, env)
    if isinstance(value, dict):
        return {k: in_env(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [in_env(v, env) for v in value]
    return value


def exports_in(env):
    return in_env(owner()["Properties"].get("EnableCloudwatchLogsExports", []), env)


def settings_in(env):
    return in_env(parameter_group()["Properties"]["Parameters"], env)


# ----------------------------------------------------------------- DB-01


def test_db_01_engine_and_pinned_version_from_answers():
    props = owner()["Properties"]
    assert props["Engine"] == ENGINE
    version = props.get("EngineVersion")
    assert isinstance(version, str) and version == DB["version"], (
        f"EngineVersion {version!r} is not the pinned version {DB['version']!r} from the answers")
    assert version not in ("", "auto", "latest") and re.match(r"^\d+\.\d+", version), version
    for name, inst in db_instances().items():
        assert inst["Properties"]["Engine"] == ENGINE, f"{name} runs another engine"
        # Cluster members follow the cluster's version; a second pin would drift.
        if AURORA:
            assert "EngineVersion" not in inst["Properties"], f"{name} pins its own version"


def test_db_01_instance_class_per_environment():
    spec = TPL["Parameters"]["DbInstanceClass"]
    assert INSTANCE_CLASS.pattern == spec["AllowedPattern"]
    assert INSTANCE_CLASS.match(spec["Default"])
    assert db_instances(), "no DB instance"
    for name, inst in db_instances().items():
        assert ref(inst["Properties"]["DBInstanceClass"]) == "DbInstanceClass", f"{name} has a fixed class"
    classes = {env: env_value(env, "DbInstanceClass") for env in env_names()}
    for env, cls in classes.items():
        assert INSTANCE_CLASS.match(cls), f"{env}: {cls!r} is not an instance class"
    assert spec["Default"] in classes.values(), "the default class is none of the environments' classes"
    if DB.get("instance_class", "auto") != "auto":
        assert set(classes.values()) == {DB["instance_class"]}, "the answered instance class is not used everywhere"
    else:
        for env in production_envs():
            assert not classes[env].startswith("db.t"), f"{env} is production but runs on burstable {classes[env]}"


# ----------------------------------------------------------------- DB-02


def test_db_02_storage_encrypted_with_environment_key():
    props = owner()["Properties"]
    assert props.get("StorageEncrypted") is True
    assert props.get("KmsKeyId") == KMS_KEY, "storage is not encrypted with the security stack's key"
    for name, inst in db_instances().items():
        # Cluster members inherit the cluster's encryption (cfn-lint E3682 forbids repeating it).
        if not AURORA:
            assert inst["Properties"].get("StorageEncrypted") is True, name


def test_db_02_performance_insights_encrypted_with_same_key():
    assert db_instances()
    for name, inst in db_instances().items():
        props = inst["Properties"]
        assert props.get("EnablePerformanceInsights") is True, f"{name}: Performance Insights off"
        assert props.get("PerformanceInsightsKMSKeyId") == KMS_KEY, f"{name}: Performance Insights not on the key"
        assert props.get("PerformanceInsightsRetentionPeriod") == 7, name


# ----------------------------------------------------------------- DB-03


def test_db_03_master_secret_generated_and_held_by_secrets_manager():
    props = owner()["Properties"]
    assert props.get("ManageMasterUserPassword") is True
    assert props.get("MasterUserSecret", {}).get("KmsKeyId") == KMS_KEY, "master secret not encrypted with the key"
    user = props.get("MasterUsername")
    assert isinstance(user, str) and re.match(r"^[a-z][a-z0-9_]{0,15}$", user), "master user name must be a fixed literal"
    assert user not in ("admin", "root", "postgres", "rdsadmin"), f"{user!r} is a reserved or guessable name"
    # Neighbours and the integration tests find the credentials through this export only.
    assert TPL["Outputs"]["DbSecretArn"]["Value"] == {"Fn::GetAtt": [owner_name(), "MasterUserSecret.SecretArn"]}


def test_db_03_no_password_anywhere():
    for name, res in resources(TPL).items():
        props = res.get("Properties", {})
        assert "MasterUserPassword" not in props, f"{name} carries a password"
    for key in TPL.get("Parameters", {}):
        assert not re.search(r"(?i)password|secret", key), f"parameter {key} looks like a secret"
    for env in env_names():
        for key, value in stack_params(env, STACK).items():
            assert not re.search(r"(?i)password|secret", key), f"params/{env}.json passes {key}"
    # RDS manages the password itself: not even a dynamic reference is needed.
    for node in walk(TPL.get("Resources", {})):
        if isinstance(node, str):
            assert "resolve:secretsmanager" not in node and "resolve:ssm-secure" not in node, node


# ----------------------------------------------------------------- DB-04


def test_db_04_multi_az_for_production_environments():
    spec = TPL["Parameters"]["MultiAZ"]
    assert spec["Default"] == "true" and set(spec["AllowedValues"]) == {"true", "false"}
    for env, profile in profiles().items():
        if profile == "production":
            assert env_value(env, "MultiAZ") == "true", f"{env} is production but not Multi-AZ"
    if not AURORA:
        assert ref(owner()["Properties"].get("MultiAZ")) == "MultiAZ"


def test_db_04_aurora_reader_in_second_az_when_multi_az():
    if not AURORA:
        # Multi-AZ standby is a property of the single instance; no hidden replicas.
        assert len(db_instances()) == 1
        return
    insts = db_instances()
    assert len(insts) == 2, f"expected a writer and a reader, found {sorted(insts)}"
    reader_name, reader = next((n, r) for n, r in insts.items() if "Condition" in r)
    writer = next(r for n, r in insts.items() if n != reader_name)
    condition = TPL["Conditions"][reader["Condition"]]
    assert condition == {"Fn::Equals": [{"Ref": "MultiAZ"}, "true"]}, condition
    for inst in (writer, reader):
        assert inst["Properties"]["DBClusterIdentifier"] == {"Ref": owner_name()}
    w_az, r_az = writer["Properties"]["AvailabilityZone"], reader["Properties"]["AvailabilityZone"]
    assert w_az["Fn::Select"][1] == {"Fn::GetAZs": ""} and r_az["Fn::Select"][1] == {"Fn::GetAZs": ""}
    assert w_az["Fn::Select"][0] != r_az["Fn::Select"][0], "writer and reader in the same AZ"
    assert reader["Properties"].get("PromotionTier", 1) <= 1, "the reader is not the failover target"


# ----------------------------------------------------------------- DB-05


def test_db_05_backup_retention_at_least_seven_days_longer_in_production():
    spec = TPL["Parameters"]["BackupRetentionDays"]
    assert spec["MinValue"] >= 7 and spec["Default"] >= 7
    assert ref(owner()["Properties"]["BackupRetentionPeriod"]) == "BackupRetentionDays"
    days = {env: int(env_value(env, "BackupRetentionDays")) for env in env_names()}
    for env, value in days.items():
        assert spec["MinValue"] <= value <= spec["MaxValue"], f"{env}: {value} days"
    ephemeral = [days[e] for e, p in profiles().items() if p == "ephemeral"]
    for env in production_envs():
        assert days[env] >= max(ephemeral, default=7), f"{env} keeps backups shorter than an ephemeral environment"


def _window(text):
    """'sun:04:00-sun:05:00' or '02:00-03:00' -> (start, end) in minutes of the week."""
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    def point(p):
        parts = p.split(":")
        day = days.index(parts[0]) if len(parts) == 3 else None
        hh, mm = int(parts[-2]), int(parts[-1])
        return day, hh * 60 + mm

    start, end = (point(p) for p in text.split("-"))
    return start, end


def test_db_05_backup_and_maintenance_windows_do_not_overlap():
    props = owner()["Properties"]
    (_, b_start), (_, b_end) = _window(props["PreferredBackupWindow"])
    (m_day, m_start), (_, m_end) = _window(props["PreferredMaintenanceWindow"])
    assert b_end - b_start >= 30, "the backup window must be at least 30 minutes"
    assert m_end - m_start >= 30, "the maintenance window must be at least 30 minutes"
    # The backup window recurs daily, so it must not overlap the maintenance window on its day.
    assert m_start >= b_end or m_end <= b_start, "backup and maintenance windows overlap"


def test_db_05_final_snapshot_tags_and_deletion_protection():
    res = owner()
    assert res.get("DeletionPolicy") == "Snapshot" and res.get("UpdateReplacePolicy") == "Snapshot"
    props = res["Properties"]
    assert props.get("CopyTagsToSnapshot") is True
    assert ref(props.get("DeletionProtection")) == "DeletionProtection"
    assert TPL["Parameters"]["DeletionProtection"]["Default"] == "true"
    for env, profile in profiles().items():
        if profile == "production":
            assert env_value(env, "DeletionProtection") == "true", f"{env} is production without deletion protection"
    stateful = ("AWS::RDS::DBCluster", "AWS::RDS::DBInstance", "AWS::Logs::LogGroup")
    for name, res in resources(TPL).items():
        if res["Type"] in stateful:
            assert "DeletionPolicy" in res and "UpdateReplacePolicy" in res, f"{name} has no explicit deletion behaviour"


# ----------------------------------------------------------------- DB-06


def test_db_06_enhanced_monitoring_with_own_role():
    roles = resources(TPL, "AWS::IAM::Role")
    for name, inst in db_instances().items():
        props = inst["Properties"]
        assert props.get("MonitoringInterval") == 60, name
        arn = props.get("MonitoringRoleArn", {})
        assert "Fn::GetAtt" in arn, f"{name}: monitoring role is not this stack's role"
        role_name = as_list(arn["Fn::GetAtt"])[0].split(".")[0]
        assert role_name in roles, f"{name}: monitoring role {role_name} not in the template"
    role = roles[role_name]["Properties"]
    (stmt,) = statements(role["AssumeRolePolicyDocument"])
    assert stmt.get("Sid") and stmt["Effect"] == "Allow" and stmt["Action"] == "sts:AssumeRole"
    assert as_list(stmt["Principal"]["Service"]) == ["monitoring.rds.amazonaws.com"]
    assert stmt["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"}]
    assert "Policies" not in role, "the monitoring role needs nothing beyond the AWS managed policy"


def test_db_06_log_exports_with_encrypted_retained_log_groups():
    props = owner()["Properties"]
    kind = "cluster" if AURORA else "instance"
    # The identifier is !Sub [text, variables]; each group's name must be built from the same pieces.
    identifier, variables = props["DBClusterIdentifier" if AURORA else "DBInstanceIdentifier"]["Fn::Sub"]
    assert identifier.startswith(PROJECT + "-${EnvironmentName}-"), identifier
    groups = resources(TPL, "AWS::Logs::LogGroup")
    by_name = {}
    for name, group in groups.items():
        text, group_vars = group["Properties"]["LogGroupName"]["Fn::Sub"]
        assert group_vars == variables, f"{name} resolves its name differently from the database identifier"
        by_name[text] = name
    depends = as_list(owner().get("DependsOn", []))
    for env in env_names():
        exports = exports_in(env)
        assert set(exports) >= FACTS["required"], f"{ENGINE} must export at least {sorted(FACTS['required'])}"
        assert set(exports) <= FACTS["exports"], f"{ENGINE} cannot export {sorted(set(exports) - FACTS['exports'])}"
        for log in exports:
            expected = f"/aws/rds/{kind}/{identifier}/{log}"
            assert expected in by_name, f"no log group {expected} (RDS would create it unencrypted, kept forever)"
            group_res = groups[by_name[expected]]
            assert group_res.get("DeletionPolicy") == "Retain", "exported logs must outlive the stack"
            if "Condition" in group_res:
                assert group_res["Condition"] == "HasAuditLogging" and audit_on(env), f"{env}: {expected} missing"
            group = group_res["Properties"]
            assert ref(group["RetentionInDays"]) == "LogRetentionDays"
            assert group["KmsKeyId"] == KMS_KEY
            if "Condition" in group_res:
                # A conditional group is reached through a wait handle that references it.
                handle = [n for n in depends if TPL["Resources"][n]["Type"] == "AWS::CloudFormation::WaitConditionHandle"]
                assert handle and in_env(TPL["Resources"][handle[0]]["Metadata"], env) == {
                    "AuditLogGroup": {"Ref": by_name[expected]}}
            else:
                assert by_name[expected] in depends, "the database may create the group first"
        assert int(env_value(env, "LogRetentionDays")) in TPL["Parameters"]["LogRetentionDays"]["AllowedValues"]


def test_db_06_mysql_logs_switched_on_for_their_exports():
    for env in env_names():
        exports, settings = exports_in(env), settings_in(env)
        for log, switch in LOG_SWITCHES.items():
            if log in exports and switch in settings:
                assert str(settings.get(switch)) == "1", f"{env}: {log} is exported but {switch} is not 1"
        if "mysql" in ENGINE and ({"general", "slowquery"} & set(exports)):
            assert settings.get("log_output") == "FILE", "only FILE output reaches CloudWatch Logs"


def test_db_06_pinned_minor_version_with_upgrades_off_and_iam_authentication():
    # Version policy: EngineVersion pins a minor and RDS never changes it behind
    # CloudFormation's back (no drift, no update that tries to go back a version).
    version = owner()["Properties"]["EngineVersion"]
    assert re.match(r"^\d+\.\d+", version), version
    assert db_instances()
    for name, inst in db_instances().items():
        assert inst["Properties"].get("AutoMinorVersionUpgrade") is False, name
    assert owner()["Properties"].get("EnableIAMDatabaseAuthentication") is True


def test_db_06_docs_state_the_version_policy_and_how_to_upgrade():
    doc = (ROOT / "docs" / "database.md").read_text()
    assert f"{ENGINE} {DB['version']}" in doc
    assert "AutoMinorVersionUpgrade: false" in doc and "database.version" in doc and "W3691" in doc


# ----------------------------------------------------------------- DB-09


def confidential():
    tags = {k: str(v).lower() for k, v in ANSWERS["project"].get("tags", {}).items()}
    return any(tags.get(k) in ("confidential", "restricted") for k in ("data-class", "data-classification"))


def test_db_09_audit_logging_on_for_production_profiles_and_confidential_data():
    assert TPL["Parameters"]["AuditLogging"]["Default"] == "true", "checkov and plain deploys get the safe value"
    doc = (ROOT / "docs" / "database.md").read_text()
    for env, profile in profiles().items():
        assert audit_on(env) == (profile == "production" or confidential()), env
        assert f"| `{env}` | {profile} | {'on' if audit_on(env) else 'off'} |" in doc, env


def test_db_09_general_log_off_everywhere():
    for env in env_names():
        assert "general" not in exports_in(env), f"{env} exports the general log"
        if "mysql" in ENGINE:
            assert str(settings_in(env).get("general_log")) == "0", f"{env}: every statement and its values logged"


def test_db_09_engine_audit_mechanism_follows_the_switch():
    for env in env_names():
        on, settings, exports = audit_on(env), settings_in(env), exports_in(env)
        if ENGINE == "mysql":
            assert ("audit" in exports) == on, env
            option = in_env(owner()["Properties"].get("OptionGroupName"), env)
            if on:
                assert option == {"Ref": "DbAuditOptionGroup"}, env
            else:
                assert option is None or option == {"Ref": "AWS::NoValue"}, env
        elif ENGINE == "aurora-mysql":
            assert ("audit" in exports) == on, env
            assert str(settings["server_audit_logging"]) == ("1" if on else "0"), env
            events = set(settings["server_audit_events"].split(","))
            assert events and not events & {"QUERY", "QUERY_DML", "TABLE"}, "no row data in the audit log"
        else:
            libraries = settings["shared_preload_libraries"].split(",")
            assert ("pgaudit" in libraries) == on, env
            assert "pg_stat_statements" in libraries
            assert (settings["pgaudit.log"] != "none") == on, env
            assert str(settings["pgaudit.log_parameter"]) == "0", "statement parameters stay out of the log"
    if ENGINE == "mysql":
        group = RES_DB["DbAuditOptionGroup"]
        assert group["Condition"] == "HasAuditLogging"
        props = group["Properties"]
        assert props["EngineName"] == "mysql"
        assert props["MajorEngineVersion"] == ".".join(DB["version"].split(".")[:2])
        (option,) = props["OptionConfigurations"]
        assert option["OptionName"] == "MARIADB_AUDIT_PLUGIN"
        events = {s["Value"] for s in option["OptionSettings"] if s["Name"] == "SERVER_AUDIT_EVENTS"}
        assert events and not set(events.pop().split(",")) & {"QUERY", "QUERY_DML", "TABLE"}


# ----------------------------------------------------------------- DB-07


def test_db_07_not_publicly_accessible():
    assert db_instances()
    for name, inst in db_instances().items():
        assert inst["Properties"].get("PubliclyAccessible") is False, name


def test_db_07_subnet_group_on_isolated_subnets_only():
    group_name, group = next(iter(resources(TPL, "AWS::RDS::DBSubnetGroup").items()))
    assert group["Properties"]["SubnetIds"] == {
        "Fn::Split": [",", import_of("network", "IsolatedSubnetIds")]}
    assert owner()["Properties"]["DBSubnetGroupName"] == {"Ref": group_name}


def test_db_07_tls_enforced_in_the_right_parameter_group():
    # TLS is a cluster setting on Aurora, so it must sit in the cluster parameter group.
    group = parameter_group()["Properties"]
    family = group["Family"]
    version = DB["version"]
    major = version.split(".mysql_aurora")[0] if ENGINE == "aurora-mysql" else (
        ".".join(version.split(".")[:2]) if ENGINE == "mysql" else version.split(".")[0])
    assert family == FACTS["family"] + major, f"family {family} does not match {ENGINE} {version}"
    name, accepted = FACTS["tls"]
    assert str(group["Parameters"].get(name)) in accepted, f"{name} must be one of {sorted(accepted)}"
    link = "DBClusterParameterGroupName" if AURORA else "DBParameterGroupName"
    assert ref(owner()["Properties"].get(link)), f"{link} does not point at the group"


def test_db_07_ingress_only_from_application_security_groups():
    sg_name, sg = next(iter(resources(TPL, "AWS::EC2::SecurityGroup").items()))
    rules = sg["Properties"]["SecurityGroupIngress"]
    rules += [r["Properties"] for r in resources(TPL, "AWS::EC2::SecurityGroupIngress").values()]
    sources = []
    for rule in rules:
        assert rule.get("Description"), "every rule needs a description"
        assert rule["IpProtocol"] == "tcp"
        assert rule["FromPort"] == rule["ToPort"] == FACTS["port"], f"ingress on {rule['FromPort']}-{rule['ToPort']}"
        assert not any(k in rule for k in ("CidrIp", "CidrIpv6", "SourcePrefixListId")), "ingress by address range"
        sources.append(rule["SourceSecurityGroupId"])
    expected = [import_of("network", "AppSecurityGroupId")]
    if ANSWERS["app"]["kind"] == "lambda":
        expected.append(import_of("network", "LambdaSecurityGroupId"))
    assert sorted(map(str, sources)) == sorted(map(str, expected))
    assert owner()["Properties"]["VpcSecurityGroupIds" if AURORA else "VPCSecurityGroups"] == [
        {"Fn::GetAtt": [sg_name, "GroupId"]}]


def test_db_07_egress_stays_inside_the_vpc():
    sg = one(TPL, "AWS::EC2::SecurityGroup")["Properties"]
    rules = sg.get("SecurityGroupEgress")
    assert rules, "no explicit egress: the default rule would allow 0.0.0.0/0"
    for rule in rules:
        assert rule.get("Description")
        assert rule.get("IpProtocol") not in ("-1", -1, "all"), "egress on every protocol"
        assert "CidrIpv6" not in rule and rule.get("CidrIp") == import_of("network", "VpcCidr"), rule


# ----------------------------------------------------------------- DB-08


def test_db_08_cpu_storage_and_connection_alarms_per_instance():
    storage_metric = "FreeLocalStorage" if AURORA else "FreeStorageSpace"
    expected = {"CPUUtilization": "GreaterThanThreshold", storage_metric: "LessThanThreshold",
                "DatabaseConnections": "GreaterThanThreshold"}
    for inst_name, inst in db_instances().items():
        watched = {}
        for name, alarm in alarms().items():
            props = alarm["Properties"]
            if props["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": {"Ref": inst_name}}]:
                assert alarm.get("Condition") == inst.get("Condition"), f"{name} outlives or misses {inst_name}"
                watched[props["MetricName"]] = props["ComparisonOperator"]
                assert props["Namespace"] == "AWS/RDS"
        assert watched == expected, f"{inst_name} alarms: {watched}"


def test_db_08_alarms_notify_alert_topic_with_per_environment_thresholds():
    assert alarms()
    for name, alarm in alarms().items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [ALERT_TOPIC], f"{name} does not alarm to the alert topic"
        assert props["OKActions"] == [ALERT_TOPIC], f"{name} does not report recovery"
        assert props["Period"] in ALLOWED_PERIODS and props["Period"] >= 60
        threshold = ref(props["Threshold"])
        assert threshold in TPL["Parameters"], f"{name} has a fixed threshold"
        assert ref(props["EvaluationPeriods"]) == "AlarmEvaluationPeriods"
        for env in env_names():
            spec = TPL["Parameters"][threshold]
            value = float(env_value(env, threshold))
            assert spec["MinValue"] <= value <= spec["MaxValue"], f"{env}: {threshold}={value}"
{%- endraw %}
