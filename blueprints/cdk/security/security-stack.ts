// Security baseline of one environment: the environment's customer-managed KMS
// key (SEC-01), the access-logs bucket (SEC-03/04), the alert topic (MON-01)
// and, in the first environment of each account, the CloudTrail trail (SEC-02,
// DEP-07).
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { EnvironmentConfig, PIPELINE, PROJECT, ownsAccountSingletons } from '../config/environments';
import { hardenedBucket, retention } from './common';

export interface SecurityStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

export class SecurityStack extends Stack {
  readonly key: kms.Key;
  readonly accessLogsBucket: s3.Bucket;
  readonly alertTopic: sns.Topic;
  readonly trail?: cloudtrail.Trail;
  readonly trailLogGroup?: logs.LogGroup;

  constructor(scope: Construct, id: string, props: SecurityStackProps) {
    super(scope, id, props);
    const env = props.config;

    // SEC-01: one key per environment, rotated, with an alias. The account root
    // administers it (CDK's default statement); services get exactly what they use.
    this.key = new kms.Key(this, 'Key', {
      description: `${PROJECT.name}-${env.name}: encrypts logs, buckets, the alert topic and the database`,
      enableKeyRotation: true,
      alias: `alias/${PROJECT.name}-${env.name}`,
      pendingWindow: Duration.days(env.production ? 30 : 7),
      removalPolicy: env.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.${Aws.URL_SUFFIX}`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        // EventBridge does not send aws:SourceAccount / aws:SourceArn when it
        // uses a key for SNS (DEP-05): the statement is bound by the service only.
        sid: 'EventBridgePublishesToEncryptedTopic',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    // SEC-03/SEC-04: the access-logs bucket receives S3 server access logs of
    // every other bucket of the environment. S3 log delivery does not support
    // SSE-KMS targets, so this one bucket uses SSE-S3.
    this.accessLogsBucket = hardenedBucket(this, 'AccessLogsBucket', env, {
      encryption: s3.BucketEncryption.S3_MANAGED,
    });

    // MON-01: the alert topic, encrypted with the environment key.
    this.alertTopic = new sns.Topic(this, 'AlertTopic', {
      displayName: `${PROJECT.name}-${env.name} alerts`,
      masterKey: this.key,
      enforceSSL: true,
    });
    if (PIPELINE) {
      this.alertTopic.addSubscription(new subs.EmailSubscription(PIPELINE.notificationEmail));
    }

    if (ownsAccountSingletons(env)) {
      // SEC-02: one multi-region trail per account (DEP-07), validated,
      // KMS-encrypted, delivered to its own bucket and an encrypted log group.
      this.key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudTrailEncryptsThisAccountsTrail',
          principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
          actions: ['kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:Decrypt'],
          resources: ['*'],
          conditions: {
            StringLike: {
              'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${Aws.PARTITION}:cloudtrail:*:${Aws.ACCOUNT_ID}:trail/*`,
            },
          },
        }),
      );
      const trailBucket = hardenedBucket(this, 'TrailBucket', env, {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.key,
        serverAccessLogsBucket: this.accessLogsBucket,
        serverAccessLogsPrefix: 'trail-bucket/',
      });
      this.trailLogGroup = new logs.LogGroup(this, 'TrailLogGroup', {
        retention: retention(env.logRetentionDays),
        encryptionKey: this.key,
        removalPolicy: env.production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      this.trail = new cloudtrail.Trail(this, 'Trail', {
        bucket: trailBucket,
        encryptionKey: this.key,
        isMultiRegionTrail: true,
        includeGlobalServiceEvents: true,
        enableFileValidation: true,
        sendToCloudWatchLogs: true,
        cloudWatchLogGroup: this.trailLogGroup,
      });
    }

    // GEN-05: what neighbour stacks and integration tests read.
    new CfnOutput(this, 'KmsKeyArn', { value: this.key.keyArn, description: 'The environment key' });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alertTopic.topicArn, description: 'Alarms and notifications' });
    new CfnOutput(this, 'AccessLogsBucketName', { value: this.accessLogsBucket.bucketName });

    // SEC-06: MFA enforcement for human groups (attach it to your groups).
    new iam.ManagedPolicy(this, 'RequireMfaPolicy', {
      description: `${PROJECT.name}-${env.name}: denies everything but MFA self-service without an MFA session`,
      statements: [
        new iam.PolicyStatement({
          sid: 'DenyAllWithoutMfa',
          effect: iam.Effect.DENY,
          notActions: [
            'iam:CreateVirtualMFADevice',
            'iam:EnableMFADevice',
            'iam:GetUser',
            'iam:ListMFADevices',
            'iam:ListVirtualMFADevices',
            'iam:ResyncMFADevice',
            'sts:GetSessionToken',
          ],
          resources: ['*'],
          conditions: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
        }),
      ],
    });
  }
}
