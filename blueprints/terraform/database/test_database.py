"""Database controls over modules/database, parsed offline."""

from hcl_helpers import ENVS, MODULES, env_dirs, named, resource, tfvars, value

DB = MODULES / "database"
{%- if database.aurora %}
MAIN = ("aws_rds_cluster", "this")
{%- else %}
MAIN = ("aws_db_instance", "this")
{%- endif %}

# Environments whose profile asks for Multi-AZ.
MULTI_AZ = {{ "{" }}{% for e in environments %}{% if e.multi_az %}{{ e.name | json_str }}, {% endif %}{% endfor %}""}
# Environments of the ephemeral profile (destroyed and re-created).
EPHEMERAL = {{ "{" }}{% for e in environments %}{% if e.profile == "ephemeral" %}{{ e.name | json_str }}, {% endif %}{% endfor %}""}


def main():
    return resource(DB, *MAIN)


def test_db_01_pinned_version_in_every_environment():
    for env in env_dirs():
        db = tfvars(env)["database"]
        assert db["engine"] == {{ database.engine | json_str }}
        assert db["engine_version"] == {{ database.version | json_str }}, f"{env.name}: the version must be pinned"


def test_db_02_encrypted_with_environment_key():
    assert value(main(), "storage_encrypted") is True
    assert value(main(), "kms_key_id") == "${var.kms_key_arn}"


def test_db_03_no_literal_password():
    assert value(main(), "manage_master_user_password") is True
    assert "password" not in {k for k in main() if k != "manage_master_user_password" and k.endswith("password")}


def test_db_04_multi_az_follows_the_profile():
    for env in env_dirs():
        db = tfvars(env)["database"]
        assert db["multi_az"] == (env.name in MULTI_AZ), f"{env.name}: Multi-AZ must follow the profile"


def test_db_05_backups_retained_with_final_snapshot():
    assert value(main(), "skip_final_snapshot") == "${!var.final_snapshot}"
    # The parser writes HCL's null as None inside the expression.
    assert value(main(), "final_snapshot_identifier").startswith('${var.final_snapshot ? "${var.name}-db-final" : ')
    assert value(main(), "copy_tags_to_snapshot") is True
    for env in env_dirs():
        assert tfvars(env)["database"]["backup_retention_days"] >= 7


def test_db_06_enhanced_monitoring_and_iam_auth():
    assert value(main(), "iam_database_authentication_enabled") is True
    assert value(main(), "enabled_cloudwatch_logs_exports") == "${local.log_exports}"


def test_db_07_not_public_on_isolated_subnets():
    {%- if database.aurora %}
    assert value(resource(DB, "aws_rds_cluster_instance", "this"), "publicly_accessible") is False
    {%- else %}
    assert value(main(), "publicly_accessible") is False
    {%- endif %}
    text = (ENVS / {{ environments[0].name | json_str }} / "database.tf").read_text()
    assert "module.network.isolated_subnet_ids" in text


def test_db_08_alarms_to_the_alert_topic():
    alarm = resource(DB, "aws_cloudwatch_metric_alarm", "db")
    assert value(alarm, "alarm_actions") == ["${var.alarm_topic_arn}"]


def test_db_09_statement_logging_off():
    text = (DB / "main.tf").read_text()
    {%- if database.family == "postgres" %}
    assert 'log_statement            = "none"' in text
    {%- else %}
    assert 'general_log              = "0"' in text
    {%- endif %}


def test_dep_04_ephemeral_environments_destroy_and_recreate():
    """Nothing with a fixed name outlives an ephemeral environment's destroy:
    no final snapshot, no deletion protection, buckets emptied on destroy."""
    for env in env_dirs():
        ephemeral = env.name in EPHEMERAL
        assert tfvars(env)["ephemeral"] is ephemeral, f"{env.name}: ephemeral must follow the profile"
        if ephemeral:
            assert tfvars(env)["database"]["deletion_protection"] is False, f"{env.name}: deletion protection"
        assert value(named(env, "module")["database"], "final_snapshot") == "${!var.ephemeral}"
        assert value(named(env, "module")["security"], "force_destroy") == "${var.ephemeral}"
