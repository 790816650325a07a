{% raw %}"""Unit tests for templates/security.yaml: the environment key, CloudTrail, the
log buckets, the trail log group, the alert topic and the MFA policy.

Offline and fast: they read the rendered template, the parameter files and the
stored answers, and assert the controls SEC-01..SEC-07 and MON-01."""

import re

from helpers import (ROOT, answers, as_list, env_names, environment, one, resources, stack_params, stacks,
                     statements, template, walk)

TPL = template("security")
RES = resources(TPL)
PROJECT = answers()["project"]["name"]
TRAIL_ARN = (
    "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/"
    + PROJECT
    + "-${EnvironmentName}-trail"
)
ROOT_ARN = "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
ASG_ROLE_ARN = (
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/"
    "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
)
KEY_ARN = {"Fn::GetAtt": ["Key", "Arn"]}
SERVICE_KEYS = ("aws:SourceAccount", "aws:SourceArn")


# --------------------------------------------------------------------------- helpers


def sub(value):
    """The text of a !Sub, or the value itself."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        body = value["Fn::Sub"]
        return body[0] if isinstance(body, list) else body
    return value


def norm(value):
    """Intrinsics as plain dicts/lists, for comparisons."""
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def getatt(value):
    """("Logical", "Attr") of a !GetAtt, else None."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return tuple(target.split(".", 1)) if isinstance(target, str) else tuple(target)
    return None


def unless_condition(stmt):
    """A statement written as !If [Cond, statement, !Ref AWS::NoValue], as the statement."""
    if isinstance(stmt, dict) and "Fn::If" in stmt:
        return stmt["Fn::If"][1]
    return stmt


def key_policy():
    return [unless_condition(s) for s in statements(one(TPL, "AWS::KMS::Key")["Properties"]["KeyPolicy"])]


def key_statement(sid):
    found = [s for s in key_policy() if s.get("Sid") == sid]
    assert len(found) == 1, f"key policy statement {sid} missing"
    return found[0]


def principals(stmt, kind):
    return [sub(p) for p in as_list(stmt.get("Principal", {}).get(kind, []))]


def conditions(stmt):
    """{condition key: value} across all operators of a statement."""
    out = {}
    for operator in stmt.get("Condition", {}).values():
        out.update(operator)
    return out


def buckets():
    return resources(TPL, "AWS::S3::Bucket")


def bucket_policy_of(logical):
    for res in resources(TPL, "AWS::S3::BucketPolicy").values():
        if res["Properties"]["Bucket"] == {"Ref": logical}:
            return res["Properties"]["PolicyDocument"]
    raise AssertionError(f"bucket {logical} has no bucket policy")


def identity_policies():
    """(where, document) of every IAM identity policy: role inline and managed policies."""
    for name, res in RES.items():
        if res["Type"] == "AWS::IAM::Role":
            for pol in res["Properties"].get("Policies", []):
                yield f"{name}/{pol['PolicyName']}", pol["PolicyDocument"]
        elif res["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            yield name, res["Properties"]["PolicyDocument"]


def all_policy_documents():
    yield from identity_policies()
    for name, res in RES.items():
        props = res.get("Properties", {})
        for field in ("KeyPolicy", "PolicyDocument", "AssumeRolePolicyDocument"):
            if field in props:
                doc = dict(props[field])
                doc["Statement"] = [unless_condition(s) for s in statements(doc)]
                yield f"{name}.{field}", doc


def profile_of(env):
    return next(e["profile"] for e in answers()["environments"] if e["name"] == env)


# --------------------------------------------------------------------------- SEC-01


def test_sec_01_one_rotating_key_with_environment_alias():
    key = one(TPL, "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain" and key["UpdateReplacePolicy"] == "Retain"
    alias = one(TPL, "AWS::KMS::Alias")["Properties"]
    assert sub(alias["AliasName"]) == f"alias/{PROJECT}-${{EnvironmentName}}"
    assert alias["TargetKeyId"] == {"Ref": "Key"}


def test_sec_01_key_policy_names_exactly_the_needed_principals():
    expected = {
        ("AWS", ROOT_ARN),
        ("Service", "logs.${AWS::Region}.${AWS::URLSuffix}"),
        ("Service", "cloudtrail.amazonaws.com"),
        ("Service", "cloudwatch.amazonaws.com"),
        ("Service", "events.amazonaws.com"),
    }
    if answers()["app"]["kind"] == "ec2":
        expected.add(("AWS", ASG_ROLE_ARN))
    found = {(kind, p) for s in key_policy() for kind in ("AWS", "Service") for p in principals(s, kind)}
    assert found == expected
    assert all(s["Effect"] == "Allow" for s in key_policy())


def test_sec_01_logs_principal_is_regional_and_bound_to_this_accounts_log_groups():
    stmt = key_statement("CloudWatchLogsEncryptsThisAccountsLogGroups")
    assert principals(stmt, "Service") == ["logs.${AWS::Region}.${AWS::URLSuffix}"]
    context = stmt["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert sub(context) == "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
    assert "kms:*" not in as_list(stmt["Action"])


def test_sec_01_cloudtrail_key_use_bound_to_this_trail():
    cloudtrail = [s for s in key_policy() if "cloudtrail.amazonaws.com" in principals(s, "Service")]
    assert cloudtrail, "CloudTrail cannot encrypt its log files"
    actions = {a for s in cloudtrail for a in as_list(s["Action"])}
    assert {"kms:GenerateDataKey*", "kms:DescribeKey", "kms:Decrypt"} <= actions
    for stmt in cloudtrail:
        assert sub(conditions(stmt)["aws:SourceArn"]) == TRAIL_ARN, stmt["Sid"]
    encrypt = key_statement("CloudTrailEncryptsThisTrail")
    assert "kms:EncryptionContext:aws:cloudtrail:arn" in encrypt["Condition"]["StringLike"]


def test_sec_01_alarms_and_rules_can_use_key_for_the_encrypted_topic():
    alarms = key_statement("CloudWatchAlarmsPublishToAlertTopic")
    assert principals(alarms, "Service") == ["cloudwatch.amazonaws.com"]
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(as_list(alarms["Action"]))
    assert conditions(alarms)["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    rules = key_statement("EventBridgeRulesPublishToAlertTopic")
    assert principals(rules, "Service") == ["events.amazonaws.com"]
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(as_list(rules["Action"]))
    # aws:Source* keys are not supported for EventBridge -> encrypted SNS in a key
    # policy: with them every event would be dropped silently.
    assert not set(conditions(rules)) & set(SERVICE_KEYS)


def test_sec_01_database_use_only_via_rds_and_secrets_manager():
    via = [s for s in key_policy() if "kms:ViaService" in conditions(s)]
    if answers()["database"]["engine"] == "none":
        assert via == [], "no database: no RDS/Secrets Manager statement"
        return
    assert len(via) == 1
    stmt = via[0]
    assert principals(stmt, "AWS") == [ROOT_ARN]
    services = {sub(v) for v in as_list(conditions(stmt)["kms:ViaService"])}
    assert services == {
        "rds.${AWS::Region}.${AWS::URLSuffix}",
        "secretsmanager.${AWS::Region}.${AWS::URLSuffix}",
    }
    assert conditions(stmt)["kms:CallerAccount"] == {"Ref": "AWS::AccountId"}
    assert "kms:CreateGrant" in as_list(stmt["Action"])


def test_sec_01_autoscaling_role_only_for_ec2_apps():
    asg = [s for s in key_policy() if ASG_ROLE_ARN in principals(s, "AWS")]
    if answers()["app"]["kind"] != "ec2":
        assert asg == []
        return
    actions = {a for s in asg for a in as_list(s["Action"])}
    assert {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
            "kms:CreateGrant"} <= actions
    for stmt in asg:
        if "kms:CreateGrant" in as_list(stmt["Action"]):
            assert stmt["Condition"]["Bool"]["kms:GrantIsForAWSResource"] in (True, "true")


def test_sec_01_encrypted_resources_use_the_environment_key():
    trail_sse = RES["TrailBucket"]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert trail_sse["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == KEY_ARN
    assert RES["Trail"]["Properties"]["KMSKeyId"] == KEY_ARN
    assert RES["AlertTopic"]["Properties"]["KmsMasterKeyId"] == KEY_ARN
    for name, group in resources(TPL, "AWS::Logs::LogGroup").items():
        assert group["Properties"]["KmsKeyId"] == KEY_ARN, name


# --------------------------------------------------------------------------- SEC-02


def test_sec_02_trail_is_multi_region_validated_encrypted_and_logging():
    trail = one(TPL, "AWS::CloudTrail::Trail")["Properties"]
    assert trail["IsMultiRegionTrail"] is True
    assert trail["IncludeGlobalServiceEvents"] is True
    assert trail["EnableLogFileValidation"] is True
    assert trail["IsLogging"] is True
    assert trail["KMSKeyId"] == KEY_ARN
    assert trail["S3BucketName"] == {"Ref": "TrailBucket"}


def test_sec_02_trail_name_is_the_one_policies_trust():
    name = sub(RES["Trail"]["Properties"]["TrailName"])
    assert TRAIL_ARN.endswith(":trail/" + name)
    trusted = {sub(v) for _, doc in all_policy_documents() for s in statements(doc)
               for k, v in conditions(s).items() if k == "aws:SourceArn" and ":cloudtrail:" in str(sub(v))}
    assert trusted == {TRAIL_ARN}


def test_sec_02_trail_bucket_policy_admits_only_this_trail():
    doc = bucket_policy_of("TrailBucket")
    allows = [s for s in statements(doc) if s["Effect"] == "Allow"]
    assert {p for s in allows for p in principals(s, "Service")} == {"cloudtrail.amazonaws.com"}
    acl = next(s for s in allows if s["Action"] == "s3:GetBucketAcl")
    assert acl["Resource"] == {"Fn::GetAtt": ["TrailBucket", "Arn"]}
    assert sub(conditions(acl)["aws:SourceArn"]) == TRAIL_ARN
    write = next(s for s in allows if s["Action"] == "s3:PutObject")
    assert sub(write["Resource"]) == "${TrailBucket.Arn}/AWSLogs/${AWS::AccountId}/*"
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
    assert sub(write["Condition"]["StringEquals"]["aws:SourceArn"]) == TRAIL_ARN
    assert len(allows) == 2


def test_sec_02_trail_waits_for_its_bucket_policy():
    assert "TrailBucketPolicy" in as_list(RES["Trail"].get("DependsOn", []))


def test_sec_02_trail_streams_to_encrypted_log_group_through_its_role():
    trail = RES["Trail"]["Properties"]
    assert getatt(trail["CloudWatchLogsLogGroupArn"]) == ("TrailLogGroup", "Arn")
    assert getatt(trail["CloudWatchLogsRoleArn"]) == ("TrailLogsRole", "Arn")
    assert RES["TrailLogGroup"]["Properties"]["KmsKeyId"] == KEY_ARN
    trust = statements(RES["TrailLogsRole"]["Properties"]["AssumeRolePolicyDocument"])
    assert [p for s in trust for p in principals(s, "Service")] == ["cloudtrail.amazonaws.com"]


def test_dep_05_trail_logs_role_trust_has_no_source_condition_keys():
    # The CloudTrail user guide: the CloudWatch Logs delivery role "doesn't support the
    # use of aws:SourceArn and aws:SourceAccount"; with them CreateTrail fails with
    # InvalidCloudWatchLogsRoleArnException.
    trust = statements(RES["TrailLogsRole"]["Properties"]["AssumeRolePolicyDocument"])
    assert trust
    for stmt in trust:
        assert principals(stmt, "Service") == ["cloudtrail.amazonaws.com"]
        assert not set(conditions(stmt)) & set(SERVICE_KEYS), stmt.get("Sid")


# --------------------------------------------------------------------------- SEC-03


def test_sec_03_every_bucket_blocks_all_public_access():
    assert buckets()
    for name, bucket in buckets().items():
        block = bucket["Properties"]["PublicAccessBlockConfiguration"]
        for setting in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"):
            assert block.get(setting) is True, f"{name}.{setting}"
        assert "AccessControl" not in bucket["Properties"], name


def test_sec_03_every_bucket_encrypted_kms_with_bucket_key_unless_it_receives_access_logs():
    log_targets = {
        b["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
        for b in buckets().values() if "LoggingConfiguration" in b["Properties"]
    }
    for name, bucket in buckets().items():
        rule = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        algorithm = rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        if name in log_targets:
            # S3 server access logging cannot deliver to an SSE-KMS bucket.
            assert algorithm == "AES256", name
        else:
            assert algorithm == "aws:kms", name
            assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == KEY_ARN, name
            assert rule.get("BucketKeyEnabled") is True, name


def test_sec_03_every_bucket_versioned_owner_enforced_and_retained():
    for name, bucket in buckets().items():
        props = bucket["Properties"]
        assert props["VersioningConfiguration"]["Status"] == "Enabled", name
        assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}], name
        assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain", name


def test_sec_03_every_bucket_policy_denies_insecure_transport():
    for name in buckets():
        doc = bucket_policy_of(name)
        deny = [s for s in statements(doc) if s["Effect"] == "Deny"
                and str(conditions(s).get("aws:SecureTransport")).lower() == "false"]
        assert deny, f"{name} accepts plain HTTP"
        stmt = deny[0]
        assert stmt["Principal"] == "*" and stmt["Action"] == "s3:*"
        resources_ = [norm(r) for r in as_list(stmt["Resource"])]
        assert {"Fn::GetAtt": ["%s" % name, "Arn"]} in resources_
        assert {"Fn::Sub": "${%s.Arn}/*" % name} in resources_


def test_sec_03_every_bucket_logs_to_the_access_log_bucket():
    for name, bucket in buckets().items():
        logging = bucket["Properties"].get("LoggingConfiguration")
        if name == "AccessLogsBucket":
            skips = [s["id"] for s in bucket.get("Metadata", {}).get("checkov", {}).get("skip", [])]
            assert logging is None and skips == ["CKV_AWS_18"]
            continue
        assert logging["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}, name


def test_sec_03_access_log_delivery_only_for_this_projects_buckets_in_this_account():
    doc = bucket_policy_of("AccessLogsBucket")
    allows = [s for s in statements(doc) if s["Effect"] == "Allow"]
    assert len(allows) == 1
    stmt = allows[0]
    assert principals(stmt, "Service") == ["logging.s3.amazonaws.com"]
    assert stmt["Action"] == "s3:PutObject"
    assert conditions(stmt)["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert sub(conditions(stmt)["aws:SourceArn"]) == f"arn:${{AWS::Partition}}:s3:::{PROJECT}-*"


def test_sec_03_bucket_names_unique_per_project_environment_account_and_valid():
    # Project names have at most 20 characters and environment names 10.
    for name, bucket in buckets().items():
        pattern = sub(bucket["Properties"]["BucketName"])
        assert pattern.startswith(f"{PROJECT}-${{EnvironmentName}}-"), name
        assert pattern.endswith("-${AWS::AccountId}-${StackSuffix}"), name
        longest = len(pattern.replace(PROJECT, "p" * 20).replace("${EnvironmentName}", "x" * 10)
                      .replace("${AWS::AccountId}", "1" * 12).replace("${StackSuffix}", "f" * 8))
        assert longest <= 63, f"{name} can be {longest} characters"
        assert re.fullmatch(r"[a-z0-9.-]+", pattern.replace("${EnvironmentName}", "e").replace("${AWS::AccountId}", "1")
                            .replace("${StackSuffix}", "f"))


# --------------------------------------------------------------------------- SEC-04


def test_sec_04_every_versioned_bucket_expires_old_versions_and_aborts_uploads():
    for name, bucket in buckets().items():
        if bucket["Properties"].get("VersioningConfiguration", {}).get("Status") != "Enabled":
            continue
        rules = [r for r in bucket["Properties"]["LifecycleConfiguration"]["Rules"] if r["Status"] == "Enabled"]
        assert rules, name
        transitions = [t for r in rules for t in r.get("NoncurrentVersionTransitions", [])]
        assert transitions and all(t["StorageClass"] in ("STANDARD_IA", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE")
                                   for t in transitions), name
        assert {"Ref": "NoncurrentTransitionDays"} in [norm(t["TransitionInDays"]) for t in transitions], name
        assert any(norm(r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays"))
                   == {"Ref": "NoncurrentExpirationDays"} for r in rules), name
        assert any(r.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation", 0) > 0 for r in rules), name


def test_sec_04_each_environment_passes_workable_version_retention():
    params = TPL["Parameters"]
    for env in env_names():
        values = stack_params(env, "security")
        transition = int(values["NoncurrentTransitionDays"])
        expiration = int(values["NoncurrentExpirationDays"])
        # STANDARD_IA needs 30 days; expiry must come after the transition.
        assert transition >= 30, env
        assert expiration > transition, env
        for key, value in (("NoncurrentTransitionDays", transition), ("NoncurrentExpirationDays", expiration)):
            assert params[key]["MinValue"] <= value <= params[key]["MaxValue"], (env, key)
        if profile_of(env) == "production":
            assert expiration >= 365, env


# --------------------------------------------------------------------------- SEC-05


def test_sec_05_no_wildcard_actions_in_iam_policies():
    for where, doc in identity_policies():
        for stmt in statements(doc):
            for action in as_list(stmt.get("Action", [])):
                assert action != "*" and not action.endswith(":*"), f"{where}/{stmt.get('Sid')}: {action}"
    for where, doc in all_policy_documents():
        for stmt in statements(doc):
            if stmt["Effect"] == "Allow":
                assert "*" not in as_list(stmt.get("Action", [])), where
                assert "NotAction" not in stmt, where


def test_sec_05_every_statement_has_a_unique_sid():
    for where, doc in all_policy_documents():
        sids = [s.get("Sid") for s in statements(doc)]
        assert all(sids), f"{where}: statement without Sid"
        assert len(sids) == len(set(sids)), f"{where}: duplicate Sid"


def test_sec_05_star_resource_only_where_the_api_has_no_resource_permissions_and_commented():
    # IAM reads without resource-level permissions (service authorization reference).
    no_resource_level = {"iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"}
    lines = (ROOT / "templates" / "security.yaml").read_text().splitlines()
    for where, doc in identity_policies():
        for stmt in statements(doc):
            if stmt["Effect"] != "Allow" or "*" not in as_list(stmt.get("Resource", [])):
                continue
            assert set(as_list(stmt["Action"])) <= no_resource_level, f"{where}/{stmt['Sid']}"
            at = next(i for i, line in enumerate(lines) if line.strip() == f"- Sid: {stmt['Sid']}")
            assert lines[at - 1].strip().startswith("#"), f"{stmt['Sid']}: say why the resource is *"


def test_sec_05_trail_role_writes_only_the_trail_log_streams():
    role = RES["TrailLogsRole"]["Properties"]
    stmts = [s for pol in role["Policies"] for s in statements(pol["PolicyDocument"])]
    assert {a for s in stmts for a in as_list(s["Action"])} == {"logs:CreateLogStream", "logs:PutLogEvents"}
    expected = ("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${TrailLogGroup}"
                ":log-stream:${AWS::AccountId}_CloudTrail_${AWS::Region}*")
    for stmt in stmts:
        assert [sub(r) for r in as_list(stmt["Resource"])] == [expected], stmt["Sid"]
    assert "ManagedPolicyArns" not in role


# --------------------------------------------------------------------------- SEC-06


def test_sec_06_service_roles_trust_only_service_principals():
    roles = resources(TPL, "AWS::IAM::Role")
    assert roles
    for name, role in roles.items():
        for stmt in statements(role["Properties"]["AssumeRolePolicyDocument"]):
            assert principals(stmt, "Service"), f"{name}: only service principals may assume it"
            assert "AWS" not in stmt["Principal"], name


def test_sec_06_service_statements_in_resource_policies_are_conditioned():
    # The documented exceptions, where the service sends no aws:Source* keys:
    # EventBridge -> encrypted SNS (see SEC-01) and CloudTrail -> CloudWatch Logs (DEP-05).
    unconditioned_ok = {"EventBridgeRulesPublishToAlertTopic", "CloudTrailDeliversToLogGroup"}
    for where, doc in all_policy_documents():
        for stmt in statements(doc):
            if stmt["Effect"] != "Allow" or not principals(stmt, "Service"):
                continue
            if stmt["Sid"] in unconditioned_ok:
                continue
            assert stmt.get("Condition"), f"{where}/{stmt['Sid']} has no condition"


def test_sec_06_mfa_policy_denies_everything_but_self_service_without_mfa():
    policy = RES["RequireMfaPolicy"]
    assert policy["Type"] == "AWS::IAM::ManagedPolicy"
    deny = [s for s in statements(policy["Properties"]["PolicyDocument"]) if s["Effect"] == "Deny"]
    assert len(deny) == 1
    stmt = deny[0]
    assert stmt["Resource"] == "*" and "Action" not in stmt
    assert str(stmt["Condition"]["BoolIfExists"]["aws:MultiFactorAuthPresent"]).lower() == "false"
    exempt = set(as_list(stmt["NotAction"]))
    assert {"iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "sts:GetSessionToken"} <= exempt
    assert "iam:DeactivateMFADevice" not in exempt, "removing an MFA device must itself need MFA"
    assert not any(a.endswith("*") for a in exempt)


def test_sec_06_mfa_policy_self_service_scoped_to_the_caller():
    allows = [s for s in statements(RES["RequireMfaPolicy"]["Properties"]["PolicyDocument"]) if s["Effect"] == "Allow"]
    for stmt in allows:
        for resource in as_list(stmt["Resource"]):
            text = sub(resource)
            assert text == "*" or text.endswith(":user/${!aws:username}") or text.endswith(":mfa/*"), stmt["Sid"]
    # Documented as not attached: people attach it to their human groups.
    for field in ("Groups", "Roles", "Users"):
        assert field not in RES["RequireMfaPolicy"]["Properties"]


# --------------------------------------------------------------------------- SEC-07


def test_sec_07_log_groups_use_retention_parameter_and_environment_key():
    groups = resources(TPL, "AWS::Logs::LogGroup")
    assert groups
    for name, group in groups.items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
        assert group["Properties"]["KmsKeyId"] == KEY_ARN, name
        assert group["DeletionPolicy"] == "Retain", name


def test_sec_07_retention_per_environment_is_a_cloudwatch_value():
    allowed = TPL["Parameters"]["LogRetentionDays"]["AllowedValues"]
    assert allowed == [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                       2557, 2922, 3288, 3653]
    assert TPL["Parameters"]["LogRetentionDays"]["Default"] >= 365
    for env in env_names():
        days = int(stack_params(env, "security")["LogRetentionDays"])
        assert days in allowed, env
        if profile_of(env) == "production":
            assert days >= 365, f"{env}: production-like audit logs kept under a year"


# --------------------------------------------------------------------------- MON-01


def test_mon_01_alert_topic_encrypted_with_environment_key():
    topic = one(TPL, "AWS::SNS::Topic")["Properties"]
    assert topic["KmsMasterKeyId"] == KEY_ARN
    assert "alias/aws/sns" not in str(topic)
    assert sub(topic["TopicName"]) == f"{PROJECT}-${{EnvironmentName}}-alerts"


def test_mon_01_email_subscription_from_the_answers():
    subscription = one(TPL, "AWS::SNS::Subscription")["Properties"]
    assert subscription["Protocol"] == "email"
    assert subscription["Endpoint"] == answers()["pipeline"]["notification_email"]
    assert subscription["TopicArn"] == {"Ref": "AlertTopic"}


def test_mon_01_topic_policy_lets_this_accounts_alarms_and_rules_publish_over_tls():
    policy = one(TPL, "AWS::SNS::TopicPolicy")["Properties"]
    assert policy["Topics"] == [{"Ref": "AlertTopic"}]
    stmts = statements(policy["PolicyDocument"])
    publishers = {}
    for stmt in stmts:
        if stmt["Effect"] == "Allow":
            assert stmt["Action"] == "sns:Publish" and stmt["Resource"] == {"Ref": "AlertTopic"}
            assert conditions(stmt)["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
            publishers.update({p: stmt for p in principals(stmt, "Service")})
    assert set(publishers) == {"cloudwatch.amazonaws.com", "events.amazonaws.com"}
    deny = [s for s in stmts if s["Effect"] == "Deny"]
    assert len(deny) == 1 and deny[0]["Principal"] == "*" and deny[0]["Action"] == "sns:Publish"
    assert str(conditions(deny[0])["aws:SecureTransport"]).lower() == "false"


def test_mon_01_alert_topic_exported_for_the_other_stacks():
    out = TPL["Outputs"]["AlertTopicArn"]
    assert out["Value"] == {"Ref": "AlertTopic"}
    assert sub(out["Export"]["Name"]) == "${AWS::StackName}-AlertTopicArn"


# --------------------------------------------------------------------------- conventions


def test_security_outputs_exported_under_the_stack_name():
    wanted = {"KmsKeyArn", "KmsKeyId", "KmsAliasName", "AlertTopicArn", "AccessLogsBucketName",
              "TrailBucketName", "TrailArn", "TrailLogGroupName"}
    outputs = TPL["Outputs"]
    assert wanted <= set(outputs)
    for name, out in outputs.items():
        assert sub(out["Export"]["Name"]) == "${AWS::StackName}-" + name


def test_security_parameters_validated_and_passed_per_environment():
    for name, spec in TPL["Parameters"].items():
        assert spec.get("Description"), name
        assert {"AllowedValues", "AllowedPattern", "MinValue"} & set(spec), name
        assert "Default" in spec, name
    assert TPL["Parameters"]["EnvironmentName"]["AllowedValues"] == env_names()
    for env in env_names():
        assert stack_params(env, "security")["EnvironmentName"] == env


def test_security_no_hard_coded_partition_region_or_account():
    text = (ROOT / "templates" / "security.yaml").read_text()
    assert "arn:aws:" not in text
    assert answers()["region"] not in text
    assert not re.search(r"(?<![0-9])[0-9]{12}(?![0-9])", text), "account id literal"


def test_security_taggable_resources_carry_standard_tags():
    untaggable = {"AWS::KMS::Alias", "AWS::S3::BucketPolicy", "AWS::SNS::Subscription", "AWS::SNS::TopicPolicy",
                  "AWS::IAM::ManagedPolicy"}
    for name, res in RES.items():
        if res["Type"] in untaggable:
            continue
        keys = {t["Key"] for t in res["Properties"].get("Tags", [])}
        assert {"Project", "Environment", "Owner", "CostCenter", "ManagedBy"} <= keys, name
        assert set(answers()["project"]["tags"]) <= keys, name


def test_security_stateful_resources_declare_deletion_behaviour():
    for name, res in RES.items():
        if res["Type"] in ("AWS::KMS::Key", "AWS::S3::Bucket", "AWS::Logs::LogGroup"):
            assert res.get("DeletionPolicy") in ("Retain", "Snapshot"), name
            assert res.get("UpdateReplacePolicy") in ("Retain", "Snapshot"), name


# --------------------------------------------------------------------------- DEP-07

# The account's one trail and what only it needs.
TRAIL_RESOURCES = {"Trail", "TrailBucket", "TrailBucketPolicy", "TrailLogGroup", "TrailLogsRole"}


def account_of(env):
    """The account an environment deploys to; None is the pipeline's own account."""
    return environment(env).get("account_id") or None


def expected_trail_owner(env):
    """Worked out here from the answers: the first production-profile environment of
    the account in promotion order, else the account's first environment."""
    same = [e for e in answers()["environments"] if (e.get("account_id") or None) == account_of(env)]
    production = [e for e in same if e["profile"] == "production"]
    return (production or same)[0]["name"]


{% endraw %}{% if security.existing_trail %}{% raw %}def test_sec_02_existing_account_trail_no_environment_owns_one():
    """security.account_trail is existing: the account already has a multi-region trail, so
    TrailOwner is empty in every environment and can be nothing else."""
    assert TPL["Parameters"]["TrailOwner"]["AllowedValues"] == [""]
    assert TPL["Parameters"]["TrailOwner"]["Default"] == ""
    for env in env_names():
        assert stack_params(env, "security")["TrailOwner"] == "", env
        assert stack_params(env, "security")["TrailOwner"] != stack_params(env, "security")["EnvironmentName"]


def test_sec_02_existing_account_trail_creates_no_trail_resources():
    """Whatever belongs to the trail is held by IsTrailOwner, which no environment meets."""
    assert TPL["Conditions"]["IsTrailOwner"] == {"Fn::Equals": [{"Ref": "TrailOwner"}, {"Ref": "EnvironmentName"}]}
    for name in TRAIL_RESOURCES:
        assert RES[name].get("Condition") == "IsTrailOwner", name
    for name, res in RES.items():
        if res["Type"] in ("AWS::CloudTrail::Trail", "AWS::Logs::MetricFilter"):
            assert res.get("Condition") == "IsTrailOwner", name


{% endraw %}{% else %}{% raw %}def test_dep_07_each_environment_names_its_accounts_trail_owner():
    for env in env_names():
        assert stack_params(env, "security")["TrailOwner"] == expected_trail_owner(env), env


def test_dep_07_exactly_one_trail_owner_per_account():
    owners = {}
    for env in env_names():
        if stack_params(env, "security")["TrailOwner"] == env:
            owners.setdefault(account_of(env), []).append(env)
    assert set(owners) == {account_of(env) for env in env_names()}, "an account without a trail"
    for account, envs in owners.items():
        assert len(envs) == 1, f"account {account or 'of the pipeline'} gets a trail from each of {envs}"


def test_dep_07_trail_resources_and_outputs_exist_only_in_the_trail_owner():
    assert TPL["Conditions"]["IsTrailOwner"] == {"Fn::Equals": [{"Ref": "TrailOwner"}, {"Ref": "EnvironmentName"}]}
    assert TPL["Parameters"]["TrailOwner"]["AllowedValues"] == env_names()
    for name in TRAIL_RESOURCES:
        assert RES[name].get("Condition") == "IsTrailOwner", name
    for name, res in RES.items():
        if res["Type"] == "AWS::CloudTrail::Trail":
            assert name in TRAIL_RESOURCES
    for name, out in TPL["Outputs"].items():
        refs = {n for node in walk(out["Value"]) if isinstance(node, dict)
                for n in (node.get("Ref"), (getatt(node) or [None])[0])}
        if refs & TRAIL_RESOURCES:
            assert out.get("Condition") == "IsTrailOwner", name


{% endraw %}{% endif %}{% raw %}def test_dep_07_only_the_trail_owners_key_admits_cloudtrail():
    raw = statements(one(TPL, "AWS::KMS::Key")["Properties"]["KeyPolicy"])
    cloudtrail = [s for s in raw if "cloudtrail.amazonaws.com" in principals(unless_condition(s), "Service")]
    assert cloudtrail
    for stmt in cloudtrail:
        assert stmt["Fn::If"][0] == "IsTrailOwner" and stmt["Fn::If"][2] == {"Ref": "AWS::NoValue"}


# --------------------------------------------------------------------------- DEP-04

# The property that names each type of resource a stack may retain (None: AWS always
# generates the identifier).
NAME_PROPERTY = {
    "AWS::KMS::Key": None,
    "AWS::S3::Bucket": "BucketName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::IAM::Role": "RoleName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
}


def new_name_per_stack(value):
    """True when a name is absent (generated) or is an !Sub whose text uses a
    variable taken from AWS::StackId: a re-created stack then gets a new name."""
    if value is None:
        return True
    if not (isinstance(value, dict) and isinstance(value.get("Fn::Sub"), list)):
        return False
    text, variables = value["Fn::Sub"]
    return any("${%s}" % var in text and "AWS::StackId" in str(expr) for var, expr in variables.items())


def environment_templates():
    return [(s["name"], template(s["template"].split("/")[-1][: -len(".yaml")]))
            for s in stacks() if s["scope"] != "pipeline"]


def test_dep_04_retained_resources_of_environment_stacks_have_no_fixed_name():
    # `make destroy ENV=x && make deploy ENV=x` must work: a kept resource with a
    # fixed name makes the redeploy fail with "already exists".
    checked = 0
    for stack, tpl in environment_templates():
        for name, res in resources(tpl).items():
            if res.get("DeletionPolicy") != "Retain":
                continue
            assert res["Type"] in NAME_PROPERTY, f"{stack}/{name}: which property names a {res['Type']}?"
            prop = NAME_PROPERTY[res["Type"]]
            if prop is not None:
                assert new_name_per_stack(res["Properties"].get(prop)), f"{stack}/{name}.{prop} is fixed"
            checked += 1
    assert checked


def test_dep_04_fixed_name_check_catches_a_fixed_name():
    assert not new_name_per_stack({"Fn::Sub": "/p/${EnvironmentName}/app"})
    assert not new_name_per_stack({"Fn::Sub": ["/p/${EnvironmentName}/app", {"X": {"Ref": "AWS::StackId"}}]})
    assert new_name_per_stack({"Fn::Sub": ["/p/${X}", {"X": {"Fn::Select": [2, {"Ref": "AWS::StackId"}]}}]})
{% endraw %}
# What the environment stacks keep after they are deleted, as the README lists it (from
# stackwright's context; the pipeline stack's rows are checked in tests/unit/test_project.py).
RETAINED = {
{%- for r in retained %}{% if not r.project_stack %}
    ({{ r.stack | json_str }}, {{ r.logical_id | json_str }}, {{ r.policy | json_str }}, {% if r.trail_owner_only %}True{% else %}False{% endif %}),{% endif %}
{%- endfor %}
}
{% raw %}

def test_dep_04_the_readmes_list_of_kept_resources_matches_the_templates():
    found = set()
    for stack, tpl in environment_templates():
        for name, res in resources(tpl).items():
            if res.get("DeletionPolicy") in ("Retain", "Snapshot"):
{%- endraw %}{% if security.existing_trail %}
                if res.get("Condition") == "IsTrailOwner":
                    continue  # security.account_trail is existing: never created
{%- endif %}{% raw %}
                found.add((stack, name, res["DeletionPolicy"], res.get("Condition") == "IsTrailOwner"))
    assert found == RETAINED
{% endraw %}
