// Database of one environment (DB-01..DB-08): RDS instance or Aurora cluster on
// the isolated subnets, encrypted with the environment key, RDS-managed master
// secret, TLS enforced by the parameter group, enhanced monitoring, log exports
// into encrypted log groups with retention, alarms on the alert topic.
// DB-09: statement logging off everywhere; where the environment audits, the
// engine's audit facility (MariaDB Audit Plugin option group, Aurora MySQL
// server_audit, pgaudit) with MySQL's `audit` log exported.
// L1 resources, because the L2 constructs cannot express an RDS-managed secret.
import { Aws, CfnDeletionPolicy, CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DATABASE, DatabaseConfig, EnvironmentConfig, PROJECT } from '../config/environments';
import { retention } from './common';
import { ISOLATED_SUBNETS } from './network-stack';

export interface DatabaseStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly key: kms.IKey;
  readonly vpc: ec2.IVpc;
  readonly alertTopic: sns.ITopic;
  /** Security groups allowed to reach the database port (the application tier). */
  readonly clients: ec2.ISecurityGroup[];
}

export class DatabaseStack extends Stack {
  readonly securityGroup: ec2.SecurityGroup;
  /** The DB instances, for alarms and dashboards (writer first). */
  readonly instances: rds.CfnDBInstance[] = [];
  readonly cluster?: rds.CfnDBCluster;
  readonly identifier: string;

  constructor(scope: Construct, id: string, props: DatabaseStackProps) {
    super(scope, id, props);
    if (!DATABASE) {
      throw new Error('DatabaseStack needs DATABASE in config/environments.ts');
    }
    const db: DatabaseConfig = DATABASE;
    const env = props.config;
    // GEN-01: the identifier derives from project and environment, so log
    // groups can be created (with retention and the key) before RDS writes to them.
    this.identifier = `${PROJECT.name}-${env.name}-db`;
    const policy = env.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.securityGroup = new ec2.SecurityGroup(this, 'DbSecurityGroup', {
      vpc: props.vpc,
      description: `${PROJECT.name}-${env.name}: database, ${db.port} from the application tier only`,
      allowAllOutbound: false,
    });
    for (const client of props.clients) {
      // Ingress here and the matching egress on the client's group.
      this.securityGroup.connections.allowFrom(client, ec2.Port.tcp(db.port), 'Database port from the application tier');
    }
    // No egress at all: the database initiates no connections (NET-07).
    const subnetGroup = new rds.CfnDBSubnetGroup(this, 'DbSubnetGroup', {
      dbSubnetGroupDescription: `${PROJECT.name}-${env.name}: isolated subnets`,
      subnetIds: props.vpc.selectSubnets(ISOLATED_SUBNETS).subnetIds,
    });

    const monitoringRole = new iam.Role(this, 'DbMonitoringRole', {
      assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: 'RDS enhanced monitoring publishes OS metrics',
    });
    monitoringRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EnhancedMonitoringLogGroup',
        actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy'],
        resources: [`arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:RDSOSMetrics`],
      }),
    );
    monitoringRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EnhancedMonitoringLogStreams',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams', 'logs:GetLogEvents'],
        resources: [`arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:RDSOSMetrics:log-stream:*`],
      }),
    );

    // DB-09: MySQL writes its audit log to a file of its own, exported as
    // `audit`; pgaudit writes into the postgresql log that is exported anyway.
    const mysql = db.family === 'mysql';
    const logExports = env.auditLogging && mysql ? ['audit', ...db.logExports] : [...db.logExports];
    const logGroups = logExports.map(
      (name) =>
        new logs.LogGroup(this, `DbLogGroup-${name}`, {
          logGroupName: `/aws/rds/${db.aurora ? 'cluster' : 'instance'}/${this.identifier}/${name}`,
          retention: retention(env.logRetentionDays),
          encryptionKey: props.key,
          removalPolicy: policy,
        }),
    );

    const parameters: Record<string, string> = { [db.tlsParameterName]: db.tlsParameterValue, ...logParameters(db, env) };
    const common = {
      engine: db.engine,
      engineVersion: db.version,
      copyTagsToSnapshot: true,
      deletionProtection: env.deletionProtection,
      backupRetentionPeriod: env.backupRetentionDays,
      preferredBackupWindow: '02:00-03:00',
      preferredMaintenanceWindow: 'sun:04:00-sun:05:00',
      enableIamDatabaseAuthentication: true,
      enableCloudwatchLogsExports: logExports,
      storageEncrypted: true,
      kmsKeyId: props.key.keyArn,
      masterUsername: 'dbadmin',
      manageMasterUserPassword: true,
      masterUserSecret: { kmsKeyId: props.key.keyArn },
    };
    const instanceCommon = {
      dbInstanceClass: env.dbInstanceClass,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      performanceInsightsKmsKeyId: props.key.keyArn,
      performanceInsightsRetentionPeriod: 7,
      monitoringInterval: 60,
      monitoringRoleArn: monitoringRole.roleArn,
    };

    if (db.aurora) {
      const clusterParams = new rds.CfnDBClusterParameterGroup(this, 'DbClusterParameterGroup', {
        description: `${PROJECT.name}-${env.name}: TLS only, logs for the CloudWatch exports`,
        family: db.parameterGroupFamily,
        parameters,
      });
      const cluster = new rds.CfnDBCluster(this, 'DbCluster', {
        ...common,
        dbClusterIdentifier: this.identifier,
        databaseName: db.name,
        port: db.port,
        dbSubnetGroupName: subnetGroup.ref,
        vpcSecurityGroupIds: [this.securityGroup.securityGroupId],
        dbClusterParameterGroupName: clusterParams.ref,
        // Aurora MySQL can rewind the cluster in place (24 hours) after a bad change.
        backtrackWindow: db.engine === 'aurora-mysql' ? 86400 : undefined,
      });
      this.cluster = cluster;
      snapshotOnDelete(cluster);
      logGroups.forEach((g) => cluster.node.addDependency(g));
      const count = env.multiAz ? 2 : 1;
      for (let i = 0; i < count; i++) {
        const instance = new rds.CfnDBInstance(this, i === 0 ? 'DbWriterInstance' : 'DbReaderInstance', {
          ...instanceCommon,
          engine: db.engine,
          dbClusterIdentifier: cluster.ref,
          dbSubnetGroupName: subnetGroup.ref,
        });
        this.instances.push(instance);
      }
    } else {
      const paramGroup = new rds.CfnDBParameterGroup(this, 'DbParameterGroup', {
        description: `${PROJECT.name}-${env.name}: TLS only, logs for the CloudWatch exports`,
        family: db.parameterGroupFamily,
        parameters,
      });
      // DB-09: the MariaDB Audit Plugin records connections, DDL and grants
      // (no row data) where the environment audits.
      const auditOptions =
        env.auditLogging && mysql
          ? new rds.CfnOptionGroup(this, 'DbAuditOptionGroup', {
              engineName: db.engine,
              majorEngineVersion: db.majorVersion,
              optionGroupDescription: `${PROJECT.name}-${env.name} ${db.engine} ${db.majorVersion}: MariaDB Audit Plugin`,
              optionConfigurations: [
                {
                  optionName: 'MARIADB_AUDIT_PLUGIN',
                  optionSettings: [{ name: 'SERVER_AUDIT_EVENTS', value: AUDIT_EVENTS }],
                },
              ],
            })
          : undefined;
      const instance = new rds.CfnDBInstance(this, 'DbInstance', {
        ...common,
        ...instanceCommon,
        dbInstanceIdentifier: this.identifier,
        dbName: db.name,
        port: String(db.port),
        storageType: 'gp3',
        allocatedStorage: '20',
        maxAllocatedStorage: 100,
        multiAz: env.multiAz,
        dbSubnetGroupName: subnetGroup.ref,
        vpcSecurityGroups: [this.securityGroup.securityGroupId],
        dbParameterGroupName: paramGroup.ref,
        optionGroupName: auditOptions?.ref,
      });
      snapshotOnDelete(instance);
      logGroups.forEach((g) => instance.node.addDependency(g));
      this.instances.push(instance);
    }

    // DB-08: CPU, free storage (instances only; Aurora storage grows) and
    // connections, to the alert topic.
    const action = new actions.SnsAction(props.alertTopic);
    this.instances.forEach((instance, i) => {
      const dims = { DBInstanceIdentifier: instance.ref };
      const label = i === 0 ? '' : 'Reader';
      const alarm = (name: string, metric: string, threshold: number, op: cloudwatch.ComparisonOperator, stat = 'Average') => {
        const a = new cloudwatch.Alarm(this, `Db${label}${name}Alarm`, {
          metric: new cloudwatch.Metric({ namespace: 'AWS/RDS', metricName: metric, dimensionsMap: dims, statistic: stat, period: Duration.minutes(5) }),
          threshold,
          comparisonOperator: op,
          evaluationPeriods: env.alarm.evaluationPeriods,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
          alarmDescription: `${PROJECT.name}-${env.name}: database ${metric}`,
        });
        a.addAlarmAction(action);
        a.addOkAction(action);
      };
      alarm('Cpu', 'CPUUtilization', env.alarm.cpuPercent, cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD);
      alarm('Connections', 'DatabaseConnections', env.alarm.connections, cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD);
      if (!db.aurora) {
        alarm('Storage', 'FreeStorageSpace', env.alarm.freeStorageBytes, cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD, 'Minimum');
      }
    });

    const endpoint = this.cluster ? this.cluster.attrEndpointAddress : this.instances[0].attrEndpointAddress;
    new CfnOutput(this, 'DbEndpointAddress', { value: endpoint, description: 'Writer endpoint' });
    new CfnOutput(this, 'DbPort', { value: String(db.port) });
    new CfnOutput(this, 'DbSecretArn', {
      value: this.cluster ? this.cluster.attrMasterUserSecretSecretArn : this.instances[0].attrMasterUserSecretSecretArn,
      description: 'ARN of the RDS-managed master secret (the value is never output)',
    });
  }
}

/** DB-09: what MySQL audits: connections, DDL and grants; never row data. */
const AUDIT_EVENTS = 'CONNECT,QUERY_DDL,QUERY_DCL';

/**
 * DB-09 and the log exports' parameters. Statement logging stays off (MySQL's
 * general log, PostgreSQL's log_statement): it writes every statement with
 * its literal values to CloudWatch Logs. Auditing where the environment asks:
 * Aurora MySQL's server_audit in the cluster parameter group (RDS for MySQL
 * audits through the option group instead), pgaudit for both PostgreSQL
 * engines (DDL and role changes, no statement parameters).
 */
function logParameters(db: DatabaseConfig, env: EnvironmentConfig): Record<string, string> {
  if (db.family === 'mysql') {
    return {
      general_log: '0',
      slow_query_log: '1',
      long_query_time: '2',
      log_output: 'FILE',
      ...(db.aurora ? { server_audit_logging: env.auditLogging ? '1' : '0', server_audit_events: AUDIT_EVENTS } : {}),
    };
  }
  return {
    log_min_duration_statement: '2000',
    shared_preload_libraries: env.auditLogging ? 'pg_stat_statements,pgaudit' : 'pg_stat_statements',
    'pgaudit.log': env.auditLogging ? 'ddl,role' : 'none',
    'pgaudit.log_parameter': '0',
  };
}

/** GEN-06/DB-05: a final snapshot when the database is deleted or replaced. */
function snapshotOnDelete(resource: rds.CfnDBInstance | rds.CfnDBCluster): void {
  resource.cfnOptions.deletionPolicy = CfnDeletionPolicy.SNAPSHOT;
  resource.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.SNAPSHOT;
}
