// Optional application tier of one environment, in the private subnets:
// EC2 Auto Scaling (APP-01, APP-02), ECS Fargate (APP-04) or Lambda (APP-03),
// with encrypted logs, alarms and fleet-health notifications (MON-04).
import { Aws, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { APP, AppConfig, EnvironmentConfig, PROJECT } from '../config/environments';
import { retention } from './common';
import { PRIVATE_SUBNETS } from './network-stack';

export interface AppStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly key: kms.IKey;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly alertTopic: sns.ITopic;
}

/** APP-02: fail fast, security updates, tight permissions, log rotation, CloudWatch agent. */
export const USER_DATA = [
  'set -euo pipefail',
  'dnf -y update --security',
  'dnf -y install amazon-cloudwatch-agent',
  'chmod 600 /etc/ssh/sshd_config',
  'chmod 700 /root',
  "printf '/var/log/app/*.log {\\n  daily\\n  rotate 14\\n  compress\\n  missingok\\n  notifempty\\n}\\n' > /etc/logrotate.d/app",
  'mkdir -p /var/log/app && chmod 750 /var/log/app',
  '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c default',
];

export class AppStack extends Stack {
  readonly logGroup: logs.LogGroup;
  /** The metric dimension that names the fleet, for dashboards. */
  readonly fleetName: string;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    if (!APP) {
      throw new Error('AppStack needs APP in config/environments.ts');
    }
    const app: AppConfig = APP;
    const env = props.config;
    const action = new actions.SnsAction(props.alertTopic);
    this.logGroup = new logs.LogGroup(this, 'AppLogGroup', {
      retention: retention(env.logRetentionDays),
      encryptionKey: props.key,
      removalPolicy: env.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const privateSubnets = PRIVATE_SUBNETS;
    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, op: cloudwatch.ComparisonOperator) => {
      const a = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        comparisonOperator: op,
        evaluationPeriods: env.alarm.evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        alarmDescription: `${PROJECT.name}-${env.name}: ${name}`,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
    };
    const minimum = env.production ? 2 : 1;

    if (app.kind === 'ec2') {
      const role = new iam.Role(this, 'InstanceRole', {
        assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
        description: 'Application instances: Session Manager and their own log group',
      });
      this.logGroup.grantWrite(role);
      const userData = ec2.UserData.forLinux();
      userData.addCommands(...USER_DATA);
      const template = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
        machineImage: ec2.MachineImage.latestAmazonLinux2023(),
        instanceType: new ec2.InstanceType(env.production ? 't3.small' : 't3.micro'),
        requireImdsv2: true,
        httpPutResponseHopLimit: 1,
        role,
        securityGroup: props.securityGroup as ec2.SecurityGroup,
        userData,
        detailedMonitoring: true,
        blockDevices: [
          {
            deviceName: '/dev/xvda',
            volume: ec2.BlockDeviceVolume.ebs(20, { encrypted: true, kmsKey: props.key, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
          },
        ],
      });
      const asg = new autoscaling.AutoScalingGroup(this, 'AutoScalingGroup', {
        vpc: props.vpc,
        vpcSubnets: privateSubnets,
        launchTemplate: template,
        minCapacity: minimum,
        maxCapacity: minimum * 2,
        healthChecks: autoscaling.HealthChecks.ec2(),
        notifications: [
          {
            topic: props.alertTopic,
            scalingEvents: new autoscaling.ScalingEvents(
              autoscaling.ScalingEvent.INSTANCE_LAUNCH_ERROR,
              autoscaling.ScalingEvent.INSTANCE_TERMINATE_ERROR,
            ),
          },
        ],
        groupMetrics: [autoscaling.GroupMetrics.all()],
      });
      this.fleetName = asg.autoScalingGroupName;
      const dims = { AutoScalingGroupName: asg.autoScalingGroupName };
      alarm('CpuAlarm', new cloudwatch.Metric({ namespace: 'AWS/EC2', metricName: 'CPUUtilization', dimensionsMap: dims, period: Duration.minutes(5) }), env.alarm.cpuPercent, cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD);
      alarm('InServiceAlarm', new cloudwatch.Metric({ namespace: 'AWS/AutoScaling', metricName: 'GroupInServiceInstances', dimensionsMap: dims, statistic: 'Minimum', period: Duration.minutes(5) }), minimum, cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD);
    } else if (app.kind === 'ecs') {
      const cluster = new ecs.Cluster(this, 'Cluster', {
        vpc: props.vpc,
        containerInsightsV2: ecs.ContainerInsights.ENABLED,
      });
      const task = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
        cpu: env.production ? 512 : 256,
        memoryLimitMiB: env.production ? 1024 : 512,
      });
      task.addContainer('app', {
        image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable-alpine'),
        portMappings: [{ containerPort: app.port }],
        readonlyRootFilesystem: true,
        logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'app' }),
      });
      const service = new ecs.FargateService(this, 'Service', {
        cluster,
        taskDefinition: task,
        desiredCount: minimum,
        vpcSubnets: privateSubnets,
        securityGroups: [props.securityGroup],
        assignPublicIp: false,
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        circuitBreaker: { rollback: true },
      });
      this.fleetName = service.serviceName;
      alarm('CpuAlarm', service.metricCpuUtilization({ period: Duration.minutes(5) }), env.alarm.cpuPercent, cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD);
      alarm('RunningTasksAlarm', new cloudwatch.Metric({ namespace: 'ECS/ContainerInsights', metricName: 'RunningTaskCount', dimensionsMap: { ClusterName: cluster.clusterName, ServiceName: service.serviceName }, statistic: 'Minimum', period: Duration.minutes(5) }), minimum, cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD);
    } else {
      const dlq = new sqs.Queue(this, 'DeadLetterQueue', {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: props.key,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      // SEC-05: the function's own role; CloudWatch Logs to its group only.
      const role = new iam.Role(this, 'FunctionRole', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
        description: 'Application function: its logs, its network interfaces, traces',
      });
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
      );
      role.addToPolicy(
        new iam.PolicyStatement({
          // These EC2 and X-Ray APIs have no resource-level permissions: `*` is the only valid resource.
          sid: 'VpcNetworkInterfacesAndTraces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
            'xray:PutTraceSegments',
            'xray:PutTelemetryRecords',
          ],
          resources: ['*'],
        }),
      );
      const fn = new lambda.Function(this, 'Function', {
        runtime: lambda.Runtime.NODEJS_24_X,
        role,
        handler: 'index.handler',
        code: lambda.Code.fromInline(
          "exports.handler = async (event) => { console.log(JSON.stringify({ received: true })); return { ok: true }; };",
        ),
        memorySize: env.production ? 256 : 128,
        timeout: Duration.seconds(30),
        vpc: props.vpc,
        vpcSubnets: privateSubnets,
        securityGroups: [props.securityGroup],
        reservedConcurrentExecutions: env.production ? 20 : 5,
        deadLetterQueue: dlq,
        tracing: lambda.Tracing.ACTIVE,
        environmentEncryption: props.key,
        environment: { ENVIRONMENT: env.name },
        logGroup: this.logGroup,
      });
      this.fleetName = fn.functionName;
      alarm('ErrorsAlarm', fn.metricErrors({ period: Duration.minutes(5) }), env.production ? 1 : 5, cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
      alarm('ThrottlesAlarm', fn.metricThrottles({ period: Duration.minutes(5) }), env.production ? 1 : 5, cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
    }
  }
}
