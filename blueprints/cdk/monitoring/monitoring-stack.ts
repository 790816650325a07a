// Monitoring of one environment: NAT gateway alarms and CIS CloudTrail metric
// filters on the alert topic (MON-02) and a dashboard (MON-03).
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EnvironmentConfig, PROJECT } from '../config/environments';

export interface MonitoringStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly alertTopic: sns.ITopic;
  readonly vpc: ec2.Vpc;
  readonly flowLogGroup: logs.ILogGroup;
  /** The account's trail log group, when this environment holds the trail. */
  readonly trailLogGroup?: logs.ILogGroup;
  /** The database instance identifiers (writer first), when there is a database. */
  readonly databaseInstances?: string[];
  readonly appLogGroup?: logs.ILogGroup;
}

/** CIS AWS Foundations metric filters on the trail's log group. */
export const CIS_FILTERS: Record<string, string> = {
  UnauthorizedApiCalls: '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
  RootAccountUsage: '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
  ConsoleSignInWithoutMfa: '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
  IamPolicyChanges: '{ ($.eventSource = iam.amazonaws.com) && (($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy)) }',
  CloudTrailChanges: '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }',
  KmsKeyDeletion: '{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }',
  SecurityGroupChanges: '{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }',
};

export class MonitoringStack extends Stack {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const env = props.config;
    const action = new actions.SnsAction(props.alertTopic);
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: env.alarm.evaluationPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `${PROJECT.name}-${env.name}: ${description}`,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      alarms.push(a);
    };

    // MON-02: NAT gateways (one alarm pair per gateway the network stack made).
    const natIds = props.vpc.publicSubnets
      .map((s) => (s as ec2.PublicSubnet).node.tryFindChild('NATGateway') as ec2.CfnNatGateway | undefined)
      .filter((n): n is ec2.CfnNatGateway => n !== undefined)
      .map((n) => n.attrNatGatewayId);
    natIds.forEach((id, i) => {
      const dims = { NatGatewayId: id };
      alarm(`NatGateway${i + 1}PortAllocationAlarm`, new cloudwatch.Metric({ namespace: 'AWS/NATGateway', metricName: 'ErrorPortAllocation', dimensionsMap: dims, statistic: 'Sum', period: Duration.minutes(5) }), 1, `NAT gateway ${i + 1} could not allocate a source port`);
      alarm(`NatGateway${i + 1}PacketsDroppedAlarm`, new cloudwatch.Metric({ namespace: 'AWS/NATGateway', metricName: 'PacketsDropCount', dimensionsMap: dims, statistic: 'Sum', period: Duration.minutes(5) }), 100, `NAT gateway ${i + 1} dropped packets`);
    });

    // MON-02 (CIS): metric filters on the trail's log group, in the environment holding the trail.
    if (props.trailLogGroup) {
      for (const [name, pattern] of Object.entries(CIS_FILTERS)) {
        const filter = new logs.MetricFilter(this, `${name}MetricFilter`, {
          logGroup: props.trailLogGroup,
          filterPattern: logs.FilterPattern.literal(pattern),
          metricNamespace: `${PROJECT.name}/${env.name}/CIS`,
          metricName: name,
          metricValue: '1',
        });
        alarm(`${name}Alarm`, filter.metric({ statistic: 'Sum', period: Duration.minutes(5) }), 1, `CIS: ${name}`);
      }
    }

    // MON-03: the dashboard.
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    const natMetric = (name: string) =>
      natIds.map((id, i) => new cloudwatch.Metric({ namespace: 'AWS/NATGateway', metricName: name, dimensionsMap: { NatGatewayId: id }, statistic: 'Sum', label: `NAT ${i + 1}` }));
    this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: `# ${PROJECT.name} ${env.name}`, width: 24, height: 1 }));
    if (natIds.length > 0) {
      this.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'Network: NAT bytes out', left: natMetric('BytesOutToDestination'), width: 12 }));
    }
    if (alarms.length > 0) {
      this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 12 }));
    }
    this.dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: 'Network: rejected flows',
        logGroupNames: [props.flowLogGroup.logGroupName],
        queryLines: ['fields @timestamp, srcAddr, dstAddr, dstPort, action', 'filter action = "REJECT"', 'sort @timestamp desc', 'limit 50'],
        width: 24,
      }),
    );
    if (props.databaseInstances && props.databaseInstances.length > 0) {
      const dbMetric = (name: string) =>
        props.databaseInstances!.map((id) => new cloudwatch.Metric({ namespace: 'AWS/RDS', metricName: name, dimensionsMap: { DBInstanceIdentifier: id } }));
      this.dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'Database: CPU', left: dbMetric('CPUUtilization'), width: 12 }),
        new cloudwatch.GraphWidget({ title: 'Database: connections', left: dbMetric('DatabaseConnections'), width: 12 }),
      );
    }
    if (props.appLogGroup) {
      this.dashboard.addWidgets(
        new cloudwatch.LogQueryWidget({
          title: 'Application: errors',
          logGroupNames: [props.appLogGroup.logGroupName],
          queryLines: ['fields @timestamp, @message', 'filter @message like /(?i)error/', 'sort @timestamp desc', 'limit 50'],
          width: 24,
        }),
      );
    }
  }
}
