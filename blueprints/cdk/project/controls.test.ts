// One test per control of docs/controls.md, over the templates the app
// synthesizes for every environment (named test_<control>_... after the
// catalog ids), and the synth with cdk-nag of every stage. The app is
// synthesized once, with cdk-nag, for the whole file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { APP, DATABASE, ENVIRONMENTS, NETWORK, PIPELINE, PROJECT, environment, ownsAccountSingletons } from '../config/environments';
import { retention } from '../lib/common';
import { ACKNOWLEDGMENTS } from '../lib/compliance';
import { stageId } from '../lib/stage';
import { asArray, Json, resources, statements, Synthesized, synthesize, tagOf } from './helpers';

let app: Synthesized;

beforeAll(() => {
  app = synthesize();
});

const each = (fn: (t: Record<string, Template>, env: (typeof ENVIRONMENTS)[number]) => void) => {
  expect(app.envs).toHaveLength(ENVIRONMENTS.length);
  for (const { env, stacks } of app.envs) {
    fn(stacks, env);
  }
};

// ------------------------------------------------------------------ cdk-nag

const nagFindingsIn = (prefix: string) => app.findings.filter((f) => f.paths.some((p) => p.startsWith(`${prefix}/`)));

test.each(ENVIRONMENTS.map((e) => [stageId(e)]))('synth with cdk-nag: stage %s has no unacknowledged finding', (stage) => {
  expect(nagFindingsIn(stage)).toEqual([]);
});
{%- if pipeline.enabled %}

test('synth with cdk-nag: the pipeline has no unacknowledged finding', () => {
  expect(nagFindingsIn('Pipeline')).toEqual([]);
});
{%- endif %}

test('synth with cdk-nag: nothing anywhere is left unacknowledged', () => {
  expect(app.findings).toEqual([]);
  expect(app.acknowledged).toBeGreaterThan(0);
});

test('every acknowledgment and skip names a rule and a reason', () => {
  for (const a of ACKNOWLEDGMENTS) {
    expect([a.rule, a.reason.length >= 20]).toEqual([a.rule, true]);
    expect(() => new RegExp(a.target)).not.toThrow();
  }
});

// ------------------------------------------------------------------ general

test('test_gen_01_names_derive_from_project_and_environment', () => {
  const names = Object.keys(app.all);
  for (const env of ENVIRONMENTS) {
    expect(names).toContain(`${PROJECT.name}-${env.name}-security`);
    expect(names).toContain(`${PROJECT.name}-${env.name}-network`);
  }
  // No bucket, key alias or log group carries a name shared by two environments.
  const physical: string[] = [];
  for (const t of Object.values(app.all)) {
    for (const [, r] of Object.entries((t.Resources ?? {}) as Record<string, Json>)) {
      const p = r.Properties ?? {};
      for (const key of ['BucketName', 'AliasName', 'LogGroupName', 'DBInstanceIdentifier', 'DBClusterIdentifier']) {
        if (typeof p[key] === 'string') {
          physical.push(p[key]);
        }
      }
    }
  }
  expect(physical.filter((n) => !n.includes(PROJECT.name))).toEqual([]);
  expect(new Set(physical).size).toBe(physical.length);
});

test('test_gen_02_every_taggable_resource_carries_the_standard_tags', () => {
  each((stacks, env) => {
    for (const t of Object.values(stacks)) {
      for (const type of ['AWS::EC2::VPC', 'AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::Logs::LogGroup', 'AWS::SNS::Topic', 'AWS::EC2::Subnet']) {
        for (const [id, r] of resources(t, type)) {
          expect([id, tagOf(r, 'Project'), tagOf(r, 'Environment'), tagOf(r, 'Owner'), tagOf(r, 'CostCenter'), tagOf(r, 'ManagedBy')]).toEqual([
            id, PROJECT.name, env.name, PROJECT.owner, PROJECT.costCenter, 'stackwright-cdk',
          ]);
          for (const [k, v] of Object.entries(PROJECT.tags)) {
            expect(tagOf(r, k)).toBe(v);
          }
        }
      }
    }
  });
});

test('test_gen_03_configuration_is_validated', () => {
  expect(() => environment('no-such-environment')).toThrow(/unknown environment/);
  expect(() => retention(42)).toThrow(/not a CloudWatch Logs retention period/);
  const cidr = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
  for (const env of ENVIRONMENTS) {
    expect(env.vpcCidr).toMatch(cidr);
    expect(env.name).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(() => retention(env.logRetentionDays)).not.toThrow();
  }
  // The only template parameters are CDK's own (bootstrap version, SSM AMI lookups).
  for (const t of Object.values(app.all)) {
    for (const [name, p] of Object.entries((t.Parameters ?? {}) as Record<string, Json>)) {
      expect([name, p.Type]).toEqual([name, expect.stringMatching(/^(String|AWS::SSM::Parameter::Value<.*>)$/)]);
    }
  }
});

test('test_gen_04_no_region_or_az_literal', () => {
  const text = JSON.stringify(app.all);
  expect(text).not.toContain(PROJECT.region);
  expect(text).not.toMatch(/"[a-z]{2}-[a-z]+-\d[a-f]"/); // AZ names such as eu-west-1a
  expect(text).not.toContain('arn:aws:');
  each((stacks) => {
    for (const [, subnet] of resources(stacks.network, 'AWS::EC2::Subnet')) {
      expect(JSON.stringify(subnet.Properties.AvailabilityZone)).toContain('Fn::GetAZs');
    }
  });
});

test('test_gen_05_outputs_for_neighbours_and_integration_tests', () => {
  each((stacks) => {
    for (const name of ['KmsKeyArn', 'AlertTopicArn', 'AccessLogsBucketName']) {
      expect(Object.keys(stacks.security.toJSON().Outputs ?? {})).toContain(name);
    }
    for (const name of ['VpcId', 'PrivateSubnetIds', 'IsolatedSubnetIds']) {
      expect(Object.keys(stacks.network.toJSON().Outputs ?? {})).toContain(name);
    }
{%- if database.enabled %}
    for (const name of ['DbEndpointAddress', 'DbPort', 'DbSecretArn']) {
      expect(Object.keys(stacks.database.toJSON().Outputs ?? {})).toContain(name);
    }
{%- endif %}
  });
});

test('test_gen_06_deletion_behaviour_by_profile', () => {
  each((stacks, env) => {
    for (const [, key] of resources(stacks.security, 'AWS::KMS::Key')) {
      expect(key.DeletionPolicy).toBe(env.production ? 'Retain' : 'Delete');
    }
    for (const t of Object.values(stacks)) {
      for (const [, bucket] of resources(t, 'AWS::S3::Bucket')) {
        expect([bucket.DeletionPolicy, bucket.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
      }
    }
{%- if database.enabled %}
    for (const type of ['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster']) {
      for (const [, db] of resources(stacks.database, type)) {
        if (db.Properties.DBClusterIdentifier !== undefined && type === 'AWS::RDS::DBInstance') {
          continue; // Aurora instances: the cluster holds the data
        }
        expect([db.DeletionPolicy, db.UpdateReplacePolicy]).toEqual(['Snapshot', 'Snapshot']);
        expect(db.Properties.DeletionProtection).toBe(env.deletionProtection);
      }
    }
{%- endif %}
  });
});

test('test_gen_07_no_secret_in_templates', () => {
  const text = JSON.stringify(app.all);
  expect(text).not.toMatch(/"(MasterUserPassword|Password|SecretString)"/);
  for (const t of Object.values(app.all)) {
    for (const [name, p] of Object.entries((t.Parameters ?? {}) as Record<string, Json>)) {
      expect([name, p.NoEcho]).not.toEqual([name, true]);
    }
  }
});

// ------------------------------------------------------------------ security

test('test_sec_01_one_rotated_key_per_environment_with_scoped_services', () => {
  each((stacks, env) => {
    const keys = resources(stacks.security, 'AWS::KMS::Key');
    expect(keys).toHaveLength(1);
    const key = keys[0][1];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    stacks.security.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/${PROJECT.name}-${env.name}` });
    const services = (key.Properties.KeyPolicy.Statement as Json[]).filter((s) => s.Principal?.Service);
    for (const s of services) {
      expect(s.Sid).toBeTruthy();
    }
    const logs = services.find((s) => s.Sid === 'CloudWatchLogsEncryptsThisAccountsLogGroups');
    expect(logs?.Condition?.ArnLike).toBeDefined();
  });
});

{% if security.existing_trail %}test('test_sec_02_existing_account_trail_no_environment_creates_one', () => {
  // security.account_trail is existing: the account's own multi-region trail records
  // the events; no environment has a trail, a trail log group or CIS metric filters.
  each((stacks, env) => {
    expect([env.name, ownsAccountSingletons(env)]).toEqual([env.name, false]);
    expect([env.name, resources(stacks.security, 'AWS::CloudTrail::Trail').length]).toEqual([env.name, 0]);
    expect([env.name, resources(stacks.monitoring, 'AWS::Logs::MetricFilter').length]).toEqual([env.name, 0]);
  });
});{% else %}test('test_sec_02_one_validated_multi_region_trail_per_account', () => {
  const accounts = new Set(ENVIRONMENTS.map((e) => e.accountId ?? 'default'));
  let trails = 0;
  each((stacks, env) => {
    const found = resources(stacks.security, 'AWS::CloudTrail::Trail');
    expect(found.length).toBe(ownsAccountSingletons(env) ? 1 : 0);
    for (const [, trail] of found) {
      trails++;
      expect(trail.Properties).toMatchObject({ IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true, EnableLogFileValidation: true });
      expect(trail.Properties.KMSKeyId).toBeDefined();
      expect(trail.Properties.CloudWatchLogsLogGroupArn).toBeDefined();
    }
  });
  expect(trails).toBe(accounts.size);
});{% endif %}

test('test_sec_03_buckets_are_private_encrypted_versioned_tls_only_and_logged', () => {
  for (const [stackName, t] of Object.entries(app.all)) {
    const buckets = resources(t, 'AWS::S3::Bucket');
    const policies = resources(t, 'AWS::S3::BucketPolicy');
    for (const [id, b] of buckets) {
      const p = b.Properties;
      expect([stackName, id, p.PublicAccessBlockConfiguration]).toEqual([stackName, id, {
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      }]);
      expect(p.BucketEncryption.ServerSideEncryptionConfiguration.length).toBeGreaterThan(0);
      expect(p.VersioningConfiguration.Status).toBe('Enabled');
      expect(p.OwnershipControls).toBeDefined();
      if (!id.startsWith('AccessLogsBucket')) {
        expect([id, p.LoggingConfiguration?.DestinationBucketName]).toEqual([id, expect.anything()]);
      }
      const policy = policies.find(([, bp]) => JSON.stringify(bp.Properties.Bucket).includes(id));
      const tls = asArray(policy?.[1].Properties.PolicyDocument.Statement).find(
        (s: Json) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      );
      expect([id, tls !== undefined]).toEqual([id, true]);
    }
  }
});

test('test_sec_04_versioned_buckets_have_lifecycles', () => {
  for (const t of Object.values(app.all)) {
    for (const [id, b] of resources(t, 'AWS::S3::Bucket')) {
      const rules = b.Properties.LifecycleConfiguration?.Rules ?? [];
      const rule = rules.find((r: Json) => r.Status === 'Enabled');
      expect([id, rule?.NoncurrentVersionExpiration?.NoncurrentDays > 0]).toEqual([id, true]);
      expect(rule.NoncurrentVersionTransitions[0].StorageClass).toBe('STANDARD_IA');
      expect(rule.AbortIncompleteMultipartUpload.DaysAfterInitiation).toBeGreaterThan(0);
    }
  }
});

test('test_sec_05_no_star_action_and_star_resource_only_where_needed', () => {
  for (const [stackName, t] of Object.entries(app.all)) {
    for (const [id, r] of [...resources(t, 'AWS::IAM::Policy'), ...resources(t, 'AWS::IAM::Role'), ...resources(t, 'AWS::IAM::ManagedPolicy')]) {
      const docs = [r.Properties.PolicyDocument, ...(r.Properties.Policies ?? []).map((p: Json) => p.PolicyDocument)].filter(Boolean);
      for (const doc of docs) {
        for (const s of doc.Statement as Json[]) {
          expect([stackName, id, asArray(s.Action)]).not.toEqual([stackName, id, expect.arrayContaining(['*'])]);
          if (s.Effect === 'Allow' && asArray(s.Resource).includes('*')) {
            // Only APIs without resource-level permissions (ENIs, X-Ray, ...).
            for (const a of asArray<string>(s.Action)) {
              expect([id, a]).toEqual([id, expect.stringMatching(/^(ec2:(Create|Describe|Delete|Assign|Unassign)\w*|xray:Put\w+|logs:DescribeLogGroups|ssm:\w+|ssmmessages:\w+|ec2messages:\w+|ecr:GetAuthorizationToken|cloudwatch:PutMetricData|codebuild:(CreateReportGroup|CreateReport|UpdateReport|BatchPutTestCases|BatchPutCodeCoverages)|codestar-connections:\w+|codeconnections:\w+)$/)]);
            }
          }
        }
      }
    }
  }
});

test('test_sec_06_conditions_on_trust_and_key_policies', () => {
  each((stacks) => {
    const key = resources(stacks.security, 'AWS::KMS::Key')[0][1];
    const conditioned = (key.Properties.KeyPolicy.Statement as Json[]).filter((s) => s.Principal?.Service && s.Condition);
    expect(conditioned.length).toBeGreaterThanOrEqual(2);
    const mfa = resources(stacks.security, 'AWS::IAM::ManagedPolicy').find(([id]) => id.startsWith('RequireMfaPolicy'));
    expect(mfa?.[1].Properties.PolicyDocument.Statement[0].Condition.BoolIfExists['aws:MultiFactorAuthPresent']).toBe('false');
  });
});

test('test_sec_07_log_groups_have_retention_and_the_key', () => {
  each((stacks, env) => {
    for (const t of Object.values(stacks)) {
      for (const [id, g] of resources(t, 'AWS::Logs::LogGroup')) {
        expect([id, g.Properties.RetentionInDays]).toEqual([id, env.logRetentionDays]);
        expect([id, g.Properties.KmsKeyId !== undefined]).toEqual([id, true]);
      }
    }
  });
});

test('test_mon_01_one_encrypted_alert_topic_per_environment', () => {
  each((stacks) => {
    const topics = resources(stacks.security, 'AWS::SNS::Topic');
    expect(topics).toHaveLength(1);
    expect(topics[0][1].Properties.KmsMasterKeyId).toBeDefined();
{%- if pipeline.enabled %}
    stacks.security.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: PIPELINE!.notificationEmail });
{%- endif %}
  });
});

// ------------------------------------------------------------------ network

test('test_net_01_vpc_with_dns_and_the_answered_cidr', () => {
  each((stacks, env) => {
    stacks.network.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: env.vpcCidr, EnableDnsHostnames: true, EnableDnsSupport: true });
  });
  expect(new Set(ENVIRONMENTS.map((e) => e.vpcCidr)).size).toBe(ENVIRONMENTS.length);
});

test('test_net_02_three_tiers_across_the_answered_azs', () => {
  each((stacks) => {
    const subnets = resources(stacks.network, 'AWS::EC2::Subnet');
    expect(subnets).toHaveLength(3 * NETWORK.availabilityZones);
    const tiers = new Set(subnets.map(([, s]) => s.Properties.Tags.find((t: Json) => t.Key === 'aws-cdk:subnet-name').Value));
    expect([...tiers].sort()).toEqual(['isolated', 'private', 'public']);
    for (const [, s] of subnets) {
      expect(s.Properties.MapPublicIpOnLaunch ?? false).toBe(false);
    }
  });
  // Computed by stackwright from the VPC range, not typed: exactly the planned ranges.
  each((stacks, env) => {
    const cidrs = resources(stacks.network, 'AWS::EC2::Subnet').map(([, s]) => s.Properties.CidrBlock).sort();
    expect(cidrs).toEqual([...env.subnets.public, ...env.subnets.private, ...env.subnets.isolated].sort());
  });
});

test('test_net_03_nat_gateways_by_profile', () => {
  each((stacks, env) => {
    stacks.network.resourceCountIs('AWS::EC2::NatGateway', env.natGateways);
    if (env.natGateways > 0) {
      const routes = resources(stacks.network, 'AWS::EC2::Route').filter(([, r]) => r.Properties.NatGatewayId);
      expect(routes).toHaveLength(NETWORK.availabilityZones);
    }
  });
});

test('test_net_04_gateway_and_interface_endpoints', () => {
  each((stacks) => {
    const endpoints = resources(stacks.network, 'AWS::EC2::VPCEndpoint');
    const gateway = endpoints.filter(([, e]) => (e.Properties.VpcEndpointType ?? 'Gateway') === 'Gateway');
    const iface = endpoints.filter(([, e]) => e.Properties.VpcEndpointType === 'Interface');
    expect(gateway).toHaveLength(NETWORK.gatewayEndpoints.length);
    expect(iface).toHaveLength(NETWORK.interfaceEndpoints.length);
    for (const [, e] of iface) {
      expect(e.Properties.PrivateDnsEnabled).toBe(true);
    }
    if (NETWORK.interfaceEndpoints.length > 0) {
      stacks.network.hasResourceProperties('AWS::EC2::SecurityGroup', {
        SecurityGroupIngress: [Match.objectLike({ FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })],
      });
    }
  });
});

test('test_net_05_flow_logs_to_an_encrypted_group', () => {
  each((stacks) => {
    stacks.network.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
  });
});

test('test_net_06_default_security_group_is_emptied', () => {
  each((stacks) => {
    stacks.network.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });
});

test('test_net_07_security_groups_are_narrow_and_described', () => {
  each((stacks) => {
    for (const t of Object.values(stacks)) {
      for (const [id, sg] of resources(t, 'AWS::EC2::SecurityGroup')) {
        for (const rule of [...(sg.Properties.SecurityGroupIngress ?? []), ...(sg.Properties.SecurityGroupEgress ?? [])]) {
          expect([id, typeof rule.Description]).toEqual([id, 'string']);
          expect([id, rule.IpProtocol]).not.toEqual([id, '-1']);
        }
      }
      for (const [id, rule] of [...resources(t, 'AWS::EC2::SecurityGroupIngress'), ...resources(t, 'AWS::EC2::SecurityGroupEgress')]) {
        expect([id, typeof rule.Properties.Description]).toEqual([id, 'string']);
      }
    }
{%- if database.enabled %}
    const db = resources(stacks.database, 'AWS::EC2::SecurityGroup');
    for (const [, sg] of db) {
      // No egress at all: CDK writes its "disallow all traffic" placeholder.
      expect(sg.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' })]);
    }
    for (const [, rule] of resources(stacks.database, 'AWS::EC2::SecurityGroupIngress')) {
      expect(rule.Properties.SourceSecurityGroupId).toBeDefined();
      expect(rule.Properties.FromPort).toBe(DATABASE!.port);
    }
    if (APP) {
      // The application's group may leave on the database port, to the database's group only.
      const egress = resources(stacks.database, 'AWS::EC2::SecurityGroupEgress');
      expect(egress.map(([, r]) => [r.Properties.FromPort, typeof r.Properties.DestinationSecurityGroupId])).toEqual([[DATABASE!.port, 'object']]);
    }
{%- endif %}
  });
});

test('test_net_08_no_ingress_from_address_ranges_but_the_vpc', () => {
  each((stacks, env) => {
    for (const t of Object.values(stacks)) {
      for (const [id, sg] of resources(t, 'AWS::EC2::SecurityGroup')) {
        for (const rule of sg.Properties.SecurityGroupIngress ?? []) {
          // Only the interface endpoints admit an address range: the VPC itself, on 443.
          expect([id, rule.CidrIp ?? rule.CidrIpv6 ?? 'security group']).toEqual([id, expect.stringMatching(new RegExp(`^(${env.vpcCidr.replace(/\./g, '\\.')}|security group)$`))]);
        }
      }
      for (const [id, rule] of resources(t, 'AWS::EC2::SecurityGroupIngress')) {
        expect([id, rule.Properties.CidrIp]).toEqual([id, undefined]);
      }
    }
  });
});
{%- if app.enabled and app.kind != "lambda" %}

test('test_app_05_no_rule_pretends_the_app_is_reachable_without_a_load_balancer', () => {
  each((stacks) => {
    const [, sg] = resources(stacks.network, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('AppSecurityGroup'))!;
    expect(sg.Properties.SecurityGroupIngress ?? []).toEqual([]);
    for (const t of Object.values(stacks)) {
      expect(resources(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer')).toEqual([]);
    }
  });
  expect(fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')).toContain('Session Manager port forwarding');
});
{%- endif %}
{%- if database.enabled %}

// ------------------------------------------------------------------ database

const dbResources = (t: Template) => [...resources(t, 'AWS::RDS::DBInstance'), ...resources(t, 'AWS::RDS::DBCluster')];
/** MySQL engines export their audit log as `audit` where the environment audits (DB-09). */
const auditExported = (env: (typeof ENVIRONMENTS)[number]) => env.auditLogging && DATABASE!.family === 'mysql';
/** The parameters of the (cluster) parameter group. */
const dbParameters = (t: Template): Json => {
  const groups = resources(t, DATABASE!.aurora ? 'AWS::RDS::DBClusterParameterGroup' : 'AWS::RDS::DBParameterGroup');
  expect(groups).toHaveLength(1);
  return groups[0][1].Properties.Parameters;
};

test('test_db_01_engine_and_pinned_version', () => {
  each((stacks, env) => {
    const engines = dbResources(stacks.database).map(([, r]) => r.Properties.Engine);
    expect(new Set(engines)).toEqual(new Set([DATABASE!.engine]));
    const versioned = dbResources(stacks.database).filter(([, r]) => r.Properties.EngineVersion);
    expect(versioned.map(([, r]) => r.Properties.EngineVersion)).toEqual([DATABASE!.version]);
    for (const [, i] of resources(stacks.database, 'AWS::RDS::DBInstance')) {
      expect(i.Properties.DBInstanceClass).toBe(env.dbInstanceClass);
    }
  });
});

test('test_db_02_storage_and_performance_insights_encrypted', () => {
  each((stacks) => {
    const holder = DATABASE!.aurora ? resources(stacks.database, 'AWS::RDS::DBCluster') : resources(stacks.database, 'AWS::RDS::DBInstance');
    for (const [, r] of holder) {
      expect(r.Properties.StorageEncrypted).toBe(true);
      expect(r.Properties.KmsKeyId).toBeDefined();
    }
    for (const [, i] of resources(stacks.database, 'AWS::RDS::DBInstance')) {
      expect(i.Properties.EnablePerformanceInsights).toBe(true);
      expect(i.Properties.PerformanceInsightsKMSKeyId).toBeDefined();
    }
  });
});

test('test_db_03_master_secret_managed_by_rds', () => {
  each((stacks) => {
    const holder = DATABASE!.aurora ? resources(stacks.database, 'AWS::RDS::DBCluster') : resources(stacks.database, 'AWS::RDS::DBInstance');
    for (const [, r] of holder) {
      expect(r.Properties.ManageMasterUserPassword).toBe(true);
      expect(r.Properties.MasterUserSecret.KmsKeyId).toBeDefined();
      expect(r.Properties.MasterUserPassword).toBeUndefined();
    }
  });
});

test('test_db_04_multi_az_for_production', () => {
  each((stacks, env) => {
    if (DATABASE!.aurora) {
      expect(resources(stacks.database, 'AWS::RDS::DBInstance')).toHaveLength(env.multiAz ? 2 : 1);
    } else {
      stacks.database.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: env.multiAz });
    }
  });
});

test('test_db_05_backups_windows_and_snapshots', () => {
  each((stacks, env) => {
    const holder = DATABASE!.aurora ? resources(stacks.database, 'AWS::RDS::DBCluster') : resources(stacks.database, 'AWS::RDS::DBInstance');
    for (const [, r] of holder) {
      expect(r.Properties.BackupRetentionPeriod).toBe(env.backupRetentionDays);
      expect(r.Properties.BackupRetentionPeriod).toBeGreaterThanOrEqual(7);
      expect(r.Properties.PreferredBackupWindow).toMatch(/^\d\d:\d\d-\d\d:\d\d$/);
      expect(r.Properties.PreferredMaintenanceWindow).toBeDefined();
      expect(r.Properties.CopyTagsToSnapshot).toBe(true);
      expect(r.DeletionPolicy).toBe('Snapshot');
    }
  });
});

test('test_db_06_monitoring_logs_upgrades_and_iam_auth', () => {
  each((stacks, env) => {
    for (const [, i] of resources(stacks.database, 'AWS::RDS::DBInstance')) {
      expect(i.Properties.MonitoringInterval).toBe(60);
      expect(i.Properties.MonitoringRoleArn).toBeDefined();
      expect(i.Properties.AutoMinorVersionUpgrade).toBe(true);
    }
    const holder = DATABASE!.aurora ? resources(stacks.database, 'AWS::RDS::DBCluster') : resources(stacks.database, 'AWS::RDS::DBInstance');
    const exports = [...(auditExported(env) ? ['audit'] : []), ...DATABASE!.logExports];
    for (const [, r] of holder) {
      expect(r.Properties.EnableCloudwatchLogsExports).toEqual(exports);
      expect(r.Properties.EnableIAMDatabaseAuthentication).toBe(true);
    }
    const groups = resources(stacks.database, 'AWS::Logs::LogGroup').map(([, g]) => g.Properties.LogGroupName);
    expect(groups).toHaveLength(exports.length);
    for (const g of groups) {
      expect(g).toContain(`${PROJECT.name}-${env.name}-db`);
    }
  });
});

test('test_db_07_private_isolated_and_tls_only', () => {
  each((stacks) => {
    for (const [, i] of resources(stacks.database, 'AWS::RDS::DBInstance')) {
      expect(i.Properties.PubliclyAccessible).toBe(false);
    }
    const groupType = DATABASE!.aurora ? 'AWS::RDS::DBClusterParameterGroup' : 'AWS::RDS::DBParameterGroup';
    stacks.database.hasResourceProperties(groupType, { Parameters: { [DATABASE!.tlsParameterName]: DATABASE!.tlsParameterValue } });
    const subnetGroup = resources(stacks.database, 'AWS::RDS::DBSubnetGroup')[0][1];
    const isolated = resources(stacks.network, 'AWS::EC2::Subnet')
      .filter(([, s]) => s.Properties.Tags.some((t: Json) => t.Key === 'aws-cdk:subnet-name' && t.Value === 'isolated'))
      .map(([id]) => id);
    const referenced = JSON.stringify(subnetGroup.Properties.SubnetIds);
    for (const id of isolated) {
      expect(referenced).toContain(id);
    }
    expect(subnetGroup.Properties.SubnetIds).toHaveLength(isolated.length);
  });
});

test('test_db_09_audit_logging_in_production_and_for_confidential_data', () => {
  const confidential = ['data-class', 'data-classification'].some((k) =>
    ['confidential', 'restricted'].includes((PROJECT.tags[k] ?? '').toLowerCase()),
  );
  each((_stacks, env) => {
    expect(env.auditLogging).toBe(env.production || confidential);
  });
});

test('test_db_09_statement_logging_off', () => {
  each((stacks) => {
    const params = dbParameters(stacks.database);
    if (DATABASE!.family === 'mysql') {
      expect(params.general_log).toBe('0');
    } else {
      expect(params.log_statement ?? 'none').toBe('none');
      expect(params['pgaudit.log_parameter']).toBe('0');
    }
  });
});

test('test_db_09_mysql_audit_plugin_option_group_where_auditing', () => {
  each((stacks, env) => {
    const groups = resources(stacks.database, 'AWS::RDS::OptionGroup');
    if (DATABASE!.engine !== 'mysql' || !env.auditLogging) {
      expect(groups).toHaveLength(0);
      return;
    }
    expect(groups).toHaveLength(1);
    const [id, group] = groups[0];
    expect(group.Properties.EngineName).toBe('mysql');
    expect(DATABASE!.version.startsWith(`${group.Properties.MajorEngineVersion}.`)).toBe(true);
    const plugin = group.Properties.OptionConfigurations.find((o: Json) => o.OptionName === 'MARIADB_AUDIT_PLUGIN');
    expect(plugin).toBeDefined();
    const events = plugin.OptionSettings.find((o: Json) => o.Name === 'SERVER_AUDIT_EVENTS').Value.split(',');
    expect(events).toEqual(expect.arrayContaining(['CONNECT', 'QUERY_DDL', 'QUERY_DCL']));
    expect(events).not.toContain('QUERY_DML');
    stacks.database.hasResourceProperties('AWS::RDS::DBInstance', { OptionGroupName: { Ref: id } });
  });
});

test('test_db_09_aurora_mysql_server_audit_where_auditing', () => {
  each((stacks, env) => {
    if (DATABASE!.engine !== 'aurora-mysql') {
      expect(dbParameters(stacks.database).server_audit_logging).toBeUndefined();
      return;
    }
    const params = dbParameters(stacks.database);
    expect(params.server_audit_logging).toBe(env.auditLogging ? '1' : '0');
    expect(params.server_audit_events.split(',')).not.toContain('QUERY_DML');
  });
});

test('test_db_09_mysql_audit_log_exported_to_an_encrypted_group', () => {
  each((stacks, env) => {
    const holder = dbResources(stacks.database).filter(([, r]) => r.Properties.EnableCloudwatchLogsExports);
    expect(holder).toHaveLength(1);
    expect(holder[0][1].Properties.EnableCloudwatchLogsExports.includes('audit')).toBe(auditExported(env));
    const audit = resources(stacks.database, 'AWS::Logs::LogGroup').filter(([, g]) => g.Properties.LogGroupName.endsWith('/audit'));
    expect(audit).toHaveLength(auditExported(env) ? 1 : 0);
    for (const [, g] of audit) {
      expect(g.Properties.KmsKeyId).toBeDefined();
      expect(g.Properties.RetentionInDays).toBe(retention(env.logRetentionDays));
    }
  });
});

test('test_db_09_pgaudit_where_auditing', () => {
  each((stacks, env) => {
    const params = dbParameters(stacks.database);
    if (DATABASE!.family !== 'postgres') {
      expect(params['pgaudit.log']).toBeUndefined();
      return;
    }
    const libraries = params.shared_preload_libraries.split(',');
    expect(libraries.includes('pgaudit')).toBe(env.auditLogging);
    expect(params['pgaudit.log']).toBe(env.auditLogging ? 'ddl,role' : 'none');
  });
});

test('test_db_08_alarms_to_the_alert_topic', () => {
  each((stacks) => {
    const alarms = resources(stacks.database, 'AWS::CloudWatch::Alarm');
    const metrics = new Set(alarms.map(([, a]) => a.Properties.MetricName));
    expect(metrics).toEqual(new Set(DATABASE!.aurora ? ['CPUUtilization', 'DatabaseConnections'] : ['CPUUtilization', 'DatabaseConnections', 'FreeStorageSpace']));
    for (const [, a] of alarms) {
      expect(JSON.stringify(a.Properties.AlarmActions)).toContain('AlertTopic');
    }
  });
});
{%- endif %}
{%- if app.enabled %}

// ------------------------------------------------------------------ application
{%- if app.kind == "ec2" %}

test('test_app_01_imdsv2_encrypted_ebs_ssm_managed_private', () => {
  each((stacks) => {
    const lt = resources(stacks.app, 'AWS::EC2::LaunchTemplate')[0][1].Properties.LaunchTemplateData;
    expect(lt.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
    expect(lt.BlockDeviceMappings[0].Ebs).toMatchObject({ Encrypted: true });
    expect(lt.BlockDeviceMappings[0].Ebs.KmsKeyId).toBeDefined();
    expect(lt.KeyName).toBeUndefined();
    expect(JSON.stringify(lt.ImageId)).toContain('Ref');
    const params = Object.values((stacks.app.toJSON().Parameters ?? {}) as Record<string, Json>);
    expect(params.some((p) => String(p.Default).startsWith('/aws/service/ami-amazon-linux-latest/'))).toBe(true);
    const sgs = resources(stacks.network, 'AWS::EC2::SecurityGroup');
    for (const [, sg] of sgs) {
      for (const rule of sg.Properties.SecurityGroupIngress ?? []) {
        expect(rule.FromPort).not.toBe(22);
      }
    }
    const asg = resources(stacks.app, 'AWS::AutoScaling::AutoScalingGroup')[0][1];
    expect(JSON.stringify(asg.Properties.VPCZoneIdentifier)).toContain('privateSubnet');
  });
});

test('test_app_02_user_data_fails_fast_and_hardens', () => {
  each((stacks) => {
    const lt = resources(stacks.app, 'AWS::EC2::LaunchTemplate')[0][1].Properties.LaunchTemplateData;
    const text = JSON.stringify(lt.UserData);
    for (const needle of ['set -euo pipefail', 'update --security', 'chmod 600', 'logrotate', 'amazon-cloudwatch-agent']) {
      expect(text).toContain(needle);
    }
  });
});

test('test_mon_04_fleet_failures_reach_the_alert_topic', () => {
  each((stacks) => {
    const asg = resources(stacks.app, 'AWS::AutoScaling::AutoScalingGroup')[0][1];
    expect(asg.Properties.NotificationConfigurations[0].NotificationTypes).toEqual(
      expect.arrayContaining(['autoscaling:EC2_INSTANCE_LAUNCH_ERROR', 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR']),
    );
    stacks.app.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'GroupInServiceInstances', ComparisonOperator: 'LessThanThreshold' });
  });
});
{%- elif app.kind == "ecs" %}

test('test_app_04_ecs_insights_private_tasks_restricted_egress', () => {
  each((stacks) => {
    const cluster = resources(stacks.app, 'AWS::ECS::Cluster')[0][1];
    expect(cluster.Properties.ClusterSettings).toEqual([{ Name: 'containerInsights', Value: 'enabled' }]);
    const service = resources(stacks.app, 'AWS::ECS::Service')[0][1];
    expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
    const app = resources(stacks.network, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('AppSecurityGroup'))![1];
    const ports = (app.Properties.SecurityGroupEgress as Json[]).map((r) => r.FromPort).sort((a, b) => a - b);
    expect(ports).toEqual([53, 53, 80, 443]);
  });
});

test('test_mon_04_fleet_failures_reach_the_alert_topic', () => {
  each((stacks) => {
    stacks.app.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'RunningTaskCount', ComparisonOperator: 'LessThanThreshold' });
  });
});
{%- else %}

test('test_app_03_lambda_in_vpc_with_limits_dlq_tracing_and_key', () => {
  each((stacks) => {
    const fn = resources(stacks.app, 'AWS::Lambda::Function').find(([id]) => id.startsWith('Function'))![1];
    expect(fn.Properties.VpcConfig.SubnetIds.length).toBe(NETWORK.availabilityZones);
    expect(fn.Properties.ReservedConcurrentExecutions).toBeGreaterThan(0);
    expect(fn.Properties.DeadLetterConfig.TargetArn).toBeDefined();
    expect(fn.Properties.TracingConfig.Mode).toBe('Active');
    expect(fn.Properties.KmsKeyArn).toBeDefined();
    stacks.app.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
  });
});
{%- endif %}
{%- endif %}

// ------------------------------------------------------------------ monitoring

test('test_mon_02_alarms_act_on_the_alert_topic', () => {
  each((stacks, env) => {
    for (const t of Object.values(stacks)) {
      for (const [id, a] of resources(t, 'AWS::CloudWatch::Alarm')) {
        expect([id, JSON.stringify(a.Properties.AlarmActions ?? [])]).toEqual([id, expect.stringContaining('AlertTopic')]);
        expect(a.Properties.EvaluationPeriods).toBe(env.alarm.evaluationPeriods);
      }
    }
    expect(resources(stacks.monitoring, 'AWS::CloudWatch::Alarm').length).toBeGreaterThanOrEqual(2 * env.natGateways);
    if (ownsAccountSingletons(env)) {
      expect(resources(stacks.monitoring, 'AWS::Logs::MetricFilter').length).toBeGreaterThanOrEqual(5);
    }
  });
});

test('test_mon_03_dashboard_per_environment', () => {
  each((stacks, env) => {
    const dashboards = resources(stacks.monitoring, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0][1].Properties.DashboardBody);
    if (env.natGateways > 0) {
      expect(body).toContain('AWS/NATGateway');
    }
    expect(body).toContain('log');
{%- if database.enabled %}
    expect(body).toContain('AWS/RDS');
{%- endif %}
  });
});
{%- if pipeline.enabled %}

// ------------------------------------------------------------------ pipeline

const pipelineTemplate = () => app.all[`${PROJECT.name}-pipeline`];

test('test_ci_01_v2_pipeline_with_a_connection_source_and_push_trigger', () => {
  const t = pipelineTemplate();
  const p = resources(t, 'AWS::CodePipeline::Pipeline')[0][1].Properties;
  expect(p.PipelineType).toBe('V2');
  const source = p.Stages[0].Actions[0];
  expect(source.ActionTypeId.Provider).toBe('CodeStarSourceConnection');
  expect(source.Configuration.FullRepositoryId).toBe(PIPELINE!.repository);
  expect(source.Configuration.BranchName).toBe(PIPELINE!.branch);
  expect(p.Triggers[0].GitConfiguration.Push[0].Branches.Includes).toEqual([PIPELINE!.branch]);
  expect(resources(t, 'AWS::CodeStarConnections::Connection')).toHaveLength(1);
});

test('test_ci_02_stages_as_answered_in_order', () => {
  const stages = (resources(pipelineTemplate(), 'AWS::CodePipeline::Pipeline')[0][1].Properties.Stages as Json[]).map((s) => s.Name);
  const expected = ['Source'];
  for (const s of PIPELINE!.stages) {
    if (s === 'deploy') {
      expected.push(...ENVIRONMENTS.map((e) => `Deploy-${e.name}`));
    } else {
      expected.push(s.split('_').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join(''));
    }
  }
  expect(stages).toEqual(expected);
});

test('test_ci_03_approvals_notify_an_encrypted_topic', () => {
  const t = pipelineTemplate();
  const stages = resources(t, 'AWS::CodePipeline::Pipeline')[0][1].Properties.Stages as Json[];
  for (const env of ENVIRONMENTS) {
    const stage = stages.find((s) => s.Name === `Deploy-${env.name}`);
    if (!stage) {
      continue;
    }
    const approval = (stage.Actions as Json[]).find((a) => a.ActionTypeId.Category === 'Approval');
    expect([env.name, approval !== undefined]).toEqual([env.name, env.approval]);
    if (approval) {
      expect(approval.Configuration.NotificationArn).toBeDefined();
      expect(approval.Configuration.CustomData).toContain(env.name);
    }
  }
  for (const [, topic] of resources(t, 'AWS::SNS::Topic')) {
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
  }
});

test('test_ci_04_artifact_store_encrypted_and_bucket_hardened', () => {
  const t = pipelineTemplate();
  const p = resources(t, 'AWS::CodePipeline::Pipeline')[0][1].Properties;
  expect(p.ArtifactStore.EncryptionKey.Type).toBe('KMS');
  for (const [, key] of resources(t, 'AWS::KMS::Key')) {
    expect(key.Properties.EnableKeyRotation).toBe(true);
  }
  const bucket = resources(t, 'AWS::S3::Bucket').find(([id]) => id.startsWith('ArtifactBucket'))![1];
  expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
  expect(bucket.Properties.LoggingConfiguration).toBeDefined();
});

test('test_ci_05_one_small_unprivileged_project_per_stage_with_encrypted_logs', () => {
  const t = pipelineTemplate();
  const projects = resources(t, 'AWS::CodeBuild::Project');
  const codebuildStages = PIPELINE!.stages.filter((s) => s !== 'deploy').length + (PIPELINE!.stages.includes('deploy') ? ENVIRONMENTS.length : 0);
  expect(projects).toHaveLength(codebuildStages);
  for (const [id, p] of projects) {
    expect([id, p.Properties.Environment.ComputeType, p.Properties.Environment.PrivilegedMode]).toEqual([id, 'BUILD_GENERAL1_SMALL', false]);
    expect(p.Properties.EncryptionKey).toBeDefined();
    expect(p.Properties.LogsConfig.CloudWatchLogs.Status).toBe('ENABLED');
    expect(JSON.stringify(p.Properties.Environment.EnvironmentVariables ?? [])).not.toMatch(/PLAINTEXT.*(SECRET|PASSWORD|TOKEN)/i);
  }
});

test('test_ci_06_buildspecs_fail_fast_and_report', () => {
  for (const [id, p] of resources(pipelineTemplate(), 'AWS::CodeBuild::Project')) {
    const spec = JSON.parse(p.Properties.Source.BuildSpec);
    expect([id, spec.phases.build.commands[0]]).toEqual([id, 'set -euo pipefail']);
    expect(spec.reports).toBeDefined();
  }
});

test('test_ci_07_deploys_assume_only_the_target_accounts_bootstrap_roles', () => {
  if (!PIPELINE!.stages.includes('deploy')) {
    return;
  }
  const policies = resources(pipelineTemplate(), 'AWS::IAM::Policy');
  for (const env of ENVIRONMENTS) {
    const deploy = policies.find(([id]) => id.startsWith(`Deploy${env.name.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}ProjectRoleDefaultPolicy`));
    expect([env.name, deploy !== undefined]).toEqual([env.name, true]);
    const assume = (deploy![1].Properties.PolicyDocument.Statement as Json[]).find((s) => s.Sid === 'AssumeCdkBootstrapRoles');
    const text = JSON.stringify(assume!.Resource);
    expect(text).toContain(env.accountId ?? 'AWS::AccountId');
    expect(text).not.toContain('AdministratorAccess');
  }
});

test('test_ci_08_failures_and_approvals_reach_the_topic', () => {
  const rules = resources(pipelineTemplate(), 'AWS::Events::Rule');
  const states = rules.map(([, r]) => r.Properties.EventPattern.detail.state[0]).sort();
  expect(states).toEqual(['FAILED', 'STARTED']);
  for (const [, r] of rules) {
    expect(JSON.stringify(r.Properties.Targets)).toContain('NotificationTopic');
  }
});

test('test_ci_09_deploys_use_change_sets_after_approval', () => {
  if (!PIPELINE!.stages.includes('deploy')) {
    return;
  }
  const stages = resources(pipelineTemplate(), 'AWS::CodePipeline::Pipeline')[0][1].Properties.Stages as Json[];
  const projects = resources(pipelineTemplate(), 'AWS::CodeBuild::Project');
  for (const env of ENVIRONMENTS) {
    const stage = stages.find((s) => s.Name === `Deploy-${env.name}`)!;
    const deploy = (stage.Actions as Json[]).find((a) => a.ActionTypeId.Category === 'Build')!;
    const approval = (stage.Actions as Json[]).find((a) => a.ActionTypeId.Category === 'Approval');
    if (approval) {
      expect(approval.RunOrder).toBeLessThan(deploy.RunOrder);
    }
    const project = projects.find(([id]) => JSON.stringify(deploy.Configuration.ProjectName).includes(id))![1];
    expect(project.Properties.Source.BuildSpec).toContain('--method=change-set');
  }
});
{%- endif %}

// ------------------------------------------------------------------ deployability

{% if not security.existing_trail %}test('test_dep_07_account_singletons_once_per_account', () => {
  const byAccount = new Map<string, number>();
  each((stacks, env) => {
    const key = env.accountId ?? 'default';
    byAccount.set(key, (byAccount.get(key) ?? 0) + resources(stacks.security, 'AWS::CloudTrail::Trail').length);
  });
  for (const [account, count] of byAccount) {
    expect([account, count]).toEqual([account, 1]);
  }
});{% endif %}

{% if not security.existing_trail %}test('test_dep_07_cis_metric_filters_and_alarms_once_per_account', () => {
  // The CIS filters read the account's one trail log group: an environment that
  // does not own the trail has none, so no alarm fires twice for one event.
  const filtersByAccount = new Map<string, number>();
  each((stacks, env) => {
    const filters = resources(stacks.monitoring, 'AWS::Logs::MetricFilter').length;
    expect([env.name, filters > 0]).toEqual([env.name, ownsAccountSingletons(env)]);
    if (filters > 0) {
      const key = env.accountId ?? 'default';
      filtersByAccount.set(key, (filtersByAccount.get(key) ?? 0) + 1);
    }
  });
  for (const [account, owners] of filtersByAccount) {
    expect([account, owners]).toEqual([account, 1]);
  }
  // ownsAccountSingletons picks exactly one environment per account.
  const owners = new Map<string, string[]>();
  for (const env of ENVIRONMENTS) {
    if (ownsAccountSingletons(env)) owners.set(env.accountId ?? 'default', [...(owners.get(env.accountId ?? 'default') ?? []), env.name]);
  }
  expect(new Set(ENVIRONMENTS.map((e) => e.accountId ?? 'default')).size).toBe(owners.size);
  for (const names of owners.values()) expect(names).toHaveLength(1);
});{% endif %}

// CloudFormation quotas (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
// a template read from S3 (`cdk deploy` uploads it to the bootstrap bucket)
// holds at most 1 MB; this app deploys nothing inline.
const S3_BYTES = 1000000;
const QUOTAS: Record<string, number> = { Resources: 500, Parameters: 200, Outputs: 200 };

test('test_dep_01_templates_fit_the_path_that_deploys_them', () => {
  // Every stack is deployed by `cdk deploy` (by hand, or in the pipeline's
  // CodeBuild deploy actions), which publishes the template to the bootstrap
  // bucket and passes its URL: CloudFormation's 1 MB TemplateURL limit applies,
  // not the 51,200-byte inline one.
  const stageLimit = S3_BYTES;
  const stageStacks = new Set<Json>();
  each((stacks) => {
    for (const t of Object.values(stacks)) {
      const json = t.toJSON();
      stageStacks.add(json);
      // As `cdk synth` writes it into cdk.out.
      expect(Buffer.byteLength(JSON.stringify(json, undefined, 1))).toBeLessThanOrEqual(stageLimit);
    }
  });
  for (const [name, json] of Object.entries(app.all)) {
    expect([name, Buffer.byteLength(JSON.stringify(json, undefined, 1)) <= S3_BYTES]).toEqual([name, true]);
    for (const [section, limit] of Object.entries(QUOTAS)) {
      expect([name, section, Object.keys(json[section] ?? {}).length <= limit]).toEqual([name, section, true]);
    }
  }
});

test('test_dep_04_ephemeral_environments_keep_no_named_resource', () => {
  // A resource retained by `cdk destroy` with a fixed physical name would make
  // the next deploy of the environment fail with "already exists".
  each((stacks, env) => {
    if (env.production) return;
    for (const [stack, t] of Object.entries(stacks)) {
      for (const [id, r] of Object.entries((t.toJSON().Resources ?? {}) as Record<string, Json>)) {
        if (!['Retain', 'RetainExceptOnCreate'].includes(r.DeletionPolicy)) continue;
        const named = Object.entries((r.Properties ?? {}) as Json)
          .filter(([k, v]) => /Name$/.test(k) && !/Description/.test(k) && v !== undefined)
          .map(([k]) => `${stack}/${id}.${k}`);
        expect(named).toEqual([]);
      }
    }
  });
});

// DEP-02: the bootstrap's CloudFormation execution policies (bootstrap/*.json,
// passed to `cdk bootstrap --cloudformation-execution-policies`) allow every
// action the resource handlers call for every resource type the app
// synthesizes. The handler lists are the registry schemas' (cfn-lint's data),
// rendered by stackwright into test/handler-permissions.json.
interface HandlerTable {
  readonly cfn_lint: string;
  readonly types: Record<string, { readonly scoped: string[]; readonly unscoped: string[] }>;
  readonly without_handlers: string[];
}
const readJson = (p: string) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', p), 'utf8'));
const globs = new Map<string, RegExp>();
const glob = (pattern: string, value: string) => {
  let re = globs.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    globs.set(pattern, re);
  }
  return re.test(value);
};
// Actions whose resources live under another service's ARN namespace.
const ARN_ALIASES: Record<string, string[]> = { 'codestar-connections': ['codeconnections'], codeconnections: ['codestar-connections'] };

/** Whether the policy statements allow `action`: an Allow whose Action (or NotAction) matches and whose
 * Resource is "*" or an ARN of the action's service (only "*" for actions without resource-level
 * permissions), and no Deny on "*". Conditions count as satisfiable. */
function allows(policy: Json[], action: string, needsStar: boolean): boolean {
  const service = action.split(':')[0].toLowerCase();
  const actionMatches = (s: Json) =>
    s.Action !== undefined ? asArray<string>(s.Action).some((a) => glob(a, action)) : !asArray<string>(s.NotAction).some((a) => glob(a, action));
  const resources = (s: Json) => asArray<string>(s.Resource);
  const fits = (s: Json) =>
    resources(s).some((r) => {
      if (r === '*') return true;
      if (needsStar) return false;
      const svc = r.split(':')[2] ?? '';
      return glob(svc, service) || (ARN_ALIASES[service] ?? []).includes(svc);
    });
  if (policy.some((s) => s.Effect === 'Deny' && actionMatches(s) && resources(s).includes('*'))) return false;
  return policy.some((s) => s.Effect === 'Allow' && actionMatches(s) && fits(s));
}

const executionPolicy = (): Json[] =>
  fs
    .readdirSync(path.join(__dirname, '..', 'bootstrap'))
    .filter((f) => /^execution-policy-.*\.json$/.test(f))
    .sort()
    .flatMap((f) => readJson(`bootstrap/${f}`).Statement as Json[]);

/** [type, action] pairs of `templates` the policy does not allow. */
// Types CloudFormation handles outside the registry (no handler list): the API
// calls of their create/read/update/delete, from the service's API-to-permission
// reference (docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-permissions-reference.html).
const NON_REGISTRY_ACTIONS: Record<string, string[]> = {
  'AWS::CodeBuild::Project': ['codebuild:BatchGetProjects', 'codebuild:CreateProject', 'codebuild:DeleteProject', 'codebuild:UpdateProject'],
};

function missingHandlerActions(policy: Json[], table: HandlerTable, templates: Record<string, Json>): string[] {
  const missing = new Set<string>();
  // Each type once, with where it is first deployed.
  const types = new Map<string, [string, string]>();
  for (const [stack, json] of Object.entries(templates)) {
    for (const [id, r] of Object.entries((json.Resources ?? {}) as Record<string, Json>)) {
      if (!types.has(r.Type)) types.set(r.Type, [stack, id]);
    }
  }
  for (const [type, [stack, id]] of types) {
    if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
      // CloudFormation invokes the provider function with the execution role.
      if (!allows(policy, 'lambda:InvokeFunction', false)) missing.add(`${type}: lambda:InvokeFunction (${stack}/${id})`);
      continue;
    }
    const legacy = NON_REGISTRY_ACTIONS[type];
    if (legacy) {
      for (const a of legacy) if (!allows(policy, a, false)) missing.add(`${type}: ${a}`);
      continue;
    }
    const entry = table.types[type];
    if (!entry) {
      if (!table.without_handlers.includes(type)) {
        missing.add(`${type}: not in test/handler-permissions.json (${stack}/${id}); add it to stackwright's assets/cdk_resource_types.yaml and render again`);
      }
      continue;
    }
    for (const a of entry.scoped) if (!allows(policy, a, false)) missing.add(`${type}: ${a}`);
    for (const a of entry.unscoped) if (!allows(policy, a, true)) missing.add(`${type}: ${a} (needs Resource "*")`);
  }
  return [...missing].sort();
}

test('test_dep_02_bootstrap_execution_policy_allows_every_handler_action_of_every_synthesized_type', () => {
  const table = readJson('test/handler-permissions.json') as HandlerTable;
  const policy = executionPolicy();
  expect(Object.keys(table.types).length).toBeGreaterThan(10);
  expect(missingHandlerActions(policy, table, app.all)).toEqual([]);
  // The check itself: a policy without one handler action of a synthesized type fails it.
  const [type, entry] = Object.entries(table.types).find(([t, e]) =>
    e.scoped.length > 0 && Object.values(app.all).some((j) => Object.values((j.Resources ?? {}) as Record<string, Json>).some((r) => r.Type === t)))!;
  const planted = entry.scoped[0];
  const without = [...policy.map((s) => ({ ...s, Action: asArray<string>(s.Action).filter((a) => a !== planted) })),
    { Effect: 'Deny', Action: planted, Resource: '*' }];
  expect(missingHandlerActions(without, table, app.all)).toContain(`${type}: ${planted}`);
});

test('test_dep_02_star_only_for_actions_without_resource_level_permissions', () => {
  const table = readJson('test/handler-permissions.json') as HandlerTable;
  const scoped = new Set(Object.values(table.types).flatMap((e) => e.scoped.map((a) => a.toLowerCase())));
  for (const s of executionPolicy()) {
    if (s.Effect !== 'Allow' || !asArray<string>(s.Resource).includes('*')) continue;
    expect([s.Sid, asArray<string>(s.Action).filter((a) => scoped.has(a.toLowerCase()))]).toEqual([s.Sid, []]);
  }
});

// DEP-03: no trust, key, bucket, topic or queue policy names as principal an IAM
// role or user by ARN (IAM refuses a principal that does not exist yet, and pins
// the unique id of one that does); another account is trusted through its root
// with an aws:PrincipalArn condition. Roles of the same template (Fn::GetAtt) are
// created first by CloudFormation.
const POLICY_PROPS: Record<string, string> = {
  'AWS::IAM::Role': 'AssumeRolePolicyDocument',
  'AWS::KMS::Key': 'KeyPolicy',
  'AWS::S3::BucketPolicy': 'PolicyDocument',
  'AWS::SNS::TopicPolicy': 'PolicyDocument',
  'AWS::SQS::QueuePolicy': 'PolicyDocument',
};

/** A principal as text: literal parts kept, references as ${Name}. */
const principalText = (v: unknown): string => {
  if (typeof v === 'string') return v;
  const j = v as Json;
  if (j?.['Fn::Join']) return (j['Fn::Join'][1] as unknown[]).map(principalText).join(j['Fn::Join'][0]);
  if (j?.Ref) return `\${${j.Ref}}`;
  if (j?.['Fn::GetAtt']) return `\${GetAtt:${asArray(j['Fn::GetAtt']).join('.')}}`;
  return '${unknown}';
};

/** Policy problems of one template, deployed into `account` (undefined: the deploying account). */
function principalProblems(name: string, json: Json, account: string | undefined): string[] {
  const out: string[] = [];
  const res = (json.Resources ?? {}) as Record<string, Json>;
  for (const [id, r] of Object.entries(res)) {
    const doc = r.Properties?.[POLICY_PROPS[r.Type] ?? ''];
    for (const s of asArray<Json>(doc?.Statement)) {
      for (const p of asArray<unknown>(s.Principal?.AWS)) {
        const text = principalText(p);
        const getAtt = /^\$\{GetAtt:([^.]+)\.Arn\}$/.exec(text);
        if (getAtt && ['AWS::IAM::Role', 'AWS::IAM::User'].includes(res[getAtt[1]]?.Type)) continue;
        if (text === '*' || text.startsWith('${')) continue;
        if (/:(role|user)\//.test(text)) {
          out.push(`${name}/${id} ${s.Sid ?? ''}: principal ${text} names a role or user`);
          continue;
        }
        const acct = /^arn:[^:]*:iam::([^:]+):root$/.exec(text)?.[1] ?? (/^\d{12}$/.test(text) ? text : undefined);
        const own = acct === '${AWS::AccountId}' || (account !== undefined && acct === account);
        const keys = Object.values((s.Condition ?? {}) as Json).flatMap((c) => Object.keys(c as Json).map((k) => k.toLowerCase()));
        if (acct && !own && !keys.includes('aws:principalarn')) {
          out.push(`${name}/${id} ${s.Sid ?? ''}: account ${acct} is trusted without an aws:PrincipalArn condition`);
        }
      }
    }
  }
  return out;
}

test('test_dep_03_no_policy_names_a_role_or_user_as_principal', () => {
  let checked = 0;
  each((stacks, env) => {
    for (const [stack, t] of Object.entries(stacks)) {
      checked += 1;
      expect(principalProblems(`${env.name}/${stack}`, t.toJSON(), env.accountId)).toEqual([]);
    }
  });
  const pipeline = app.all[`${PROJECT.name}-pipeline`];
  if (pipeline) {
    expect(principalProblems('pipeline', pipeline, undefined)).toEqual([]);
  }
  expect(checked).toBeGreaterThan(0);
  // The check itself: a role ARN principal, and another account's root without a condition.
  const planted = { Resources: { K: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: [
    { Sid: 'Role', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:role/later' }, Action: 'kms:Decrypt', Resource: '*' },
    { Sid: 'Root', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'kms:Decrypt', Resource: '*' },
    { Sid: 'Fine', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'kms:Decrypt', Resource: '*',
      Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::444455556666:role/x-*' } } },
  ] } } } } };
  expect(principalProblems('planted', planted, '111122223333')).toHaveLength(2);
});

// DEP-05: condition keys only where the service sends them: every trust, key,
// bucket and topic policy statement with a service principal and conditions is
// checked against assets/condition_keys.yaml (test/condition-keys.json, each row
// with the page that documents it).
interface ConditionRow { readonly principal: string; readonly context: string; readonly sends: string[]; readonly source: string }
const CONTEXTS: Record<string, string> = {
  'AWS::IAM::Role': 'trust',
  'AWS::KMS::Key': 'kms-key',
  'AWS::S3::BucketPolicy': 's3-bucket',
  'AWS::SNS::TopicPolicy': 'sns-topic',
};

function conditionKeyProblems(name: string, json: Json, rows: ConditionRow[]): string[] {
  const out: string[] = [];
  for (const [id, r] of Object.entries((json.Resources ?? {}) as Record<string, Json>)) {
    const context = CONTEXTS[r.Type];
    if (!context) continue;
    for (const s of asArray<Json>(r.Properties?.[POLICY_PROPS[r.Type]]?.Statement)) {
      const keys = Object.values((s.Condition ?? {}) as Json).flatMap((c) => Object.keys(c as Json));
      if (keys.length === 0) continue;
      for (const p of asArray<unknown>(s.Principal?.Service)) {
        const service = principalText(p).replace(/\$\{AWS::Region\}/g, 'region').replace(/\$\{AWS::URLSuffix\}/g, 'amazonaws.com');
        const row = rows.find((x) => x.context === context && glob(x.principal, service));
        if (!row) {
          out.push(`${name}/${id} ${s.Sid ?? ''}: ${service} in a ${context} policy has conditions ${keys.join(', ')}, and the table has no row for it`);
          continue;
        }
        for (const k of keys) {
          const sent = row.sends.some((x) => (x.endsWith('*') ? k.toLowerCase().startsWith(x.slice(0, -1).toLowerCase()) : k.toLowerCase() === x.toLowerCase()));
          if (!sent) out.push(`${name}/${id} ${s.Sid ?? ''}: ${service} does not send ${k} in a ${context} policy (${row.source})`);
        }
      }
    }
  }
  return out;
}

test('test_dep_05_condition_keys_only_where_the_service_sends_them', () => {
  const rows = readJson('test/condition-keys.json').rows as ConditionRow[];
  expect(rows.every((r) => r.source.startsWith('https://'))).toBe(true);
  for (const [name, json] of Object.entries(app.all)) {
    expect(conditionKeyProblems(name, json, rows)).toEqual([]);
  }
  // The check itself: the CloudTrail-to-CloudWatch-Logs role trust with aws:SourceArn.
  const planted = { Resources: { R: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [
    { Sid: 'Trail', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceArn': 'arn:aws:cloudtrail:us-east-1:111122223333:trail/x' } } },
  ] } } } } };
  expect(conditionKeyProblems('planted', planted, rows)).toHaveLength(1);
});
