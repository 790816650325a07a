// The delivery pipeline, deployed once in the tooling account (CI-01..CI-09).
//
// A hardened L2 CodePipeline (V2) rather than CDK Pipelines: every CodeBuild
// project, role, bucket and key is visible here and carries the same controls
// as the CloudFormation flavour's pipeline (one project per stage, encrypted
// logs with retention, small compute, no privileged mode), and the stages are
// exactly the answered ones. Deploy stages run `cdk deploy --method=change-set`
// through the CDK bootstrap roles of each target account, after a manual
// approval where the environment asks for one. The pipeline does not mutate
// itself: update it with `make deploy-pipeline`.
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codeconnections from 'aws-cdk-lib/aws-codestarconnections';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ENVIRONMENTS, EnvironmentConfig, PIPELINE, PROJECT, PipelineConfig } from '../config/environments';
import { hardenedBucket, retention } from './common';
import { stageId } from './stage';

/** The CDK bootstrap qualifier the deploy steps use (the default one). */
export const BOOTSTRAP_QUALIFIER = 'hnb659fds';

/** CI-06: the commands of each CodeBuild stage; every one fails on the first error. */
export const STAGE_COMMANDS: Record<string, string[]> = {
  validate: ['npx tsc', 'npx cdk synth --quiet', 'pip install --quiet cfn-lint==1.58.0', 'cfn-lint --format junit --output-file reports/cfn-lint.xml -- $(find cdk.out -name "*.template.json")'],
  test: ['mkdir -p reports', 'CDK_VALIDATION=false JEST_JUNIT_OUTPUT_DIR=reports npx jest --ci --reporters=default --reporters=jest-junit'],
  security_scan: ['npx cdk synth --quiet', 'pip install --quiet checkov==3.3.30', 'checkov -d cdk.out --framework cloudformation --quiet --output junitxml --output-file-path reports'],
  build: ['npx cdk synth --quiet'],
  integration_test: ['bash scripts/smoke.sh'],
};

export class PipelineStack extends Stack {
  readonly pipeline: codepipeline.Pipeline;
  readonly key: kms.Key;
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    if (!PIPELINE) {
      throw new Error('PipelineStack needs PIPELINE in config/environments.ts');
    }
    const cfg: PipelineConfig = PIPELINE;
    const tooling: EnvironmentConfig = { ...ENVIRONMENTS[0], name: 'pipeline', production: true, logRetentionDays: 365 };

    // CI-04: the pipeline's own key (rotated) and hardened artifact bucket.
    this.key = new kms.Key(this, 'PipelineKey', {
      description: `${PROJECT.name}-pipeline: artifacts, build logs and notifications`,
      enableKeyRotation: true,
      alias: `alias/${PROJECT.name}-pipeline`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.${Aws.URL_SUFFIX}`)],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` } },
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBridgePublishesToEncryptedTopic',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const accessLogs = hardenedBucket(this, 'AccessLogsBucket', tooling, { encryption: s3.BucketEncryption.S3_MANAGED });
    const artifactBucket = hardenedBucket(this, 'ArtifactBucket', tooling, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'artifacts/',
    });

    // CI-03/CI-08: the notification topic (KMS) with the answered email.
    this.topic = new sns.Topic(this, 'NotificationTopic', { masterKey: this.key, enforceSSL: true, displayName: `${PROJECT.name} pipeline` });
    this.topic.addSubscription(new subs.EmailSubscription(cfg.notificationEmail));

    // CI-01: CodeConnections source on the answered repository and branch.
    const connection = new codeconnections.CfnConnection(this, 'SourceConnection', {
      connectionName: `${PROJECT.name}-source`.slice(0, 32),
      providerType: 'GitHub',
    });
    const source = new codepipeline.Artifact('Source');
    const synthesized = new codepipeline.Artifact('CloudAssembly');

    this.pipeline = new codepipeline.Pipeline(this, 'Pipeline', {
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket,
      crossAccountKeys: true,
      enableKeyRotation: true,
      restartExecutionOnUpdate: false,
    });
    const sourceAction = new cpactions.CodeStarConnectionsSourceAction({
      actionName: 'Source',
      connectionArn: connection.attrConnectionArn,
      owner: cfg.repository.split('/')[0],
      repo: cfg.repository.split('/')[1],
      branch: cfg.branch,
      output: source,
      triggerOnPush: true,
    });
    this.pipeline.addStage({ stageName: 'Source', actions: [sourceAction] });
    this.pipeline.addTrigger({
      providerType: codepipeline.ProviderType.CODE_STAR_SOURCE_CONNECTION,
      gitConfiguration: { sourceAction, pushFilter: [{ branchesIncludes: [cfg.branch] }] },
    });

    // CI-05: one CodeBuild project per stage.
    const project = (stage: string, commands: string[], extraPolicy?: iam.PolicyStatement[]) => {
      const logGroup = new logs.LogGroup(this, `${pascal(stage)}ProjectLogGroup`, {
        retention: retention(tooling.logRetentionDays),
        encryptionKey: this.key,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const p = new codebuild.PipelineProject(this, `${pascal(stage)}Project`, {
        description: `${PROJECT.name}: ${stage}`,
        encryptionKey: this.key,
        environment: {
          buildImage: codebuild.LinuxBuildImage.STANDARD_7_0,
          computeType: codebuild.ComputeType.SMALL,
          privileged: false,
        },
        logging: { cloudWatch: { logGroup } },
        timeout: Duration.minutes(60),
        buildSpec: codebuild.BuildSpec.fromObject({
          version: '0.2',
          env: { shell: 'bash' },
          phases: {
            install: { 'runtime-versions': { nodejs: 22 }, commands: ['set -euo pipefail', 'npm ci'] },
            build: { commands: ['set -euo pipefail', ...commands] },
          },
          reports: { [`${stage}-reports`]: { files: ['**/*.xml'], 'base-directory': 'reports', 'discard-paths': 'yes' } },
          artifacts: stage === 'build' ? { 'base-directory': 'cdk.out', files: ['**/*'] } : undefined,
        }),
      });
      extraPolicy?.forEach((s) => p.addToRolePolicy(s));
      return p;
    };

    const codebuildStages = cfg.stages.filter((s) => s !== 'deploy' && s !== 'integration_test');
    for (const stage of codebuildStages) {
      const commands = STAGE_COMMANDS[stage];
      if (!commands) {
        throw new Error(`unknown pipeline stage '${stage}'; known: ${Object.keys(STAGE_COMMANDS).join(', ')}, deploy`);
      }
      this.pipeline.addStage({
        stageName: pascal(stage),
        actions: [
          new cpactions.CodeBuildAction({
            actionName: pascal(stage),
            project: project(stage, commands),
            input: source,
            outputs: stage === 'build' ? [synthesized] : undefined,
          }),
        ],
      });
    }

    if (cfg.stages.includes('deploy')) {
      // CI-07/CI-09: per environment, an optional approval, then a change-set
      // deploy through the bootstrap roles of the target account.
      for (const env of ENVIRONMENTS) {
        const account = env.accountId ?? Aws.ACCOUNT_ID;
        const deployer = project(`deploy-${env.name}`, [
          `npx cdk deploy --require-approval never --method=change-set --concurrency 1 '${stageId(env)}/*'`,
        ], [
          new iam.PolicyStatement({
            sid: 'AssumeCdkBootstrapRoles',
            actions: ['sts:AssumeRole'],
            resources: [
              `arn:${Aws.PARTITION}:iam::${account}:role/cdk-${BOOTSTRAP_QUALIFIER}-deploy-role-${account}-${Aws.REGION}`,
              `arn:${Aws.PARTITION}:iam::${account}:role/cdk-${BOOTSTRAP_QUALIFIER}-file-publishing-role-${account}-${Aws.REGION}`,
              `arn:${Aws.PARTITION}:iam::${account}:role/cdk-${BOOTSTRAP_QUALIFIER}-image-publishing-role-${account}-${Aws.REGION}`,
            ],
          }),
        ]);
        const actionsOfEnv: codepipeline.IAction[] = [];
        if (env.approval) {
          actionsOfEnv.push(
            new cpactions.ManualApprovalAction({
              actionName: `Approve-${env.name}`,
              notificationTopic: this.topic,
              additionalInformation: `${PROJECT.name}: approve deploying ${env.name} (${env.profile}); review the change sets in the deploy log of the previous run.`,
              runOrder: 1,
            }),
          );
        }
        actionsOfEnv.push(
          new cpactions.CodeBuildAction({ actionName: `Deploy-${env.name}`, project: deployer, input: source, runOrder: 2 }),
        );
        this.pipeline.addStage({ stageName: `Deploy-${env.name}`, actions: actionsOfEnv });
      }
    }
    if (cfg.stages.includes('integration_test')) {
      // Reads stacks in this account, and in other accounts through their
      // read-only CDK bootstrap lookup roles.
      const accounts = [...new Set(ENVIRONMENTS.map((e) => e.accountId).filter((a): a is string => a !== undefined))];
      const reader = [
        new iam.PolicyStatement({
          sid: 'ReadEnvironmentStacks',
          actions: ['cloudformation:DescribeStacks'],
          resources: [`arn:${Aws.PARTITION}:cloudformation:${Aws.REGION}:${Aws.ACCOUNT_ID}:stack/${PROJECT.name}-*/*`],
        }),
        new iam.PolicyStatement({
          // DescribeVpcAttribute has no resource-level permissions.
          sid: 'ReadVpcAttributes',
          actions: ['ec2:DescribeVpcAttribute'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'ReadKeyRotation',
          actions: ['kms:GetKeyRotationStatus'],
          resources: [`arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
        }),
      ];
      if (accounts.length > 0) {
        reader.push(
          new iam.PolicyStatement({
            sid: 'AssumeLookupRoles',
            actions: ['sts:AssumeRole'],
            resources: accounts.map((a) => `arn:${Aws.PARTITION}:iam::${a}:role/cdk-${BOOTSTRAP_QUALIFIER}-lookup-role-${a}-${Aws.REGION}`),
          }),
        );
      }
      this.pipeline.addStage({
        stageName: 'IntegrationTest',
        actions: [new cpactions.CodeBuildAction({ actionName: 'IntegrationTest', project: project('integration_test', STAGE_COMMANDS.integration_test, reader), input: source })],
      });
    }

    // CI-08: failures and pending approvals reach the notification topic.
    new events.Rule(this, 'PipelineFailedRule', {
      description: `${PROJECT.name}: the pipeline failed`,
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Pipeline Execution State Change'],
        detail: { pipeline: [this.pipeline.pipelineName], state: ['FAILED'] },
      },
      targets: [new targets.SnsTopic(this.topic)],
    });
    new events.Rule(this, 'ApprovalNeededRule', {
      description: `${PROJECT.name}: an approval is waiting`,
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Action Execution State Change'],
        detail: { pipeline: [this.pipeline.pipelineName], state: ['STARTED'], type: { category: ['Approval'] } },
      },
      targets: [new targets.SnsTopic(this.topic)],
    });

    new CfnOutput(this, 'PipelineName', { value: this.pipeline.pipelineName });
    new CfnOutput(this, 'SourceConnectionArn', { value: connection.attrConnectionArn, description: 'Complete the connection handshake in the console once' });
  }
}

function pascal(s: string): string {
  return s
    .split(/[-_]/)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
}
